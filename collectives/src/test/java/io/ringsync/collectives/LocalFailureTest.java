package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input fails every rank with a clear exception, within the deadline, never a hang or a wrong answer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalFailureTest
{
    private static final Context FAST = new Context().timeoutNs(
        TimeUnit.MILLISECONDS.toNanos(1500));

    @Test
    void lengthMismatchFailsEveryRankNamingBothLengths() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(4, 1 << 18, FAST, comm ->
        {
            comm.allReduce(new float[10], ReduceOp.SUM);
            comm.allReduce(new float[comm.rank() == 2 ? 1000 : 1001], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : outcomes)
        {
            assertNotNull(outcome.error, "rank " + outcome.rank + " must fail");
            assertTrue(outcome.error instanceof CollectiveMismatchException,
                "rank " + outcome.rank + ": " + outcome.error);
            final String message = outcome.error.getMessage();
            assertTrue(message.contains("1000 x FLOAT32") && message.contains("1001 x FLOAT32") &&
                message.contains("#2"), message);
        }
    }

    @Test
    void zeroAgainstNonZeroLengthAndTypeAndOpMismatchesAreCaught() throws Exception
    {
        final Object[][] cases = {
            { new float[0], new float[5], "0 x FLOAT32" },
            { new float[5], new double[5], "5 x FLOAT64" },
        };
        for (final Object[] c : cases)
        {
            final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(3, 1 << 18, FAST, comm ->
            {
                final Object v = comm.rank() == 1 ? c[1] : c[0];
                if (v instanceof float[])
                {
                    comm.allReduce((float[])v, ReduceOp.SUM);
                }
                else
                {
                    comm.allReduce((double[])v, ReduceOp.SUM);
                }
                return null;
            });
            for (final RankThreads.Outcome<Object> outcome : outcomes)
            {
                assertTrue(outcome.error instanceof CollectiveMismatchException, "rank " + outcome.rank + ": " +
                    outcome.error);
                assertTrue(outcome.error.getMessage().contains((String)c[2]), outcome.error.getMessage());
            }
        }
        final List<RankThreads.Outcome<Object>> ops = LocalCluster.run(2, 1 << 18, FAST, comm ->
        {
            comm.allReduce(new float[7], comm.rank() == 0 ? ReduceOp.SUM : ReduceOp.MAX);
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : ops)
        {
            assertTrue(outcome.error instanceof CollectiveMismatchException);
            assertTrue(outcome.error.getMessage().contains("SUM") && outcome.error.getMessage().contains("MAX"));
        }
    }

    @Test
    void differentCollectivesOrRootsAreCaught() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(3, 1 << 18, FAST, comm ->
        {
            if (comm.rank() == 0)
            {
                comm.broadcast(new float[100], 0);
            }
            else
            {
                comm.allReduce(new float[100], ReduceOp.SUM);
            }
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : outcomes)
        {
            assertTrue(outcome.error instanceof CollectiveMismatchException, "rank " + outcome.rank + ": " +
                outcome.error);
            assertTrue(outcome.error.getMessage().contains("broadcast(100 x FLOAT32, root 0)"),
                outcome.error.getMessage());
        }
        final List<RankThreads.Outcome<Object>> roots = LocalCluster.run(3, 1 << 18, FAST, comm ->
        {
            comm.broadcast(new double[10], comm.rank() == 2 ? 1 : 0);
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : roots)
        {
            assertTrue(outcome.error instanceof CollectiveMismatchException, "rank " + outcome.rank + ": " +
                outcome.error);
        }
    }

    @Test
    void aRankThatNeverCallsIsNamedByItsNeighbourAndEveryoneTimesOut() throws Exception
    {
        final CountDownLatch othersDone = new CountDownLatch(2);
        final long start = System.nanoTime();
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(3, 1 << 18, FAST, comm ->
        {
            if (comm.rank() == 1)
            {
                // stalls: alive, connected, but never makes the call
                othersDone.await(30, TimeUnit.SECONDS);
                return null;
            }
            try
            {
                comm.allReduce(new float[1000], ReduceOp.SUM);
                return null;
            }
            finally
            {
                othersDone.countDown();
            }
        });
        final long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs < 15_000, "failed within a few deadlines: " + elapsedMs + " ms");
        final Throwable rank2 = outcomes.get(2).error;
        assertTrue(rank2 instanceof CollectiveTimeoutException, String.valueOf(rank2));
        assertEquals(1, ((RingsyncException)rank2).suspectRank(), rank2.getMessage());
        assertTrue(rank2.getMessage().contains("Rank 1 sent nothing"), rank2.getMessage());
        assertTrue(outcomes.get(0).error instanceof CollectiveTimeoutException, String.valueOf(outcomes.get(0).error));
    }

    @Test
    void callsAfterCloseOrFailureAreRefusedClearly() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(2, 1 << 18, FAST, comm ->
        {
            assertThrows(IllegalArgumentException.class, () -> comm.broadcast(new float[1], 2));
            assertTrue(comm.isOpen(), "a call refused for its argument leaves the communicator working");
            try
            {
                comm.allReduce(new float[comm.rank() + 1], ReduceOp.SUM);
            }
            catch (final CollectiveMismatchException expected)
            {
                // the communicator is now failed
            }
            assertFalse(comm.isOpen(), "failed by the mismatch");
            final CommunicatorClosedException ex = assertThrows(CommunicatorClosedException.class,
                () -> comm.allReduce(new float[1], ReduceOp.SUM));
            assertTrue(ex.getMessage().contains("failed earlier"), ex.getMessage());
            comm.close();
            assertFalse(comm.isOpen(), "closed");
            final CommunicatorClosedException closed = assertThrows(CommunicatorClosedException.class,
                () -> comm.barrier());
            assertTrue(closed.getMessage().contains("closed"));
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : outcomes)
        {
            if (null != outcome.error)
            {
                throw new AssertionError("rank " + outcome.rank, outcome.error);
            }
        }
    }

    @Test
    void badArgumentsAreRejectedBeforeAnythingIsSent() throws Exception
    {
        LocalCluster.runAll(2, comm ->
        {
            assertThrows(NullPointerException.class, () -> comm.allReduce((float[])null, ReduceOp.SUM));
            assertThrows(NullPointerException.class, () -> comm.allReduce(new float[1], null));
            assertThrows(IllegalArgumentException.class, () -> comm.broadcast(new float[1], 2));
            assertThrows(IndexOutOfBoundsException.class, () -> comm.allReduce(new float[4], 2, 3, ReduceOp.SUM));
            // the communicator is still usable: nothing was sent
            final float[] v = { comm.rank() };
            comm.allReduce(v, ReduceOp.SUM);
            assertEquals(1f, v[0]);
            return null;
        });
    }

    @Test
    void overlappingCallsFromTwoThreadsAreRefused() throws Exception
    {
        final CountDownLatch intruderRefused = new CountDownLatch(1);
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(2, 1 << 18,
            new Context().timeoutNs(TimeUnit.SECONDS.toNanos(5)), comm ->
            {
                if (comm.rank() == 0)
                {
                    final CompletableFuture<Throwable> callerOutcome = new CompletableFuture<>();
                    // rank 1 joins this call only once the intruder was refused, so the caller is inside it
                    final Thread caller = new Thread(() ->
                    {
                        try
                        {
                            comm.allReduce(new float[10], ReduceOp.SUM);
                            callerOutcome.complete(null);
                        }
                        catch (final Throwable t)
                        {
                            callerOutcome.complete(t);
                        }
                    });
                    caller.start();
                    AsyncTest.awaitSequence(comm, 1);
                    try
                    {
                        final IllegalStateException seen = assertThrows(IllegalStateException.class,
                            () -> comm.allReduce(new float[1], ReduceOp.SUM));
                        assertTrue(seen.getMessage().contains("already in progress"), seen.getMessage());
                    }
                    finally
                    {
                        intruderRefused.countDown();
                    }
                    caller.join(30_000);
                    assertNull(callerOutcome.get(30, TimeUnit.SECONDS), "the caller's own call completes");
                }
                else
                {
                    assertTrue(intruderRefused.await(30, TimeUnit.SECONDS));
                    comm.allReduce(new float[10], ReduceOp.SUM);
                }
                return null;
            });
        RankThreads.values(outcomes);
    }
}
