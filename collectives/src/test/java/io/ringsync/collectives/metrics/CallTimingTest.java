package io.ringsync.collectives.metrics;

import io.ringsync.collectives.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which calls read the clock at the peers' first chunks: every call of 64 KiB or more and one small call in 8; the
 * peer that came last is named in every call all the same, and the skew counters sum only what was timed.
 */
@Timeout(30)
class CallTimingTest
{
    private static final int ALL_REDUCE = RankMetrics.collectiveIndex("allReduce");

    @Test
    void everyCallNamesTheLastPeerAndOnlyTimedCallsSayHowLongItTook()
    {
        final int worldSize = 3;
        final LinkTally tally = new LinkTally(worldSize);
        final RankMetrics metrics = RankMetrics.open(null, tally, 0, worldSize, 7);
        try
        {
            final long[] sizes = { 4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 1 << 20, 64 * 1024 - 1 };
            for (int i = 0; i < sizes.length; i++)
            {
                final long sequence = i + 1;
                final long startNs = System.nanoTime();
                metrics.begin(ALL_REDUCE, Path.SMALL, sequence, sizes[i], startNs);
                // peer 2's first chunk, then peer 1's, then more of peer 2's: peer 1 came last
                tally.received(2, 100);
                tally.received(1, 100);
                tally.received(2, 100);
                metrics.end(false, System.nanoTime());
            }
            final CommunicatorStats stats = metrics.snapshot();
            final List<CallRecord> history = stats.history();
            assertEquals(sizes.length, history.size());
            for (final CallRecord record : history)
            {
                assertEquals(1, record.waitedOn(), "call " + record.sequence());
                final boolean timed = record.bytes() >= RankMetrics.TIMED_MIN_BYTES ||
                    0 == (record.sequence() & RankMetrics.UNTIMED_MASK);
                if (timed)
                {
                    assertTrue(record.waitedNs() >= 0, "call " + record.sequence() + " is timed");
                }
                else
                {
                    assertEquals(RankMetrics.NOT_TIMED, record.waitedNs(), "call " + record.sequence());
                }
            }
            assertEquals(sizes.length, stats.lastIntoCall()[1], "peer 1 was last into every call");
            assertEquals(0, stats.lastIntoCall()[2]);
            assertEquals(0, stats.skewNs()[2]);
            assertEquals(3L * sizes.length, stats.chunksReceived()[2] + stats.chunksReceived()[1]);
        }
        finally
        {
            metrics.close();
        }
    }

    @Test
    void aCallWithNoChunkFromAnyPeerNamesNone()
    {
        final LinkTally tally = new LinkTally(2);
        final RankMetrics metrics = RankMetrics.open(null, tally, 0, 2, 7);
        try
        {
            metrics.begin(ALL_REDUCE, Path.RING, 1, 1 << 20, System.nanoTime());
            tally.received(1, 100);
            metrics.end(false, System.nanoTime());
            metrics.begin(ALL_REDUCE, Path.RING, 2, 1 << 20, System.nanoTime());
            metrics.end(false, System.nanoTime());
            final List<CallRecord> history = metrics.snapshot().history();
            assertEquals(1, history.get(0).waitedOn());
            assertEquals(-1, history.get(1).waitedOn(), "a chunk of the call before is not one of this call");
        }
        finally
        {
            metrics.close();
        }
    }
}
