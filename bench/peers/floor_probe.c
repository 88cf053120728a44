/*
 * floor_probe.c: how fast could any np = 2 AllReduce on this host be, in the state the host is in now? (issue 16)
 *
 *   floor_probe [-s sizes] [-b budget_s] [-m all|MODE[,MODE...]] [-p]
 *
 * Two threads stand for two ranks whose vectors already sit in memory both can read (what
 * Communicator.allocate gives ringsync, and less than Open MPI has: its ranks are separate processes
 * and reach each other's memory through a system call). Each thread does only the memory work an
 * AllReduce of float32 SUM cannot avoid, with gcc's vectorised loops, no messages, no headers and no
 * checks, and waits on the other through one cache-line flag per 32 KiB chunk:
 *
 * two-phase  the schedule of ringsync's direct mode and of Open MPI's ring: thread r adds the other's
 *            half r into its own vector in place (pulling half a vector across the cores), flags each
 *            chunk, then copies the other's finished half into its own (pulling the other half across).
 * all-pull   each thread adds the other's whole input into its own output (double-buffered): the same
 *            bytes across the cores, in one sweep with no wait on the other's result.
 * window     ringsync's direct mode over vectors in shared memory: thread r adds the other's half r into
 *            its own vector and into its window; the other copies the finished half from that window.
 * staged     ringsync's direct mode over private vectors (a float[]): each thread first copies its own
 *            half into its window, the other reads it there; then as window.
 *
 * Every pair of threads (two cores) must bring one vector's worth of the other's data into each core,
 * whatever the algorithm: the floor is set by how fast this host moves data between its two cores.
 * Timed the way `ringsync bench` and mpi_allreduce.c time their calls: back to back (a thread starts an
 * iteration by waiting until the other finished reading what it will overwrite), each thread times each
 * of its iterations, an iteration's time is the slower thread's; warm-up of
 * 256 MiB worth of iterations (5 to 50,000); iterations from the warm-up's mean and the budget (1 s by
 * default), 20 to 100,000. Prints CSV: bytes,mode,iters,p50_us,p99_us,mean_us. -p pins the threads to
 * cpus 0 and 1 (default: the scheduler places them, as it places the ranks of the benchmarks).
 *
 * Build: gcc -O3 -march=native -pthread -o floor_probe bench/peers/floor_probe.c
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_FLOATS 8192 /* 32 KiB, ringsync's default chunk */
#define MAX_ITERS 100000

typedef struct {
  _Atomic long value;
  char pad[64 - sizeof(long)];
} flag_t;

enum { TWO_PHASE, ALL_PULL, WINDOW, STAGED, MODES };
static const char *const MODE_NAMES[] = { "two-phase", "all-pull", "window", "staged" };

static size_t count;
static size_t chunks_per_half;
static int mode;
static int pin;
static float *vec[2];     /* two-phase: each thread's vector */
static float *buf[2][2];  /* all-pull: each thread's input and output, swapped every iteration */
static float *win[2];     /* window, staged: each thread's window, where the other reads from */
static flag_t *flags[2];  /* per thread and chunk of its half: the last iteration that finished it */
static flag_t done[2];    /* per thread: the last iteration it finished, so the other may overwrite its data */
static _Atomic long barrier_arrived;
static _Atomic long barrier_generation;
static long iterations;
static double *took[2];

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void barrier(void) {
  const long generation = atomic_load_explicit(&barrier_generation, memory_order_acquire);
  if (1 == atomic_fetch_add_explicit(&barrier_arrived, 1, memory_order_acq_rel)) {
    atomic_store_explicit(&barrier_arrived, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&barrier_generation, 1, memory_order_release);
  } else {
    while (atomic_load_explicit(&barrier_generation, memory_order_acquire) == generation) __builtin_ia32_pause();
  }
}

