package io.ringsync.collectives.metrics;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Call durations in a log-linear histogram kept in the counters file, so any reader computes percentiles from
 * the same counts: values below 128 ns have a bucket each, above that each power of two is split into 64 buckets
 * (less than 1.6 % between a value and its bucket's upper bound, as an HdrHistogram of two significant digits).
 * One writer (the thread that runs the calls) increments a bucket with a release store; nothing allocates. The
 * library keeps no dependency for this: HdrHistogram stays with the bench and the demos.
 */
final class LatencyHistogram
{
    static final int LINEAR = 128;
    static final int SUB_BUCKETS = 64;
    static final int BUCKETS = LINEAR + 56 * SUB_BUCKETS;
    static final int LENGTH = BUCKETS * Long.BYTES;

    private final AtomicBuffer counts;

    LatencyHistogram(final AtomicBuffer counts)
    {
        this.counts = counts;
    }

    /**
     * Count one duration.
     *
     * @param valueNs the duration, ns; negative counts as 0.
     */
    void record(final long valueNs)
    {
        final int offset = index(Math.max(0, valueNs)) * Long.BYTES;
        counts.putLongRelease(offset, counts.getLong(offset) + 1);
    }

    static int index(final long value)
    {
        if (value < LINEAR)
        {
            return (int)value;
        }
        final int shift = 57 - Long.numberOfLeadingZeros(value); // top 7 bits kept: sub in [64, 128)
        final int sub = (int)(value >>> shift);
        return LINEAR + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS);
    }

    /**
     * @return the largest value that falls into bucket {@code index}.
     */
    static long highestValue(final int index)
    {
        if (index < LINEAR)
        {
            return index;
        }
        final int shift = (index - LINEAR) / SUB_BUCKETS + 1;
        final long sub = (index - LINEAR) % SUB_BUCKETS + SUB_BUCKETS;
        return ((sub + 1) << shift) - 1;
    }

    /**
     * Read the counts of a histogram (another process may be writing it).
     *
     * @param counts the histogram's region.
     * @return the counts by bucket.
     */
    static long[] read(final AtomicBuffer counts)
    {
        final long[] values = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++)
        {
            values[i] = counts.getLongVolatile(i * Long.BYTES);
        }
        return values;
    }

    /**
     * @param counts     by bucket, from {@link #read(AtomicBuffer)}.
     * @param percentile 0..100.
     * @return the upper bound of the bucket that holds that percentile, 0 when empty.
     */
    static long percentile(final long[] counts, final double percentile)
    {
        long total = 0;
        for (final long count : counts)
        {
            total += count;
        }
        if (0 == total)
        {
            return 0;
        }
        final long rank = Math.max(1, (long)Math.ceil(total * Math.min(100, Math.max(0, percentile)) / 100.0));
        long seen = 0;
        for (int i = 0; i < counts.length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return highestValue(i);
            }
        }
        return highestValue(counts.length - 1);
    }
}
