package io.ringsync.examples;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;
import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What data-parallel training does with ringsync, without the training: every rank holds a copy of the same
 * parameter vector, changes its copy a little (a stand-in for a local gradient step), then averages it with
 * every other rank's copy, over and over. Start it with {@code ringsync demo}, or
 * {@code ringsync launch --np 3 -- java -cp ringsync.jar io.ringsync.examples.AverageDemo}.
 * <p>
 * Rank 0 reports the latency of the averaging call and checks, with every rank, that all copies ended up
 * bitwise identical. Arguments: {@code [--size BYTES] [--iters K]}, 1 MiB and 500 by default.
 */
public final class AverageDemo
{
    /**
     * Vector size when none is given: 1 MiB of float32, 262144 values.
     */
    public static final long DEFAULT_SIZE_BYTES = 1L << 20;

    /**
     * Averaging rounds when none is given.
     */
    public static final int DEFAULT_ITERATIONS = 500;

    /**
     * How far one local step moves a value: small against the values, as a learning rate times a gradient.
     */
    private static final float STEP = 1e-3f;

    private static final long CHECKSUM_MASK = (1L << 52) - 1;

    private AverageDemo()
    {
    }

    /**
     * @param args {@code [--size BYTES] [--iters K]}.
     */
    public static void main(final String[] args)
    {
        long sizeBytes = DEFAULT_SIZE_BYTES;
        int iterations = DEFAULT_ITERATIONS;
        for (int i = 0; i + 1 < args.length; i += 2)
        {
            switch (args[i])
            {
                case "--size":
                    sizeBytes = Long.parseLong(args[i + 1]);
                    break;
                case "--iters":
                    iterations = Integer.parseInt(args[i + 1]);
                    break;
                default:
                    System.err.println("AverageDemo: unknown argument " + args[i] + "; use [--size BYTES] [--iters K]");
                    System.exit(2);
            }
        }
        if (sizeBytes < 4 || sizeBytes % 4 != 0 || sizeBytes / 4 > Integer.MAX_VALUE - 8 || iterations < 1)
        {
            System.err.println("AverageDemo: --size must be a positive multiple of 4 bytes and --iters at least 1");
            System.exit(2);
        }

        int rank = -1;
        try (Communicator comm = Communicator.fromEnvironment())
        {
            rank = comm.rank();
            if (!run(comm, (int)(sizeBytes / 4), iterations))
            {
                System.exit(1);
            }
        }
        catch (final RuntimeException ex)
        {
            DemoSupport.reportFailure("average", rank, ex);
            System.exit(1);
        }
    }

    private static boolean run(final Communicator comm, final int count, final int iterations)
    {
        final int rank = comm.rank();
        final int ranks = comm.size();
        final float[] parameters = new float[count];

        // every rank starts from different values, then takes rank 0's: the usual start of a training job
        for (int i = 0; i < count; i++)
        {
            parameters[i] = rank + (i % 1000) / 1000.0f;
        }
        comm.broadcast(parameters, 0);

        final Histogram latencyNs = new Histogram(1, TimeUnit.MINUTES.toNanos(1), 3);
        final long startNs = System.nanoTime();
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            localStep(parameters, rank, iteration);
            final long callStartNs = System.nanoTime();
            comm.allReduce(parameters, ReduceOp.AVG);
            latencyNs.recordValue(Math.min(latencyNs.getHighestTrackableValue(),
                Math.max(1, System.nanoTime() - callStartNs)));
        }
        final double elapsedS = (System.nanoTime() - startNs) / 1e9;

        // the same checksum on every rank proves the copies are the same, bit for bit
        final long checksum = checksum(parameters);
        final double[] lowest = { checksum };
        final double[] highest = { checksum };
        comm.allReduce(lowest, ReduceOp.MIN);
        comm.allReduce(highest, ReduceOp.MAX);
        final boolean identical = lowest[0] == checksum && highest[0] == checksum;
        if (!identical)
        {
            System.err.printf(Locale.ROOT, "rank %d: the ranks' vectors DIFFER: checksums range from 0x%013x to " +
                "0x%013x, this rank has 0x%013x; this is a bug in ringsync%n",
                rank, (long)lowest[0], (long)highest[0], checksum);
            return false;
        }

        if (rank == 0)
        {
            final long bytes = 4L * count;
            final double meanNs = latencyNs.getMean();
            System.out.printf(Locale.ROOT, "%d ranks (one JVM each, over %s) each hold %s of float32 (%d values), " +
                "all starting from rank 0's copy (broadcast).%n", ranks, comm.transportName(), size(bytes), count);
            System.out.printf(Locale.ROOT, "%d rounds: each rank nudges its copy (a stand-in for a training step), " +
                "then allReduce AVG gives every rank the average; %.2f s in all.%n", iterations, elapsedS);
            System.out.printf(Locale.ROOT, "allReduce AVG latency: p50 %s, p90 %s, p99 %s, max %s.%n",
                millis(latencyNs.getValueAtPercentile(50)), millis(latencyNs.getValueAtPercentile(90)),
                millis(latencyNs.getValueAtPercentile(99)), millis(latencyNs.getMaxValue()));
            System.out.printf(Locale.ROOT, "throughput: %.0f averages/s = %.3f GB/s of vector per rank (bytes / " +
                "mean call time).%n", 1e9 / meanNs, bytes / meanNs);
            System.out.printf(Locale.ROOT, "%s hold bitwise identical vectors (checksum 0x%013x on every rank).%n",
                ranks == 1 ? "the one rank must" : ranks == 2 ? "both ranks" : "all " + ranks + " ranks", checksum);
        }
        return true;
    }

    /**
     * Move every value by a small amount that differs per rank, round and element, like a gradient would;
     * deterministic so that runs can be compared.
     */
    private static void localStep(final float[] parameters, final int rank, final int iteration)
    {
        final int seed = rank * 0x85EBCA6B ^ iteration * 0xC2B2AE35;
        for (int i = 0; i < parameters.length; i++)
        {
            int h = i * 0x9E3779B9 ^ seed;
            h ^= h >>> 16;
            h *= 0x7FEB352D;
            h ^= h >>> 15;
            // 24 random bits to a float in [-1, 1)
            parameters[i] += STEP * ((h >> 8) * (1.0f / (1 << 23)));
        }
    }

    /**
     * A 52-bit hash of the vector's bits: any difference in any bit changes it, and it converts to a double
     * exactly, so ranks can compare it with an allReduce of doubles.
     */
    private static long checksum(final float[] parameters)
    {
        long h = 0xCBF29CE484222325L;
        for (final float value : parameters)
        {
            h ^= Float.floatToRawIntBits(value) & 0xFFFFFFFFL;
            h *= 0x100000001B3L;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        return h & CHECKSUM_MASK;
    }

    private static String millis(final long ns)
    {
        return String.format(Locale.ROOT, "%.3f ms", ns / 1e6);
    }

    private static String size(final long bytes)
    {
        if (bytes % (1L << 20) == 0)
        {
            return (bytes >> 20) + " MiB";
        }
        if (bytes % (1L << 10) == 0)
        {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " bytes";
    }
}
