/* Validation of stored text (fv_text_problem): model files keep class names one per line and terminals print
 * them back, so a line break, an escape sequence or broken UTF-8 in one must be refused when it is set. */
#include <stddef.h>
#include <stdio.h>

#include "text.h"

size_t fv_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (len == 0 || c > 0xF4 || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0; /* also stops at a terminating NUL */
    if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
    if (c == 0xF0 && s[1] < 0x90) return 0; /* overlong */
    if (c == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
    return len;
}

const char *fv_text_problem(const char *s, char *why, size_t size)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; u[i];) {
        if (u[i] < 0x20 || u[i] == 0x7F) {
            snprintf(why, size, "contains a control character (0x%02x) at byte %zu", u[i], i + 1);
            return why;
        }
        size_t k = fv_utf8_len(u + i, 4);
        if (!k) {
            snprintf(why, size, "is not valid UTF-8 (byte %zu)", i + 1);
            return why;
        }
        i += k;
    }
    return NULL;
}
