/* Test counters and the comparison measure used everywhere. */
#include <stdarg.h>

#include "test.h"

int test_passed, test_failed;

int test_check(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cond) {
        test_passed++;
        printf("ok ");
    } else {
        test_failed++;
        printf("FAIL %s:%d ", file, line);
    }
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    return cond;
}

int test_finish(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

double rel_error(const float *a, const float *b, int64_t n) { return rel_error_floor(a, b, n, 0.0); }

double rel_error_floor(const float *a, const float *b, int64_t n, double floor)
{
    double maxdiff = 0, maxref = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d)) return NAN; /* a NaN anywhere fails every comparison */
        if (d > maxdiff) maxdiff = d;
        if (fabs((double)b[i]) > maxref) maxref = fabs((double)b[i]);
    }
    if (maxref < floor) maxref = floor;
    return maxdiff / (maxref > 0 ? maxref : 1.0);
}
