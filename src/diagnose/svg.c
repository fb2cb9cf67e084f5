/* Plots as SVG text (embedded in the HTML report, or saved alone): line charts (training curves, ROC curves),
 * scatter plots coloured by class (embeddings) and the confusion matrix as a heat map. Text is drawn by the
 * viewer's fonts, so nothing here renders glyphs. */
#include <math.h>
#include <stdio.h>

#include "fovea/diagnose.h"
#include "html.h"

#define W 480
#define H 320
#define ML 56 /* margins: left, right, top, bottom */
#define MR 120
#define MT 28
#define MB 40

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

typedef struct {
    double x0, x1, y0, y1;
} range;

static double px(const range *r, double x) { return ML + (x - r->x0) / (r->x1 - r->x0) * (W - ML - MR); }
static double py(const range *r, double y) { return H - MB - (y - r->y0) / (r->y1 - r->y0) * (H - MT - MB); }

static void frame(FILE *f, const range *r, const char *title, const char *xlabel, const char *ylabel)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"sans-serif\" font-size=\"11\"><rect width=\"%d\" height=\"%d\" fill=\"white\"/>",
            W, H, W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"18\" font-size=\"13\" font-weight=\"bold\">", ML);
    fv_html_escape(f, title);
    fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>", ML, MT,
            W - ML - MR, H - MT - MB);
    for (int t = 0; t <= 4; t++) { /* four intervals on each axis */
        double xv = r->x0 + (r->x1 - r->x0) * t / 4, yv = r->y0 + (r->y1 - r->y0) * t / 4;
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3g</text>", px(r, xv), H - MB + 14, xv);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>", ML - 4, py(r, yv) + 4, yv);
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (ML + W - MR) / 2, H - 6);
    fv_html_escape(f, xlabel);
    fprintf(f, "</text><text x=\"12\" y=\"%d\" transform=\"rotate(-90 12 %d)\" text-anchor=\"middle\">", (MT + H - MB) / 2,
            (MT + H - MB) / 2);
    fv_html_escape(f, ylabel);
    fprintf(f, "</text>");
}

static void legend(FILE *f, int i, const char *name, const char *colour)
{
    int y = MT + 6 + 14 * i;
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">", W - MR + 8, y,
            colour, W - MR + 22, y + 9);
    fv_html_escape(f, name);
    fprintf(f, "</text>");
}

void fv_svg_lines(FILE *f, const char *title, const char *xlabel, const char *ylabel, int n_series,
                  const char *const *names, const double *const *xs, const double *const *ys, const int64_t *counts)
{
    range r = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (int s = 0; s < n_series; s++)
        for (int64_t i = 0; i < counts[s]; i++)
            if (isfinite(xs[s][i]) && isfinite(ys[s][i]))
                r.x0 = fmin(r.x0, xs[s][i]), r.x1 = fmax(r.x1, xs[s][i]), r.y0 = fmin(r.y0, ys[s][i]), r.y1 = fmax(r.y1, ys[s][i]);
    if (!(r.x1 > r.x0)) r.x0 = isfinite(r.x0) ? r.x0 - 1 : 0, r.x1 = r.x0 + 2;
    if (!(r.y1 > r.y0)) r.y0 = isfinite(r.y0) ? r.y0 - 1 : 0, r.y1 = r.y0 + 2;
    frame(f, &r, title, xlabel, ylabel);
    for (int s = 0; s < n_series; s++) {
        const char *colour = palette[s % 10];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", colour);
        for (int64_t i = 0; i < counts[s]; i++)
            if (isfinite(xs[s][i]) && isfinite(ys[s][i])) fprintf(f, "%.1f,%.1f ", px(&r, xs[s][i]), py(&r, ys[s][i]));
        fprintf(f, "\"/>");
        legend(f, s, names[s], colour);
    }
    fprintf(f, "</svg>\n");
}

void fv_svg_scatter(FILE *f, const char *title, const float *points, const int32_t *labels, int64_t n,
                    const char *const *class_names, int k)
{
    range r = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (int64_t i = 0; i < n; i++)
        r.x0 = fmin(r.x0, points[2 * i]), r.x1 = fmax(r.x1, points[2 * i]), r.y0 = fmin(r.y0, points[2 * i + 1]),
        r.y1 = fmax(r.y1, points[2 * i + 1]);
    if (!(r.x1 > r.x0)) r.x0 -= 1, r.x1 += 1;
    if (!(r.y1 > r.y0)) r.y0 -= 1, r.y1 += 1;
    frame(f, &r, title, "", "");
    for (int64_t i = 0; i < n; i++)
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\" fill-opacity=\"0.7\"/>", px(&r, points[2 * i]),
                py(&r, points[2 * i + 1]), palette[(labels[i] % 10 + 10) % 10]);
    for (int c = 0; c < k && c < 20; c++) {
        char name[32];
        snprintf(name, sizeof name, "class %d", c);
        legend(f, c, class_names && class_names[c] ? class_names[c] : name, palette[c % 10]);
    }
    fprintf(f, "</svg>\n");
}

/* A count in at most five characters, so that it fits its cell: pixel counts of segmentation run to millions
 * (the exact numbers stand in the table beside the plot). */
static void short_count(char *buf, size_t size, int64_t v)
{
    if (v < 100000) snprintf(buf, size, "%lld", (long long)v);
    else if (v < 100000000) snprintf(buf, size, "%lldk", (long long)(v / 1000));
    else snprintf(buf, size, "%lldM", (long long)(v / 1000000));
}

void fv_svg_confusion(FILE *f, const int64_t *counts, int k, const char *const *class_names)
{
    int cell = k <= 10 ? 34 : 340 / k, left = 110, top = 30, size = left + cell * k + 20;
    int64_t mx = 1;
    for (int i = 0; i < k * k; i++) mx = counts[i] > mx ? counts[i] : mx;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
               "font-size=\"10\"><rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>"
               "<text x=\"%d\" y=\"16\" font-size=\"12\">rows: true class, columns: predicted</text>",
            size, top + cell * k + 90, left);
    for (int i = 0; i < k; i++) {
        char name[32];
        snprintf(name, sizeof name, "%d", i);
        const char *label = class_names && class_names[i] ? class_names[i] : name;
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 4, top + cell * i + cell / 2 + 4);
        fv_html_escape(f, label);
        fprintf(f, "</text><text x=\"%d\" y=\"%d\" transform=\"rotate(60 %d %d)\">", left + cell * i + cell / 2,
                top + cell * k + 8, left + cell * i + cell / 2, top + cell * k + 8);
        fv_html_escape(f, label);
        fprintf(f, "</text>");
        for (int j = 0; j < k; j++) {
            double v = (double)counts[i * k + j] / (double)mx;
            int shade = (int)(255 - 200 * sqrt(v));
            char text[24];
            short_count(text, sizeof text, counts[i * k + j]);
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,255)\" stroke=\"#ddd\"/>"
                       "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%s</text>",
                    left + cell * j, top + cell * i, cell, cell, shade, shade, left + cell * j + cell / 2,
                    top + cell * i + cell / 2 + 4, v > 0.5 ? "white" : "black", text);
        }
    }
    fprintf(f, "</svg>\n");
}
