package io.ringsync.collectives;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.collectives.OneRankMisuseTest.expectExactSums;
import static io.ringsync.collectives.OneRankMisuseTest.ones;
import static io.ringsync.collectives.OneRankMisuseTest.thrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 9 of issue 14: a NaN or infinity in one rank's vector silently became every rank's result. With
 * {@link Configuration#CHECK_FINITE_ENV} every rank fails that call, naming the lowest rank holding one and its
 * first index, and the communicator goes on; without it nothing changes. Also the scan itself, vector and scalar,
 * against a plain loop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NonFiniteInputTest
{
    private static final Context CHECK = new Context().checkFinite(true);

    private File dir;

    @BeforeEach
    void setUp()
    {
        dir = TestJobDirectory.fresh("non-finite-test");
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    /**
     * Rank 1 holds +Infinity at 5, rank 2 NaN at 1234 (when the vector is that long): every rank names rank 1 and
     * element 5; rank 2's own message names its NaN too.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "local", "tcp", "shm", "shm-direct" })
    void theLowestRankHoldingANonFiniteValueAndItsIndexAreNamedOnEveryRank(final String transport) throws Exception
    {
        for (final int count : new int[]{ 7, 60_000 })
        {
            RankThreads.values(OneRankMisuseTest.run(dir, transport, CHECK, comm ->
            {
                final float[] v = ones(count);
                if (comm.rank() == 1)
                {
                    v[5] = Float.POSITIVE_INFINITY;
                }
                if (comm.rank() == 2)
                {
                    v[count > 1234 ? 1234 : 6] = Float.NaN;
                }
                final Throwable thrown = thrownBy(() -> comm.allReduce(v, ReduceOp.SUM));
                final String first = "element 5 of rank 1's input to allReduce #1 is Infinity";
                if (comm.rank() == 0)
                {
                    final RefusedCallException refused = assertInstanceOf(RefusedCallException.class, thrown);
                    assertEquals(1, refused.suspectRank());
                    assertTrue(refused.getMessage().contains("refused by rank 1: " + first), refused.getMessage());
                }
                else
                {
                    final String message = assertInstanceOf(IllegalArgumentException.class, thrown).getMessage();
                    assertTrue(message.contains(first), message);
                    assertTrue(comm.rank() == 1 || message.contains("element " + (count > 1234 ? 1234 : 6) +
                        " of rank 2's input to allReduce #1 is NaN"), message);
                }
                expectExactSums(comm, count);
                return null;
            }));
        }
    }

    @Test
    void everyCollectiveChecksWhatThisRankContributes() throws Exception
    {
        RankThreads.values(OneRankMisuseTest.run(dir, "local", CHECK, comm ->
        {
            final int rank = comm.rank();
            // reduceScatter, float64: rank 2's element 40
            final double[] d = new double[30 * 3];
            d[40] = rank == 2 ? Double.NEGATIVE_INFINITY : 0;
            expectRefused(comm, 2, "element 40 of rank 2's input to reduceScatter #1 is -Infinity",
                () -> comm.reduceScatter(d, 30, ReduceOp.SUM));
            // allGather: only a rank's own block is its input; rank 0's NaN in rank 1's block is overwritten
            final float[] g = new float[3 * 10];
            g[15] = rank == 0 ? Float.NaN : 0;
            comm.allGather(g, 10);
            assertFalse(Float.isNaN(g[15]));
            g[rank * 10 + 3] = rank == 1 ? Float.NaN : 0;
            expectRefused(comm, 1, "element 13 of rank 1's input to allGather #3 is NaN", () -> comm.allGather(g, 10));
            // broadcast: only the root's vector is input
            final float[] b = ones(100);
            b[99] = Float.NaN;
            if (rank == 0)
            {
                Arrays.fill(b, 2f);
            }
            comm.broadcast(b, 0);
            assertEquals(2f, b[99]);
            b[7] = rank == 1 ? Float.NaN : 1;
            expectRefused(comm, 1, "element 7 of rank 1's input to broadcast #5 is NaN", () -> comm.broadcast(b, 1));
            // weightedAverage: weight 0 means the vector is ignored, NaN included
            final float[] w = ones(50);
            w[3] = rank == 2 ? Float.NaN : 1;
            assertEquals(2.0, comm.weightedAverage(w, rank == 2 ? 0 : 1));
            assertEquals(1f, w[3]);
            w[3] = rank == 2 ? Float.NaN : 1;
            expectRefused(comm, 2, "element 3 of rank 2's input to weightedAverage #7 is NaN",
                () -> comm.weightedAverage(w, 1));
            // an off-heap buffer, scanned through the staging block
            final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4 * 5000, 64));
            buffer.putFloat(4 * 4999, rank == 0 ? Float.NaN : 0);
            expectRefused(comm, 0, "element 4999 of rank 0's input to allReduce #8 is NaN",
                () -> comm.allReduce(buffer, 0, 5000, DataType.FLOAT32, ReduceOp.SUM));
            expectExactSums(comm, 5000);
            return null;
        }));
    }

    @Test
    void withoutTheSettingANaNIsReducedAsBefore() throws Exception
    {
        RankThreads.values(OneRankMisuseTest.run(dir, "local", new Context(), comm ->
        {
            final float[] v = ones(10);
            v[2] = comm.rank() == 1 ? Float.NaN : 1;
            comm.allReduce(v, ReduceOp.SUM);
            assertTrue(Float.isNaN(v[2]));
            assertEquals(3f, v[3]);
            return null;
        }));
    }

    @Test
    void theSettingIsReadFromTheEnvironment()
    {
        assertTrue(Context.fromEnvironment(Map.of(Configuration.CHECK_FINITE_ENV, "1")).checkFinite());
        assertTrue(Context.fromEnvironment(Map.of(Configuration.CHECK_FINITE_ENV, "true")).checkFinite());
        assertFalse(Context.fromEnvironment(Map.of(Configuration.CHECK_FINITE_ENV, "0")).checkFinite());
        assertFalse(Context.fromEnvironment(Map.of()).checkFinite());
        final ConfigurationException bad = assertThrows(ConfigurationException.class,
            () -> Configuration.checkFinite(Map.of(Configuration.CHECK_FINITE_ENV, "yes")));
        assertTrue(bad.getMessage().contains(Configuration.CHECK_FINITE_ENV), bad.getMessage());
    }

    /**
     * Every length up to a few blocks and every position of one non-finite value (and none), float32 and float64,
     * on heap and off: the scan in use and the scalar one find the first such element, as a plain loop does.
     */
    @Test
    void theScanFindsTheFirstNonFiniteElementAnywhere()
    {
        final SplittableRandom random = new SplittableRandom(14);
        final double[] specials = { Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY };
        for (int trial = 0; trial < 3000; trial++)
        {
            final int count = trial < 600 ? trial : random.nextInt(1, 5000);
            final boolean float64 = random.nextBoolean();
            final DataType type = float64 ? DataType.FLOAT64 : DataType.FLOAT32;
            final int shift = type.shift();
            final UnsafeBuffer offHeap = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
                Math.max(64, count << shift), 64));
            final float[] floats = new float[count];
            final double[] doubles = new double[count];
            for (int i = 0; i < count; i++)
            {
                final double x = random.nextDouble(-1e30, 1e30);
                floats[i] = (float)x;
                doubles[i] = x;
            }
            final int bad = count == 0 || random.nextInt(4) == 0 ? -1 : random.nextInt(count);
            if (bad >= 0)
            {
                final double special = specials[random.nextInt(3)];
                floats[bad] = (float)special;
                doubles[bad] = special;
                if (random.nextBoolean() && bad + 1 < count)
                {
                    floats[count - 1] = Float.NaN;
                    doubles[count - 1] = Double.NaN;
                }
            }
            for (int i = 0; i < count; i++)
            {
                if (float64)
                {
                    offHeap.putDouble(i << 3, doubles[i]);
                }
                else
                {
                    offHeap.putFloat(i << 2, floats[i]);
                }
            }
            final Object array = float64 ? doubles : floats;
            final long arrayBase = float64 ? org.agrona.UnsafeApi.arrayBaseOffset(double[].class) :
                org.agrona.UnsafeApi.arrayBaseOffset(float[].class);
            final String what = "trial " + trial + ": " + count + " x " + type + ", bad at " + bad;
            assertEquals(bad, FiniteCheck.scan(type, array, arrayBase, count), what);
            assertEquals(bad, FiniteCheck.scalarScan(type, array, arrayBase, count), what);
            assertEquals(bad, FiniteCheck.scan(type, null, offHeap.addressOffset(), count), what);
        }
    }

    private static void expectRefused(
        final Communicator comm, final int holder, final String reason, final Runnable call)
    {
        final Throwable thrown = thrownBy(call);
        if (comm.rank() == holder)
        {
            final String message = assertInstanceOf(IllegalArgumentException.class, thrown).getMessage();
            assertTrue(message.contains(reason), message);
        }
        else
        {
            final RefusedCallException refused = assertInstanceOf(RefusedCallException.class, thrown);
            assertEquals(holder, refused.suspectRank());
            assertTrue(refused.getMessage().contains(reason), refused.getMessage());
        }
    }

    @Test
    void aRankAloneRefusesToo() throws Exception
    {
        final float[] v = ones(3);
        v[1] = Float.NaN;
        try (Communicator comm = Communicator.connect(io.ringsync.transport.LocalTransport.createJob(1,
            io.ringsync.transport.LocalTransport.LINK_CAPACITY_DEFAULT)[0], new Context().checkFinite(true)))
        {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> comm.allReduce(v, ReduceOp.SUM))
                .getMessage().contains("element 1 of rank 0's input"));
            final float[] w = ones(3);
            comm.allReduce(w, ReduceOp.SUM);
            assertArrayEquals(ones(3), w);
            assertNull(thrownBy(() -> comm.barrier()));
        }
    }
}
