package io.ringsync.collectives.metrics;

import java.util.Arrays;

/**
 * What crossed this rank's links, counted where it happens: chunks and bytes sent to and received from each peer,
 * claims a full link refused, messages dropped by cause, and when each peer's first chunk of the current call
 * arrived. Plain fields, written and read on the thread that runs the calls only; {@link RankMetrics} publishes
 * them at the end of each call.
 */
public final class LinkTally
{
    /**
     * Why a message was dropped: the index of {@link #dropped(int)} and of the dropped counters' key.
     */
    public static final String[] DROP_CAUSES = { "foreign", "stale", "malformed", "unknown-type", "late-hello" };

    /** Of another job or epoch (communicator). */
    public static final int DROP_FOREIGN = 0;
    /** Of a call this rank has already finished. */
    public static final int DROP_STALE = 1;
    /** Too short or with a wrong block length. */
    public static final int DROP_MALFORMED = 2;
    /** Of a message type this version does not know. */
    public static final int DROP_UNKNOWN_TYPE = 3;
    /** A hello after the handshake. */
    public static final int DROP_LATE_HELLO = 4;

    private final long[] bytesSent;
    private final long[] chunksSent;
    private final long[] backPressure;
    private final long[] bytesReceived;
    private final long[] chunksReceived;
    private final long[] firstArrivalNs;
    private final long[] dropped = new long[DROP_CAUSES.length];

    /**
     * @param worldSize ranks in the communicator.
     */
    public LinkTally(final int worldSize)
    {
        bytesSent = new long[worldSize];
        chunksSent = new long[worldSize];
        backPressure = new long[worldSize];
        bytesReceived = new long[worldSize];
        chunksReceived = new long[worldSize];
        firstArrivalNs = new long[worldSize];
    }

    /**
     * A chunk of {@code bytes} (header included) was committed to the link to {@code peer}.
     */
    public void sent(final int peer, final int bytes)
    {
        bytesSent[peer] += bytes;
        chunksSent[peer]++;
    }

    /**
     * The link to {@code peer} had no room for a chunk.
     */
    public void backPressured(final int peer)
    {
        backPressure[peer]++;
    }

    /**
     * A chunk of the current call from {@code peer}, {@code bytes} long, was taken by the call.
     */
    public void received(final int peer, final int bytes)
    {
        if (peer < 0 || peer >= bytesReceived.length)
        {
            return;
        }
        bytesReceived[peer] += bytes;
        chunksReceived[peer]++;
        if (0 == firstArrivalNs[peer])
        {
            firstArrivalNs[peer] = System.nanoTime();
        }
    }

    /**
     * A message was dropped.
     *
     * @param cause one of the {@code DROP_} indices.
     */
    public void dropped(final int cause)
    {
        dropped[cause]++;
    }

    /**
     * @return messages dropped for any cause.
     */
    public long droppedTotal()
    {
        long total = 0;
        for (final long count : dropped)
        {
            total += count;
        }
        return total;
    }

    void beginCall()
    {
        Arrays.fill(firstArrivalNs, 0);
    }

    int worldSize()
    {
        return bytesSent.length;
    }

    long bytesSent(final int peer)
    {
        return bytesSent[peer];
    }

    long chunksSent(final int peer)
    {
        return chunksSent[peer];
    }

    long backPressure(final int peer)
    {
        return backPressure[peer];
    }

    long bytesReceived(final int peer)
    {
        return bytesReceived[peer];
    }

    long chunksReceived(final int peer)
    {
        return chunksReceived[peer];
    }

    long droppedFor(final int cause)
    {
        return dropped[cause];
    }

    /**
     * @param peer a rank.
     * @return System.nanoTime of its first chunk taken in the current call, 0 if none yet.
     */
    long firstArrivalNs(final int peer)
    {
        return firstArrivalNs[peer];
    }
}
