package io.ringsync.collectives.metrics;

import io.ringsync.collectives.Path;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * A rank's last {@link MetricsLayout#HISTORY_CAPACITY} calls, in a ring in its counters file: a record is written
 * when a call starts (duration -1) and completed when it ends, so a rank that hangs or dies shows the call it was
 * in. Each record is guarded by its sequence field (0 while written), so a reader in another process never takes
 * a half-written one. Written on the thread that runs the calls; no allocation.
 */
final class FlightRecorder
{
    private static final Path[] PATHS = Path.values();

    private final UnsafeBuffer ring;
    private final UnsafeBuffer header;
    private final int capacity;
    private long recorded;
    private int slot;
    private int next;

    FlightRecorder(final UnsafeBuffer ring, final UnsafeBuffer header)
    {
        this.ring = ring;
        this.header = header;
        this.capacity = ring.capacity() / MetricsLayout.HISTORY_RECORD_LENGTH;
    }

    void begin(
        final long sequence, final int collective, final int path, final long bytes, final long startEpochUs,
        final long startNanos)
    {
        slot = next * MetricsLayout.HISTORY_RECORD_LENGTH;
        next = next + 1 == capacity ? 0 : next + 1;
        recorded++;
        final int at = slot;
        ring.putLongRelease(at + MetricsLayout.REC_SEQUENCE, 0);
        ring.putLong(at + MetricsLayout.REC_START_EPOCH_US, startEpochUs);
        ring.putLong(at + MetricsLayout.REC_START_NANO, startNanos);
        ring.putLong(at + MetricsLayout.REC_DURATION_NS, -1);
        ring.putLong(at + MetricsLayout.REC_BYTES, bytes);
        ring.putLong(at + MetricsLayout.REC_WAITED_NS, 0);
        ring.putInt(at + MetricsLayout.REC_COLLECTIVE, collective);
        ring.putInt(at + MetricsLayout.REC_PATH, path);
        ring.putInt(at + MetricsLayout.REC_WAITED_ON, -1);
        ring.putInt(at + MetricsLayout.REC_OUTCOME, MetricsLayout.OUTCOME_RUNNING);
        ring.putLongRelease(at + MetricsLayout.REC_SEQUENCE, sequence);
        header.putLongRelease(MetricsLayout.CALLS_RECORDED_OFFSET, recorded);
    }

    void end(
        final long sequence, final long durationNs, final int waitedOn, final long waitedNs, final boolean failed)
    {
        final int at = slot;
        ring.putLongRelease(at + MetricsLayout.REC_SEQUENCE, 0);
        ring.putLong(at + MetricsLayout.REC_DURATION_NS, durationNs);
        ring.putLong(at + MetricsLayout.REC_WAITED_NS, waitedNs);
        ring.putInt(at + MetricsLayout.REC_WAITED_ON, waitedOn);
        ring.putInt(at + MetricsLayout.REC_OUTCOME, failed ? MetricsLayout.OUTCOME_FAILED : MetricsLayout.OUTCOME_OK);
        ring.putLongRelease(at + MetricsLayout.REC_SEQUENCE, sequence);
    }

    /**
     * Read the records of a ring, oldest first, skipping any being written.
     */
    static List<CallRecord> read(final int rank, final UnsafeBuffer ring, final UnsafeBuffer header)
    {
        final int capacity = ring.capacity() / MetricsLayout.HISTORY_RECORD_LENGTH;
        final long recorded = header.getLongVolatile(MetricsLayout.CALLS_RECORDED_OFFSET);
        final long first = Math.max(0, recorded - capacity);
        final List<CallRecord> records = new ArrayList<>((int)(recorded - first));
        for (long index = first; index < recorded; index++)
        {
            final int at = (int)(index % capacity) * MetricsLayout.HISTORY_RECORD_LENGTH;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                final long sequence = ring.getLongVolatile(at + MetricsLayout.REC_SEQUENCE);
                if (0 == sequence)
                {
                    continue;
                }
                final int path = ring.getInt(at + MetricsLayout.REC_PATH);
                final int outcome = ring.getInt(at + MetricsLayout.REC_OUTCOME);
                final CallRecord record = new CallRecord(rank, sequence,
                    MetricsLayout.collectiveName(ring.getInt(at + MetricsLayout.REC_COLLECTIVE)),
                    path >= 0 && path < PATHS.length ? PATHS[path].label() : "?",
                    ring.getLong(at + MetricsLayout.REC_BYTES),
                    ring.getLong(at + MetricsLayout.REC_START_EPOCH_US),
                    ring.getLong(at + MetricsLayout.REC_START_NANO),
                    ring.getLong(at + MetricsLayout.REC_DURATION_NS),
                    ring.getInt(at + MetricsLayout.REC_WAITED_ON),
                    ring.getLong(at + MetricsLayout.REC_WAITED_NS),
                    outcome == MetricsLayout.OUTCOME_OK ? "ok" :
                        outcome == MetricsLayout.OUTCOME_FAILED ? "failed" : "running");
                java.lang.invoke.VarHandle.acquireFence();
                if (ring.getLongVolatile(at + MetricsLayout.REC_SEQUENCE) == sequence)
                {
                    records.add(record);
                    break;
                }
            }
        }
        return records;
    }
}
