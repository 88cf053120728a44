/*
 * What ring.c and halving.c share: the clock, failing, sockets (listen, dial with retries, tune), the sum every
 * rank checks, and the p50 and mean of a run's call times.
 */
#ifndef RINGSYNC_PROBE_H
#define RINGSYNC_PROBE_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

/* a listening socket on PORT of every address; a receive buffer of RCVBUF bytes when positive (before listen, so
 * the accepted connections agree a window scale for it) */
static int listen_on(int port, int backlog, int rcvbuf)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY };
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rcvbuf > 0)
    {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    if (bind(fd, (struct sockaddr *)&any, sizeof any) || listen(fd, backlog))
    {
        fail("listen");
    }
    return fd;
}

/* a connection to HOST_PREFIX(index + 1):port, retried for 10 s while the peer starts */
static int dial(const char *prefix, int index, int port)
{
    char host[64];
    snprintf(host, sizeof host, "%s%d", prefix, index + 1);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, host, &to.sin_addr);
    for (int attempt = 0; attempt < 200; attempt++)
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
        {
            return fd;
        }
        close(fd);
        usleep(50000);
    }
    fail("connect");
    return -1;
}

/* non-blocking, no Nagle */
static void tune(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
}

/* every rank's input: rank + 1 + (i mod 7), exact in float32, so the sum over N ranks is known */
static void fill(float *vector, long count, int rank)
{
    for (long i = 0; i < count; i++)
    {
        vector[i] = (float)(rank + 1) + (float)(i % 7);
    }
}

/* exits naming the first element that is not the sum of fill's inputs over N ranks */
static void check(const float *vector, long count, int n, int rank, int call)
{
    for (long i = 0; i < count; i++)
    {
        const float expected = (float)(n * (n + 1) / 2) + n * (float)(i % 7);
        if (vector[i] != expected)
        {
            fprintf(stderr, "rank %d call %d element %ld is %g, not %g\n", rank, call, i, vector[i], expected);
            exit(1);
        }
    }
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* the mean of CALLS times into *mean; returns their median (sorts them) */
static double p50_and_mean(double *took, int calls, double *mean)
{
    *mean = 0;
    for (int call = 0; call < calls; call++)
    {
        *mean += took[call] / calls;
    }
    qsort(took, calls, sizeof(double), by_value);
    return took[calls / 2];
}

#endif
