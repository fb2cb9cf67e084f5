/* The shared augmentation flags into a pipeline: each given flag becomes the spec item NAME=VALUE, checked on
 * its own first so that a bad value is reported against its flag, then all of them parsed together (after
 * --augment's spec when there is one) so that the affine and colour flags gather into one step each. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli_augment.h"
#include "commands.h"

static const fv_cli_opt aug_opts[] = {CLI_AUGMENT_OPTS};
#define N_AUG_OPTS ((int)(sizeof aug_opts / sizeof aug_opts[0]))

/* One flag's value alone through the parser; 0, or 2 after printing why. */
static int check_flag(fv_ctx *ctx, const char *prog, const char *name, const char *value)
{
    for (const char *s = value; *s; s++)
        if (isspace((unsigned char)*s) || *s == '=') {
            fprintf(stderr, "%s: --%s '%s': give one value, without spaces or '='\n", prog, name, value);
            return 2;
        }
    char item[256];
    if (snprintf(item, sizeof item, "%s=%s", name, value) >= (int)sizeof item) {
        fprintf(stderr, "%s: --%s: value too long\n", prog, name);
        return 2;
    }
    fv_augment *one = fv_augment_new(ctx);
    fv_status s = one ? fv_augment_parse(one, item) : FV_ERR_NOMEM;
    fv_augment_free(one);
    if (s == FV_OK) return 0;
    /* "augment spec: 'zoom=abc': zoom expects ..." -> "--zoom 'abc': zoom expects ..." */
    const char *msg = fv_errmsg(ctx), *why = strstr(msg, "': ");
    fprintf(stderr, "%s: --%s '%s': %s\n", prog, name, value, why ? why + 3 : msg);
    return 2;
}

int cli_augment_from_args(fv_ctx *ctx, const fv_cli_args *a, const char *prog, const char *spec, fv_augment **out)
{
    *out = NULL;
    size_t len = spec ? strlen(spec) + 2 : 1;
    for (int i = 0; i < N_AUG_OPTS; i++) {
        const char *v = fv_cli_str(a, aug_opts[i].name);
        if (v && check_flag(ctx, prog, aug_opts[i].name, v)) return 2;
        if (v) len += strlen(aug_opts[i].name) + strlen(v) + 2;
    }
    char *all = malloc(len);
    if (!all) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 2;
    }
    size_t n = (size_t)snprintf(all, len, "%s", spec ? spec : "");
    for (int i = 0; i < N_AUG_OPTS; i++) {
        const char *v = fv_cli_str(a, aug_opts[i].name);
        if (v) n += (size_t)snprintf(all + n, len - n, "%s%s=%s", n ? " " : "", aug_opts[i].name, v);
    }
    int rc = 0;
    fv_augment *aug = fv_augment_new(ctx);
    if (!aug || fv_augment_parse(aug, all) != FV_OK) {
        fprintf(stderr, "%s: %s\n", prog, cli_message(prog, fv_errmsg(ctx)));
        fv_augment_free(aug);
        rc = 2;
    } else if (fv_augment_steps(aug) == 0) {
        fv_augment_free(aug);
    } else {
        *out = aug;
    }
    free(all);
    return rc;
}
