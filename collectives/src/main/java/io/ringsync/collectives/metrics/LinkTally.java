package io.ringsync.collectives.metrics;

import java.util.Arrays;

/**
 * What crossed this rank's links, counted where it happens: chunks and bytes sent to and received from each peer,
 * claims a full link refused, messages dropped by cause, and which peer's first chunk of the current call came
 * last (and, in timed calls, when). Plain fields, written and read on the thread that runs the calls only;
 * {@link RankMetrics} publishes them at the end of each call.
 * <p>
 * A clock read costs tens of nanoseconds (a vDSO call; more under a hypervisor's clock), about a tenth of a small
 * call in a fast host state, so the first arrival of each peer is timed only in the calls {@link RankMetrics}
 * marks as timed: every call of a large vector and one in several small ones. Which peer came last is known in
 * every call, from the order of arrivals, with no clock.
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
    private final int[] heardInCall;
    private final long[] dropped = new long[DROP_CAUSES.length];
    private int callStamp;
    private boolean timed;
    private int lastNewPeer = -1;
    private long lastNewPeerNs;
    private long dropCount;

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
        heardInCall = new int[worldSize];
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
        if (heardInCall[peer] != callStamp)
        {
            heardInCall[peer] = callStamp;
            lastNewPeer = peer;
            if (timed)
            {
                lastNewPeerNs = System.nanoTime();
            }
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
        dropCount++;
    }

    /**
     * @return messages dropped for any cause.
     */
    public long droppedTotal()
    {
        return dropCount;
    }

    /**
     * A call starts: no peer heard in it yet.
     *
     * @param timed whether to read the clock at each peer's first chunk.
     */
    void beginCall(final boolean timed)
    {
        this.timed = timed;
        lastNewPeer = -1;
        lastNewPeerNs = 0;
        if (0 == ++callStamp)
        {
            // wrapped after 2^32 calls: forget the stamps of old calls so none matches the new one by chance
            Arrays.fill(heardInCall, 0);
            callStamp = 1;
        }
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
     * @return the peer whose first chunk of the current call came after every other peer's first chunk, -1 when
     * none was heard.
     */
    int lastNewPeer()
    {
        return lastNewPeer;
    }

    /**
     * @return System.nanoTime of that chunk in a timed call, else 0.
     */
    long lastNewPeerNs()
    {
        return lastNewPeerNs;
    }
}
