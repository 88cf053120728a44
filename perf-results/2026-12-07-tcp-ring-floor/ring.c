/*
 * The floor of a ring AllReduce over TCP between simulated hosts, without any library: one process per network
 * namespace, float32 SUM of COUNT values in place, reduce-scatter then allgather around the ring, each rank writing
 * to its successor and reading from its predecessor over one connection each way. Non-blocking sockets,
 * TCP_NODELAY, spinning (sched_yield when a pass moved nothing; RING_WAIT=poll sleeps in poll(2) instead). Every
 * rank checks the sum after the run. RING_READ=blocks reads only once a block's remaining bytes are all queued
 * (with a fixed 4 MiB receive buffer, so a block fits the window).
 *
 *   ring RANK N BASE_PORT HOST_PREFIX COUNT CALLS BLOCK [WRITE]
 *
 * Rank r listens on BASE_PORT + r at HOST_PREFIX(r + 1) (HOST_PREFIX 10.77.0. gives 10.77.0.1 for rank 0).
 * The outbound stream of a call is the 2 (N - 1) segments the ring sends, in order; the inbound one the same from the
 * predecessor. A received byte is read straight into its place: the vector for the allgather, a scratch for the
 * reduce-scatter. BLOCK is the grain of the pipeline: a received block is reduced (or, in the allgather, taken as
 * is) as soon as it is whole, and is then ready to be forwarded. BLOCK = a segment is Open MPI's order (a step's
 * message whole before the next step starts); 32768 is ringsync's chunk. WRITE caps the bytes of one write(2)
 * (default: all that is ready up to the end of its segment). Reads take all that is there up to a segment's end.
 * Rank 0 prints: n,count,block,write,p50_us,mean_us,writes_per_call,reads_per_call,yields_per_call
 */
#include "probe.h"

static long mod(long a, long n)
{
    return ((a % n) + n) % n;
}

int main(int argc, char **argv)
{
    if (argc < 8)
    {
        fprintf(stderr, "usage: ring RANK N BASE_PORT HOST_PREFIX COUNT CALLS BLOCK [WRITE]\n");
        return 2;
    }
    const int rank = atoi(argv[1]), n = atoi(argv[2]), base = atoi(argv[3]);
    const char *prefix = argv[4];
    const long count = atol(argv[5]);
    const int calls = atoi(argv[6]);
    long block = atol(argv[7]);
    const long cap = argc > 8 ? atol(argv[8]) : 1L << 40;
    if (count % n != 0)
    {
        fprintf(stderr, "ring: COUNT must be a multiple of N\n");
        return 2;
    }
    const long seg = count / n * 4;
    if (block > seg)
    {
        block = seg;
    }
    if (seg % block != 0 || block % 4 != 0)
    {
        fprintf(stderr, "ring: BLOCK must divide a segment (%ld bytes) into whole floats\n", seg);
        return 2;
    }

    /* RING_READ=blocks: a block must fit the receive window whole, or it is never all queued; a fixed 4 MiB
     * buffer instead of autotuning's slow start */
    const int by_block = getenv("RING_READ") != NULL && strcmp(getenv("RING_READ"), "blocks") == 0;
    const int listener = listen_on(base + rank, 1, by_block ? 4 << 20 : 0);
    const int next = (rank + 1) % n;
    const int out = dial(prefix, next, base + next);
    const int in = accept(listener, NULL, NULL);
    if (in < 0)
    {
        fail("ring: accept");
    }
    close(listener);
    tune(out);
    tune(in);

    float *vector = aligned_alloc(4096, count * 4);
    char *scratch = aligned_alloc(4096, seg * (n - 1));
    const long steps = 2L * (n - 1), total = steps * seg, blocks = total / block, per_seg = seg / block;
    double *took = malloc(sizeof(double) * calls);
    long writes = 0, reads = 0, yields = 0;
    const int blocking = getenv("RING_WAIT") != NULL && strcmp(getenv("RING_WAIT"), "poll") == 0;
    for (int call = 0; call < calls; call++)
    {
        fill(vector, count, rank);
        const double start = now_us();
        long sent = 0, received = 0, ready = seg, done_blocks = 0;
        while (sent < total || received < total)
        {
            int moved = 0;
            /* write what is ready, up to the end of its segment (step k sends segment rank - k, then rank + 1 - k) */
            while (sent < ready)
            {
                const long k = sent / seg, at = sent % seg;
                const long s = k < n - 1 ? mod(rank - k, n) : mod(rank + 1 - (k - (n - 1)), n);
                long len = (ready - sent < seg - at ? ready - sent : seg - at);
                len = len < cap ? len : cap;
                const long w = write(out, (char *)vector + s * seg + at, len);
                if (w > 0)
                {
                    sent += w;
                    writes++;
                    moved = 1;
                }
                else if (w < 0 && errno != EAGAIN)
                {
                    fail("ring: write");
                }
                else
                {
                    break;
                }
            }
            /* read what is there, straight into place, up to the end of the segment; RING_READ=blocks: only once
             * the kernel holds the rest of the current block (FIONREAD), so a block is read in one call */
            int queued = 0;
            if (received < total && by_block && ioctl(in, FIONREAD, &queued) == 0 &&
                queued < block - received % block)
            {
            }
            else if (received < total)
            {
                const long k = received / seg, at = received % seg;
                const long s = k < n - 1 ? mod(rank - k - 1, n) : mod(rank - (k - (n - 1)), n);
                char *into = k < n - 1 ? scratch + k * seg + at : (char *)vector + s * seg + at;
                const long r = read(in, into, seg - at);
                if (r > 0)
                {
                    received += r;
                    reads++;
                    moved = 1;
                }
                else if (r == 0 || errno != EAGAIN)
                {
                    fail("ring: read");
                }
            }
            /* blocks now whole: reduce (reduce-scatter) or take (allgather), then they are ready to forward */
            while (done_blocks < blocks && (done_blocks + 1) * block <= received)
            {
                const long k = done_blocks / per_seg, at = (done_blocks % per_seg) * block;
                if (k < n - 1)
                {
                    const long s = mod(rank - k - 1, n);
                    float *into = (float *)((char *)vector + s * seg + at);
                    const float *from = (const float *)(scratch + k * seg + at);
                    for (long i = 0; i < block / 4; i++)
                    {
                        into[i] += from[i];
                    }
                }
                done_blocks++;
                /* block b of the inbound stream becomes block b + per_seg of the outbound one (the last step's
                 * blocks are not forwarded) */
                const long forward = (done_blocks + per_seg) * block;
                ready = forward < total ? forward : total;
            }
            if (!moved)
            {
                yields++;
                if (blocking)
                {
                    struct pollfd p[2] = { { .fd = in, .events = POLLIN }, { .fd = out, .events = POLLOUT } };
                    poll(p, sent < ready ? 2 : 1, 1000);
                }
                else
                {
                    sched_yield();
                }
            }
        }
        took[call] = now_us() - start;
        check(vector, count, n, rank, call);
    }
    double mean;
    const double p50 = p50_and_mean(took, calls, &mean);
    if (rank == 0)
    {
        printf("%d,%ld,%ld,%ld,%.1f,%.1f,%.1f,%.1f,%.1f\n", n, count, block, cap == 1L << 40 ? 0 : cap, p50,
            mean, (double)writes / calls, (double)reads / calls, (double)yields / calls);
    }
    return 0;
}
