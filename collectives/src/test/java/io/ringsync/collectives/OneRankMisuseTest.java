package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;
import io.ringsync.transport.shm.ShmTransport;
import io.ringsync.transport.tcp.TcpTransport;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpTestSupport.loopbackEndpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 3 of issue 14: a bad argument on one rank only used to throw on that rank alone, while the others went on
 * and paired their call with that rank's next one (3 ranks of ones summed to 5.0). Now the call is refused on every
 * rank: the bad rank gets the argument's exception, every other rank a {@link RefusedCallException} naming it, and
 * the next calls pair as usual and return exact sums. Every collective, on the local transport, the shm ring and the
 * shm direct mode, with vectors that take the small-vector path and vectors that stream as many chunks.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class OneRankMisuseTest
{
    private static final int RANKS = 3;
    private static final int BAD = 1;
    private static final long TIMEOUT_MS = 20_000;

    private File dir;

    /**
     * What a rank calls: the bad rank's version when {@code bad}, the right one otherwise.
     */
    interface Call
    {
        void run(Communicator comm, boolean bad, int count);
    }

    enum Misuse
    {
        ALL_REDUCE_NULL(NullPointerException.class, (comm, bad, count) ->
            comm.allReduce(bad ? null : ones(count), ReduceOp.SUM)),
        ALL_REDUCE_RANGE_BEYOND_ARRAY(IndexOutOfBoundsException.class, (comm, bad, count) ->
            comm.allReduce(ones(count), bad ? 1 : 0, count, ReduceOp.SUM)),
        ALL_REDUCE_NEGATIVE_COUNT(IndexOutOfBoundsException.class, (comm, bad, count) ->
            comm.allReduce(doubles(count), 0, bad ? -1 : count, ReduceOp.SUM)),
        ALL_REDUCE_NULL_OP(NullPointerException.class, (comm, bad, count) ->
            comm.allReduce(ones(count), bad ? null : ReduceOp.MAX)),
        ALL_REDUCE_BUFFER_TOO_SHORT(IndexOutOfBoundsException.class, (comm, bad, count) ->
            comm.allReduce(new UnsafeBuffer(new byte[4 * count]), 0, bad ? count + 1 : count, DataType.FLOAT32,
                ReduceOp.SUM)),
        ALL_REDUCE_ASYNC_NULL(NullPointerException.class, (comm, bad, count) ->
            comm.allReduceAsync(bad ? null : ones(count), ReduceOp.SUM).await()),
        WEIGHTED_AVERAGE_NULL(NullPointerException.class, (comm, bad, count) ->
            comm.weightedAverage(bad ? null : doubles(count), 1.0)),
        BROADCAST_BAD_ROOT(IllegalArgumentException.class, (comm, bad, count) ->
            comm.broadcast(ones(count), bad ? RANKS : 0)),
        REDUCE_SCATTER_BLOCKS_BEYOND_ARRAY(IndexOutOfBoundsException.class, (comm, bad, count) ->
            comm.reduceScatter(ones(RANKS * count), bad ? count + 1 : count, ReduceOp.SUM)),
        ALL_GATHER_NEGATIVE_BLOCK(IndexOutOfBoundsException.class, (comm, bad, count) ->
            comm.allGather(doubles(RANKS * count), bad ? -1 : count));

        final Class<? extends Throwable> thrown;
        final Call call;

        Misuse(final Class<? extends Throwable> thrown, final Call call)
        {
            this.thrown = thrown;
            this.call = call;
        }
    }

    static List<Arguments> cases()
    {
        final List<Arguments> cases = new ArrayList<>();
        for (final String transport : new String[]{ "local", "tcp", "shm", "shm-direct" })
        {
            for (final Misuse misuse : Misuse.values())
            {
                for (final int count : new int[]{ 0, 5, 60_000 })
                {
                    cases.add(Arguments.of(transport, misuse, count));
                }
            }
        }
        return cases;
    }

    @BeforeEach
    void setUp()
    {
        dir = TestJobDirectory.fresh("misuse-test");
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    @ParameterizedTest(name = "{0} {1} count={2}")
    @MethodSource("cases")
    void misuseOnOneRankFailsThatCallOnEveryRankAndTheNextCallsPair(
        final String transport, final Misuse misuse, final int count) throws Exception
    {
        final List<RankThreads.Outcome<Void>> outcomes = run(dir, transport, new Context(), comm ->
        {
            final Throwable thrown = thrownBy(() -> misuse.call.run(comm, comm.rank() == BAD, count));
            assertNotNull(thrown, "rank " + comm.rank() + " returned normally from the refused call");
            if (comm.rank() == BAD)
            {
                assertInstanceOf(misuse.thrown, thrown, "rank " + comm.rank());
            }
            else
            {
                final RefusedCallException refused = assertInstanceOf(RefusedCallException.class, thrown,
                    "rank " + comm.rank());
                assertEquals(BAD, refused.suspectRank());
                assertTrue(refused.getMessage().contains("refused by rank " + BAD + ": rank " + BAD +
                    " was given a bad argument: " + misuse.thrown.getSimpleName()), refused.getMessage());
            }
            expectExactSums(comm, count);
            return null;
        });
        RankThreads.values(outcomes);
    }

    @Test
    void theLowestOfSeveralRefusingRanksIsNamedOnEveryOtherRank() throws Exception
    {
        RankThreads.values(run(dir, "local", new Context(), comm ->
        {
            final Throwable thrown = thrownBy(() -> comm.allReduce(comm.rank() == 0 ? ones(100) : null,
                ReduceOp.SUM));
            if (comm.rank() == 0)
            {
                assertEquals(1, assertInstanceOf(RefusedCallException.class, thrown).suspectRank());
            }
            else
            {
                assertInstanceOf(NullPointerException.class, thrown);
            }
            expectExactSums(comm, 100);
            return null;
        }));
    }

    @Test
    void everyRankRefusingTheSameCallStaysUsable() throws Exception
    {
        RankThreads.values(run(dir, "shm-direct", new Context(), comm ->
        {
            for (int i = 0; i < 3; i++)
            {
                assertInstanceOf(IndexOutOfBoundsException.class, thrownBy(() ->
                    comm.allReduce(new float[4], 2, 3, ReduceOp.SUM)));
                expectExactSums(comm, 70_000);
            }
            return null;
        }));
    }

    /**
     * With a progress thread running queued async calls, the refusal waits its turn behind them: the calls issued
     * before it complete exactly, the refused one fails on every rank, the ones after it pair.
     */
    @Test
    void aRefusalQueuesBehindAsyncCallsAndKeepsTheirOrder() throws Exception
    {
        RankThreads.values(run(dir, "shm", new Context(), comm ->
        {
            final float[] first = ones(50_000);
            final Request pending = comm.allReduceAsync(first, ReduceOp.SUM);
            final Throwable thrown = thrownBy(() -> comm.allReduceAsync(comm.rank() == BAD ? null : ones(50_000),
                ReduceOp.SUM).await());
            pending.await();
            assertEquals(3f, first[49_999]);
            if (comm.rank() == BAD)
            {
                assertInstanceOf(NullPointerException.class, thrown);
            }
            else
            {
                assertEquals(BAD, assertInstanceOf(RefusedCallException.class, thrown).suspectRank());
            }
            expectExactSums(comm, 50_000);
            return null;
        }));
    }

    /**
     * A sub-communicator refuses on its own: the refused call fails on its members only, and both it and its
     * parent go on.
     */
    @Test
    void aSubCommunicatorRefusesOnItsOwn() throws Exception
    {
        RankThreads.values(run(dir, "local", new Context(), comm ->
        {
            try (Communicator pair = comm.split(comm.rank() == 2 ? Communicator.UNDEFINED : 0, comm.rank()))
            {
                if (null != pair)
                {
                    final Throwable thrown = thrownBy(() -> pair.broadcast(ones(10), pair.rank() == 1 ? -1 : 0));
                    if (pair.rank() == 1)
                    {
                        assertInstanceOf(IllegalArgumentException.class, thrown);
                    }
                    else
                    {
                        assertEquals(1, assertInstanceOf(RefusedCallException.class, thrown).suspectRank());
                    }
                    final float[] v = ones(10);
                    pair.allReduce(v, ReduceOp.SUM);
                    assertEquals(2f, v[9]);
                }
            }
            expectExactSums(comm, 1000);
            return null;
        }));
    }

    /**
     * The next two calls are exact: ones sum to the number of ranks, and rank-valued vectors to 0 + 1 + 2.
     */
    static void expectExactSums(final Communicator comm, final int count)
    {
        final float[] v = ones(count);
        comm.allReduce(v, ReduceOp.SUM);
        final float[] expected = new float[count];
        Arrays.fill(expected, comm.size());
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, v, "rank " + comm.rank());
        final double[] w = new double[count];
        Arrays.fill(w, comm.rank());
        comm.allReduce(w, ReduceOp.SUM);
        for (int i = 0; i < count; i++)
        {
            assertEquals(comm.size() * (comm.size() - 1) / 2.0, w[i], "rank " + comm.rank() + " element " + i);
        }
    }

    static Throwable thrownBy(final Runnable call)
    {
        try
        {
            call.run();
            return null;
        }
        catch (final Throwable t)
        {
            return t;
        }
    }

    static float[] ones(final int count)
    {
        final float[] v = new float[count];
        Arrays.fill(v, 1f);
        return v;
    }

    static double[] doubles(final int count)
    {
        final double[] v = new double[count];
        Arrays.fill(v, 1.0);
        return v;
    }

    /**
     * Run {@link #RANKS} ranks on {@code transport} with the template's {@code checkFinite}.
     */
    static <T> List<RankThreads.Outcome<T>> run(final File dir,
        final String transport, final Context template, final RankThreads.RankBody<T> body) throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final LocalTransport[] locals = "local".equals(transport) ?
            LocalTransport.createJob(RANKS, LocalTransport.LINK_CAPACITY_DEFAULT) : null;
        final String[] endpoints = "tcp".equals(transport) ? loopbackEndpoints(RANKS) : null;
        final List<RankThreads.Outcome<T>> outcomes = RankThreads.run(RANKS, TIMEOUT_MS * 3, (rank) ->
        {
            final Context ctx = new Context()
                .jobId(jobId)
                .checkFinite(template.checkFinite())
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))
                .directMinBytes("shm-direct".equals(transport) ? 0 : -1);
            if (null != locals)
            {
                return Communicator.connect(locals[rank], ctx);
            }
            if (null != endpoints)
            {
                return Communicator.connect(TcpTransport.connect(new TcpTransport.Context()
                    .rank(rank)
                    .worldSize(RANKS)
                    .jobId(jobId)
                    .endpoints(endpoints)
                    .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))), ctx);
            }
            final Communicator comm = Communicator.connect(ShmTransport.connect(new ShmTransport.Context()
                .directory(dir)
                .jobId(jobId)
                .rank(rank)
                .worldSize(RANKS)
                .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))), ctx);
            assertEquals("shm-direct".equals(transport), comm.hasDirectMode());
            return comm;
        }, body);
        return outcomes;
    }
}
