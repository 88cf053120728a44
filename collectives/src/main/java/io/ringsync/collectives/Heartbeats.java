package io.ringsync.collectives;

import io.ringsync.codecs.HeartbeatDecoder;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Signs of life between ranks on different hosts, where no status file is shared: while a call waits, a rank sends
 * a {@code Heartbeat} (job, communicator, its rank, the call it waits in) to each peer on another host every
 * {@link #INTERVAL_NS}, and notes when each such peer's last heartbeat arrived. At the deadline the
 * {@link FailureDetector} asks for the remote peer silent longest: after a silent cut (no reset, no end of stream,
 * the packets just stop) every rank of the other hosts names a rank behind the cut, while its healthy peers, waiting
 * in the same call, keep beating. A peer that never beat counts as silent since the communicator connected (it has
 * not waited a tenth of a second in any call; at a deadline every rank still in the call has).
 * <p>
 * Peers on this host are left out: their status files say more ({@link io.ringsync.collectives.status}). A
 * heartbeat is offered once and dropped when its link is full: a full link carries data, and the next heartbeat
 * goes out a tenth of a second later. Nothing here runs on a call's fast path: sending happens in the liveness
 * check of a waiting call, receiving where the dispatcher reads the message. No allocation.
 */
final class Heartbeats
{
    /** How often a waiting rank beats. */
    static final long INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final Group group;
    private final Wire wire;
    private final boolean[] remote;
    private final boolean anyRemote;
    private final long[] heardNs;
    private final long[] heardSequence;
    private final long connectedNs = System.nanoTime();
    private final UnsafeBuffer buffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(128, 64));
    private long lastSentNs;

    /**
     * @param peerProcesses processes of the peers on this host, null for the others (as the hello found them).
     */
    Heartbeats(final Group group, final Wire wire, final ProcessHandle[] peerProcesses)
    {
        this.group = group;
        this.wire = wire;
        this.remote = new boolean[group.size];
        this.heardNs = new long[group.size];
        this.heardSequence = new long[group.size];
        boolean any = false;
        for (int peer = 0; peer < group.size; peer++)
        {
            remote[peer] = peer != group.rank && (null == peerProcesses || null == peerProcesses[peer]);
            any |= remote[peer];
        }
        this.anyRemote = any;
    }

    /**
     * Beat to every remote peer, unless this rank did less than {@link #INTERVAL_NS} ago.
     *
     * @param sequence the call this rank waits in.
     * @param nowNs    {@code System.nanoTime()}.
     */
    void beat(final long sequence, final long nowNs)
    {
        if (!anyRemote || (0 != lastSentNs && nowNs - lastSentNs < INTERVAL_NS))
        {
            return;
        }
        lastSentNs = nowNs;
        final int length = wire.encodeHeartbeat(buffer, sequence);
        for (int peer = 0; peer < group.size; peer++)
        {
            if (remote[peer])
            {
                // best effort: a full link is busy with data, a closed one is the liveness check's business
                group.outbound(peer).offer(buffer, 0, length);
            }
        }
    }

    /**
     * A heartbeat of this job and communicator arrived (the dispatcher checked both).
     */
    void onHeartbeat(final HeartbeatDecoder heartbeat)
    {
        final int sender = heartbeat.senderRank();
        if (sender >= 0 && sender < heardNs.length && sender != group.rank)
        {
            heardNs[sender] = System.nanoTime();
            heardSequence[sender] = heartbeat.sequence();
        }
    }

    /**
     * @param sequence the call that timed out.
     * @param staleNs  silence that counts as a sign of trouble.
     * @param nowNs    {@code System.nanoTime()}.
     * @return the remote peer silent longest, when silent more than {@code staleNs}, or -1. A peer whose last
     * heartbeat came from a later call is ahead, not silent, and is never named.
     */
    int silentPeer(final long sequence, final long staleNs, final long nowNs)
    {
        int silent = -1;
        long oldestNs = Long.MAX_VALUE;
        for (int peer = 0; peer < group.size; peer++)
        {
            if (!remote[peer] || heardSequence[peer] > sequence)
            {
                continue;
            }
            final long since = sinceNs(peer, nowNs);
            if (silent < 0 || since > nowNs - oldestNs)
            {
                silent = peer;
                oldestNs = nowNs - since;
            }
        }
        return silent >= 0 && sinceNs(silent, nowNs) > staleNs ? silent : -1;
    }

    /**
     * @return words on what was last heard from {@code peer}, for an exception.
     */
    String describe(final int peer, final long nowNs)
    {
        final long ms = TimeUnit.NANOSECONDS.toMillis(sinceNs(peer, nowNs));
        return 0 == heardNs[peer] ? "no heartbeat since this communicator connected " + ms + " ms ago" :
            "last heartbeat " + ms + " ms ago, from call #" + heardSequence[peer];
    }

    private long sinceNs(final int peer, final long nowNs)
    {
        return nowNs - (0 == heardNs[peer] ? connectedNs : heardNs[peer]);
    }
}
