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
        dir = TestJobDirectory.fresh("shm-allreduce-test");
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
        final List<double[]> results = runRanks(n, jobId, UnaryOperator.identity(), (comm, transport) ->
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

    static List<Arguments> fewSlots()
    {
        final List<Arguments> shapes = new ArrayList<>();
        for (int n = 2; n <= 6; n++)
        {
            for (int slots = 2; slots <= 4; slots++)
            {
                shapes.add(Arguments.of(n, slots));
            }
        }
        return shapes;
    }

    /**
     * The ring keeps one slot of each link for forwards, so no link set can fill up all at once: 2 to 4 slots of
     * 192 bytes (64-byte chunks of 16 floats behind their headers) carry a vector of 65,537 floats, 340 times the
     * window of a 4-slot link, through 2 to 6 ranks, twice, and every call completes with the exact sum. Fewer
     * slots than ranks is the case a larger reserve (n + 1 messages) could not run at all.
     */
    @ParameterizedTest(name = "np={0} slots={1}")
    @MethodSource("fewSlots")
    void fewSlotsNeverDeadlockWhateverTheVectorSize(final int n, final int slots) throws Exception
    {
        final int count = 65_537;
        final float[][] results = run(n, count, (ctx) -> ctx.slotCount(slots).slotLength(192), 2);
        checkFloatSums(n, count, results);
    }

    /**
     * Two slots of a whole 32 KiB chunk each and a 4 MiB vector: the reserve is one slot, so every injection
     * waits for an empty link, and the ring still completes.
     */
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 5 })
    void twoBigSlotsCarryAVectorOf128Windows(final int n) throws Exception
    {
        final int count = 1 << 20;
        final float[][] results = run(n, count, (ctx) -> ctx.slotCount(2), 1);
        checkFloatSums(n, count, results);
    }

    /**
     * Chunks of another job, another epoch and an earlier call, put in a ring link before a call, are dropped
     * and counted by the receiver and never reduced: the sum stays exact.
     */
    @org.junit.jupiter.api.Test
    void foreignAndStaleChunksAreDroppedCountedAndNeverReduced() throws Exception
    {
        final int n = 3;
        final long jobId = ThreadLocalRandom.current().nextLong();
        final int count = 10_000;
        final long[] dropped = new long[n];
        final List<float[]> results = runRanks(n, jobId, UnaryOperator.identity(), (comm, transport) ->
        {
            if (comm.rank() == 0)
            {
                final org.agrona.concurrent.UnsafeBuffer message =
                    new org.agrona.concurrent.UnsafeBuffer(new byte[Wire.CHUNK_HEADER_LENGTH + 64]);
                for (int i = 0; i < 16; i++)
                {
                    message.putFloat(Wire.CHUNK_HEADER_LENGTH + 4 * i, 1e30f);
                }
                final Wire[] strays = { new Wire(jobId + 1, 0, 0), new Wire(jobId, 7, 0), new Wire(jobId, 0, 0) };
                final long[] sequences = { 1, 1, 0 };
                for (int k = 0; k < strays.length; k++)
                {
                    strays[k].startCall(sequences[k], io.ringsync.codecs.Collective.ALL_REDUCE, DataType.FLOAT32, false,
                        io.ringsync.codecs.Reduction.SUM, count, -1);
                    strays[k].writeChunkHeader(message, 0, 0, 0, 0, 16, 0);
                    long result;
                    while ((result = transport.outbound(1).offer(message, 0, message.capacity())) < 0)
                    {
                        assertTrue(result != io.ringsync.transport.OutboundLink.CLOSED, "link closed");
                        Thread.yield();
                    }
                }
            }
            final float[] v = new float[count];
            for (int i = 0; i < count; i++)
            {
                v[i] = (comm.rank() + 1) * (float)((i % 1000) + 1);
            }
            comm.allReduce(v, ReduceOp.SUM);
            dropped[comm.rank()] = comm.droppedMessages();
            return v;
        });
        checkFloatSums(n, count, results.toArray(new float[0][]));
        assertEquals(3, dropped[1], "rank 1 must drop and count the three strays");
        assertEquals(0, dropped[0]);
        assertEquals(0, dropped[2]);
    }

    /**
     * A rank that does not make the call is named by every other rank, not only by its right neighbour: each
     * reads the ranks' published status when its deadline passes and finds the one that never entered the call.
     */
    @org.junit.jupiter.api.Test
    void aStalledRankIsNamedByEveryOtherRank() throws Exception
    {
        final int n = 4;
        final int stalled = 1;
        final long jobId = ThreadLocalRandom.current().nextLong();
        final String[] failures = new String[n];
        final int[] suspects = new int[n];
        runRanks(n, jobId, UnaryOperator.identity(), 1_500, (comm, transport) ->
        {
            comm.allReduce(new float[1000], ReduceOp.SUM);
            if (comm.rank() == stalled)
            {
                sleep(4_000);
            }
            try
            {
                comm.allReduce(new float[1000], ReduceOp.SUM);
                failures[comm.rank()] = "returned";
            }
            catch (final RingsyncException ex)
            {
                failures[comm.rank()] = ex.getClass().getSimpleName() + ": " + ex.getMessage();
                suspects[comm.rank()] = ex.suspectRank();
            }
            return null;
        });
        for (int r = 0; r < n; r++)
        {
            if (r != stalled)
            {
                assertEquals(stalled, suspects[r], "rank " + r + ": " + failures[r]);
                assertTrue(failures[r].startsWith("CollectiveTimeoutException") &&
                    failures[r].contains("rank " + stalled + " has not entered allReduce #2"), failures[r]);
            }
        }
    }

    /**
     * Every rank publishes its status in an owner-only file of the job directory, and removes it on close.
     */
    @org.junit.jupiter.api.Test
    void statusFilesAreOwnerOnlyAndRemovedOnClose() throws Exception
    {
        final int n = 2;
        final long jobId = ThreadLocalRandom.current().nextLong();
        runRanks(n, jobId, UnaryOperator.identity(), (comm, transport) ->
        {
            final java.nio.file.Path status = dir.toPath().resolve(
                io.ringsync.collectives.status.StatusDescriptor.fileName(comm.rank()));
            try
            {
                assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(status)));
                assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(dir.toPath())));
            }
            catch (final java.io.IOException ex)
            {
                throw new java.io.UncheckedIOException(ex);
            }
            return null;
        });
    }

    private static void sleep(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private float[][] run(
        final int n, final int count, final UnaryOperator<ShmTransport.Context> settings, final int calls)
        throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final List<float[]> results = runRanks(n, jobId, settings, (comm, transport) ->
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
        T run(Communicator comm, ShmTransport transport) throws Exception;
    }

    private <T> List<T> runRanks(
        final int n, final long jobId, final UnaryOperator<ShmTransport.Context> settings, final RankBody<T> body)
        throws Exception
    {
        return runRanks(n, jobId, settings, TIMEOUT_MS, body);
    }

    private <T> List<T> runRanks(
        final int n,
        final long jobId,
        final UnaryOperator<ShmTransport.Context> settings,
        final long timeoutMs,
        final RankBody<T> body)
        throws Exception
    {
        final List<T> results = RankThreads.values(RankThreads.run(n, TIMEOUT_MS * 3, (rank) ->
            Communicator.connect(ShmTransport.connect(settings.apply(new ShmTransport.Context()
                .directory(dir)
                .jobId(jobId)
                .rank(rank)
                .worldSize(n)
                .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS)))), new Context()
                .jobId(jobId)
                .statusDirectory(dir)
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(timeoutMs))),
            (comm) ->
            {
                assertEquals("shm", comm.transportName());
                return body.run(comm, (ShmTransport)comm.transport());
            }));
        final java.util.List<String> left = LeftFiles.unexpected(dir);
        assertTrue(left.isEmpty(), "files left behind: " + String.join(", ", left));
        return results;
    }
}
