/* Names as a terminal may show them (fv_printable in fovea/core.h). Model files, descriptions and folder names
 * are input like any other: a class or layer name holding ESC [ 2 J or a newline would clear the screen or forge
 * output lines when printed raw, so what fovea prints of them goes through here. */
#include <stdio.h>
#include <string.h>

#include "fovea/core.h"
#include "text.h"

/* Length of the valid UTF-8 sequence at s that is not a C0/C1 control or DEL, or 0. */
static size_t plain_char(const unsigned char *s)
{
    if (s[0] < 0x20 || s[0] == 0x7f) return 0;
    if (s[0] == 0xc2 && s[1] < 0xa0) return 0; /* U+0080..U+009F: C1 controls */
    return fv_utf8_len(s, 4);
}

static bool clean(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = plain_char(p);
        if (!n) return false;
        p += n;
    }
    return true;
}

const char *fv_printable(const char *s, char *buf, size_t size)
{
    if (!s || clean(s)) return s ? s : "";
    if (!buf || !size) return "";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        char esc[8];
        size_t n = plain_char(p), len = n;
        const char *piece = (const char *)p;
        if (!n) {
            n = 1;
            len = *p == '\n' ? 2 : *p == '\t' ? 2 : *p == '\r' ? 2 : 4;
            if (*p == '\n' || *p == '\t' || *p == '\r')
                snprintf(esc, sizeof esc, "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
            else
                snprintf(esc, sizeof esc, "\\x%02x", *p);
            piece = esc;
        }
        if (o + len >= size) break; /* cut at a whole character or escape */
        memcpy(buf + o, piece, len);
        o += len, p += n;
    }
    buf[o] = '\0';
    return buf;
}
