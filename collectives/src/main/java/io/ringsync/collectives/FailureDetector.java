package io.ringsync.collectives;

import io.ringsync.codecs.AbortKind;
import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * What happens when a peer dies, stalls or disagrees: the one place that notices it, decides whom to blame, and
 * tells the others.
 * <ul>
 *     <li>While a call waits, every {@link #LIVENESS_INTERVAL_NS} at most: the peer the algorithm waits on and the
 *     right neighbour are gone when their process has exited (same host) or their link is lost, and one more poll
 *     of that link finds nothing left from them; any other rank is gone when its status file says its process
 *     exited before finishing this call. Either fails the call with {@link PeerFailedException} naming it.</li>
 *     <li>At the deadline: a {@link CollectiveTimeoutException} naming the rank that holds the job up, from every
 *     rank's published status: one that has not entered the call (the furthest behind), else one in it whose
 *     heartbeat stopped; never a rank that failed in this call too (a survivor whose deadline came first);
 *     then a peer on another host whose {@link Heartbeats} stopped longest ago (its link cut, its process
 *     stopped); without either, the peer the algorithm waits on, if it sent nothing.</li>
 *     <li>Whatever failed a call on this rank is sent to every peer as an abort ({@link #abortPeers}), so they fail
 *     at once with the same reason and suspect rather than at their own deadline.</li>
 * </ul>
 */
final class FailureDetector
{
    /**
     * How often a waiting rank looks at its peers: {@link ProcessHandle#isAlive()} reads /proc, a few
     * microseconds, so it is kept off every poll.
     */
    static final long LIVENESS_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * How long a call that found a link closed for good waits for that peer's abort before naming the link: the
     * peer's own check and its abort's send budget, with room to spare.
     */
    static final long CLOSED_LINK_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private static final int POLL_LIMIT = 16;
    private static final long ABORT_SEND_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final int SEND_NOW_CYCLES = 16;
    private static final long STATUS_STALE_MIN_MS = 1_000;

    private final Group group;
    private final Wire wire;
    private final Dispatcher dispatcher;
    private final Faults faults;
    private final RankStatusBoard board;
    private final ProcessHandle[] peerProcesses;
    private final Heartbeats heartbeats;
    private final UnsafeBuffer abortBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4096, 64));
    private long closedSeenSequence = -1;
    private long closedSeenNs;

    /**
     * @param board         the status board, or null when ranks publish none.
     * @param peerProcesses processes of the peers on this host, null for the others.
     */
    FailureDetector(
        final Group group, final Wire wire, final Dispatcher dispatcher, final Faults faults,
        final RankStatusBoard board, final ProcessHandle[] peerProcesses)
    {
        this.group = group;
        this.wire = wire;
        this.dispatcher = dispatcher;
        this.faults = faults;
        this.board = board;
        this.peerProcesses = peerProcesses;
        this.heartbeats = new Heartbeats(group, wire, peerProcesses);
        dispatcher.heartbeats(heartbeats);
    }

    /**
     * @return the status board of this rank where its communicator publishes it (a status directory is set and it
     * has peers), else null.
     * @throws ConfigurationException when the file cannot be made.
     */
    static RankStatusBoard openStatusBoard(final Context ctx, final Group group)
    {
        if (group.size == 1 || null == ctx.statusDirectory())
        {
            return null;
        }
        try
        {
            return RankStatusBoard.create(ctx.statusDirectory(), group.rank, group.size, ctx.jobId());
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + group.rank + ": cannot publish its status in " +
                ctx.statusDirectory() + ": " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * Look at the peers the call depends on, and publish this rank's heartbeat.
     *
     * @param closedLinkPeer the rank whose link this call found closed for good when it sent to it, or -1.
     * @throws PeerFailedException naming a peer that is gone, or the one this rank can no longer reach.
     */
    void check(final Algorithm algorithm, final long sequence, final String callName, final int closedLinkPeer)
    {
        final int rank = group.rank;
        final int awaited = algorithm.awaitedPeer();
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer == rank || (peer != awaited && peer != group.right))
            {
                continue;
            }
            final ProcessHandle process = peerProcesses[peer];
            final boolean exited = null != process && !process.isAlive();
            final InboundLink link = group.inbound(peer);
            if ((exited || link.isLost()) && link.poll(dispatcher, POLL_LIMIT) == 0 && !faults.isPending())
            {
                final String reason = exited ? null : link.lossReason();
                final String what = exited ? "process " + process.pid() + " has exited" :
                    null != reason ? "its link went away: " + reason : "its link went away";
                throw new PeerFailedException("rank " + rank + ": " + group.name(peer) + " failed during " + callName +
                    " #" + sequence + " (" + what + "); " + algorithm.progress(), peer);
            }
        }
        if (closedLinkPeer >= 0 && closedLongEnough(sequence) &&
            group.inbound(closedLinkPeer).poll(dispatcher, POLL_LIMIT) == 0 && !faults.isPending())
        {
            // the peer may still run and wait for what this rank can no longer send it: without this, both would
            // wait for their deadlines (an abort from the peer, read first, carries the better cause)
            throw new PeerFailedException("rank " + rank + ": its link to " + group.name(closedLinkPeer) +
                " closed for good during " + callName + " #" + sequence + " (that rank shut the connection, or it " +
                "broke), so nothing it needs in this call can reach it; " + algorithm.progress(), closedLinkPeer);
        }
        heartbeats.beat(sequence, System.nanoTime());
        if (null != board)
        {
            final long nowMs = System.currentTimeMillis();
            board.heartbeat(algorithm.chunksReceived(), nowMs);
            final int gone = goneRank(sequence);
            if (gone >= 0 && !faults.isPending())
            {
                throw new PeerFailedException("rank " + rank + ": " + group.name(gone) + " failed during " + callName +
                    " #" + sequence + " (its process " + board.pid(gone) + " has exited; " +
                    board.describe(gone, nowMs) + "); " + algorithm.progress(), gone);
            }
        }
    }

    /**
     * @return whether this call has known its closed link for {@link #CLOSED_LINK_GRACE_NS}: long enough for the
     * peer that shut it to notice and send its abort, whose cause says more than "closed".
     */
    private boolean closedLongEnough(final long sequence)
    {
        final long nowNs = System.nanoTime();
        if (closedSeenSequence != sequence)
        {
            closedSeenSequence = sequence;
            closedSeenNs = nowNs;
        }
        return nowNs - closedSeenNs >= CLOSED_LINK_GRACE_NS;
    }

    /**
     * @return the failure of a call that did not complete by its deadline, blaming whom the evidence names.
     */
    RingsyncException timeout(
        final Algorithm algorithm, final long sequence, final String callName, final long timeoutNs)
    {
        final int awaited = algorithm.awaitedPeer();
        final boolean silent = awaited >= 0 && algorithm.chunksReceived() == 0;
        final StringBuilder sb = new StringBuilder("rank ").append(group.rank).append(": ").append(callName)
            .append(" #").append(sequence).append(" did not complete within ")
            .append(TimeUnit.NANOSECONDS.toMillis(timeoutNs)).append(" ms; ").append(algorithm.progress());
        if (null != board)
        {
            final long nowMs = System.currentTimeMillis();
            final int behind = behindRank(sequence);
            if (behind >= 0)
            {
                sb.append(". ").append(group.name(behind)).append(" has not entered ").append(callName).append(" #")
                    .append(sequence).append(" (").append(board.describe(behind, nowMs)).append("): it is stalled, ")
                    .append("busy elsewhere, or not making the same call (deadline: ")
                    .append(Configuration.TIMEOUT_MS_ENV).append(')');
                return new CollectiveTimeoutException(sb.toString(), behind);
            }
            final int stopped = silentRank(sequence, timeoutNs, nowMs);
            if (stopped >= 0)
            {
                sb.append(". ").append(group.name(stopped)).append(" is in this call but has shown no sign of ")
                    .append("life for ").append(nowMs - board.heartbeatMs(stopped)).append(" ms (")
                    .append(board.describe(stopped, nowMs)).append("): its process is stopped or starved of CPU ")
                    .append("(deadline: ").append(Configuration.TIMEOUT_MS_ENV).append(')');
                return new CollectiveTimeoutException(sb.toString(), stopped);
            }
        }
        final long nowNs = System.nanoTime();
        final int cut = heartbeats.silentPeer(sequence, staleMs(timeoutNs) * 1_000_000L, nowNs);
        if (cut >= 0)
        {
            sb.append(". ").append(group.name(cut)).append(", on another host, has shown no sign of life (")
                .append(heartbeats.describe(cut, nowNs)).append("), longer than any other peer on another host: ")
                .append("its link is cut, its process stopped or died, or it is busy outside this call (deadline: ")
                .append(Configuration.TIMEOUT_MS_ENV).append(')');
            return new CollectiveTimeoutException(sb.toString(), cut);
        }
        if (null != board)
        {
            final int gaveUp = gaveUpRank(sequence);
            if (gaveUp >= 0)
            {
                sb.append(". ").append(group.name(gaveUp)).append(" gave up on this call too (")
                    .append(board.describe(gaveUp, System.currentTimeMillis())).append("): see its error");
            }
        }
        if (silent)
        {
            sb.append(". R").append(group.name(awaited).substring(1)).append(" sent nothing for this call: it is ")
                .append("stalled, slow, ")
                .append("or not making the same call");
        }
        else if (awaited >= 0)
        {
            sb.append(". R").append(group.name(awaited).substring(1)).append(" is in this call but waits on another ")
                .append("rank; see ")
                .append("that rank's error");
        }
        sb.append(" (deadline: ").append(Configuration.TIMEOUT_MS_ENV).append(')');
        return new CollectiveTimeoutException(sb.toString(), silent ? awaited : -1);
    }

    /**
     * Tell every peer that the call failed here, best effort: a link that stays full for the whole budget cannot
     * carry the abort, and that peer will find out through its own deadline or liveness check.
     */
    void abortPeers(final RuntimeException failure, final long sequence)
    {
        final int suspect = failure instanceof RingsyncException ? ((RingsyncException)failure).suspectRank() : -1;
        final String reason = String.valueOf(failure.getMessage());
        // the reason is cut to what one message of the transport holds (a small shm slot holds ~100 bytes)
        final int maxLength = group.transport().maxMessageLength();
        String text = reason;
        int length = wire.encodeAbort(abortBuffer, sequence, abortKind(failure), suspect, text);
        while (length > maxLength && !text.isEmpty())
        {
            text = text.substring(0, text.length() / 2);
            length = wire.encodeAbort(abortBuffer, sequence, abortKind(failure), suspect, text);
        }
        final long deadlineNs = System.nanoTime() + ABORT_SEND_BUDGET_NS;
        final boolean[] sent = new boolean[group.size];
        sent[group.rank] = true;
        int remaining = group.size - 1;
        while (remaining > 0 && System.nanoTime() - deadlineNs < 0)
        {
            for (int peer = 0; peer < group.size; peer++)
            {
                if (!sent[peer])
                {
                    final long result = group.outbound(peer).offer(abortBuffer, 0, length);
                    if (result >= 0 || result == OutboundLink.CLOSED)
                    {
                        sent[peer] = true;
                        remaining--;
                    }
                }
            }
            if (remaining > 0)
            {
                Thread.onSpinWait();
                group.transport().doWork();
            }
        }
        sendNow(group.transport(), deadlineNs);
    }

    /**
     * Run the duty cycle of a media driver the rank's thread drives (udp's invoker driver) a few times, so that
     * messages just offered leave this process before the caller closes the transport, and with it the driver:
     * else an abort can die with the driver and its peers fail later without the reason. A no-op for transports
     * without such a driver.
     *
     * @param transport  the rank's transport.
     * @param deadlineNs not beyond this {@link System#nanoTime()}.
     */
    static void sendNow(final Transport transport, final long deadlineNs)
    {
        for (int cycle = 0; cycle < SEND_NOW_CYCLES && System.nanoTime() - deadlineNs < 0; cycle++)
        {
            if (0 == transport.doWork())
            {
                return;
            }
        }
    }

    private static AbortKind abortKind(final RuntimeException failure)
    {
        if (failure instanceof CollectiveMismatchException)
        {
            return AbortKind.MISMATCH;
        }
        if (failure instanceof PeerFailedException)
        {
            return AbortKind.PEER_FAILED;
        }
        if (failure instanceof CollectiveTimeoutException)
        {
            return AbortKind.TIMEOUT;
        }
        return AbortKind.PROTOCOL;
    }

    /**
     * @return a rank whose process has exited before finishing the current call (every rank needs every other
     * rank's data in a collective), or -1. A rank that finished this call, or closed, and then exited is not one.
     */
    private int goneRank(final long sequence)
    {
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer == group.rank)
            {
                continue;
            }
            final int state = board.state(peer);
            if (state == RankStatusBoard.UNKNOWN || state == RankStatusBoard.CLOSED ||
                (state == RankStatusBoard.IDLE && board.sequence(peer) >= sequence) || board.isAlive(peer))
            {
                continue;
            }
            return peer;
        }
        return -1;
    }

    /**
     * @return the rank furthest behind that has not entered this call (or failed or closed before it), or -1. A
     * rank that failed in this very call is not one: it is a survivor that gave up first (its deadline came
     * earlier), and naming it would hide the rank that really holds the job up.
     */
    private int behindRank(final long sequence)
    {
        int behind = -1;
        long behindSequence = Long.MAX_VALUE;
        for (int peer = 0; peer < group.size; peer++)
        {
            final int state = peer == group.rank ? RankStatusBoard.UNKNOWN : board.state(peer);
            if (state == RankStatusBoard.UNKNOWN)
            {
                continue;
            }
            final long peerSequence = board.sequence(peer);
            if (peerSequence < sequence && peerSequence < behindSequence)
            {
                behind = peer;
                behindSequence = peerSequence;
            }
        }
        return behind;
    }

    /**
     * @return a rank that failed or closed during this very call, or -1: evidence of nothing but its own deadline.
     */
    private int gaveUpRank(final long sequence)
    {
        for (int peer = 0; peer < group.size; peer++)
        {
            final int state = peer == group.rank ? RankStatusBoard.UNKNOWN : board.state(peer);
            if ((state == RankStatusBoard.FAILED || state == RankStatusBoard.CLOSED) &&
                board.sequence(peer) == sequence)
            {
                return peer;
            }
        }
        return -1;
    }

    /**
     * @return the rank in this call whose heartbeat is oldest, when it is older than a quarter of the deadline
     * (at least a second), or -1.
     */
    private int silentRank(final long sequence, final long timeoutNs, final long nowMs)
    {
        int silent = -1;
        long oldestHeartbeatMs = Long.MAX_VALUE;
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer != group.rank && board.state(peer) == RankStatusBoard.IN_CALL && board.sequence(peer) == sequence)
            {
                final long heartbeatMs = board.heartbeatMs(peer);
                if (heartbeatMs < oldestHeartbeatMs)
                {
                    oldestHeartbeatMs = heartbeatMs;
                    silent = peer;
                }
            }
        }
        return silent >= 0 && nowMs - oldestHeartbeatMs > staleMs(timeoutNs) ? silent : -1;
    }

    /**
     * @return how long without a heartbeat counts as a sign of trouble: a quarter of the deadline, at least a second.
     */
    private static long staleMs(final long timeoutNs)
    {
        return Math.max(STATUS_STALE_MIN_MS, TimeUnit.NANOSECONDS.toMillis(timeoutNs) / 4);
    }
}
