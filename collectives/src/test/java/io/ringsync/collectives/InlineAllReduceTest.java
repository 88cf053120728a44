package io.ringsync.collectives;

import io.ringsync.transport.shm.ShmTransport;
import org.agrona.IoUtil;
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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.collectives.BitwiseAssert.assertSameBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The inline path ({@link InlineAllReduce}): vectors of at most 88 bytes carried in the call descriptors of the
 * shm windows, 2 to 4 ranks as threads of this JVM, each with its own {@link ShmTransport} in a fresh directory.
 * Results must be the small path's, bit for bit: the rank-order fold of {@link SmallAllReduceTest}, and the same
 * call over links when the communicator has no windows.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class InlineAllReduceTest
{
    private static final long TIMEOUT_MS = 30_000;

    private File dir;

    @BeforeEach
    void setUp()
    {
        dir = TestJobDirectory.fresh("shm-inline-test");
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
            shapes.add(Arguments.of(n));
        }
        return shapes;
    }

    @ParameterizedTest(name = "np={0}")
    @MethodSource("shapes")
    void everyOpTypeAndLengthIsTheRankOrderFold(final int n) throws Exception
    {
        // one line holds 8 floats or 4 doubles, the second line 14 or 7 more
        final int[] floatCounts = { 0, 1, 3, 7, 8, 9, 16, 22 };
        final int[] doubleCounts = { 0, 1, 3, 4, 5, 11 };
        final List<List<Object>> results = runRanks(n, 0, (comm) ->
        {
            final List<Object> out = new ArrayList<>();
            for (final ReduceOp op : ReduceOp.values())
            {
                for (final int count : floatCounts)
                {
                    assertEquals(Path.INLINE, comm.allReducePath(count, DataType.FLOAT32));
                    final float[] f = floats(comm.rank(), count, op.ordinal());
                    comm.allReduce(f, op);
                    out.add(f);
                }
                for (final int count : doubleCounts)
                {
                    assertEquals(Path.INLINE, comm.allReducePath(count, DataType.FLOAT64));
                    final double[] d = doubles(comm.rank(), count, op.ordinal());
                    comm.allReduce(d, op);
                    out.add(d);
                }
            }
            // one element more than a descriptor holds takes the small path through the links
            assertEquals(Path.SMALL, comm.allReducePath(23, DataType.FLOAT32));
            assertEquals(Path.SMALL, comm.allReducePath(12, DataType.FLOAT64));
            return out;
        });
        int i = 0;
        for (final ReduceOp op : ReduceOp.values())
        {
            for (final int count : floatCounts)
            {
                final float[][] in = new float[n][];
                for (int r = 0; r < n; r++)
                {
                    in[r] = floats(r, count, op.ordinal());
                }
                final float[] expected = SmallAllReduceTest.rankOrder(in, op);
                for (int r = 0; r < n; r++)
                {
                    assertSameBits(expected, (float[])results.get(r).get(i),
                        op + " " + count + " x float32, rank " + r);
                }
                i++;
            }
            for (final int count : doubleCounts)
            {
                final double[][] in = new double[n][];
                for (int r = 0; r < n; r++)
                {
                    in[r] = doubles(r, count, op.ordinal());
                }
                final double[] expected = SmallAllReduceTest.rankOrder(in, op);
                for (int r = 0; r < n; r++)
                {
                    assertSameBits(expected, (double[])results.get(r).get(i),
                        op + " " + count + " x float64, rank " + r);
                }
                i++;
            }
        }
    }

    /**
     * Weighted averages (uneven weights, one zero) and back-to-back calls of alternating lengths, which reuse each
     * descriptor slot every other call: the bits of the same calls on a communicator without windows (the small
     * path through the links), on every rank.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3 })
    void weightedAveragesAndRepeatedCallsMatchTheSmallPath(final int n) throws Exception
    {
        final RankThreads.RankBody<List<Object>> body = (comm) ->
        {
            final List<Object> out = new ArrayList<>();
            for (int call = 0; call < 200; call++)
            {
                final int count = 1 + call % 22;
                final float[] f = floats(comm.rank(), count, call);
                final double weight = comm.rank() == 1 ? 0 : 1 + comm.rank() * 0.37 + call;
                out.add(comm.weightedAverage(f, weight));
                out.add(f);
                final double[] d = doubles(comm.rank(), 1 + call % 11, call);
                comm.allReduce(d, ReduceOp.SUM);
                out.add(d);
            }
            return out;
        };
        final List<List<Object>> inline = runRanks(n, 0, (comm) ->
        {
            assertEquals(Path.INLINE, comm.allReducePath(22, DataType.FLOAT32));
            return body.run(comm);
        });
        final List<List<Object>> links = runRanks(n, -1, (comm) ->
        {
            assertEquals(Path.SMALL, comm.allReducePath(22, DataType.FLOAT32));
            return body.run(comm);
        });
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < links.get(0).size(); i++)
            {
                final Object expected = links.get(0).get(i);
                final Object actual = inline.get(r).get(i);
                final String what = "rank " + r + ", result " + i;
                if (expected instanceof float[])
                {
                    assertSameBits((float[])expected, (float[])actual, what);
                }
                else if (expected instanceof double[])
                {
                    assertSameBits((double[])expected, (double[])actual, what);
                }
                else
                {
                    assertEquals(expected, actual, what + " (weight sum)");
                }
            }
        }
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3 })
    void mismatchedCallsFailEveryRank(final int n) throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(n, 0, 5_000, (comm) ->
        {
            comm.allReduce(new float[4], ReduceOp.SUM);
            comm.allReduce(new float[comm.rank() == n - 1 ? 15 : 14], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
        }
        final String messages = messages(outcomes);
        assertTrue(messages.contains("allReduce(15 x FLOAT32, SUM)") && messages.contains("14 x FLOAT32"), messages);

        // one line against two: the rank with the second line must not wait for a peer that writes none
        final List<RankThreads.Outcome<Void>> lines = runRanksCatching(n, 0, 5_000, (comm) ->
        {
            comm.allReduce(new float[comm.rank() == 0 ? 9 : 8], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : lines)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
        }

        final List<RankThreads.Outcome<Void>> ops = runRanksCatching(n, 0, 5_000, (comm) ->
        {
            comm.allReduce(new double[2], comm.rank() == 0 ? ReduceOp.MAX : ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : ops)
        {
            assertInstanceOf(CollectiveMismatchException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
        }
    }

    /**
     * One rank with a vector just too long to go inline sends it through its links while the others wait on its
     * descriptor: a mismatch on every rank within the deadline, not a hang.
     */
    @Test
    void aRankOnTheSmallPathWhileOthersGoInlineIsAMismatch() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(3, 0, 5_000, (comm) ->
        {
            comm.allReduce(new float[comm.rank() == 1 ? 23 : 22], ReduceOp.SUM);
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            assertNotNull(outcome.error, "rank " + outcome.rank + " did not fail");
            assertInstanceOf(RingsyncException.class, outcome.error, () -> "rank " + outcome.rank);
        }
        final String messages = messages(outcomes);
        assertTrue(messages.contains("23 x FLOAT32") && messages.contains("22 x FLOAT32"), messages);
    }

    /**
     * A rank that never makes the call: the others time out at their deadline, naming it.
     */
    @Test
    void aStalledRankIsNamedAtTheDeadline() throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = runRanksCatching(3, 0, 2_000, (comm) ->
        {
            comm.allReduce(new float[2], ReduceOp.SUM);
            if (comm.rank() != 2)
            {
                comm.allReduce(new float[2], ReduceOp.SUM);
            }
            else
            {
                Thread.sleep(4_000);
            }
            return null;
        });
        for (final RankThreads.Outcome<Void> outcome : outcomes)
        {
            if (outcome.rank == 2)
            {
                continue;
            }
            assertInstanceOf(RingsyncException.class, outcome.error, () -> "rank " + outcome.rank + ": " +
                outcome.error);
            assertEquals(2, ((RingsyncException)outcome.error).suspectRank(), outcome.error.getMessage());
        }
    }

    /**
     * Steady-state inline calls allocate nothing: the thread's allocation counter does not move over 200 rounds of
     * one-line and two-line sums and a weighted average (the fewest bytes of a few repeats, so a JIT or GC hiccup
     * does not count).
     */
    @Test
    void steadyStateCallsAllocateNothing() throws Exception
    {
        SteadyAllocation.assumeCounter();
        final List<Long> allocated = runRanks(2, 0, (comm) ->
        {
            assertEquals(Path.INLINE, comm.allReducePath(8, DataType.FLOAT32));
            assertEquals(Path.INLINE, comm.allReducePath(20, DataType.FLOAT32));
            assertEquals(Path.INLINE, comm.allReducePath(5, DataType.FLOAT64));
            final float[] oneLine = new float[8];
            final float[] twoLines = new float[20];
            final double[] average = new double[5];
            return SteadyAllocation.fewestBytes(5, 200, () ->
            {
                comm.allReduce(oneLine, ReduceOp.SUM);
                comm.allReduce(twoLines, ReduceOp.MAX);
                comm.weightedAverage(average, 1 + comm.rank());
            });
        });
        for (int r = 0; r < 2; r++)
        {
            assertEquals(0L, (long)allocated.get(r), "bytes allocated by 600 inline calls on rank " + r);
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private static float[] floats(final int rank, final int count, final int salt)
    {
        final SplittableRandom random = new SplittableRandom(rank * 1_000_003L + salt);
        final float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)((random.nextDouble() * 2 - 1) * Math.pow(10, random.nextInt(7)));
        }
        return v;
    }

    private static double[] doubles(final int rank, final int count, final int salt)
    {
        final SplittableRandom random = new SplittableRandom(rank * 7_000_003L + salt);
        final double[] v = new double[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (random.nextDouble() * 2 - 1) * Math.pow(10, random.nextInt(16));
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

    private <T> List<T> runRanks(final int n, final long directMinBytes, final RankThreads.RankBody<T> body)
        throws Exception
    {
        return RankThreads.values(runRanksCatching(n, directMinBytes, TIMEOUT_MS, body));
    }

    /**
     * Ranks over shm with the default small-vector switch; {@code directMinBytes} -1 leaves the communicator without
     * windows, so small vectors go through the links.
     */
    private <T> List<RankThreads.Outcome<T>> runRanksCatching(
        final int n, final long directMinBytes, final long timeoutMs, final RankThreads.RankBody<T> body)
        throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final List<RankThreads.Outcome<T>> outcomes = RankThreads.run(n, TIMEOUT_MS * 3, (rank) ->
        {
            final ShmTransport transport = ShmTransport.connect(new ShmTransport.Context()
                .directory(dir)
                .jobId(jobId)
                .rank(rank)
                .worldSize(n)
                .windowLength(64 * 1024)
                .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS)));
            // a call fails within microseconds on this path, so a slower rank may get the abort while it still
            // connects: connect then closes the transport, and the check below finds no file left
            return Communicator.connect(transport, new Context()
                .jobId(jobId)
                .directMinBytes(directMinBytes)
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs)));
        }, body);
        final List<String> left = LeftFiles.unexpected(dir);
        assertTrue(left.isEmpty(), "files left behind: " + String.join(", ", left));
        return outcomes;
    }
}
