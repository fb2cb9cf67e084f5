/* Detection in the commands (cli_detect.h). */
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_detect.h"
#include "cli_task.h"
#include "commands.h"

bool cli_is_detection(const fv_cli_args *a, const fv_model *m)
{
    if (fv_cli_given(a, "task")) return strcmp(fv_cli_str(a, "task"), "detect") == 0;
    const char *line = m ? fv_model_task(m) : NULL;
    if (line) return strncmp(line, "detect", 6) == 0;
    const char *data = fv_cli_has(a, "data") ? fv_cli_str(a, "data") : NULL;
    return data && !fv_cli_str(a, "inputs") && fv_is_detection_folder(data) && !fv_is_segmentation_set(data);
}

static void report(const fv_det_scan *scan, const char *dir, const char *prog, bool strict)
{
    char path[1024], reason[1024];
    printf("Found %lld image,label pairs in %s (%lld objects", (long long)scan->images,
           fv_printable(dir, path, sizeof path), (long long)scan->boxes);
    if (scan->n_class_names) printf("; %d class names in classes.txt", scan->n_class_names);
    printf(").\n");
    if (!scan->n_problems) return;
    fprintf(stderr, "%s: %s: skipped %lld of %lld images and %lld unpaired files%s\n", prog, path,
            (long long)scan->skipped, (long long)scan->images, (long long)scan->unpaired,
            strict ? "" : " (--strict makes this an error)");
    for (int i = 0; i < scan->n_problems; i++)
        fprintf(stderr, "  %s: %s\n", fv_printable(scan->problems[i].path, path, sizeof path),
                fv_printable(scan->problems[i].reason, reason, sizeof reason));
}

fv_tensor_set *cli_det_open(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const fv_model *m, int *classes)
{
    const char *data = fv_cli_str(a, "data");
    fv_det_options o = fv_det_defaults();
    if (fv_cli_has(a, "strict")) o.strict = fv_cli_flag(a, "strict");
    if (fv_cli_has(a, "channels")) o.channels = (int)fv_cli_int(a, "channels");
    int64_t shape[FV_MAX_DIMS];
    if (m && fv_model_input_shape(m, shape) == 3) { /* a detector reads its own input size */
        o.channels = (int)shape[0], o.height = (int)shape[1], o.width = (int)shape[2];
    } else if (fv_cli_has(a, "size") && fv_cli_given(a, "size")) {
        cli_data_opts d = {.prog = prog};
        if (cli_data_opts_from_args(a, &d)) return NULL;
        o.width = d.width, o.height = d.height;
    }
    fv_det_scan scan;
    fv_tensor_set *set = fv_det_load(ctx, data, &o, &scan);
    if (set) report(&scan, data, prog, o.strict);
    else fprintf(stderr, "%s: --data %s: %s\n", prog, data, fv_errmsg(ctx));
    if (set && classes) {
        *classes = scan.n_class_names > scan.n_per_class ? scan.n_class_names : scan.n_per_class;
        if (*classes < 1) *classes = 1;
    }
    fv_det_scan_release(&scan);
    return set;
}

int cli_det_evaluate(fv_ctx *ctx, const fv_cli_args *a, const char *prog, fv_model *m)
{
    fv_yolo_info info;
    if (fv_yolo_info_of(ctx, m, &info) != FV_OK) return cli_fail(prog, ctx);
    fv_tensor_set *set = cli_det_open(ctx, a, prog, m, NULL);
    if (!set) return 1;
    fv_det_eval *e = fv_det_eval_new(ctx, info.classes);
    fv_yolo_detect_options o = fv_yolo_detect_defaults();
    o.conf = 0.001f; /* AP scores the whole ranking: low-confidence detections count toward recall */
    fv_coco_summary s;
    double *ap = e ? calloc((size_t)info.classes * 2, sizeof *ap) : NULL, voc = 0.0;
    int rc = ap && fv_yolo_evaluate(m, &info, set, (int)fv_cli_int(a, "batch"), &o, e) == FV_OK &&
                     fv_det_eval_coco(e, &s, ap) == FV_OK && fv_det_eval_voc(e, 0.5, false, ap + info.classes, &voc) == FV_OK
                 ? 0
                 : cli_fail(prog, ctx);
    if (!rc) {
        printf("map50: %.4f\nmap: %.4f\nmap75: %.4f\nmap_small: %.4f\nmap_medium: %.4f\nmap_large: %.4f\n", s.map50,
               s.map, s.map75, s.map_small, s.map_medium, s.map_large);
        printf("ar100: %.4f\nvoc_map50: %.4f\n", s.ar100, voc);
        printf("\nclass   AP@[.5:.95]   AP50 (VOC)\n");
        for (int c = 0; c < info.classes; c++) {
            if (ap[c] < 0) printf("%5d   %11s   %10s\n", c, "-", "-"); /* no true box of the class */
            else printf("%5d   %11.4f   %10.4f\n", c, ap[c], ap[info.classes + c]);
        }
    }
    free(ap);
    fv_det_eval_free(e);
    fv_tensor_set_free(set);
    return rc;
}
