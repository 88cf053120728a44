/*
 * A cheap probe of the host's state, for bench/peers/compare.sh (issue 16): this machine kind flips
 * between a fast and a slow state for minutes at a time, and a comparison must know which one each run met.
 *
 *   state_probe [bw|pingpong|all]     (default all; prints one CSV header line and one value line)
 *
 * bw        memory bandwidth: memcpy of a 64 MiB buffer into another (huge pages where allowed), 3 times
 *           after both are written once; prints the best copy rate in GB/s (1e9 bytes copied per second; the memory
 *           moves twice that, one read and one write).
 * pingpong  cross-core latency: two threads pinned to cpu 0 and cpu 1 bounce one cache line (each waits
 *           for the other's counter, then writes its own) in batches of 200 round trips for at most 0.15 s;
 *           prints the median batch's ns per round trip. Needs two cpus; prints -1 when pinning fails or
 *           when fewer than 5 batches finished in time (the threads hardly ran together).
 *           Also pingpong_lost_pct: the share of the ping-pong's wall time lost to stalls, i.e. the time
 *           of all batches minus what they would have taken at the median batch's pace, in percent: a
 *           batch stalls when another runnable thread takes one of the two cpus (or the hypervisor does),
 *           which is what a spinning rank suffers too.
 * Together well under a second (about 0.1-0.3 s on a 2-vCPU EPYC VM).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double probe_bw(void) {
  const size_t bytes = 64u << 20;
  /* transparent huge pages where the kernel allows them (madvise mode): faulting 128 MiB in 4 KiB pages
   * would cost more than the copies */
  char *src = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *dst = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (src == MAP_FAILED || dst == MAP_FAILED) return -1;
  madvise(src, bytes, MADV_HUGEPAGE);
  madvise(dst, bytes, MADV_HUGEPAGE);
  memset(src, 1, bytes);
  memset(dst, 0, bytes);
  double best = 1e9;
  for (int rep = 0; rep < 3; rep++) {
    src[rep] = (char)(rep + 1); /* keeps the copies from being merged */
    double t0 = now_s();
    memcpy(dst, src, bytes);
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  volatile char sink = dst[2];
  (void)sink;
  munmap(src, bytes);
  munmap(dst, bytes);
  return bytes / best / 1e9;
}

/* two counters on separate cache lines: ping written by cpu 0, pong by cpu 1; ping = -1 tells cpu 1 to stop */
static struct {
  _Alignas(64) atomic_long ping;
  _Alignas(64) atomic_long pong;
  _Alignas(64) atomic_int ready;
} line;

/* batches of TRIPS round trips until MAX_BATCHES or DEADLINE_S: another process on either cpu stalls a
 * batch for a time slice, so the median batch is the figure and the deadline keeps the probe short */
enum { MAX_BATCHES = 200, MIN_BATCHES = 5, TRIPS = 200 };
static const double DEADLINE_S = 0.15;

static int pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *ponger(void *arg) {
  (void)arg;
  if (pin(1) != 0) { atomic_store(&line.ready, -1); return NULL; }
  atomic_store(&line.ready, 1);
  long seen = 0;
  for (;;) {
    long v;
    while ((v = atomic_load_explicit(&line.ping, memory_order_acquire)) == seen) { }
    if (v < 0) return NULL;
    seen = v;
    atomic_store_explicit(&line.pong, v, memory_order_release);
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double lost_pct = -1;

static double probe_pingpong(void) {
  pthread_t other;
  atomic_store(&line.ping, 0);
  atomic_store(&line.pong, 0);
  atomic_store(&line.ready, 0);
  if (pin(0) != 0) return -1;
  if (pthread_create(&other, NULL, ponger, NULL) != 0) return -1;
  while (atomic_load(&line.ready) == 0) { }
  if (atomic_load(&line.ready) < 0) { pthread_join(other, NULL); return -1; }
  static double per_trip[MAX_BATCHES];
  int batches = 0;
  long i = 0;
  double start = now_s(), t0 = start;
  int late = 0;
  while (batches < MAX_BATCHES && !late) {
    int k = 0;
    for (; k < TRIPS && !late; k++) {
      i++;
      atomic_store_explicit(&line.ping, i, memory_order_release);
      /* a batch that a stall stretches past the deadline ends there and counts as it stands */
      for (unsigned spins = 1; atomic_load_explicit(&line.pong, memory_order_acquire) != i; spins++) {
        if ((spins & 1023) == 0 && now_s() - start > DEADLINE_S) { late = 1; break; }
      }
    }
    double t1 = now_s();
    per_trip[batches++] = (t1 - t0) / k * 1e9;
    t0 = t1;
    if (t1 - start > DEADLINE_S) break;
  }
  atomic_store_explicit(&line.ping, -1, memory_order_release);
  pthread_join(other, NULL);
  double total = 0;
  for (int b = 0; b < batches; b++) total += per_trip[b];
  qsort(per_trip, batches, sizeof per_trip[0], cmp_double);
  /* fewer than MIN_BATCHES batches: the two threads hardly ran together, no figure */
  if (batches < MIN_BATCHES) { lost_pct = 100; return -1; }
  double median = per_trip[batches / 2];
  lost_pct = total > 0 ? 100.0 * (total - batches * median) / total : 0;
  if (lost_pct < 0) lost_pct = 0;
  return median;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "all";
  int bw = !strcmp(mode, "bw") || !strcmp(mode, "all");
  int pp = !strcmp(mode, "pingpong") || !strcmp(mode, "all");
  if (!bw && !pp) {
    fprintf(stderr, "usage: state_probe [bw|pingpong|all]\n");
    return 2;
  }
  double pp_ns = pp ? probe_pingpong() : 0;
  double bw_gbps = bw ? probe_bw() : 0;
  if (bw && pp) printf("copy_GBps,pingpong_ns,pingpong_lost_pct\n%.2f,%.0f,%.1f\n", bw_gbps, pp_ns, lost_pct);
  else if (bw) printf("copy_GBps\n%.2f\n", bw_gbps);
  else printf("pingpong_ns,pingpong_lost_pct\n%.0f,%.1f\n", pp_ns, lost_pct);
  return 0;
}
