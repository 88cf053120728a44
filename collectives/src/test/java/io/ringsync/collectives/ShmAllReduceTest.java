package io.ringsync.collectives;

import io.ringsync.transport.shm.ShmTransport;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ring over the shared-memory transport, 2 to 4 ranks as threads of this JVM, each with its own
 * {@link ShmTransport} on files in a fresh directory under /dev/shm: integer-valued inputs make every sum exact,
 * so each result is checked element by element, and all ranks must agree bit for bit.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ShmAllReduceTest
{
    private static final long TIMEOUT_MS = 60_000;

    private File dir;

    static List<Arguments> shapes()
    {
        final List<Arguments> shapes = new ArrayList<>();
        for (int n = 2; n <= 4; n++)
        {
            for (final int count : new int[]{ 0, 1, n - 1, 1009, 1 << 20 })
            {
                shapes.add(Arguments.of(n, count));
            }
        }
        return shapes;
    }

    @BeforeEach
    void setUp()
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        dir = new File(parent, "ringsync-shm-allreduce-test-" + UUID.randomUUID());
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    @ParameterizedTest(name = "np={0} count={1}")
    @MethodSource("shapes")
    void float32SumIsExactAndBitwiseEqualOnEveryRank(final int n, final int count) throws Exception
    {
        final float[][] results = run(n, count, UnaryOperator.identity(), 2);
        checkFloatSums(n, count, results);
    }

    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void float64SumIsExact(final int n) throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final int count = 70_001;
        final List<double[]> results = runRanks(n, jobId, UnaryOperator.identity(), (comm) ->
        {
            final double[] v = new double[count];
            for (int i = 0; i < count; i++)
            {
                v[i] = (comm.rank() + 1) * (double)(i + 1);
            }
            comm.allReduce(v, ReduceOp.SUM);
            return v;
        });
        final double ranks = n * (n + 1) / 2.0;
        for (int i = 0; i < count; i++)
        {
            assertEquals(ranks * (i + 1), results.get(0)[i], "element " + i);
        }
        for (int r = 1; r < n; r++)
        {
            assertArrayEquals(results.get(0), results.get(r), "rank " + r + " differs from rank 0");
        }
    }

    /**
     * The fewest slots the ring's flow control works with (n + 1 kept for forwards, one for an injection) and
     * slots of 192 bytes (64-byte chunks of 32 floats behind their headers): 2^20 floats make tens of thousands
     * of chunks per rank, each injected only once the link is empty, and still no rank may deadlock.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void tinySlotsDoNotDeadlock(final int n) throws Exception
    {
        final int count = 1 << 20;
        final float[][] results = run(n, count, (ctx) -> ctx.slotCount(n + 2).slotLength(192), 1);
        checkFloatSums(n, count, results);
    }

    private float[][] run(
        final int n, final int count, final UnaryOperator<ShmTransport.Context> settings, final int calls)
        throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final List<float[]> results = runRanks(n, jobId, settings, (comm) ->
        {
            float[] v = null;
            for (int call = 0; call < calls; call++)
            {
                v = new float[count];
                for (int i = 0; i < count; i++)
                {
                    v[i] = (comm.rank() + 1) * (float)((i % 1000) + 1);
                }
                comm.allReduce(v, ReduceOp.SUM);
            }
            return v;
        });
        return results.toArray(new float[0][]);
    }

    private static void checkFloatSums(final int n, final int count, final float[][] results)
    {
        final float ranks = n * (n + 1) / 2.0f;
        for (int r = 0; r < n; r++)
        {
            assertEquals(count, results[r].length);
        }
        for (int i = 0; i < count; i++)
        {
            final float expected = ranks * ((i % 1000) + 1);
            if (results[0][i] != expected)
            {
                assertEquals(expected, results[0][i], "element " + i + " of rank 0");
            }
        }
        for (int r = 1; r < n; r++)
        {
            for (int i = 0; i < count; i++)
            {
                if (Float.floatToRawIntBits(results[0][i]) != Float.floatToRawIntBits(results[r][i]))
                {
                    assertEquals(results[0][i], results[r][i], "element " + i + ": rank " + r + " vs rank 0");
                }
            }
        }
    }

    private interface RankBody<T>
    {
        T run(Communicator comm);
    }

    private <T> List<T> runRanks(
        final int n, final long jobId, final UnaryOperator<ShmTransport.Context> settings, final RankBody<T> body)
        throws Exception
    {
        final ExecutorService pool = Executors.newFixedThreadPool(n);
        try
        {
            final List<Future<T>> futures = new ArrayList<>();
            for (int rank = 0; rank < n; rank++)
            {
                final int r = rank;
                futures.add(pool.submit(() ->
                {
                    final ShmTransport transport = ShmTransport.connect(settings.apply(new ShmTransport.Context()
                        .directory(dir)
                        .jobId(jobId)
                        .rank(r)
                        .worldSize(n)
                        .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))));
                    try (Communicator comm = Communicator.connect(transport, new Communicator.Context()
                        .jobId(jobId)
                        .timeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))))
                    {
                        assertEquals("shm", comm.transportName());
                        return body.run(comm);
                    }
                }));
            }
            final List<T> results = new ArrayList<>();
            for (final Future<T> future : futures)
            {
                results.add(future.get(TIMEOUT_MS * 3, TimeUnit.MILLISECONDS));
            }
            final String[] left = dir.list();
            assertTrue(null == left || 0 == left.length, "files left behind: " + String.join(", ", left));
            return results;
        }
        finally
        {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
