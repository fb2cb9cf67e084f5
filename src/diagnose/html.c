/* HTML escaping for the report and the SVG plots (html.h). One function for both, so that no string reaches
 * the page by a path that forgot it; quotes are escaped too, so the same text may stand in an attribute. */
#include "html.h"

void fv_html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}
