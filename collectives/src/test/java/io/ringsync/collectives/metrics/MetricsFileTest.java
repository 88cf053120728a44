package io.ringsync.collectives.metrics;

import io.ringsync.collectives.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every world size gets a counters layout the CountersManager accepts and room for all its counters: each
 * collective on each path, and the per-peer ones (or their totals above {@link MetricsLayout#MAX_WORLD_PER_PEER}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsFileTest
{
    @Test
    void everyWorldSizeHoldsEveryCounter()
    {
        for (int worldSize = 1; worldSize <= 300; worldSize++)
        {
            final LinkTally tally = new LinkTally(worldSize);
            final RankMetrics metrics = RankMetrics.open(null, tally, 0, worldSize, 1);
            for (final String collective : MetricsLayout.COLLECTIVES)
            {
                for (final Path path : Path.values())
                {
                    metrics.begin(RankMetrics.collectiveIndex(collective), path, 1, 8, System.nanoTime());
                    metrics.end(false, System.nanoTime());
                }
            }
            final CommunicatorStats stats = metrics.snapshot();
            assertEquals((long)MetricsLayout.COLLECTIVES.length * Path.values().length, stats.calls(),
                "world " + worldSize);
            assertEquals(worldSize <= MetricsLayout.MAX_WORLD_PER_PEER ? worldSize : 1, stats.bytesSent().length);
            metrics.close();
        }
    }
}
