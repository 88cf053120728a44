package io.ringsync.collectives.metrics;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The counters file's histogram: every value falls in a bucket whose upper bound is at most 1.6 % above it, the
 * buckets are in value order and cover every long, and percentiles match sorting the values.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LatencyHistogramTest
{
    @Test
    void bucketsAreOrderedTightAndCoverEveryValue()
    {
        final Random random = new Random(7);
        for (int i = 0; i < 1_000_000; i++)
        {
            final long value = i < 10_000 ? i : random.nextLong() >>> (1 + random.nextInt(63));
            final int index = LatencyHistogram.index(value);
            assertTrue(index >= 0 && index < LatencyHistogram.BUCKETS, "index " + index + " of " + value);
            final long high = LatencyHistogram.highestValue(index);
            assertTrue(high >= value && high - value <= Math.max(0, value / 63), value + " -> " + high);
            assertTrue(index == 0 || LatencyHistogram.highestValue(index - 1) < value, "bucket below holds " + value);
        }
        assertEquals(LatencyHistogram.BUCKETS - 1, LatencyHistogram.index(Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, LatencyHistogram.highestValue(LatencyHistogram.BUCKETS - 1));
    }

    @Test
    void percentilesMatchTheSortedValuesWithinABucket()
    {
        final LatencyHistogram histogram = new LatencyHistogram(new UnsafeBuffer(
            ByteBuffer.allocateDirect(LatencyHistogram.LENGTH)));
        final UnsafeBuffer counts = new UnsafeBuffer(ByteBuffer.allocateDirect(LatencyHistogram.LENGTH));
        final LatencyHistogram same = new LatencyHistogram(counts);
        final long[] values = new long[10_000];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = 1_000 + i * 37L;   // 1 us .. 371 us
            same.record(values[i]);
            histogram.record(values[i]);
        }
        final long[] read = LatencyHistogram.read(counts);
        assertEquals(values.length, java.util.Arrays.stream(read).sum());
        for (final double p : new double[]{ 1, 50, 90, 99, 100 })
        {
            final long exact = values[(int)Math.ceil(values.length * p / 100) - 1];
            final long got = LatencyHistogram.percentile(read, p);
            assertTrue(got >= exact && got <= exact + exact / 63, "p" + p + ": " + got + " for " + exact);
        }
        assertEquals(0, LatencyHistogram.percentile(new long[LatencyHistogram.BUCKETS], 50));
    }
}
