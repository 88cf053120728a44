/*
 * What moving 512 KiB each way costs between two simulated hosts, without any library: two processes, one per
 * network namespace, over TCP on the bridge. Each "call" moves BYTES from each side to the other, written WRITE bytes
 * per write(2) on non-blocking sockets with TCP_NODELAY, spinning; p50 and mean per call in microseconds.
 *
 *   exchange server PORT BYTES WRITE CALLS MODE
 *   exchange client HOST PORT BYTES WRITE CALLS MODE
 *
 * MODE: duplex  both directions at once over one connection (Open MPI's and Gloo's layout)
 *       split   both directions at once, one connection per direction (ringsync's tcp layout)
 *       turns   one direction after the other over one connection (the server sends, then the client)
 *       whole   both at once over one connection, but each side writes its whole message before it reads (the
 *               order of Open MPI's tcp transport once a rendezvous is agreed)
 *       agreed  as whole, after each side sent a 64-byte header and received the other's (a rendezvous)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { DUPLEX, SPLIT, TURNS, WHOLE, AGREED };

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void tune(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
}

static int dial(const char *host, int port)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, host, &to.sin_addr);
    for (int attempt = 0; attempt < 100; attempt++)
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0)
        {
            return fd;
        }
        close(fd);
        usleep(100000);
    }
    fprintf(stderr, "exchange: cannot reach %s:%d\n", host, port);
    exit(1);
}

/* one step of a transfer: 1 when bytes moved, 0 when the kernel had none, exits on a closed peer */
static int step(int fd, char *buf, long *done, long total, long most, int sending)
{
    long n = total - *done < most ? total - *done : most;
    long k = sending ? write(fd, buf + *done, n) : read(fd, buf + *done, n);
    if (k > 0)
    {
        *done += k;
        return 1;
    }
    if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
    {
        fprintf(stderr, "exchange: the peer went away\n");
        exit(1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 7)
    {
        fprintf(stderr, "usage: exchange server PORT BYTES WRITE CALLS MODE\n"
                        "       exchange client HOST PORT BYTES WRITE CALLS MODE\n");
        return 2;
    }
    const int server = strcmp(argv[1], "server") == 0;
    int a = 2;
    const char *host = server ? NULL : argv[a++];
    const int port = atoi(argv[a++]);
    const long bytes = atol(argv[a++]);
    const long most = atol(argv[a++]);
    const int calls = atoi(argv[a++]);
    const char *name = argv[a++];
    const enum mode mode = strcmp(name, "split") == 0 ? SPLIT : strcmp(name, "turns") == 0 ? TURNS :
        strcmp(name, "whole") == 0 ? WHOLE : strcmp(name, "agreed") == 0 ? AGREED : DUPLEX;

    int first, second = -1;
    if (server)
    {
        int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY };
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(listener, (struct sockaddr *)&any, sizeof any) || listen(listener, 2))
        {
            perror("exchange: listen");
            return 1;
        }
        first = accept(listener, NULL, NULL);
        if (mode == SPLIT)
        {
            second = accept(listener, NULL, NULL);
        }
        close(listener);
    }
    else
    {
        first = dial(host, port);
        if (mode == SPLIT)
        {
            second = dial(host, port);
        }
    }
    tune(first);
    if (second >= 0)
    {
        tune(second);
    }
    /* split: the server writes on the second connection and reads the first, the client the other way round */
    const int out = mode == SPLIT && server ? second : first;
    const int in = mode == SPLIT && !server ? second : first;

    char *send_buf = aligned_alloc(4096, bytes), *receive_buf = aligned_alloc(4096, bytes);
    memset(send_buf, 1, bytes);
    memset(receive_buf, 0, bytes);
    double *took = malloc(sizeof(double) * calls);
    long writes = 0, reads = 0;
    for (int call = 0; call < calls; call++)
    {
        const double start = now_us();
        long sent = 0, received = 0;
        if (mode == AGREED)
        {
            char header[64] = { 0 };
            long put = 0, got = 0;
            while (put < 64)
            {
                step(first, header, &put, 64, 64, 1);
            }
            while (got < 64)
            {
                step(first, header, &got, 64, 64, 0);
            }
        }
        if (mode == WHOLE || mode == AGREED)
        {
            while (sent < bytes)
            {
                writes += step(first, send_buf, &sent, bytes, most, 1);
            }
            while (received < bytes)
            {
                reads += step(first, receive_buf, &received, bytes, bytes, 0);
            }
        }
        else if (mode == TURNS)
        {
            for (int turn = 0; turn < 2; turn++)
            {
                const int sending = (turn == 0) == server;
                long *done = sending ? &sent : &received;
                while (*done < bytes)
                {
                    if (step(first, sending ? send_buf : receive_buf, done, bytes, sending ? most : bytes, sending))
                    {
                        sending ? writes++ : reads++;
                    }
                }
            }
        }
        else
        {
            while (sent < bytes || received < bytes)
            {
                if (sent < bytes && step(out, send_buf, &sent, bytes, most, 1))
                {
                    writes++;
                }
                if (received < bytes && step(in, receive_buf, &received, bytes, bytes, 0))
                {
                    reads++;
                }
            }
        }
        took[call] = now_us() - start;
    }
    double mean = 0;
    for (int call = 0; call < calls; call++)
    {
        mean += took[call] / calls;
    }
    qsort(took, calls, sizeof(double), by_value);
    if (server)
    {
        printf("%s,%ld,%ld,%.1f,%.1f,%.1f,%.1f\n", name, bytes, most, took[calls / 2], mean,
            (double)writes / calls, (double)reads / calls);
    }
    return 0;
}
