package io.ringsync.collectives;

import io.ringsync.transport.shm.ShmTransport;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.collectives.BitwiseAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The direct mode of the shm transport ({@link DirectAllReduce}), 2 to 4 ranks as threads of this JVM, each with
 * its own {@link ShmTransport} on files in a fresh directory under /dev/shm. Random (non-integer) inputs make the
 * summation order visible: every result must equal {@link RingReference} and the ring itself bit for bit. Small
 * windows make vectors stream through in many rounds.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ShmDirectAllReduceTest
{
    private static final long TIMEOUT_MS = 30_000;
    private static final long SMALL_WINDOW = 64 * 1024;

    private File dir;

    @BeforeEach
    void setUp()
    {
        dir = TestJobDirectory.fresh("shm-direct-test");
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    static List<Arguments> shapes()
    {
        final List<Arguments> shapes = new ArrayList<>();
        for (int n = 2; n <= 4; n++)
        {
            for (final int count : new int[]{ 0, 1, n - 1, 1009, 40_003 })
            {
                shapes.add(Arguments.of(n, count));
            }
        }
        return shapes;
    }

    @ParameterizedTest(name = "np={0} count={1}")
    @MethodSource("shapes")
    void everyOpAndTypeIsBitwiseTheRingsResult(final int n, final int count) throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final List<Object[]> results = runRanks(n, jobId, SMALL_WINDOW, 0, (comm) ->
        {
            assertTrue(comm.hasDirectMode());
            final Object[] out = new Object[8];
            int i = 0;
            for (final ReduceOp op : ReduceOp.values())
            {
                final float[] f = floats(comm.rank(), count, op.ordinal());
                comm.allReduce(f, op);
                out[i++] = f;
                final double[] d = doubles(comm.rank(), count, op.ordinal());
                comm.allReduce(d, op);
                out[i++] = d;
            }
            return out;
        });
        int i = 0;
        for (final ReduceOp op : ReduceOp.values())
        {
            final float[][] fin = new float[n][];
            final double[][] din = new double[n][];
            for (int r = 0; r < n; r++)
            {
                fin[r] = floats(r, count, op.ordinal());
                din[r] = doubles(r, count, op.ordinal());
            }
            final float[] fexpected = RingReference.floats(fin, op);
            final double[] dexpected = RingReference.doubles(din, op);
            for (int r = 0; r < n; r++)
            {
                assertSameBits(fexpected, (float[])results.get(r)[i], op + " float32 rank " + r);
                assertSameBits(dexpected, (double[])results.get(r)[i + 1], op + " float64 rank " + r);
            }
            i += 2;
        }
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void directAndRingGiveTheSameBitsOverShm(final int n) throws Exception
    {
        final int count = 300_007;
        final List<float[]> direct = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0, (comm) ->
        {
            final float[] v = floats(comm.rank(), count, 7);
            comm.allReduce(v, ReduceOp.AVG);
            return v;
        });
        final List<float[]> ring = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, -1, (comm) ->
        {
            assertTrue(!comm.hasDirectMode());
            final float[] v = floats(comm.rank(), count, 7);
            comm.allReduce(v, ReduceOp.AVG);
            return v;
        });
        for (int r = 0; r < n; r++)
        {
            assertSameBits(ring.get(0), direct.get(r), "rank " + r + " direct vs ring");
        }
    }

    /**
     * Weighted averages in direct mode divide by the weights summed in the ring's order: the ring's bits, with
     * uneven weights, a zero weight on a rank holding NaN, float32 and float64, streaming through a small window.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void weightedAveragesAreBitwiseTheRings(final int n) throws Exception
    {
        final int count = 300_007;
        final RankThreads.RankBody<Object[]> body = (comm) ->
        {
            final int r = comm.rank();
            final double weight = r == 1 ? 0 : r + 0.25;
            final float[] f = floats(r, count, 11);
            final double[] d = doubles(r, count / 3, 13);
            if (r == 1)
            {
                java.util.Arrays.fill(f, Float.NaN);
            }
            final double fSum = comm.weightedAverage(f, weight);
            final double dSum = comm.weightedAverage(d, weight);
            return new Object[]{f, d, fSum, dSum};
        };
        final List<Object[]> direct = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0, body);
        final List<Object[]> ring = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, -1, body);
        double expectedSum = 0;
        for (int r = 0; r < n; r++)
        {
            expectedSum += r == 1 ? 0 : r + 0.25;
        }
        for (int r = 0; r < n; r++)
        {
            assertSameBits((float[])ring.get(0)[0], (float[])direct.get(r)[0], "rank " + r + " float32");
            assertSameBits((double[])ring.get(0)[1], (double[])direct.get(r)[1], "rank " + r + " float64");
            assertEquals(expectedSum, (double)direct.get(r)[2], "rank " + r + " weight sum");
            assertEquals(expectedSum, (double)direct.get(r)[3], "rank " + r + " weight sum");
        }
    }

    /**
     * A vector ten times the window streams through in rounds, every call, and the window files stay bounded.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 4 })
    void aVectorTenTimesTheWindowStreamsThrough(final int n) throws Exception
    {
        final int count = (int)(10 * SMALL_WINDOW / 4) + 13;
        final List<float[]> results = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0, (comm) ->
        {
            float[] v = null;
            for (int call = 0; call < 3; call++)
            {
                v = new float[count];
                for (int i = 0; i < count; i++)
                {
                    v[i] = (comm.rank() + 1) * (float)((i % 1000) + call);
                }
                comm.allReduce(v, ReduceOp.SUM);
                final File window = new File(dir, "window-" + comm.rank() + ".shm");
                assertTrue(window.length() < 2 * SMALL_WINDOW, "window file of " + window.length() + " bytes");
            }
            return v;
        });
        final float ranks = n * (n + 1) / 2.0f;
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < count; i++)
            {
                if (results.get(r)[i] != ranks * ((i % 1000) + 2))
                {
                    assertEquals(ranks * ((i % 1000) + 2), results.get(r)[i], "rank " + r + " element " + i);
                }
            }
        }
    }

    /**
     * Vectors placed in shared memory are read in place, mixed with ranks that pass private arrays, at an offset,
     * larger than the window, and repeatedly (each call returns the vector to its owner).
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void sharedVectorsAreReducedInPlace(final int n) throws Exception
    {
        final int count = 50_001;
        final List<float[]> results = runRanks(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0, (comm) ->
        {
            final float[] out = new float[count];
            final boolean shared = comm.rank() != 1;
            final UnsafeBuffer buffer = comm.allocateFloats(count + 16);
            assertEquals(4 * (count + 16), buffer.capacity());
            final float[] array = new float[count];
            for (int call = 0; call < 3; call++)
            {
                final float[] in = floats(comm.rank(), count, call);
                if (shared)
                {
                    for (int i = 0; i < count; i++)
                    {
                        buffer.putFloat(64 + 4 * i, in[i]);
                    }
                    comm.allReduce(buffer, 64, count, DataType.FLOAT32, ReduceOp.SUM);
                    for (int i = 0; i < count; i++)
                    {
                        out[i] = buffer.getFloat(64 + 4 * i);
                    }
                }
                else
                {
                    System.arraycopy(in, 0, array, 0, count);
                    comm.allReduce(array, ReduceOp.SUM);
                    System.arraycopy(array, 0, out, 0, count);
                }
            }
            return out;
        });
        final float[][] inputs = new float[n][];
        for (int r = 0; r < n; r++)
        {
            inputs[r] = floats(r, count, 2);
        }
        final float[] expected = RingReference.floats(inputs, ReduceOp.SUM);
        for (int r = 0; r < n; r++)
        {
            assertSameBits(expected, results.get(r), "rank " + r);
        }
    }

    @Test
    void allocateOffShmIsPlainOffHeapMemory() throws Exception
    {
        final List<Boolean> checked = LocalCluster.runAll(2, (comm) ->
        {
            assertTrue(!comm.hasDirectMode());
            final UnsafeBuffer buffer = comm.allocateDoubles(1000);
            assertEquals(8000, buffer.capacity());
            assertNull(buffer.byteArray());
            for (int i = 0; i < 1000; i++)
            {
                buffer.putDouble(8 * i, comm.rank() + i);
            }
            comm.allReduce(buffer, 0, 1000, DataType.FLOAT64, ReduceOp.SUM);
            for (int i = 0; i < 1000; i++)
            {
                assertEquals(1 + 2.0 * i, buffer.getDouble(8 * i));
            }
            return true;
        });
        assertEquals(List.of(true, true), checked);
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3 })
    void mismatchedCallsFailEveryRank(final int n) throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(n, jobId, SMALL_WINDOW, 0, 5_000, (comm) ->
        {
            comm.allReduce(new float[5000], ReduceOp.SUM);
            comm.allReduce(new float[comm.rank() == n - 1 ? 5001 : 5000], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertNotNull(outcome.error, "rank " + outcome.rank + " did not fail");
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank);
        }
        final String messages = messages(outcomes);
        assertTrue(messages.contains("allReduce(5001 x FLOAT32, SUM)") && messages.contains("5000 x FLOAT32"),
            messages);

        final List<RankThreads.Outcome<Void>> ops = runRanksCatching(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0,
            5_000, (comm) ->
            {
                comm.allReduce(new double[3000], comm.rank() == 0 ? ReduceOp.MAX : ReduceOp.SUM);
                return null;
            });
        for (final RankThreads.Outcome<Void> outcome : ops)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank);
        }
    }

    @Test
    void aRankInTheRingWhileOthersRunDirectIsAMismatchNotAHang() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(3, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW,
            1 << 20, 5_000, (comm) ->
            {
                // 1 MiB runs direct, 16 bytes as a ring
                comm.allReduce(new float[comm.rank() == 1 ? 4 : 1 << 18], ReduceOp.SUM);
                return null;
            });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
        }
    }

    /**
     * A rank whose transport goes away between calls (as a killed process' files do) is named on every survivor.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3 })
    void aDeadRankIsNamedOnEverySurvivor(final int n) throws Exception
    {
        final int dead = n - 1;
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(n, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW,
            0, 10_000, (comm) ->
            {
                comm.allReduce(new float[100_000], ReduceOp.SUM);
                if (comm.rank() == dead)
                {
                    comm.transport().close();
                    return null;
                }
                comm.allReduce(new float[100_000], ReduceOp.SUM);
                return null;
            });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            if (outcome.rank == dead)
            {
                continue;
            }
            assertInstanceOf(PeerFailedException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
            assertEquals(dead, ((RingsyncException)outcome.error).suspectRank(), outcome.error.getMessage());
        }
    }

    /**
     * A rank that never makes the call makes the others time out at their deadline, naming it.
     */
    @Test
    void aStalledRankTimesOutItsPeers() throws Exception
    {
        final CountDownLatch rank0Done = new CountDownLatch(1);
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(2, ThreadLocalRandom.current().nextLong(),
            SMALL_WINDOW, 0, 1_000, (comm) ->
            {
                if (comm.rank() == 0)
                {
                    try
                    {
                        comm.allReduce(new float[10_000], ReduceOp.SUM);
                    }
                    finally
                    {
                        rank0Done.countDown();
                    }
                }
                else
                {
                    assertTrue(rank0Done.await(30, TimeUnit.SECONDS));
                }
                return null;
            });
        assertInstanceOf(CollectiveTimeoutException.class, outcomes.get(0).error);
        assertEquals(1, ((RingsyncException)outcomes.get(0).error).suspectRank(), outcomes.get(0).error.getMessage());
    }

    /**
     * Steady-state calls allocate nothing: the thread's allocation counter does not move over 200 direct calls,
     * staged or in place (the fewest bytes of a few repeats, so a JIT or GC hiccup does not count).
     */
    @Test
    void steadyStateCallsAllocateNothing() throws Exception
    {
        SteadyAllocation.assumeCounter();
        final List<Long> allocated = runRanks(2, ThreadLocalRandom.current().nextLong(), SMALL_WINDOW, 0, (comm) ->
        {
            final float[] v = new float[100_000];
            final UnsafeBuffer shared = comm.allocateFloats(100_000);
            return SteadyAllocation.fewestBytes(5, 200, () ->
            {
                comm.allReduce(v, ReduceOp.SUM);
                comm.allReduce(shared, 0, 100_000, DataType.FLOAT32, ReduceOp.SUM);
            });
        });
        for (int r = 0; r < 2; r++)
        {
            assertEquals(0L, (long)allocated.get(r), "bytes allocated by 400 calls on rank " + r);
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private static float[] floats(final int rank, final int count, final int salt)
    {
        final SplittableRandom random = new SplittableRandom(rank * 1_000_003L + salt);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(random.nextDouble() * 2 - 1) * (1 + (i % 7) * 1e4f);
        }
        return v;
    }

    private static double[] doubles(final int rank, final int count, final int salt)
    {
        final SplittableRandom random = new SplittableRandom(rank * 7_000_003L + salt);
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (random.nextDouble() * 2 - 1) * (1 + (i % 7) * 1e9);
        }
        return v;
    }

    private static <T> String messages(final List<RankThreads.Outcome<T>> outcomes)
    {
        final StringBuilder sb = new StringBuilder();
        for (final RankThreads.Outcome<T> outcome : outcomes)
        {
            sb.append(outcome.rank).append(": ").append(outcome.error).append('\n');
        }
        return sb.toString();
    }

    private <T> List<T> runRanks(
        final int n, final long jobId, final long windowLength, final long directMinBytes,
        final RankThreads.RankBody<T> body)
        throws Exception
    {
        return RankThreads.values(runRanksCatching(n, jobId, windowLength, directMinBytes, TIMEOUT_MS, body));
    }

    private <T> List<RankThreads.Outcome<T>> runRanksCatching(
        final int n,
        final long jobId,
        final long windowLength,
        final long directMinBytes,
        final long timeoutMs,
        final RankThreads.RankBody<T> body) throws Exception
    {
        final List<RankThreads.Outcome<T>> outcomes = RankThreads.run(n, TIMEOUT_MS * 3, (rank) ->
            Communicator.connect(ShmTransport.connect(new ShmTransport.Context()
                .directory(dir)
                .jobId(jobId)
                .rank(rank)
                .worldSize(n)
                .windowLength(windowLength)
                .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))), new Context()
                .jobId(jobId)
                .chunkBytes(8192)
                .smallMaxBytes(0)
                .directMinBytes(directMinBytes)
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))), body);
        final java.util.List<String> left = LeftFiles.unexpected(dir);
        assertTrue(left.isEmpty(), "files left behind: " + String.join(", ", left));
        return outcomes;
    }
}
