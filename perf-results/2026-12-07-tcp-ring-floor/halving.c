/*
 * The floor of a recursive-halving AllReduce over TCP between simulated hosts (the order Open MPI's tuned component
 * takes for large vectors at a power-of-two size), without any library: one process per network namespace, float32
 * SUM of COUNT values in place. Reduce-scatter: for distance d = N/2, N/4 .. 1 a rank exchanges half of the range it
 * still holds with rank ^ d (it sends the half the partner keeps, receives the partner's copy of its own half into a
 * scratch, reduces); allgather: the same distances in reverse, each rank sending what it holds and receiving the
 * partner's part straight into place. One connection per pair, non-blocking, TCP_NODELAY; each step writes its
 * message whole and reads what is there, interleaved, spinning (sched_yield when a pass moved nothing;
 * RING_WAIT=poll sleeps in poll(2) instead; RING_AGREE=1 swaps a 64-byte header before each step's body). Every
 * rank checks the sum after the run.
 *
 *   halving RANK N BASE_PORT HOST_PREFIX COUNT CALLS
 *
 * Rank r listens on BASE_PORT + r at HOST_PREFIX(r + 1). Rank 0 prints:
 * n,count,p50_us,mean_us,writes_per_call,reads_per_call,yields_per_call
 */
#include "probe.h"

static long writes, reads, yields;
static int blocking, agreeing;

/* nothing moved: yield the CPU, or (RING_WAIT=poll) sleep in poll(2) until the socket can move something */
static void idle(int fd, int sending, int receiving)
{
    yields++;
    if (!blocking)
    {
        sched_yield();
        return;
    }
    struct pollfd p = { .fd = fd, .events = (sending ? POLLOUT : 0) | (receiving ? POLLIN : 0) };
    poll(&p, 1, 1000);
}

static void move(int fd, const char *from, long out, char *into, long in);

/* send `out` bytes from `from` and receive `in` bytes into `into` over fd at once; with RING_AGREE=1 after both
 * sides swapped a 64-byte header (as a rendezvous protocol agrees a message before its body moves) */
static void exchange(int fd, const char *from, long out, char *into, long in)
{
    if (agreeing)
    {
        char header[64] = { 0 }, answer[64];
        move(fd, header, sizeof header, answer, sizeof answer);
    }
    move(fd, from, out, into, in);
}

static void move(int fd, const char *from, long out, char *into, long in)
{
    long sent = 0, got = 0;
    while (sent < out || got < in)
    {
        int moved = 0;
        if (sent < out)
        {
            const long w = write(fd, from + sent, out - sent);
            if (w > 0)
            {
                sent += w;
                writes++;
                moved = 1;
            }
            else if (w < 0 && errno != EAGAIN)
            {
                fail("halving: write");
            }
        }
        if (got < in)
        {
            const long r = read(fd, into + got, in - got);
            if (r > 0)
            {
                got += r;
                reads++;
                moved = 1;
            }
            else if (r == 0 || errno != EAGAIN)
            {
                fail("halving: read");
            }
        }
        if (!moved)
        {
            idle(fd, sent < out, got < in);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 7)
    {
        fprintf(stderr, "usage: halving RANK N BASE_PORT HOST_PREFIX COUNT CALLS\n");
        return 2;
    }
    const int rank = atoi(argv[1]), n = atoi(argv[2]), base = atoi(argv[3]);
    const char *prefix = argv[4];
    const long count = atol(argv[5]);
    const int calls = atoi(argv[6]);
    blocking = getenv("RING_WAIT") != NULL && strcmp(getenv("RING_WAIT"), "poll") == 0;
    agreeing = getenv("RING_AGREE") != NULL && strcmp(getenv("RING_AGREE"), "1") == 0;
    if ((n & (n - 1)) != 0 || count % n != 0)
    {
        fprintf(stderr, "halving: N must be a power of two and divide COUNT\n");
        return 2;
    }
    const int listener = listen_on(base + rank, n, 0);
    int fds[64] = { 0 };
    /* the lower rank of a pair dials, the higher accepts and learns who dialled from a 4-byte hello */
    for (int d = 1; d < n; d <<= 1)
    {
        const int peer = rank ^ d;
        if (peer > rank)
        {
            fds[peer] = dial(prefix, peer, base + peer);
            if (write(fds[peer], &rank, 4) != 4)
            {
                fail("halving: hello");
            }
        }
    }
    for (int d = 1; d < n; d <<= 1)
    {
        if ((rank ^ d) < rank)
        {
            const int fd = accept(listener, NULL, NULL);
            int who = -1;
            if (fd < 0 || read(fd, &who, 4) != 4 || who < 0 || who >= n)
            {
                fail("halving: accept");
            }
            fds[who] = fd;
        }
    }
    close(listener);
    for (int d = 1; d < n; d <<= 1)
    {
        tune(fds[rank ^ d]);
    }

    float *vector = aligned_alloc(4096, count * 4);
    float *scratch = aligned_alloc(4096, count * 2);
    double *took = malloc(sizeof(double) * calls);
    for (int call = 0; call < calls; call++)
    {
        fill(vector, count, rank);
        const double start = now_us();
        long lo = 0, hi = count;
        for (int d = n / 2; d >= 1; d >>= 1)
        {
            const long mid = lo + (hi - lo) / 2;
            const int upper = (rank & d) != 0;
            const long keep_lo = upper ? mid : lo, keep_hi = upper ? hi : mid;
            const long give_lo = upper ? lo : mid, give_hi = upper ? mid : hi;
            exchange(fds[rank ^ d], (char *)(vector + give_lo), (give_hi - give_lo) * 4, (char *)scratch,
                (keep_hi - keep_lo) * 4);
            for (long i = 0; i < keep_hi - keep_lo; i++)
            {
                vector[keep_lo + i] += scratch[i];
            }
            lo = keep_lo;
            hi = keep_hi;
        }
        for (int d = 1; d < n; d <<= 1)
        {
            /* the partner holds the neighbouring range of the same length */
            const long len = hi - lo;
            const int upper = (rank & d) != 0;
            const long peer_lo = upper ? lo - len : hi;
            exchange(fds[rank ^ d], (char *)(vector + lo), len * 4, (char *)(vector + peer_lo), len * 4);
            lo = upper ? peer_lo : lo;
            hi = lo + 2 * len;
        }
        took[call] = now_us() - start;
        check(vector, count, n, rank, call);
    }
    double mean;
    const double p50 = p50_and_mean(took, calls, &mean);
    if (rank == 0)
    {
        printf("%d,%ld,%.1f,%.1f,%.1f,%.1f,%.1f\n", n, count, p50, mean, (double)writes / calls,
            (double)reads / calls, (double)yields / calls);
    }
    return 0;
}
