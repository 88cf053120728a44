package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.ringsync.collectives.BitwiseAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The ring over the in-JVM transport, 1 to 8 ranks as threads: every rank's result must be bitwise equal to
 * the ring-order reference (and so to every other rank's). The reference tests pin the ring for every size.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LocalAllReduceTest
{
    /**
     * The ring for every size: small vectors would otherwise take {@link SmallAllReduce}, which sums in rank
     * order ({@code SmallAllReduceTest} covers it and the switch).
     */
    private static final Context RING_ONLY = new Context()
        .timeoutNs(TimeUnit.SECONDS.toNanos(20))
        .smallMaxBytes(0);

    static List<Arguments> shapes()
    {
        final List<Arguments> shapes = new ArrayList<>();
        for (int n = 1; n <= 8; n++)
        {
            for (final int count : new int[]{ 0, 1, n - 1, n + 1, 1009, 70_001 })
            {
                if (count >= 0)
                {
                    shapes.add(Arguments.of(n, count));
                }
            }
        }
        return shapes;
    }

    private static float[] randomFloats(final int rank, final int count)
    {
        final Random random = new Random(31L * rank + count);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(random.nextGaussian() * 100);
        }
        return v;
    }

    private static double[] randomDoubles(final int rank, final int count)
    {
        final Random random = new Random(17L * rank + count);
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = random.nextGaussian() * 1e6;
        }
        return v;
    }

    @ParameterizedTest(name = "np={0} count={1}")
    @MethodSource("shapes")
    void float32EveryOpMatchesRingOrderBitwise(final int n, final int count) throws Exception
    {
        final float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++)
        {
            inputs[r] = randomFloats(r, count);
        }
        for (final ReduceOp op : ReduceOp.values())
        {
            final float[] expected = RingReference.floats(inputs, op);
            final List<float[]> results = LocalCluster.runAll(n, RING_ONLY, comm ->
            {
                final float[] v = inputs[comm.rank()].clone();
                comm.allReduce(v, op);
                return v;
            });
            for (int r = 0; r < n; r++)
            {
                assertSameBits(expected, results.get(r), op + " rank " + r);
            }
        }
    }

    @ParameterizedTest(name = "np={0} count={1}")
    @MethodSource("shapes")
    void float64SumAndAvgMatchRingOrderBitwise(final int n, final int count) throws Exception
    {
        final double[][] inputs = new double[n][];
        for (int r = 0; r < n; r++)
        {
            inputs[r] = randomDoubles(r, count);
        }
        for (final ReduceOp op : new ReduceOp[]{ ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX })
        {
            final double[] expected = RingReference.doubles(inputs, op);
            final List<double[]> results = LocalCluster.runAll(n, RING_ONLY, comm ->
            {
                final double[] v = inputs[comm.rank()].clone();
                comm.allReduce(v, op);
                return v;
            });
            for (int r = 0; r < n; r++)
            {
                final double[] actual = results.get(r);
                for (int i = 0; i < count; i++)
                {
                    assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(actual[i]),
                        op + " rank " + r + " element " + i);
                }
            }
        }
    }

    @Test
    void integerValuedSumIsExactOnEveryRank() throws Exception
    {
        final int n = 4;
        final int count = 1 << 20;
        final List<float[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = new float[count];
            Arrays.fill(v, comm.rank() + 1);
            comm.allReduce(v, ReduceOp.SUM);
            return v;
        });
        final float[] expected = new float[count];
        Arrays.fill(expected, 10f);
        for (final float[] result : results)
        {
            assertArrayEquals(expected, result);
        }
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 5, 8 })
    void tinyLinksNeverDeadlockWhateverTheVectorSize(final int n) throws Exception
    {
        // 4 KiB links hold only a few 64-byte chunks: the vector is hundreds of times larger than all links
        // together, so only the ring's flow control keeps it moving
        final int count = 50_000;
        final List<RankThreads.Outcome<float[]>> outcomes = LocalCluster.run(n, 4096,
            new Context().timeoutNs(TimeUnit.SECONDS.toNanos(60)), comm ->
            {
                final float[] v = new float[count];
                Arrays.fill(v, 1f);
                for (int i = 0; i < 3; i++)
                {
                    comm.allReduce(v, ReduceOp.SUM);
                    Arrays.fill(v, 1f);
                }
                comm.allReduce(v, ReduceOp.SUM);
                return v;
            });
        for (final RankThreads.Outcome<float[]> outcome : outcomes)
        {
            if (null != outcome.error)
            {
                throw new AssertionError("rank " + outcome.rank, outcome.error);
            }
            for (final float x : outcome.value)
            {
                assertEquals(n, x);
            }
        }
    }

    @Test
    void offHeapAgronaAndByteBufferVectorsReduceInPlace() throws Exception
    {
        final int n = 3;
        final int count = 5003;
        final List<double[]> results = LocalCluster.runAll(n, comm ->
        {
            // 8 bytes of prefix: the vector does not start at the buffer's start
            final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(8 + count * 4, 64));
            final ByteBuffer bytes = ByteBuffer.allocateDirect(count * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++)
            {
                buffer.putFloat(8 + i * 4, comm.rank() * 1000 + i);
                bytes.putDouble(i * 8, -comm.rank() - i);
            }
            comm.allReduce(buffer, 8, count, DataType.FLOAT32, ReduceOp.MAX);
            comm.allReduce(bytes, 0, count, DataType.FLOAT64, ReduceOp.SUM);
            final double[] out = new double[2 * count];
            for (int i = 0; i < count; i++)
            {
                out[i] = buffer.getFloat(8 + i * 4);
                out[count + i] = bytes.getDouble(i * 8);
            }
            return out;
        });
        for (final double[] out : results)
        {
            for (int i = 0; i < count; i++)
            {
                assertEquals((n - 1) * 1000 + i, out[i], 0.0);
                assertEquals(-(0 + 1 + 2) - 3.0 * i, out[count + i], 0.0);
            }
        }
    }

    @Test
    void partialArrayRangeLeavesTheRestAlone() throws Exception
    {
        final List<float[]> results = LocalCluster.runAll(2, comm ->
        {
            final float[] v = { 9, 1, 2, 3, 9 };
            comm.allReduce(v, 1, 3, ReduceOp.SUM);
            return v;
        });
        for (final float[] v : results)
        {
            assertArrayEquals(new float[]{ 9, 2, 4, 6, 9 }, v);
        }
    }

    @Test
    void manyCallsInARowWithMixedCollectives() throws Exception
    {
        final int n = 4;
        final List<float[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = new float[3000];
            float expect = 0;
            for (int call = 0; call < 200; call++)
            {
                Arrays.fill(v, comm.rank() == 0 ? call : -1);
                comm.broadcast(v, 0);
                comm.allReduce(v, ReduceOp.SUM);
                if (call % 10 == 0)
                {
                    comm.barrier();
                }
                expect = call * n;
            }
            assertEquals(expect, v[2999]);
            assertEquals(200 + 200 + 20, comm.sequence());
            return v;
        });
        assertEquals(n, results.size());
    }

    @Test
    void chunksShrinkSoEnoughFitALinkWindow() throws Exception
    {
        final List<Integer> chunkBytes = LocalCluster.runAll(8, Communicator::chunkBytes);
        // 256 KiB links, 8 ranks: at most 256 KiB / 10 per message
        for (final int bytes : chunkBytes)
        {
            assertEquals(0, bytes % 64);
            assertEquals(true, bytes + Wire.CHUNK_HEADER_LENGTH + 8 <= LocalTransport.LINK_CAPACITY_DEFAULT / 10);
        }
    }
}
