/*
 * mpi_allreduce.c: MPI_Allreduce timed the way `ringsync bench` times its own AllReduce, so the two CSVs
 * can be read side by side.
 *
 * For each size: fill with rank + 1 and check one in-place SUM against n (n + 1) / 2 exactly; refill with
 * zeros; warm up (256 MiB worth of calls, 5 to 50000, as ringsync's sweep); pick the iteration count from
 * the mean of the warm-up's second half and a time budget, 2 s by default, clamped to [20, 100000] (the
 * slowest rank's mean decides, so every rank runs the same count); then time every call on every rank. One iteration's
 * time is the maximum over ranks of that call (MPI_Reduce with MPI_MAX over the whole array of times);
 * rank 0 prints p50 / p99 (nearest rank) and the mean of those maxima, algbw = bytes / mean and
 * busbw = algbw * 2 (n - 1) / n.
 *
 * Output: one CSV header and one row per size, columns as ringsync's bench, and cpu_us (the CPU time of all ranks
 * together per timed call, every thread):
 *   bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us
 *
 * Usage: mpirun -np N ./mpi_allreduce [-s SIZES] [-t float32|float64] [-b BUDGET_S] [-i ITERS] [-w WARMUP]
 *        SIZES: comma-separated, with optional B/KiB/MiB/GiB suffix.
 */
#include <mpi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long parse_size(const char *text)
{
    char *end = NULL;
    double value = strtod(text, &end);
    long scale = 1;
    if (0 == strncmp(end, "KiB", 3)) scale = 1L << 10;
    else if (0 == strncmp(end, "MiB", 3)) scale = 1L << 20;
    else if (0 == strncmp(end, "GiB", 3)) scale = 1L << 30;
    else if (0 == strncmp(end, "KB", 2)) scale = 1000L;
    else if (0 == strncmp(end, "MB", 2)) scale = 1000L * 1000L;
    return (long)(value * (double)scale);
}

static int by_value(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double nearest_rank(const double *sorted, long count, double percentile)
{
    long index = (long)ceil(percentile / 100.0 * (double)count) - 1;
    if (index < 0) index = 0;
    if (index >= count) index = count - 1;
    return sorted[index];
}

static void fill(void *buffer, long count, int is_double, double value)
{
    for (long i = 0; i < count; i++)
    {
        if (is_double) ((double *)buffer)[i] = value;
        else ((float *)buffer)[i] = (float)value;
    }
}

static int check(const void *buffer, long count, int is_double, double expected)
{
    for (long i = 0; i < count; i++)
    {
        const double value = is_double ? ((const double *)buffer)[i] : ((const float *)buffer)[i];
        if (value != expected)
        {
            fprintf(stderr, "element %ld is %g, expected %g\n", i, value, expected);
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, np;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &np);

    char sizes[1024] = "4,64KiB,1MiB,16MiB";
    const char *type = "float32";
    double budget = 2.0;
    long fixed_iters = 0, fixed_warmup = 0;
    int opt;
    while ((opt = getopt(argc, argv, "s:t:b:i:w:")) != -1)
    {
        switch (opt)
        {
            case 's': snprintf(sizes, sizeof(sizes), "%s", optarg); break;
            case 't': type = optarg; break;
            case 'b': budget = atof(optarg); break;
            case 'i': fixed_iters = atol(optarg); break;
            case 'w': fixed_warmup = atol(optarg); break;
            default:
                if (0 == rank) fprintf(stderr, "usage: %s [-s sizes] [-t float32|float64] [-b budget_s] [-i iters] [-w warmup]\n", argv[0]);
                MPI_Abort(MPI_COMM_WORLD, 2);
        }
    }
    const int is_double = 0 == strcmp(type, "float64");
    const int element = is_double ? 8 : 4;
    const MPI_Datatype datatype = is_double ? MPI_DOUBLE : MPI_FLOAT;

    if (0 == rank)
    {
        printf("bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps,cpu_us\n");
        fflush(stdout);
    }

    for (char *token = strtok(sizes, ","); NULL != token; token = strtok(NULL, ","))
    {
        const long bytes = parse_size(token);
        const long count = bytes / element;
        void *buffer = NULL;
        if (0 != posix_memalign(&buffer, 64, (size_t)(count > 0 ? count : 1) * element)) MPI_Abort(MPI_COMM_WORLD, 3);

        fill(buffer, count, is_double, rank + 1);
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, datatype, MPI_SUM, MPI_COMM_WORLD);
        if (!check(buffer, count, is_double, np * (np + 1) / 2.0))
        {
            fprintf(stderr, "rank %d: wrong result at %ld bytes\n", rank, bytes);
            MPI_Abort(MPI_COMM_WORLD, 4);
        }
        fill(buffer, count, is_double, 0.0);

        /* as ringsync's sweep: 256 MiB worth of calls, 5 to 50000; the estimate uses the second half only */
        long warmup = fixed_warmup > 0 ? fixed_warmup : (256L << 20) / (bytes > 0 ? bytes : 1);
        if (fixed_warmup <= 0)
        {
            if (warmup < 5) warmup = 5;
            if (warmup > 50000) warmup = 50000;
        }
        const long first_counted = warmup / 2;
        MPI_Barrier(MPI_COMM_WORLD);
        double warm_start = now_s();
        for (long i = 0; i < warmup; i++)
        {
            if (i == first_counted) warm_start = now_s();
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, datatype, MPI_SUM, MPI_COMM_WORLD);
        }
        double warm_mean = (now_s() - warm_start) / (double)(warmup - first_counted);
        MPI_Allreduce(MPI_IN_PLACE, &warm_mean, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        long iters = fixed_iters > 0 ? fixed_iters : (long)(budget / warm_mean);
        if (fixed_iters <= 0)
        {
            if (iters < 20) iters = 20;
            if (iters > 100000) iters = 100000;
        }

        double *times = malloc(sizeof(double) * (size_t)iters);
        double *slowest = malloc(sizeof(double) * (size_t)iters);
        MPI_Barrier(MPI_COMM_WORLD);
        const double cpu_before = cpu_s();
        for (long i = 0; i < iters; i++)
        {
            const double start = now_s();
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, datatype, MPI_SUM, MPI_COMM_WORLD);
            times[i] = now_s() - start;
        }
        /* CPU time of every thread of this process over the timed calls, summed over the ranks */
        double cpu = cpu_s() - cpu_before, cpu_sum = 0;
        MPI_Reduce(times, slowest, (int)iters, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        MPI_Reduce(&cpu, &cpu_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
        if (0 == rank)
        {
            double sum = 0;
            for (long i = 0; i < iters; i++) sum += slowest[i];
            qsort(slowest, (size_t)iters, sizeof(double), by_value);
            const double mean = sum / (double)iters;
            const double algbw = (double)bytes / mean / 1e9;
            printf("%ld,%s,%d,openmpi,default,%ld,%.2f,%.2f,%.2f,%.3f,%.3f,%.1f\n", bytes, type, np, iters,
                nearest_rank(slowest, iters, 50) * 1e6, nearest_rank(slowest, iters, 99) * 1e6, mean * 1e6,
                algbw, algbw * 2.0 * (np - 1) / np, cpu_sum / (double)iters * 1e6);
            fflush(stdout);
        }
        free(times);
        free(slowest);
        free(buffer);
    }
    MPI_Finalize();
    return 0;
}
