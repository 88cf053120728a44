package io.ringsync.collectives;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one harness for ranks as threads of the test JVM, whatever the transport: each rank connects on a thread
 * of its own, runs its body with its communicator, and closes it; the harness collects every rank's value or
 * exception, so assertions about failures on each rank reach JUnit. Bounded: a rank that does not finish in time
 * fails the test instead of hanging it, and every rank thread is stopped before it returns.
 */
final class RankThreads
{
    /**
     * Connects rank {@code rank}: its transport and settings are the test's choice.
     */
    interface Connector
    {
        Communicator connect(int rank) throws Exception;
    }

    /**
     * What one rank does with its connected communicator.
     *
     * @param <T> its result.
     */
    interface RankBody<T>
    {
        T run(Communicator comm) throws Exception;
    }

    /**
     * What one rank returned or threw (connecting and closing included).
     *
     * @param <T> the result.
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

    private RankThreads()
    {
    }

    /**
     * Run {@code size} ranks and wait for all of them.
     *
     * @param boundMs   the most the whole run may take.
     * @param connector makes each rank's communicator, on the rank's thread.
     * @param body      each rank's work.
     * @return every rank's outcome, in rank order.
     * @throws AssertionError when a rank does not finish within {@code boundMs}.
     */
    static <T> List<Outcome<T>> run(final int size, final long boundMs, final Connector connector, final RankBody<T> body)
        throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(size);
        try
        {
            final List<Future<Outcome<T>>> futures = new ArrayList<>();
            for (int rank = 0; rank < size; rank++)
            {
                final int r = rank;
                futures.add(pool.submit(() ->
                {
                    try (Communicator comm = connector.connect(r))
                    {
                        return new Outcome<>(r, body.run(comm), null);
                    }
                    catch (final Throwable t)
                    {
                        return new Outcome<T>(r, null, t);
                    }
                }));
            }
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
            final List<Outcome<T>> outcomes = new ArrayList<>();
            for (int rank = 0; rank < size; rank++)
            {
                try
                {
                    outcomes.add(futures.get(rank).get(Math.max(1, deadlineNs - System.nanoTime()),
                        TimeUnit.NANOSECONDS));
                }
                catch (final TimeoutException ex)
                {
                    throw new AssertionError("rank " + rank + " did not finish within " + boundMs + " ms", ex);
                }
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

    /**
     * @return every rank's value, in rank order.
     * @throws AssertionError naming the first rank that failed, with its exception as the cause and the other
     * failed ranks' errors suppressed.
     */
    static <T> List<T> values(final List<Outcome<T>> outcomes)
    {
        final List<T> values = new ArrayList<>();
        AssertionError failure = null;
        for (final Outcome<T> outcome : outcomes)
        {
            if (null != outcome.error)
            {
                final AssertionError error = new AssertionError("rank " + outcome.rank + " failed: " + outcome.error,
                    outcome.error);
                if (null == failure)
                {
                    failure = error;
                }
                else
                {
                    // the other ranks' failures ride along: often one rank's assertion is the cause of the rest
                    failure.addSuppressed(error);
                }
            }
            values.add(outcome.value);
        }
        if (null != failure)
        {
            throw failure;
        }
        return values;
    }
}
