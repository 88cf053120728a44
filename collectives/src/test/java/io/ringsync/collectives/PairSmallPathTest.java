package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.ringsync.collectives.BitwiseAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The small-vector switch of a group of two ({@link PathChooser#smallMaxBytes}): unset, a pair over tcp takes the
 * small path up to 256 KiB instead of 16 KiB, which is sound only because at two ranks the small path and the ring
 * compute the same bits. Checked here for every op, both types and weighted averages, with signed zeros, NaNs,
 * infinities and subnormals meeting at the same index, by running each vector once on the small path and once on
 * the ring.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PairSmallPathTest
{
    private static final int FLOATS = 25_013;
    private static final int DOUBLES = 12_007;

    @Test
    void thePairSwitchFollowsTheGroupTheTransportAndTheSettings()
    {
        final int general = Configuration.SMALL_MAX_BYTES_DEFAULT;
        final int byGroup = Configuration.SMALL_MAX_BYTES_BY_GROUP;
        assertEquals(256 << 10, PathChooser.smallMaxBytes(byGroup, 2, "tcp", false));
        assertEquals(general, PathChooser.smallMaxBytes(byGroup, 2, "tcp", true), "bfloat16 wire");
        for (final String other : new String[]{ "shm", "udp", "ipc", "local" })
        {
            assertEquals(general, PathChooser.smallMaxBytes(byGroup, 2, other, false), other);
        }
        for (int n = 3; n <= 8; n++)
        {
            assertEquals(general, PathChooser.smallMaxBytes(byGroup, n, "tcp", false));
            assertEquals(general, PathChooser.smallMaxBytes(byGroup, n, "shm", false));
        }
        assertEquals(0, PathChooser.smallMaxBytes(0, 2, "tcp", false), "a setting wins");
        assertEquals(1 << 20, PathChooser.smallMaxBytes(1 << 20, 2, "shm", false), "a setting wins");
    }

    @Test
    void aCommunicatorSaysTheSwitchItChoseAndChoosesByIt() throws Exception
    {
        final int max = 128 * 1024;
        final List<Object[]> seen = LocalCluster.runAll(2, new Context().smallMaxBytes(max), comm -> new Object[]{
            comm.smallMaxBytes(), comm.allReducePath(max / 4, DataType.FLOAT32),
            comm.allReducePath(max / 4 + 1, DataType.FLOAT32) });
        for (final Object[] rank : seen)
        {
            assertEquals(max, rank[0]);
            assertEquals(Path.SMALL, rank[1]);
            assertEquals(Path.RING, rank[2]);
        }
        final List<Integer> unset = LocalCluster.runAll(2, Communicator::smallMaxBytes);
        unset.forEach(bytes -> assertEquals(Configuration.SMALL_MAX_BYTES_DEFAULT, bytes, "local links: unmeasured"));
    }

    @Test
    void atTwoRanksTheSmallPathGivesTheRingsBits() throws Exception
    {
        final List<List<Object>> small = run(Configuration.SMALL_MAX_BYTES_LIMIT, Path.SMALL);
        final List<List<Object>> ring = run(0, Path.RING);
        int compared = 0;
        for (int rank = 0; rank < 2; rank++)
        {
            for (int call = 0; call < small.get(rank).size(); call++)
            {
                final Object a = small.get(rank).get(call);
                final Object b = ring.get(rank).get(call);
                final Object other = small.get(1 - rank).get(call);
                if (a instanceof float[])
                {
                    assertSameBits((float[])a, (float[])b, "rank " + rank + " call " + call + " small vs ring");
                    assertSameBits((float[])a, (float[])other, "call " + call + " rank 0 vs rank 1");
                }
                else if (a instanceof double[])
                {
                    assertSameBits((double[])a, (double[])b, "rank " + rank + " call " + call + " small vs ring");
                    assertSameBits((double[])a, (double[])other, "call " + call + " rank 0 vs rank 1");
                }
                else
                {
                    assertEquals(a, b, "rank " + rank + " call " + call + " returned weight sum");
                }
                compared++;
            }
        }
        assertEquals(2 * (2 * ReduceOp.values().length + 4), compared);
        // the inputs are not trivially equal across ranks: the sum differs from either input
        assertNotEquals(floats(0)[7], ((float[])small.get(0).get(0))[7]);
    }

    private static List<List<Object>> run(final int smallMaxBytes, final Path expected) throws Exception
    {
        final Context settings = new Context().timeoutNs(TimeUnit.SECONDS.toNanos(20)).smallMaxBytes(smallMaxBytes);
        return LocalCluster.runAll(2, settings, comm ->
        {
            assertEquals(expected, comm.allReducePath(FLOATS, DataType.FLOAT32));
            assertEquals(expected, comm.allReducePath(DOUBLES, DataType.FLOAT64));
            final List<Object> out = new ArrayList<>();
            for (final ReduceOp op : ReduceOp.values())
            {
                final float[] f = floats(comm.rank());
                comm.allReduce(f, op);
                out.add(f);
                final double[] d = doubles(comm.rank());
                comm.allReduce(d, op);
                out.add(d);
            }
            for (final double weight : new double[]{ 3.0, 0.1 + comm.rank() })
            {
                final float[] f = floats(comm.rank());
                out.add(comm.weightedAverage(f, weight * (1 + comm.rank())));
                out.add(f);
            }
            return out;
        });
    }

    /**
     * Gaussian values across many magnitudes, with the awkward ones at fixed indexes so the two ranks meet them
     * against each other: +0 against -0, NaN, infinities of both signs, subnormals, the largest finite values.
     */
    static float[] floats(final int rank)
    {
        final Random random = new Random(31L + rank);
        final float[] v = new float[FLOATS];
        for (int i = 0; i < v.length; i++)
        {
            v[i] = (float)(random.nextGaussian() * Math.pow(10, random.nextInt(30) - 15));
        }
        final float[] awkward = rank == 0 ?
            new float[]{ 0.0f, -0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE, -0.0f } :
            new float[]{ -0.0f, 0.0f, 1.0f, Float.NEGATIVE_INFINITY, -Float.MIN_NORMAL / 3, Float.MAX_VALUE, -0.0f };
        for (int k = 0; k < awkward.length; k++)
        {
            v[101 * k + 11] = awkward[k];
        }
        return v;
    }

    static double[] doubles(final int rank)
    {
        final Random random = new Random(77L + rank);
        final double[] v = new double[DOUBLES];
        for (int i = 0; i < v.length; i++)
        {
            v[i] = random.nextGaussian() * Math.pow(10, random.nextInt(200) - 100);
        }
        final double[] awkward = rank == 0 ?
            new double[]{ 0.0, -0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE, -0.0 } :
            new double[]{ -0.0, 0.0, 1.0, Double.NEGATIVE_INFINITY, -Double.MIN_NORMAL / 3, Double.MAX_VALUE, -0.0 };
        for (int k = 0; k < awkward.length; k++)
        {
            v[97 * k + 5] = awkward[k];
        }
        return v;
    }
}
