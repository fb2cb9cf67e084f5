/* Checks of text that fovea stores and prints back (class names): well-formed UTF-8 without control characters.
 * Internal to the library. */
#ifndef FV_CORE_TEXT_H
#define FV_CORE_TEXT_H

#include <stddef.h>

/* NULL when s is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF) free of control
 * characters (below 0x20, and 0x7F); otherwise what is wrong, e.g. "contains a control character (0x0a)" written
 * into why (at least 64 bytes). */
const char *fv_text_problem(const char *s, char *why, size_t size);

/* Length of the well-formed UTF-8 sequence at s within n bytes (no overlong forms, surrogates or code points
 * above U+10FFFF), or 0. In a NUL-terminated string any n >= 4 is safe: a NUL ends a sequence as invalid. */
size_t fv_utf8_len(const unsigned char *s, size_t n);

#endif
