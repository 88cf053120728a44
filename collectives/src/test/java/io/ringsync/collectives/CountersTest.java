package io.ringsync.collectives;

import io.ringsync.collectives.metrics.CallRecord;
import io.ringsync.collectives.metrics.CommunicatorStats;
import io.ringsync.collectives.metrics.MetricsFile;
import io.ringsync.collectives.metrics.MetricsLayout;
import io.ringsync.transport.shm.ShmTransport;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters of two ranks over shm, read while the job runs through a CountersReader of its own over each
 * rank's file (as another process would), against the calls and bytes the test made; then the flight recorder,
 * {@code Communicator.stats()}, and what is left on disk after a clean close.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CountersTest
{
    private static final long TIMEOUT_MS = 20_000;
    private static final int SMALL_COUNT = 1024;      // 4 KiB: the small-vector path
    private static final int RING_COUNT = 100_000;    // 400 KB: the ring
    private static final int SMALL_CALLS = 7;
    private static final int RING_CALLS = 3;

    private File dir;

    @BeforeEach
    void setUp()
    {
        dir = TestJobDirectory.fresh("counters-test");
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    @Test
    void countersMatchTheCallsAndBytesWhileTheJobRunsAndStatsAgree() throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong();
        final int n = 2;
        final List<CommunicatorStats> results = RankThreads.values(RankThreads.run(n, TIMEOUT_MS * 3, (rank) ->
            Communicator.connect(ShmTransport.connect(new ShmTransport.Context()
                .directory(dir).jobId(jobId).rank(rank).worldSize(n)
                .connectTimeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))), new Context()
                .jobId(jobId).statusDirectory(dir).timeoutNs(TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS))),
            (comm) ->
            {
                final float[] small = new float[SMALL_COUNT];
                final float[] ring = new float[RING_COUNT];
                for (int i = 0; i < SMALL_CALLS; i++)
                {
                    comm.allReduce(small, ReduceOp.SUM);
                }
                for (int i = 0; i < RING_CALLS; i++)
                {
                    comm.allReduce(ring, ReduceOp.SUM);
                }
                comm.barrier();
                // this rank is past its calls and inside none; the peer has at least entered the barrier's end (it
                // sent its part) and is at most in the next barrier: read every rank's file from outside
                for (int peer = 0; peer < n; peer++)
                {
                    checkFileWhileRunning(new File(dir, MetricsLayout.fileName(peer)), peer, jobId);
                }
                comm.barrier();
                final CommunicatorStats stats = comm.stats();
                assertEquals(SMALL_CALLS + RING_CALLS + 2, stats.calls(), "calls so far, barriers included");
                return stats;
            }));
        for (int rank = 0; rank < n; rank++)
        {
            final CommunicatorStats stats = results.get(rank);
            final int peer = 1 - rank;
            assertEquals(peer == 1 ? results.get(1).bytesReceived()[0] : results.get(0).bytesReceived()[1],
                stats.bytesSent()[peer], "what rank " + rank + " sent is what its peer received");
            assertEquals(0, stats.droppedTotal());
            assertEquals(0, stats.failedCalls());
        }
        assertFalse(new File(dir, MetricsLayout.fileName(0)).exists(), "a clean close removes the counters file");
        assertFalse(new File(dir, MetricsLayout.fileName(1)).exists());
    }

    private static void checkFileWhileRunning(final File file, final int rank, final long jobId)
    {
        final MetricsFile metrics = MetricsFile.open(file);
        try
        {
            // a barrier returns on a rank once it has heard the peer, which may still be finishing its own barrier:
            // wait (bounded) until the peer's file shows it ended
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (metrics.snapshot().calls() < SMALL_CALLS + RING_CALLS + 1 && System.nanoTime() < deadlineNs)
            {
                Thread.onSpinWait();
            }
            assertEquals(rank, metrics.rank());
            assertEquals(2, metrics.worldSize());
            assertEquals(jobId, metrics.jobId());
            assertEquals(ProcessHandle.current().pid(), metrics.pid());
            // the raw Agrona reader: the counters by label, as AeronStat shows them
            final CountersReader reader = metrics.countersReader();
            final long[] smallCalls = { -1 };
            final long[] ringCalls = { -1 };
            reader.forEach((id, typeId, key, label) ->
            {
                if (label.equals("rank " + rank + ": calls allReduce small"))
                {
                    smallCalls[0] = reader.getCounterValue(id);
                }
                else if (label.equals("rank " + rank + ": calls allReduce ring"))
                {
                    ringCalls[0] = reader.getCounterValue(id);
                }
            });
            assertEquals(SMALL_CALLS, smallCalls[0]);
            assertEquals(RING_CALLS, ringCalls[0]);

            final CommunicatorStats stats = metrics.snapshot();
            assertEquals(SMALL_CALLS + RING_CALLS + 1, stats.calls(), "allReduces and the first barrier");
            assertEquals(Long.valueOf(1), stats.callsByPath().get("barrier/barrier"));
            assertEquals(4L * (SMALL_CALLS * SMALL_COUNT + RING_CALLS * RING_COUNT), stats.vectorBytes());
            final int peer = 1 - rank;
            // np 2: the small path sends the whole vector to the peer, the ring half in each of its two phases;
            // a frame is as long as the call's longest piece, so a shorter piece carries at most one element of slack
            final long payload = 4L * (SMALL_CALLS * SMALL_COUNT + RING_CALLS * RING_COUNT);
            final long chunks = stats.chunksSent()[peer];
            final long sentPayload = stats.bytesSent()[peer] - (long)Wire.CHUNK_HEADER_LENGTH * chunks;
            assertTrue(sentPayload >= payload && sentPayload <= payload + 4 * chunks,
                "payload bytes sent " + sentPayload + " for " + payload + " in " + chunks + " chunks");
            assertTrue(chunks >= SMALL_CALLS + 2L * RING_CALLS + 2, "chunks " + chunks);
            assertEquals(chunks, stats.chunksReceived()[peer], "np 2 is symmetric");
            assertEquals(0, stats.bytesSent()[rank]);
            assertTrue(stats.p50Ns() > 0 && stats.p50Ns() <= stats.p99Ns() && stats.p99Ns() <= stats.maxNs(),
                "percentiles " + stats.p50Ns() + " " + stats.p99Ns() + " " + stats.maxNs());
            assertTrue(stats.lastCallNs() > 0 && stats.totalCallNs() >= stats.lastCallNs());
            assertEquals(stats.calls(), stats.lastIntoCall()[peer], "np 2: the one peer is the last into every call");
            assertEquals(0, stats.lastIntoCall()[rank]);

            // the peer may have started the second barrier already: its record is there, running or done
            final List<CallRecord> history = stats.history().stream()
                .filter(call -> call.sequence() <= SMALL_CALLS + RING_CALLS + 1).collect(Collectors.toList());
            assertEquals(SMALL_CALLS + RING_CALLS + 1, history.size());
            assertTrue(stats.history().size() <= history.size() + 1);
            for (int i = 0; i < history.size(); i++)
            {
                final CallRecord record = history.get(i);
                assertEquals(i + 1, record.sequence());
                assertEquals(rank, record.rank());
                assertEquals("ok", record.outcome());
                assertTrue(record.durationNs() > 0);
                if (i < SMALL_CALLS + RING_CALLS)
                {
                    assertEquals("allReduce", record.collective());
                    assertEquals(i < SMALL_CALLS ? "small" : "ring", record.path());
                    assertEquals(4L * (i < SMALL_CALLS ? SMALL_COUNT : RING_COUNT), record.bytes());
                    assertEquals(peer, record.waitedOn());
                }
                else
                {
                    assertEquals("barrier", record.collective());
                }
            }
            final long[] starts = history.stream().mapToLong(CallRecord::startNanos).toArray();
            final long[] sorted = starts.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(sorted, starts, "calls in start order");
        }
        finally
        {
            metrics.close();
        }
    }
}
