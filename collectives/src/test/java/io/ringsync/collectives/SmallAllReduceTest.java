package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The small-vector path ({@link SmallAllReduce}) and the switch between it and the ring, 1 to 8 ranks as
 * threads of this JVM: vectors up to the switch point must equal a fold in rank order 0..n-1, bit for bit, on
 * every rank; one element more must equal the ring's order. Also with tiny chunks, so one vector is many
 * pieces whose contributions arrive out of rank order.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SmallAllReduceTest
{
    private static final int SWITCH_BYTES = 2048;
    private static final Context FAST = new Context()
        .timeoutNs(TimeUnit.MILLISECONDS.toNanos(1500));

    static List<Arguments> shapes()
    {
        final List<Arguments> shapes = new ArrayList<>();
        for (int n = 1; n <= 8; n++)
        {
            shapes.add(Arguments.of(n, Configuration.CHUNK_BYTES_DEFAULT));
            shapes.add(Arguments.of(n, 128));
        }
        return shapes;
    }

    private static int[] counts(final int n, final int elementBytes)
    {
        final int atSwitch = SWITCH_BYTES / elementBytes;
        return new int[]{ 0, 1, n - 1, n + 1, 257, atSwitch - 1, atSwitch, atSwitch + 1 };
    }

    private static float[] floats(final int rank, final int count)
    {
        final Random random = new Random(1_000_003L * rank + count);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(random.nextGaussian() * Math.pow(10, random.nextInt(7)));
        }
        return v;
    }

    private static double[] doubles(final int rank, final int count)
    {
        final Random random = new Random(7_000_003L * rank + count);
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = random.nextGaussian() * Math.pow(10, random.nextInt(16));
        }
        return v;
    }

    /**
     * ((x0 op x1) op x2) ... op x(n-1), AVG dividing by n in the last operation; written independently of
     * {@link SmallAllReduce}.
     */
    static float[] rankOrder(final float[][] inputs, final ReduceOp op)
    {
        final int n = inputs.length;
        final float[] acc = inputs[0].clone();
        for (int k = 1; k < n; k++)
        {
            for (int i = 0; i < acc.length; i++)
            {
                final float x = inputs[k][i];
                acc[i] = op == ReduceOp.MIN ? Math.min(acc[i], x) : op == ReduceOp.MAX ? Math.max(acc[i], x) :
                    op == ReduceOp.AVG && k == n - 1 ? (acc[i] + x) / n : acc[i] + x;
            }
        }
        return acc;
    }

    static double[] rankOrder(final double[][] inputs, final ReduceOp op)
    {
        final int n = inputs.length;
        final double[] acc = inputs[0].clone();
        for (int k = 1; k < n; k++)
        {
            for (int i = 0; i < acc.length; i++)
            {
                final double x = inputs[k][i];
                acc[i] = op == ReduceOp.MIN ? Math.min(acc[i], x) : op == ReduceOp.MAX ? Math.max(acc[i], x) :
                    op == ReduceOp.AVG && k == n - 1 ? (acc[i] + x) / n : acc[i] + x;
            }
        }
        return acc;
    }

    @ParameterizedTest(name = "np={0} chunk={1}")
    @MethodSource("shapes")
    void upToTheSwitchRankOrderBeyondItRingOrderBitwiseOnEveryRank(final int n, final int chunkBytes)
        throws Exception
    {
        final int[] floatCounts = counts(n, 4);
        final int[] doubleCounts = counts(n, 8);
        final List<List<Object>> results = LocalCluster.runAll(n,
            new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)).chunkBytes(chunkBytes)
                .smallMaxBytes(SWITCH_BYTES),
            comm ->
            {
                assertEquals(SWITCH_BYTES, comm.smallMaxBytes());
                final List<Object> out = new ArrayList<>();
                for (final ReduceOp op : ReduceOp.values())
                {
                    for (final int count : floatCounts)
                    {
                        final float[] v = floats(comm.rank(), Math.max(0, count));
                        comm.allReduce(v, op);
                        out.add(v);
                    }
                    for (final int count : doubleCounts)
                    {
                        final double[] v = doubles(comm.rank(), Math.max(0, count));
                        comm.allReduce(v, op);
                        out.add(v);
                    }
                }
                return out;
            });

        int index = 0;
        for (final ReduceOp op : ReduceOp.values())
        {
            for (final int count : floatCounts)
            {
                final float[][] inputs = new float[n][];
                for (int r = 0; r < n; r++)
                {
                    inputs[r] = floats(r, Math.max(0, count));
                }
                final boolean small = 4L * Math.max(0, count) <= SWITCH_BYTES;
                final float[] expected = small ? rankOrder(inputs, op) : RingReference.floats(inputs, op);
                for (int r = 0; r < n; r++)
                {
                    final float[] actual = (float[])results.get(r).get(index);
                    for (int i = 0; i < expected.length; i++)
                    {
                        if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
                        {
                            throw new AssertionError(op + " float32 x " + count + (small ? " (small)" : " (ring)") +
                                " rank " + r + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
                        }
                    }
                }
                index++;
            }
            for (final int count : doubleCounts)
            {
                final double[][] inputs = new double[n][];
                for (int r = 0; r < n; r++)
                {
                    inputs[r] = doubles(r, Math.max(0, count));
                }
                final boolean small = 8L * Math.max(0, count) <= SWITCH_BYTES;
                final double[] expected = small ? rankOrder(inputs, op) : RingReference.doubles(inputs, op);
                for (int r = 0; r < n; r++)
                {
                    final double[] actual = (double[])results.get(r).get(index);
                    for (int i = 0; i < expected.length; i++)
                    {
                        if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i]))
                        {
                            throw new AssertionError(op + " float64 x " + count + (small ? " (small)" : " (ring)") +
                                " rank " + r + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
                        }
                    }
                }
                index++;
            }
        }
    }

    @Test
    void theTwoOrdersReallyDifferSoTheTestsAboveDiscriminate()
    {
        final int n = 5;
        final float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++)
        {
            inputs[r] = floats(r, SWITCH_BYTES / 4);
        }
        final float[] small = rankOrder(inputs, ReduceOp.SUM);
        final float[] ring = RingReference.floats(inputs, ReduceOp.SUM);
        int differ = 0;
        for (int i = 0; i < small.length; i++)
        {
            differ += Float.floatToRawIntBits(small[i]) != Float.floatToRawIntBits(ring[i]) ? 1 : 0;
        }
        assertTrue(differ > small.length / 20, "only " + differ + " of " + small.length + " elements differ");
    }

    @Test
    void ranksWithDifferentSwitchPointsFailWithAMismatchNamingTheSetting() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(3, 1 << 18,
            (rank) -> new Context().timeoutNs(FAST.timeoutNs()).smallMaxBytes(rank == 1 ? 0 : 4096),
            comm ->
            {
                comm.allReduce(new float[100], ReduceOp.SUM);
                return null;
            });
        for (final RankThreads.Outcome<Object> outcome : outcomes)
        {
            assertTrue(outcome.error instanceof CollectiveMismatchException, "rank " + outcome.rank + ": " +
                outcome.error);
            final String message = outcome.error.getMessage();
            assertTrue(message.contains(Configuration.SMALL_MAX_BYTES_ENV) && message.contains("small-vector path") &&
                message.contains("ring") && message.contains("100 x FLOAT32"), message);
        }
    }

    @Test
    void lengthMismatchOnTheSmallPathFailsEveryRank() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(4, 1 << 18, FAST, comm ->
        {
            comm.allReduce(new double[3], ReduceOp.MAX);
            comm.allReduce(new float[comm.rank() == 3 ? 11 : 10], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Object> outcome : outcomes)
        {
            assertTrue(outcome.error instanceof CollectiveMismatchException, "rank " + outcome.rank + ": " +
                outcome.error);
            final String message = outcome.error.getMessage();
            assertTrue(message.contains("10 x FLOAT32") && message.contains("11 x FLOAT32") &&
                message.contains("#2"), message);
        }
    }

    @Test
    void aStalledRankIsNamedByEverySurvivor() throws Exception
    {
        final long start = System.nanoTime();
        final CountDownLatch survivorsDone = new CountDownLatch(3);
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(4, 1 << 18, FAST, comm ->
        {
            if (comm.rank() == 2)
            {
                // alive and connected, but never makes the call
                assertTrue(survivorsDone.await(30, TimeUnit.SECONDS));
                return null;
            }
            try
            {
                comm.allReduce(new float[64], ReduceOp.SUM);
                return null;
            }
            finally
            {
                survivorsDone.countDown();
            }
        });
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 15_000);
        for (final int survivor : new int[]{ 0, 1, 3 })
        {
            final Throwable error = outcomes.get(survivor).error;
            assertTrue(error instanceof CollectiveTimeoutException, "rank " + survivor + ": " + error);
            assertEquals(2, ((RingsyncException)error).suspectRank(), error.getMessage());
        }
    }

    @Test
    void aRankWhoseLinksGoAwayIsNamedAsFailed() throws Exception
    {
        final List<RankThreads.Outcome<Object>> outcomes = LocalCluster.run(4, 1 << 18, FAST, comm ->
        {
            final float[] v = new float[256];
            for (int call = 0; call < 10_000; call++)
            {
                if (comm.rank() == 1 && call == 50)
                {
                    // what a process exit does to its links
                    comm.transport().close();
                    return null;
                }
                comm.allReduce(v, ReduceOp.SUM);
            }
            return null;
        });
        for (final int survivor : new int[]{ 0, 2, 3 })
        {
            final Throwable error = outcomes.get(survivor).error;
            assertNotNull(error, "rank " + survivor + " must fail");
            assertTrue(error instanceof PeerFailedException, "rank " + survivor + ": " + error);
            assertEquals(1, ((RingsyncException)error).suspectRank(), error.getMessage());
            assertTrue(error.getMessage().contains("rank 1"), error.getMessage());
        }
    }

    @Test
    void steadyStateCallsAllocateNothing() throws Exception
    {
        SteadyAllocation.assumeCounter();
        final List<Long> fewest = LocalCluster.runAll(3,
            new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)).chunkBytes(1024), comm ->
            {
                final float[] f = new float[1000];
                final double[] d = new double[300];
                return SteadyAllocation.fewestBytes(8, 2_000, () ->
                {
                    comm.allReduce(f, ReduceOp.AVG);
                    comm.allReduce(d, ReduceOp.MAX);
                });
            });
        for (int r = 0; r < fewest.size(); r++)
        {
            assertEquals(0L, (long)fewest.get(r), "rank " + r + " allocated in its best round of 4000 calls");
        }
    }
}
