package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Runs one body per rank on its own thread over {@link LocalTransport}, each with its own connected
 * communicator, and collects every rank's result or exception. Bounded: a rank that does not finish in time
 * fails the test instead of hanging it.
 */
final class LocalCluster
{
    interface RankBody<T>
    {
        T run(Communicator comm) throws Exception;
    }

    /**
     * What one rank returned or threw.
     */
    static final class Outcome<T>
    {
        final int rank;
        final T value;
        final Throwable error;

        Outcome(final int rank, final T value, final Throwable error)
        {
            this.rank = rank;
            this.value = value;
            this.error = error;
        }
    }

    private LocalCluster()
    {
    }

    static <T> List<Outcome<T>> run(
        final int size, final int linkCapacity, final Context template, final RankBody<T> body)
        throws Exception
    {
        return run(size, linkCapacity, (rank) -> template, body);
    }

    /**
     * As {@link #run(int, int, Context, RankBody)} with settings per rank, e.g. to give ranks
     * settings that disagree.
     */
    static <T> List<Outcome<T>> run(
        final int size,
        final int linkCapacity,
        final java.util.function.IntFunction<Context> templates,
        final RankBody<T> body)
        throws Exception
    {
        final Context template = templates.apply(0);
        final LocalTransport[] transports = LocalTransport.createJob(size, linkCapacity);
        final ExecutorService pool = Executors.newFixedThreadPool(size);
        try
        {
            final List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int rank = 0; rank < size; rank++)
            {
                final int r = rank;
                futures.add(pool.submit(() ->
                {
                    final Context settings = templates.apply(r);
                    final Context ctx = new Context()
                        .timeoutNs(settings.timeoutNs())
                        .chunkBytes(settings.chunkBytes())
                        .idle(settings.idle())
                        .smallMaxBytes(settings.smallMaxBytes())
                        .jobId(settings.jobId());
                    try (Communicator comm = Communicator.connect(transports[r], ctx))
                    {
                        return new Outcome<>(r, body.run(comm), null);
                    }
                    catch (final Throwable t)
                    {
                        return new Outcome<T>(r, null, t);
                    }
                }));
            }
            final long boundNs = template.timeoutNs() * 3 + TimeUnit.SECONDS.toNanos(20);
            final long deadline = System.nanoTime() + boundNs;
            final List<Outcome<T>> outcomes = new ArrayList<>();
            for (final Future<Outcome<T>> future : futures)
            {
                outcomes.add(future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return outcomes;
        }
        finally
        {
            pool.shutdownNow();
            if (!pool.awaitTermination(10, TimeUnit.SECONDS))
            {
                throw new AssertionError("rank threads did not stop");
            }
        }
    }

    static <T> List<Outcome<T>> run(final int size, final RankBody<T> body) throws Exception
    {
        return run(size, LocalTransport.LINK_CAPACITY_DEFAULT, new Context().timeoutNs(
            TimeUnit.SECONDS.toNanos(20)), body);
    }

    /**
     * Run and rethrow the first rank failure, so a test sees the real exception.
     */
    static <T> List<T> runAll(final int size, final RankBody<T> body) throws Exception
    {
        return runAll(size, new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)), body);
    }

    /**
     * As {@link #runAll(int, RankBody)} with the given settings and default links.
     */
    static <T> List<T> runAll(final int size, final Context template, final RankBody<T> body)
        throws Exception
    {
        final List<T> values = new ArrayList<>();
        for (final Outcome<T> outcome : run(size, LocalTransport.LINK_CAPACITY_DEFAULT, template, body))
        {
            if (null != outcome.error)
            {
                throw new AssertionError("rank " + outcome.rank + " failed", outcome.error);
            }
            values.add(outcome.value);
        }
        return values;
    }
}
