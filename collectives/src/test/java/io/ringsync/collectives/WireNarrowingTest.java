package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code RINGSYNC_WIRE=bf16}: float32 AllReduce values cross the ring's links as bfloat16. The rounding is to
 * nearest even; a reduction stays within its stated bound of the exact result; every rank holds the same bits;
 * MIN and MAX are exactly the rounded extremes; small vectors and data moves are untouched; ranks that disagree on
 * the setting fail with a mismatch that names it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WireNarrowingTest
{
    private static final Context BF16 = new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)).wire("bf16")
        .smallMaxBytes(1024);

    @Test
    void narrowingRoundsToNearestEvenAndKeepsTheSpecialValues()
    {
        assertEquals(1.0f, Bf16Kernels.widen(Bf16Kernels.narrow(1.0f)));
        assertEquals(-2.5f, Bf16Kernels.widen(Bf16Kernels.narrow(-2.5f)));
        // 1 + 2^-8 is half way between 1 and 1 + 2^-7: ties go to the even one, 1
        assertEquals(1.0f, Bf16Kernels.widen(Bf16Kernels.narrow(1.0f + 0x1p-8f)));
        // 1 + 3 * 2^-8 is half way between 1 + 2^-7 and 1 + 2^-6: to the even one, 1 + 2^-6
        assertEquals(1.0f + 0x1p-6f, Bf16Kernels.widen(Bf16Kernels.narrow(1.0f + 3 * 0x1p-8f)));
        assertEquals(1.0f + 0x1p-7f, Bf16Kernels.widen(Bf16Kernels.narrow(1.0f + 0x1p-8f + 0x1p-20f)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16Kernels.widen(Bf16Kernels.narrow(Float.POSITIVE_INFINITY)));
        assertEquals(Float.NEGATIVE_INFINITY, Bf16Kernels.widen(Bf16Kernels.narrow(Float.NEGATIVE_INFINITY)));
        assertEquals(Float.POSITIVE_INFINITY, Bf16Kernels.widen(Bf16Kernels.narrow(Float.MAX_VALUE)),
            "above the largest bfloat16 by more than half a step: infinity, as IEEE rounding says");
        assertTrue(Float.isNaN(Bf16Kernels.widen(Bf16Kernels.narrow(Float.NaN))));
        assertTrue(Float.isNaN(Bf16Kernels.widen(Bf16Kernels.narrow(Float.intBitsToFloat(0x7F80_0001)))),
            "a NaN whose payload is all in the low half stays a NaN");
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(Bf16Kernels.widen(
            Bf16Kernels.narrow(-0.0f))));
        final Random random = new Random(7);
        for (int i = 0; i < 100_000; i++)
        {
            final float x = Float.intBitsToFloat(random.nextInt());
            if (!Float.isNaN(x) && !Float.isInfinite(x) && Math.abs(x) < 1e38f)
            {
                final float y = Bf16Kernels.widen(Bf16Kernels.narrow(x));
                // half a step: 2^-8 of the value, or half the spacing of bfloat16's subnormals (2^-133)
                assertTrue(Math.abs(y - x) <= Math.max(Math.abs(x) * 0x1p-8f, 0x1p-134f), x + " -> " + y);
            }
        }
    }

    private static float[] input(final int rank, final int count)
    {
        final Random random = new Random(101L * rank + count);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(random.nextGaussian() * 10);
        }
        return v;
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 5 })
    void theRingStaysWithinItsBoundAndEveryRankHoldsTheSameBits(final int n) throws Exception
    {
        for (final int count : new int[]{ 257, 4097, 100_003 })
        {
            final List<float[][]> results = LocalCluster.runAll(n, BF16, comm ->
            {
                final float[][] out = new float[4][];
                int at = 0;
                for (final ReduceOp op : ReduceOp.values())
                {
                    final float[] v = input(comm.rank(), count);
                    comm.allReduce(v, op);
                    out[at++] = v;
                }
                return out;
            });
            for (int r = 1; r < n; r++)
            {
                for (int k = 0; k < 4; k++)
                {
                    assertArrayEquals(results.get(0)[k], results.get(r)[k], "np " + n + " rank " + r + " op " + k);
                }
            }
            final float[][] inputs = new float[n][];
            for (int r = 0; r < n; r++)
            {
                inputs[r] = input(r, count);
            }
            for (int i = 0; i < count; i++)
            {
                double sum = 0;
                double magnitude = 0;
                float min = Float.MAX_VALUE;
                float max = -Float.MAX_VALUE;
                for (int r = 0; r < n; r++)
                {
                    final float x = inputs[r][i];
                    sum += x;
                    magnitude += Math.abs(x);
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                }
                // one rounding per hop of a partial sum (n - 1), the first value's and the owner's: (n + 1) 2^-8
                final double bound = (n + 1) * 0x1p-8 * magnitude;
                assertEquals(sum, results.get(0)[0][i], bound, "SUM element " + i);
                assertEquals(sum / n, results.get(0)[3][i], bound / n + Math.ulp((float)(sum / n)), "AVG element " + i);
                assertEquals(Bf16Kernels.widen(Bf16Kernels.narrow(min)), results.get(0)[1][i], "MIN element " + i);
                assertEquals(Bf16Kernels.widen(Bf16Kernels.narrow(max)), results.get(0)[2][i], "MAX element " + i);
            }
        }
    }

    @Test
    void weightedAveragesNarrowToo() throws Exception
    {
        final int n = 3;
        final int count = 50_001;
        final List<float[]> results = LocalCluster.runAll(n, BF16, comm ->
        {
            final float[] v = input(comm.rank(), count);
            assertEquals(6.0, comm.weightedAverage(v, comm.rank() + 1));
            return v;
        });
        final float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++)
        {
            inputs[r] = input(r, count);
        }
        for (int i = 0; i < count; i++)
        {
            double sum = 0;
            double magnitude = 0;
            for (int r = 0; r < n; r++)
            {
                final float x = inputs[r][i] * (r + 1);
                sum += x;
                magnitude += Math.abs(x);
            }
            assertEquals(sum / 6, results.get(0)[i], (n + 2) * 0x1p-8 * magnitude / 6, "element " + i);
            assertEquals(results.get(0)[i], results.get(2)[i]);
        }
    }

    @Test
    void smallVectorsDataMovesAndDoublesAreUntouched() throws Exception
    {
        final List<Object[]> results = LocalCluster.runAll(3, BF16, comm ->
        {
            final float[] small = input(comm.rank(), 100);
            comm.allReduce(small, ReduceOp.SUM);
            final float[] gathered = input(comm.rank(), 30_000);
            comm.allGather(gathered, 10_000);
            final float[] broadcast = input(comm.rank(), 30_000);
            comm.broadcast(broadcast, 1);
            final double[] doubles = new double[30_000];
            java.util.Arrays.fill(doubles, comm.rank() + 0.1);
            comm.allReduce(doubles, ReduceOp.SUM);
            return new Object[]{ small, gathered, broadcast, doubles };
        });
        final float[] expectedSmall = new float[100];
        final float[] a = input(0, 100);
        final float[] b = input(1, 100);
        final float[] c = input(2, 100);
        for (int i = 0; i < 100; i++)
        {
            // the small-vector path folds in rank order, in float32
            expectedSmall[i] = a[i] + b[i] + c[i];
        }
        assertArrayEquals(expectedSmall, (float[])results.get(2)[0]);
        for (int r = 0; r < 3; r++)
        {
            final float[] gathered = (float[])results.get(r)[1];
            for (int block = 0; block < 3; block++)
            {
                assertEquals(input(block, 30_000)[block * 10_000 + 7], gathered[block * 10_000 + 7]);
            }
            assertArrayEquals(input(1, 30_000), (float[])results.get(r)[2]);
            assertEquals(0.1 + 1.1 + 2.1, ((double[])results.get(r)[3])[29_999], 1e-12);
        }
    }

    @Test
    void ranksThatDisagreeOnTheWireFailWithAMismatchNamingIt() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = LocalCluster.run(2, 1 << 18, (rank) -> new Context()
            .timeoutNs(TimeUnit.SECONDS.toNanos(10)).smallMaxBytes(1024).wire(rank == 0 ? "bf16" : "float32"),
            comm ->
            {
                comm.allReduce(new float[10_000], ReduceOp.SUM);
                return null;
            });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, "rank " + outcome.rank);
            assertTrue(outcome.error.getMessage().contains(Configuration.WIRE_ENV), outcome.error.getMessage());
        }
    }
}