static void add_into(float *restrict out, const float *restrict a, const float *restrict b, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

static void add_in_place(float *restrict acc, const float *restrict b, size_t n) {
  for (size_t i = 0; i < n; i++) acc[i] += b[i];
}

/* half h: [h * count / 2, (h + 1) * count / 2); chunk c of it */
static size_t half_start(int h) { return h * (count / 2); }
static size_t half_length(int h) { return 0 == h ? count / 2 : count - count / 2; }

static void chunk_of(int h, size_t c, size_t *lo, size_t *n) {
  const size_t length = half_length(h);
  const size_t start = c * CHUNK_FLOATS;
  *lo = half_start(h) + start;
  *n = start >= length ? 0 : (length - start < CHUNK_FLOATS ? length - start : CHUNK_FLOATS);
}

static void one_iteration(int r, long k) {
  const int p = 1 - r;
  /* what this iteration overwrites, the other thread read in the previous one */
  while (atomic_load_explicit(&done[p].value, memory_order_acquire) < k - 1) __builtin_ia32_pause();
  if (TWO_PHASE == mode) {
    for (size_t c = 0; c < chunks_per_half; c++) {
      size_t lo, n;
      chunk_of(r, c, &lo, &n);
      add_in_place(vec[r] + lo, vec[p] + lo, n);
      atomic_store_explicit(&flags[r][c].value, k, memory_order_release);
    }
    for (size_t c = 0; c < chunks_per_half; c++) {
      size_t lo, n;
      chunk_of(p, c, &lo, &n);
      while (atomic_load_explicit(&flags[p][c].value, memory_order_acquire) < k) __builtin_ia32_pause();
      memcpy(vec[r] + lo, vec[p] + lo, n * sizeof(float));
    }
  } else if (ALL_PULL == mode) {
    add_into(buf[r][(k + 1) & 1], buf[r][k & 1], buf[p][k & 1], count);
  } else {
    /* ringsync's direct mode: the finished half goes into the vector and into the window, the other thread
     * copies it from the window; staged: the vector is private, its half r copied into the window first */
    if (STAGED == mode) {
      for (size_t c = 0; c < chunks_per_half; c++) {
        size_t lo, n;
        chunk_of(r, c, &lo, &n);
        memcpy(win[r] + lo, vec[r] + lo, n * sizeof(float));
        atomic_store_explicit(&flags[r][c].value, 2 * k - 1, memory_order_release);
      }
    }
    const float *other = STAGED == mode ? win[p] : vec[p];
    const long ready = STAGED == mode ? 2 * k - 1 : 0;  /* window: the other's input is there from the start */
    for (size_t c = 0; c < chunks_per_half; c++) {
      size_t lo, n;
      chunk_of(p, c, &lo, &n);
      while (atomic_load_explicit(&flags[p][c].value, memory_order_acquire) < ready) __builtin_ia32_pause();
      float *restrict out = vec[r] + lo, *restrict copy = win[r] + lo;
      const float *restrict a = vec[r] + lo, *restrict b = other + lo;
      for (size_t i = 0; i < n; i++) {
        const float sum = a[i] + b[i];
        out[i] = sum;
        copy[i] = sum;
      }
      atomic_store_explicit(&flags[r][chunks_per_half + c].value, STAGED == mode ? 2 * k : k,
                            memory_order_release);
    }
    for (size_t c = 0; c < chunks_per_half; c++) {
      size_t lo, n;
      chunk_of(r, c, &lo, &n);
      while (atomic_load_explicit(&flags[p][chunks_per_half + c].value, memory_order_acquire) <
             (STAGED == mode ? 2 * k : k)) __builtin_ia32_pause();
      memcpy(vec[r] + lo, win[p] + lo, n * sizeof(float));
    }
  }
  atomic_store_explicit(&done[r].value, k, memory_order_release);
}

static void *rank_main(void *arg) {
  const int r = (int)(intptr_t)arg;
  if (pin) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(r, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  /* first touch by the owner, as a rank writes its own vector */
  memset(vec[r], 0, count * sizeof(float));
  memset(buf[r][0], 0, count * sizeof(float));
  memset(buf[r][1], 0, count * sizeof(float));
  memset(win[r], 0, count * sizeof(float));
  memset(flags[r], 0, 2 * chunks_per_half * sizeof(flag_t));
  atomic_store_explicit(&done[r].value, 0, memory_order_relaxed);
  barrier();
  /* back to back, as the benchmarks call: a thread waits only for what it needs from the other */
  for (long i = 0; i < iterations; i++) {
    const long k = 1 + i;
    const double start = now_s();
    one_iteration(r, k);
    took[r][i] = now_s() - start;
  }
  barrier();
  return NULL;
}

/* run `n` iterations on two threads; took[0..1][0..n) get each thread's times */
static void run(long n) {
  iterations = n;
  pthread_t threads[2];
  for (int r = 0; r < 2; r++) pthread_create(&threads[r], NULL, rank_main, (void *)(intptr_t)r);
  for (int r = 0; r < 2; r++) pthread_join(threads[r], NULL);
}

static int compare_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static size_t parse_size(const char *s) {
  char *end;
  double v = strtod(s, &end);
  if (0 == strcasecmp(end, "KiB") || 0 == strcasecmp(end, "k")) v *= 1024;
  else if (0 == strcasecmp(end, "MiB") || 0 == strcasecmp(end, "m")) v *= 1024 * 1024;
  else if (*end) { fprintf(stderr, "floor_probe: bad size %s\n", s); exit(2); }
  return (size_t)v;
}

static void *aligned(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 2 << 20, bytes ? bytes : 64)) { perror("posix_memalign"); exit(1); }
  return p;
}

