/* What the naive counter's global atomics cost on real cores, against the
 * series' per-vCPU plain counters: T threads (standing in for vCPUs on
 * different host CPUs) each count M "exits", cycling over a few reasons,
 *   naive:   atomic add to one global total and one global per-reason slot
 *   per-vCPU: plain adds to the thread's own counters (and two rdtsc, as the
 *             series also times each exit)
 * and the time per exit is printed for 1 and 2 threads. A model of the two
 * exit-path sequences on this host's CPUs, not KVM itself (this host's KVM is
 * built in, so its modules cannot be swapped).
 *
 *   bench/counter_contention [M]          (make bench-kernel runs it)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#define SLOTS 264

static _Atomic uint64_t naive_total;
static _Atomic uint64_t naive_count[SLOTS];

struct per_vcpu {
	uint64_t total, total_cycles, start;
	uint64_t count[SLOTS], cycles[SLOTS];
} __attribute__((aligned(64)));

struct job {
	int cpu;
	int naive;
	uint64_t m;
	struct per_vcpu *own;
	pthread_barrier_t *go;
};

static const uint32_t reasons[] = { 0x72, 0x7b, 0x7c, 0x72, 0x78, 0x81, 0x72, 0x400 };

static uint32_t slot_of(uint32_t r)
{
	return r < 0x100 ? r : 0x100 + r - 0x400;
}

static void *run(void *arg)
{
	struct job *j = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(j->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_barrier_wait(j->go);
	for (uint64_t i = 0; i < j->m; i++) {
		uint32_t s = slot_of(reasons[i & 7]);
		if (j->naive) {
			uint64_t t = atomic_fetch_add_explicit(&naive_total, 1, memory_order_seq_cst) + 1;
			atomic_fetch_add_explicit(&naive_count[s], 1, memory_order_seq_cst);
			if (t % 10000 == 0)
				__asm__ volatile("" ::: "memory"); /* the printk would be here */
		} else {
			struct per_vcpu *c = j->own;
			c->start = __rdtsc();
			__asm__ volatile("" ::: "memory");
			uint64_t cy = __rdtsc() - c->start;
			c->count[s]++;
			c->cycles[s] += cy;
			c->total++;
			c->total_cycles += cy;
		}
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ns per exit, per thread, with n threads on CPUs 0..n-1 */
static double measure(int naive, int n, uint64_t m)
{
	pthread_t th[2];
	struct job j[2];
	struct per_vcpu *own = aligned_alloc(64, 2 * sizeof(*own));
	pthread_barrier_t go;

	memset(own, 0, 2 * sizeof(*own));
	pthread_barrier_init(&go, NULL, n + 1);
	for (int i = 0; i < n; i++) {
		j[i] = (struct job){ i, naive, m, &own[i], &go };
		pthread_create(&th[i], NULL, run, &j[i]);
	}
	pthread_barrier_wait(&go);
	double t0 = now();
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	double t = now() - t0;
	pthread_barrier_destroy(&go);
	uint64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += own[i].total;
	free(own);
	if (!naive && sum != (uint64_t)n * m) {
		fprintf(stderr, "counter_contention: per-vCPU counted %llu, not %llu\n",
			(unsigned long long)sum, (unsigned long long)(n * m));
		exit(1);
	}
	return t * 1e9 / (double)m;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint64_t m = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
	double r[2][2][5];

	/* interleaved rounds, median of 5 */
	for (int round = 0; round < 5; round++)
		for (int n = 1; n <= 2; n++)
			for (int naive = 0; naive <= 1; naive++) {
				atomic_store(&naive_total, 0);
				r[naive][n - 1][round] = measure(naive, n, m);
				if (naive && atomic_load(&naive_total) != (uint64_t)n * m) {
					fprintf(stderr, "counter_contention: naive counted wrong\n");
					return 1;
				}
			}
	printf("%-34s %14s %14s %8s\n", "exit-path counting", "1 vCPU ns/exit", "2 vCPUs ns/exit", "2 vs 1");
	for (int naive = 1; naive >= 0; naive--) {
		double med[2];
		for (int n = 0; n < 2; n++) {
			qsort(r[naive][n], 5, sizeof(double), cmp);
			med[n] = r[naive][n][2];
		}
		printf("%-34s %14.2f %14.2f %7.1fx\n",
		       naive ? "naive: 2 global atomics" : "series: per-vCPU adds + 2 rdtsc", med[0], med[1],
		       med[1] / med[0]);
	}
	return 0;
}
