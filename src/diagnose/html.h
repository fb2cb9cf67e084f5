/* Text into HTML and SVG: every string the report and the plots take from outside (class, file, layer and
 * model names, messages) goes through here, so that a label such as `<img onerror=...>` shows as text. */
#ifndef FV_DIAGNOSE_HTML_H
#define FV_DIAGNOSE_HTML_H

#include <stdio.h>

/* Write s (NULL: nothing) with &, <, >, " and ' as character references: safe in element text and in quoted
 * attribute values alike. */
void fv_html_escape(FILE *f, const char *s);

#endif
