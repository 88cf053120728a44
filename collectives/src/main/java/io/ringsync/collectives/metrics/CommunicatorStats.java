package io.ringsync.collectives.metrics;

import io.ringsync.collectives.Path;
import org.agrona.concurrent.status.CountersReader;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A snapshot of one rank's counters and flight recorder, read from its counters file (or memory) with a
 * {@code CountersReader}: what {@code Communicator.stats()} returns for a service to export to its own metrics
 * system, and what {@code ringsync stat} shows. Immutable; arrays are indexed by peer rank (a single entry, for
 * all peers, in communicators of more than {@link MetricsLayout#MAX_WORLD_PER_PEER} ranks).
 */
public final class CommunicatorStats
{
    private final int rank;
    private final int worldSize;
    private final long pid;
    private final long jobId;
    private final Map<String, Long> callsByPath;
    private final long calls;
    private final long failedCalls;
    private final long vectorBytes;
    private final long lastCallNs;
    private final long totalCallNs;
    private final long p50Ns;
    private final long p99Ns;
    private final long maxNs;
    private final long[] bytesSent;
    private final long[] bytesReceived;
    private final long[] chunksSent;
    private final long[] chunksReceived;
    private final long[] backPressure;
    private final long[] lastIntoCall;
    private final long[] skewNs;
    private final Map<String, Long> dropped;
    private final List<CallRecord> history;

    private CommunicatorStats(final MetricsFile file)
    {
        this.rank = file.rank();
        this.worldSize = file.worldSize();
        this.pid = file.pid();
        this.jobId = file.jobId();
        final int slots = worldSize <= MetricsLayout.MAX_WORLD_PER_PEER ? worldSize : 1;
        final long[][] peers = new long[7][slots];
        final long[] scalars = new long[7];
        final Map<String, Long> byPath = new TreeMap<>();
        final Map<String, Long> drops = new TreeMap<>();
        final CountersReader reader = file.countersReader();
        final Path[] paths = Path.values();
        reader.forEach((counterId, typeId, keyBuffer, label) ->
        {
            final long value = reader.getCounterValue(counterId);
            switch (typeId)
            {
                case MetricsLayout.CALLS_TYPE:
                    final int path = keyBuffer.getInt(4);
                    byPath.merge(MetricsLayout.collectiveName(keyBuffer.getInt(0)) + "/" +
                        (path >= 0 && path < paths.length ? paths[path].label() : "?"), value, Long::sum);
                    break;
                case MetricsLayout.DROPPED_TYPE:
                    final int cause = keyBuffer.getInt(0);
                    drops.put(cause >= 0 && cause < LinkTally.DROP_CAUSES.length ? LinkTally.DROP_CAUSES[cause] :
                        "cause " + cause, value);
                    break;
                case MetricsLayout.FAILED_CALLS_TYPE:
                    scalars[0] = value;
                    break;
                case MetricsLayout.VECTOR_BYTES_TYPE:
                    scalars[1] = value;
                    break;
                case MetricsLayout.LAST_CALL_NS_TYPE:
                    scalars[2] = value;
                    break;
                case MetricsLayout.TOTAL_CALL_NS_TYPE:
                    scalars[3] = value;
                    break;
                case MetricsLayout.MAX_NS_TYPE:
                    scalars[6] = value;
                    break;
                default:
                    final int row = peerRow(typeId);
                    final int peer = keyBuffer.getInt(0);
                    if (row >= 0)
                    {
                        peers[row][peer < 0 ? 0 : Math.min(peer, slots - 1)] = value;
                    }
                    break;
            }
        });
        long total = 0;
        for (final long count : byPath.values())
        {
            total += count;
        }
        this.calls = total;
        this.callsByPath = Collections.unmodifiableMap(byPath);
        this.dropped = Collections.unmodifiableMap(drops);
        this.failedCalls = scalars[0];
        this.vectorBytes = scalars[1];
        this.lastCallNs = scalars[2];
        this.totalCallNs = scalars[3];
        final long[] histogram = LatencyHistogram.read(file.histogramBuffer());
        // a bucket's upper bound may lie above the longest call itself
        this.p50Ns = Math.min(LatencyHistogram.percentile(histogram, 50), scalars[6]);
        this.p99Ns = Math.min(LatencyHistogram.percentile(histogram, 99), scalars[6]);
        this.maxNs = scalars[6];
        this.bytesSent = peers[0];
        this.bytesReceived = peers[1];
        this.chunksSent = peers[2];
        this.chunksReceived = peers[3];
        this.backPressure = peers[4];
        this.lastIntoCall = peers[5];
        this.skewNs = peers[6];
        this.history = List.copyOf(file.history());
    }

    private static int peerRow(final int typeId)
    {
        switch (typeId)
        {
            case MetricsLayout.BYTES_SENT_TYPE:
                return 0;
            case MetricsLayout.BYTES_RECEIVED_TYPE:
                return 1;
            case MetricsLayout.CHUNKS_SENT_TYPE:
                return 2;
            case MetricsLayout.CHUNKS_RECEIVED_TYPE:
                return 3;
            case MetricsLayout.BACK_PRESSURE_TYPE:
                return 4;
            case MetricsLayout.LAST_INTO_CALL_TYPE:
                return 5;
            case MetricsLayout.SKEW_NS_TYPE:
                return 6;
            default:
                return -1;
        }
    }

    static CommunicatorStats read(final MetricsFile file)
    {
        return new CommunicatorStats(file);
    }

    /** @return the rank these are of. */
    public int rank()
    {
        return rank;
    }

    /** @return ranks in the communicator. */
    public int worldSize()
    {
        return worldSize;
    }

    /** @return the rank's process id. */
    public long pid()
    {
        return pid;
    }

    /** @return the job id. */
    public long jobId()
    {
        return jobId;
    }

    /** @return calls ended (completed or failed), all collectives. */
    public long calls()
    {
        return calls;
    }

    /** @return calls ended by {@code collective/path} ({@code allReduce/ring}, ...), in name order. */
    public Map<String, Long> callsByPath()
    {
        return callsByPath;
    }

    /** @return calls that failed. */
    public long failedCalls()
    {
        return failedCalls;
    }

    /** @return bytes of the vectors of all calls ended. */
    public long vectorBytes()
    {
        return vectorBytes;
    }

    /** @return duration of the last call, ns. */
    public long lastCallNs()
    {
        return lastCallNs;
    }

    /** @return sum of the durations of all calls, ns. */
    public long totalCallNs()
    {
        return totalCallNs;
    }

    /** @return median call duration, ns: the upper bound of its histogram bucket (within 1.6 %), 0 before any call. */
    public long p50Ns()
    {
        return p50Ns;
    }

    /** @return 99th percentile of call durations, ns. */
    public long p99Ns()
    {
        return p99Ns;
    }

    /** @return longest call, ns. */
    public long maxNs()
    {
        return maxNs;
    }

    /** @return bytes sent in chunks, by peer (chunk headers included). */
    public long[] bytesSent()
    {
        return bytesSent.clone();
    }

    /** @return bytes received in chunks, by peer. */
    public long[] bytesReceived()
    {
        return bytesReceived.clone();
    }

    /** @return chunks sent, by peer. */
    public long[] chunksSent()
    {
        return chunksSent.clone();
    }

    /** @return chunks received, by peer. */
    public long[] chunksReceived()
    {
        return chunksReceived.clone();
    }

    /** @return claims refused because the link to a peer was full, by peer. */
    public long[] backPressure()
    {
        return backPressure.clone();
    }

    /** @return calls in which a peer's first chunk came last, by peer. */
    public long[] lastIntoCall()
    {
        return lastIntoCall.clone();
    }

    /**
     * @return time this rank waited for a peer's first chunk in the calls where it came last, summed over the timed
     * calls (every call of 64 KiB or more, one in 8 smaller ones, all while a JFR recording takes
     * {@code io.ringsync.Collective}), ns.
     */
    public long[] skewNs()
    {
        return skewNs.clone();
    }

    /** @return messages dropped, by cause. */
    public Map<String, Long> dropped()
    {
        return dropped;
    }

    /** @return messages dropped, all causes. */
    public long droppedTotal()
    {
        long total = 0;
        for (final long count : dropped.values())
        {
            total += count;
        }
        return total;
    }

    /** @return the flight recorder's calls, oldest first. */
    public List<CallRecord> history()
    {
        return history;
    }

    /**
     * @param values per peer.
     * @return their sum.
     */
    public static long sum(final long[] values)
    {
        long total = 0;
        for (final long value : values)
        {
            total += value;
        }
        return total;
    }
}
