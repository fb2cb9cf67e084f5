/* Text into HTML and SVG: every string the report and the plots take from outside (class, file, layer and
 * model names, messages) goes through here, so that a label such as `<img onerror=...>` shows as text. */
#ifndef FV_DIAGNOSE_HTML_H
#define FV_DIAGNOSE_HTML_H

#include <stdio.h>

#include "fovea/core.h"

/* Write s (NULL: nothing) with &, <, >, " and ' as character references: safe in element text and in quoted
 * attribute values alike. */
void fv_html_escape(FILE *f, const char *s);

/* An <img> of 8-bit pixels (h, w, ch: 1 gray or 3 RGB) as a PNG data URI, scaled up by repetition to at least
 * 84 pixels wide so that small images stay visible; nothing when out of memory or the encoder fails. */
void fv_html_png(FILE *f, fv_ctx *ctx, const uint8_t *px, int w, int h, int ch);

#endif
