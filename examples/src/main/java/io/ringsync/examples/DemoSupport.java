package io.ringsync.examples;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.collectives.RingsyncException;
import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the demos share: shard paths, sync latency percentiles, the final "same bits everywhere" check and
 * number formatting.
 */
final class DemoSupport
{
    /**
     * Marks the line every rank prints with its model's hash, for tests and for humans comparing ranks.
     */
    static final String MODEL_HASH = "final model hash: ";

    /**
     * Placeholder in a data path for the rank.
     */
    static final String RANK_PLACEHOLDER = "{rank}";

    /**
     * How long a rank that failed only because another rank did waits before it says so: the rank where the failure
     * started reports first, so the job's merged output leads with the cause, not with its echoes.
     */
    static final long ECHO_DELAY_MS = 500;

    private DemoSupport()
    {
    }

    /**
     * Load this rank's data; a bad data file is reported on stderr here and now, as {@code file:line: what was
     * wrong}, before the exception leaves and the communicator is closed: closing is what tells the other ranks,
     * so their failures can only come after this line.
     *
     * @param load reads the rank's data.
     * @param <T>  what it reads.
     * @return what it read.
     * @throws ReportedFailure carrying the {@link DataFileException}, already reported.
     */
    static <T> T loadReportingDataErrors(final Supplier<T> load)
    {
        try
        {
            return load.get();
        }
        catch (final DataFileException ex)
        {
            System.err.println(ex.getMessage());
            System.err.flush();
            throw new ReportedFailure(ex);
        }
    }

    /**
     * Say on stderr why this rank's demo failed, the real cause first: a bad data file as {@code file:line: what
     * was wrong} (once: not again if {@link #loadReportingDataErrors} said it); a failure caused by another rank
     * (it closed, aborted, died, stalled or disagreed) in one line, after {@link #ECHO_DELAY_MS}, since that rank
     * is saying why; anything else, a bug, with its stack trace.
     *
     * @param demo its name, for the message.
     * @param rank this rank, or -1 before it is known.
     * @param ex   the failure.
     */
    static void reportFailure(final String demo, final int rank, final RuntimeException ex)
    {
        if (ex instanceof ReportedFailure)
        {
            return;
        }
        if (ex instanceof DataFileException)
        {
            System.err.println(ex.getMessage());
            return;
        }
        final String message = (rank >= 0 ? "rank " + rank + ": " : "") + "demo " + demo + " failed: " +
            ex.getMessage();
        if (ex instanceof RingsyncException && causedByAnotherRank((RingsyncException)ex, rank))
        {
            try
            {
                Thread.sleep(ECHO_DELAY_MS);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
            System.err.println(message);
            return;
        }
        System.err.println(message);
        ex.printStackTrace();
    }

    private static boolean causedByAnotherRank(final RingsyncException ex, final int rank)
    {
        return ex.suspectRank() >= 0 && ex.suspectRank() != rank;
    }

    /**
     * A failure whose cause this rank has reported already.
     */
    static final class ReportedFailure extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        ReportedFailure(final RuntimeException cause)
        {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * @param pattern a path with {@code {rank}} in it.
     * @param rank    whose file.
     * @return the rank's file.
     */
    static Path shardPath(final String pattern, final int rank)
    {
        if (!pattern.contains(RANK_PLACEHOLDER))
        {
            throw new IllegalArgumentException("--data " + pattern + " has no " + RANK_PLACEHOLDER + ": each rank " +
                "reads only its own shard, so the path must say where rank r's is, e.g. data/train-{rank}.svm");
        }
        return Path.of(pattern.replace(RANK_PLACEHOLDER, Integer.toString(rank)));
    }

    /**
     * @return a histogram of nanoseconds up to a minute, 3 significant digits.
     */
    static Histogram latencyHistogram()
    {
        return new Histogram(1, TimeUnit.MINUTES.toNanos(1), 3);
    }

    static void record(final Histogram histogram, final long nanos)
    {
        histogram.recordValue(Math.min(histogram.getHighestTrackableValue(), Math.max(1, nanos)));
    }

    /**
     * @return "p50 1.23 ms p99 4.56 ms", or "-" when nothing was recorded.
     */
    static String percentiles(final Histogram histogram)
    {
        if (histogram.getTotalCount() == 0)
        {
            return "p50 - p99 -";
        }
        return String.format(Locale.ROOT, "p50 %s p99 %s", millis(histogram.getValueAtPercentile(50)),
            millis(histogram.getValueAtPercentile(99)));
    }

    static String millis(final long nanos)
    {
        return String.format(Locale.ROOT, nanos < 10_000_000 ? "%.2f ms" : "%.0f ms", nanos / 1e6);
    }

    /**
     * Compare every rank's model with rank 0's, bit for bit: rank 0 broadcasts its model into a scratch array
     * on every rank, each rank compares, and an allReduce(MAX) tells everyone whether any rank differed. Every
     * rank prints its model's hash.
     *
     * @param comm  the communicator.
     * @param model this rank's model.
     * @return the number of ranks whose model differs from rank 0's (the same answer on every rank).
     */
    static int ranksDifferingFromRankZero(final Communicator comm, final float[] model)
    {
        final float[] rankZeros = model.clone();
        comm.broadcast(rankZeros, 0);
        int differing = 0;
        for (int i = 0; i < model.length; i++)
        {
            if (Float.floatToRawIntBits(model[i]) != Float.floatToRawIntBits(rankZeros[i]))
            {
                differing++;
                break;
            }
        }
        final double[] count = { differing };
        comm.allReduce(count, ReduceOp.SUM);
        System.out.printf(Locale.ROOT, "%s0x%016x%n", MODEL_HASH, Seeds.bits(model));
        return (int)count[0];
    }

    static String ranks(final int ranks)
    {
        return ranks == 1 ? "the one rank" : ranks == 2 ? "both ranks" : "all " + ranks + " ranks";
    }

    static String count(final double value)
    {
        if (value >= 10e6)
        {
            return String.format(Locale.ROOT, "%.1fM", value / 1e6);
        }
        if (value >= 10e3)
        {
            return String.format(Locale.ROOT, "%.0fk", value / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", value);
    }

    static String size(final long bytes)
    {
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0)
        {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1L << 10)
        {
            return String.format(Locale.ROOT, "%.0f KiB", bytes / 1024.0);
        }
        return bytes + " bytes";
    }
}
