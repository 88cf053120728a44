package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class AsyncTest
{
    static float[] input(final int rank, final int count)
    {
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)Math.sin(rank * 7919 + i) * (rank + 1);
        }
        return v;
    }

    @Test
    void asyncResultsAreBitwiseTheBlockingOnesInIssueOrder() throws Exception
    {
        final int n = 3;
        final int count = 100_003;
        LocalCluster.runAll(n, comm ->
        {
            final float[] blockingSum = input(comm.rank(), count);
            final float[] blockingAvg = input(comm.rank(), count);
            final double[] blockingWeighted = {comm.rank(), 2.5, -comm.rank()};
            comm.allReduce(blockingSum, ReduceOp.SUM);
            comm.allReduce(blockingAvg, ReduceOp.AVG);
            comm.weightedAverage(blockingWeighted, comm.rank() + 1);

            final float[] asyncSum = input(comm.rank(), count);
            final float[] asyncAvg = input(comm.rank(), count);
            final double[] asyncWeighted = {comm.rank(), 2.5, -comm.rank()};
            final float[] root = new float[17];
            if (comm.rank() == 1)
            {
                java.util.Arrays.fill(root, 42f);
            }
            final Request sum = comm.allReduceAsync(asyncSum, ReduceOp.SUM);
            final Request avg = comm.allReduceAsync(asyncAvg, ReduceOp.AVG, new Request());
            final Request weighted = comm.weightedAverageAsync(asyncWeighted, comm.rank() + 1);
            final Request broadcast = comm.broadcastAsync(root, 1);
            // a blocking call issued now runs after the four above
            final float[] after = {1};
            comm.allReduce(after, ReduceOp.SUM);
            assertTrue(sum.isDone() && avg.isDone() && weighted.isDone() && broadcast.isDone(),
                "calls issued earlier completed before the blocking call returned");
            sum.await();
            avg.await();
            weighted.await();
            broadcast.await();
            assertArrayEquals(blockingSum, asyncSum);
            assertArrayEquals(blockingAvg, asyncAvg);
            assertArrayEquals(blockingWeighted, asyncWeighted);
            assertEquals(6.0, weighted.weightSum());
            for (final float x : root)
            {
                assertEquals(42f, x);
            }
            assertEquals(n, after[0]);
            return null;
        });
    }

    /**
     * The caller's thread is free while the call is in flight: rank 0 issues, sees the call pending (rank 1 has
     * not joined yet), and only then lets rank 1 join; the call completes without rank 0's thread driving it.
     */
    @Test
    void theCallerIsFreeWhileTheCallProgresses() throws Exception
    {
        final CountDownLatch issued = new CountDownLatch(1);
        final CountDownLatch completedUnattended = new CountDownLatch(1);
        final AtomicReference<Request> request = new AtomicReference<>();
        LocalCluster.runAll(2, comm ->
        {
            final double[] v = {comm.rank() + 1.0, 10};
            if (comm.rank() == 0)
            {
                final Request r = comm.allReduceAsync(v, ReduceOp.SUM);
                request.set(r);
                assertFalse(r.isDone(), "rank 1 has not joined, so the call cannot be done yet");
                issued.countDown();
                // the caller keeps computing, never calling into the communicator; the call completes without this
                // thread's help (whether it is done by the first look depends on when this thread next runs)
                while (!r.isDone())
                {
                    Thread.onSpinWait();
                }
                completedUnattended.countDown();
                r.await();
            }
            else
            {
                assertTrue(issued.await(30, TimeUnit.SECONDS));
                comm.allReduce(v, ReduceOp.SUM);
                assertTrue(completedUnattended.await(30, TimeUnit.SECONDS));
            }
            assertArrayEquals(new double[]{3, 20}, v);
            return null;
        });
    }

    @Test
    void misuseOfRequestsGetsClearErrors() throws Exception
    {
        final CountDownLatch reuseTried = new CountDownLatch(1);
        LocalCluster.runAll(2, comm ->
        {
            final Request never = new Request();
            assertTrue(assertThrows(IllegalStateException.class, never::await).getMessage()
                .contains("never issued"));

            final float[] v = {1, 2};
            if (comm.rank() == 1)
            {
                assertTrue(reuseTried.await(30, TimeUnit.SECONDS));
            }
            final Request r = comm.allReduceAsync(v, ReduceOp.SUM);
            if (comm.rank() == 0)
            {
                // rank 1 has not joined: the request is surely in flight
                final IllegalStateException busy = assertThrows(IllegalStateException.class,
                    () -> comm.allReduceAsync(new float[2], ReduceOp.SUM, r));
                assertTrue(busy.getMessage().contains("still in flight"), busy.getMessage());
                reuseTried.countDown();
            }
            r.await();
            assertTrue(assertThrows(IllegalStateException.class, r::await).getMessage()
                .contains("already collected"));
            assertArrayEquals(new float[]{2, 4}, v);

            // a reused request is fine once collected, and composes
            final CompletableFuture<Request> future = comm.allReduceAsync(v, ReduceOp.SUM, r).toCompletableFuture();
            assertSame(r, future.get(30, TimeUnit.SECONDS));
            r.await();
            assertArrayEquals(new float[]{4, 8}, v);
            return null;
        });
    }

    @Test
    void aSecondThreadIssuingWhileABlockingCallWaitsIsRefused() throws Exception
    {
        final CountDownLatch checked = new CountDownLatch(1);
        LocalCluster.runAll(2, comm ->
        {
            final float[] v = {1};
            if (comm.rank() == 0)
            {
                comm.allReduceAsync(new float[1], ReduceOp.SUM).await(); // starts the progress thread: call #1
                final CompletableFuture<Throwable> refused = new CompletableFuture<>();
                final Thread other = new Thread(() ->
                {
                    try
                    {
                        // call #2, the blocking one below, has started on the progress thread: its caller waits
                        awaitSequence(comm, 2);
                        comm.allReduceAsync(new float[1], ReduceOp.SUM);
                        refused.complete(null);
                    }
                    catch (final Throwable t)
                    {
                        refused.complete(t);
                    }
                    finally
                    {
                        checked.countDown();
                    }
                });
                other.start();
                comm.allReduce(v, ReduceOp.SUM);
                other.join(30_000);
                final Throwable ex = refused.get(30, TimeUnit.SECONDS);
                assertInstanceOf(IllegalStateException.class, ex);
                assertTrue(ex.getMessage().contains("already in progress"), ex.getMessage());
            }
            else
            {
                comm.allReduce(new float[1], ReduceOp.SUM);
                assertTrue(checked.await(30, TimeUnit.SECONDS));
                comm.allReduce(v, ReduceOp.SUM);
            }
            assertEquals(2f, v[0]);
            return null;
        });
    }

    /**
     * Wait (bounded) until {@code comm} has started call {@code sequence}.
     */
    static void awaitSequence(final Communicator comm, final long sequence)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (comm.sequence() < sequence)
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new AssertionError("call #" + sequence + " never started; at #" + comm.sequence());
            }
            Thread.onSpinWait();
        }
    }

    @Test
    void aFailedAsyncCallFailsItsRequestAndEveryLaterCall() throws Exception
    {
        final CountDownLatch rank0Done = new CountDownLatch(1);
        final List<RankThreads.Outcome<Void>> outcomes = LocalCluster.run(2, 1 << 20,
            new Context().timeoutNs(TimeUnit.MILLISECONDS.toNanos(500)), comm ->
            {
                if (comm.rank() == 1)
                {
                    // never makes the call; waits until rank 0 has failed
                    assertTrue(rank0Done.await(30, TimeUnit.SECONDS));
                    return null;
                }
                try
                {
                    final Request first = comm.allReduceAsync(new float[10], ReduceOp.SUM);
                    final Request second = comm.allReduceAsync(new float[10], ReduceOp.SUM);
                    final RingsyncException ex = assertThrows(RingsyncException.class, first::await);
                    assertInstanceOf(CollectiveTimeoutException.class, ex);
                    assertEquals(1, ex.suspectRank());
                    assertInstanceOf(CommunicatorClosedException.class,
                        assertThrows(RingsyncException.class, second::await));
                    assertThrows(CommunicatorClosedException.class,
                        () -> comm.allReduceAsync(new float[1], ReduceOp.SUM));
                    return null;
                }
                finally
                {
                    rank0Done.countDown();
                }
            });
        assertNull(outcomes.get(0).error, () -> String.valueOf(outcomes.get(0).error));
    }

    /**
     * Reused requests allocate nothing per call, on the caller's thread or the progress thread: some round of
     * 500 calls allocates 0 bytes (a per-call allocation would cost >= 500 x 16 bytes in every round).
     */
    @Test
    void reusedRequestsAllocateNothingInSteadyState() throws Exception
    {
        final com.sun.management.ThreadMXBean counter =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        final List<long[]> fewest = LocalCluster.runAll(2, comm ->
        {
            final float[] v = new float[4096];
            final Request request = new Request();
            final Runnable round = () ->
            {
                for (int i = 0; i < 500; i++)
                {
                    comm.weightedAverageAsync(v, 1 + (i & 1), request);
                    request.await();
                    comm.allReduceAsync(v, ReduceOp.MAX, request);
                    request.await();
                }
            };
            round.run();
            round.run();
            Thread agent = null;
            for (final Thread t : Thread.getAllStackTraces().keySet())
            {
                if (t.getName().equals("ringsync-progress-rank-" + comm.rank()))
                {
                    agent = t;
                }
            }
            final long callerId = Thread.currentThread().getId();
            final long agentId = agent.getId();
            long caller = Long.MAX_VALUE;
            long progress = Long.MAX_VALUE;
            // a fixed number of rounds on every rank: the ranks' calls must match
            for (int attempt = 0; attempt < 5; attempt++)
            {
                final long callerBefore = counter.getThreadAllocatedBytes(callerId);
                final long agentBefore = counter.getThreadAllocatedBytes(agentId);
                round.run();
                caller = Math.min(caller, counter.getThreadAllocatedBytes(callerId) - callerBefore);
                progress = Math.min(progress, counter.getThreadAllocatedBytes(agentId) - agentBefore);
            }
            return new long[]{caller, progress};
        });
        for (final long[] bytes : fewest)
        {
            assertEquals(0, bytes[0], "caller thread bytes per 1000 async calls");
            assertEquals(0, bytes[1], "progress thread bytes per 1000 async calls");
        }
    }
}
