/* How long a cache line takes to go from one core to another and back, between the first two CPUs this process
 * may run on: about 100 ns when they share a last-level cache, several times that when the host has put them on
 * different dies. The bench prints it before and after its rounds, since fovea's two-thread figures move with
 * it (README, Benchmarks). Usage: bench_pingpong */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#define TRIPS 200000

static _Alignas(64) atomic_int ball;
static int cpus[2];

static void pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *other(void *p)
{
    pin(cpus[1]);
    for (int i = 0; i < TRIPS; i++) {
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 1) {
        }
        atomic_store_explicit(&ball, 2 * i + 2, memory_order_release);
    }
    return p;
}

int main(void)
{
    cpu_set_t allowed;
    int found = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
            if (CPU_ISSET(c, &allowed)) cpus[found++] = c;
    if (found < 2) {
        printf("core-to-core round trip: - (one CPU)\n");
        return 0;
    }
    pthread_t t;
    pin(cpus[0]);
    if (pthread_create(&t, NULL, other, NULL) != 0) return 1;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < TRIPS; i++) {
        atomic_store_explicit(&ball, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&ball, memory_order_acquire) != 2 * i + 2) {
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pthread_join(t, NULL);
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / TRIPS;
    printf("core-to-core round trip: %.0f ns (CPUs %d and %d)\n", ns, cpus[0], cpus[1]);
    return 0;
}
