/* Minimal test support: checks that count passes and failures, and the closing line the runner reads. */
#ifndef FV_TEST_H
#define FV_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fovea.h"

extern int test_passed, test_failed;

/* Record one check; prints "ok ..." or "FAIL file:line ...". Returns cond. */
int test_check(int cond, const char *file, int line, const char *fmt, ...);
#define CHECK(cond, ...) test_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)
/* Prints "N passed, N failed" and returns the exit status. */
int test_finish(void);

/* max |a - b| / max |b| (or / 1 when b is all zero); a and b must have the same size. */
double rel_error(const float *a, const float *b, int64_t n);
/* The same with max |b| raised to at least floor: for values that are zero in exact arithmetic (the bias of a
 * convolution followed by batch norm), whose float rounding is only meaningful on the scale of their peers. */
double rel_error_floor(const float *a, const float *b, int64_t n, double floor);

#endif