int main(int argc, char **argv) {
  const char *sizes = "4KiB,64KiB,1MiB,16MiB";
  const char *modes = "all";
  double budget = 1.0;
  int opt;
  while ((opt = getopt(argc, argv, "s:b:m:p")) != -1) {
    switch (opt) {
      case 's': sizes = optarg; break;
      case 'b': budget = atof(optarg); break;
      case 'm': modes = optarg; break;
      case 'p': pin = 1; break;
      default:
        fprintf(stderr, "usage: %s [-s sizes] [-b budget_s] [-m all|two-phase,all-pull,window,staged] [-p]\n", argv[0]);
        return 2;
    }
  }
  for (int r = 0; r < 2; r++) took[r] = malloc(MAX_ITERS * 5 * sizeof(double));
  double *slowest = malloc(MAX_ITERS * 5 * sizeof(double));
  printf("bytes,mode,iters,p50_us,p99_us,mean_us\n");
  char *list = strdup(sizes);
  for (char *item = strtok(list, ","); item; item = strtok(NULL, ",")) {
    const size_t bytes = parse_size(item);
    count = bytes / sizeof(float);
    chunks_per_half = (half_length(1) + CHUNK_FLOATS - 1) / CHUNK_FLOATS;
    for (int r = 0; r < 2; r++) {
      vec[r] = aligned(bytes);
      buf[r][0] = aligned(bytes);
      buf[r][1] = aligned(bytes);
      win[r] = aligned(bytes);
      flags[r] = aligned((2 * chunks_per_half + 1) * sizeof(flag_t));
    }
    for (int m = TWO_PHASE; m < MODES; m++) {
      if (strcmp(modes, "all") && !strstr(modes, MODE_NAMES[m])) continue;
      mode = m;
      long warmup = (256L << 20) / (long)(bytes ? bytes : 1);
      warmup = warmup < 5 ? 5 : warmup > 50000 ? 50000 : warmup;
      run(warmup);
      double sum = 0;
      for (long i = warmup / 2; i < warmup; i++) sum += took[0][i] > took[1][i] ? took[0][i] : took[1][i];
      const double mean = sum / (double)(warmup - warmup / 2);
      long iters = (long)(budget / (mean > 0 ? mean : 1e-6));
      iters = iters < 20 ? 20 : iters > MAX_ITERS ? MAX_ITERS : iters;
      run(iters);
      double total = 0;
      for (long i = 0; i < iters; i++) {
        slowest[i] = took[0][i] > took[1][i] ? took[0][i] : took[1][i];
        total += slowest[i];
      }
      qsort(slowest, iters, sizeof(double), compare_double);
      const long p99 = (long)(0.99 * iters + 0.999999) - 1;
      printf("%zu,%s,%ld,%.3f,%.3f,%.3f\n", bytes, MODE_NAMES[m], iters,
             slowest[(iters + 1) / 2 - 1] * 1e6, slowest[p99 < 0 ? 0 : p99] * 1e6, total / iters * 1e6);
      fflush(stdout);
    }
    for (int r = 0; r < 2; r++) { free(vec[r]); free(buf[r][0]); free(buf[r][1]); free(win[r]); free(flags[r]); }
  }
  free(list);
  return 0;
}
