package io.ringsync.collectives;

import io.ringsync.codecs.AbortKind;
import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.HostIdentity;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Connecting: every rank sends a hello (its pid and host) to every other and waits for theirs, within the
 * deadline. It learns which peers share its host (their processes can then be watched) and fails fast, naming the
 * rank, when one is known to be gone before it said hello: its process exited (a status file says so, the
 * launcher reported its exit, or a parent communicator knew its process), rather than at the deadline.
 */
final class Handshake implements Dispatcher.HelloHandler
{
    private static final int POLL_LIMIT = 16;
    private static final long CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long STATUS_STALE_MIN_MS = 1_000;
    private static final long ABORT_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(500);

    private final Group group;
    private final Wire wire;
    private final Dispatcher dispatcher;
    private final Faults faults;
    private final RankStatusBoard board;
    private final ProcessHandle[] knownProcesses;
    private final boolean[] helloReceived;
    private final long[] peerPids;
    private final String[] peerHosts;
    private final ProcessHandle[] peerProcesses;

    /**
     * @param board          this communicator's status board, or null.
     * @param knownProcesses processes of the members already known (from a parent communicator), or null.
     */
    Handshake(
        final Group group, final Wire wire, final Dispatcher dispatcher, final Faults faults,
        final RankStatusBoard board, final ProcessHandle[] knownProcesses)
    {
        this.group = group;
        this.wire = wire;
        this.dispatcher = dispatcher;
        this.faults = faults;
        this.board = board;
        this.knownProcesses = knownProcesses;
        this.helloReceived = new boolean[group.size];
        this.peerPids = new long[group.size];
        this.peerHosts = new String[group.size];
        this.peerProcesses = new ProcessHandle[group.size];
    }

    /**
     * Exchange hellos with every peer.
     *
     * @param timeoutNs deadline.
     * @param idle      how to wait.
     * @throws ConfigurationException when peers do not answer in time, or disagree on the world size.
     * @throws PeerFailedException    when a peer is known to be gone.
     */
    void run(final long timeoutNs, final IdleStrategy idle)
    {
        final int rank = group.rank;
        final int size = group.size;
        if (size == 1)
        {
            return;
        }
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final String host = HostIdentity.current();
        final UnsafeBuffer message = new UnsafeBuffer(new byte[512 + host.length()]);
        final int length = wire.encodeHello(message, size, ProcessHandle.current().pid(), host);
        final boolean[] helloSent = new boolean[size];
        helloSent[rank] = true;
        helloReceived[rank] = true;
        long nextCheckNs = System.nanoTime();
        dispatcher.hellos(this);
        idle.reset();
        try
        {
            while (true)
            {
                int work = 0;
                for (int peer = 0; peer < size; peer++)
                {
                    if (!helloSent[peer] && group.outbound(peer).offer(message, 0, length) >= 0)
                    {
                        helloSent[peer] = true;
                        work++;
                    }
                }
                for (final InboundLink link : group.inboundFromPeers())
                {
                    work += link.poll(dispatcher, POLL_LIMIT);
                    if (faults.isPending())
                    {
                        throw faults.take();
                    }
                    failIfBroken(link);
                }
                work += group.transport().doWork();
                if (allTrue(helloSent) && allTrue(helloReceived))
                {
                    break;
                }
                if (System.nanoTime() - nextCheckNs >= 0)
                {
                    nextCheckNs = System.nanoTime() + CHECK_INTERVAL_NS;
                    checkConnectingPeers(helloSent);
                }
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    throw new ConfigurationException("rank " + rank + " of " + size + " could not connect within " +
                        TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms over " + group.transport().name() +
                        ": no reply from " + missing(helloSent) + ". Start all " + size + " ranks with the same " +
                        Configuration.JOB_ID_ENV + " and " + Configuration.WORLD_SIZE_ENV + " (ringsync launch " +
                        "does this), or raise " + Configuration.TIMEOUT_MS_ENV + " if they start slowly",
                        soleMissing(helloSent));
                }
                idle.idle(work);
            }
        }
        finally
        {
            dispatcher.hellos(null);
            faults.clear();
        }
        for (int peer = 0; peer < size; peer++)
        {
            if (peer != rank && null != peerHosts[peer] && peerHosts[peer].equals(host))
            {
                peerProcesses[peer] = ProcessHandle.of(peerPids[peer]).orElse(null);
            }
        }
    }

    /**
     * A link the transport ended for a reason it knows (a frame that failed authentication) will never carry the
     * peer's hello: fail now, naming the peer and the reason, and tell the peers (one try each), rather than wait
     * for the deadline and blame silence.
     *
     * @param link polled just now.
     */
    private void failIfBroken(final InboundLink link)
    {
        final String reason = link.isLost() ? link.lossReason() : null;
        if (null == reason)
        {
            return;
        }
        final int peer = link.peer();
        final PeerFailedException failure = new PeerFailedException("rank " + group.rank + ": the link from " +
            group.name(peer) + " failed while connecting: " + reason, peer);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[4096]);
        String text = failure.getMessage();
        final int maxLength = group.transport().maxMessageLength();
        int length = wire.encodeAbort(scratch, 0, AbortKind.PEER_FAILED, peer, text);
        while (length > maxLength && !text.isEmpty())
        {
            text = text.substring(0, text.length() / 2);
            length = wire.encodeAbort(scratch, 0, AbortKind.PEER_FAILED, peer, text);
        }
        // a peer's link may not be connected yet (this rank fails on the first frame it gets): retry, bounded
        final boolean[] told = new boolean[group.size];
        told[group.rank] = true;
        final long deadlineNs = System.nanoTime() + ABORT_BUDGET_NS;
        while (!allTrue(told) && System.nanoTime() - deadlineNs < 0)
        {
            for (int other = 0; other < group.size; other++)
            {
                final long result = told[other] ? 0 : group.outbound(other).offer(scratch, 0, length);
                told[other] = result >= 0 || OutboundLink.CLOSED == result;
            }
            group.transport().doWork();
            Thread.onSpinWait();
        }
        FailureDetector.sendNow(group.transport(), deadlineNs);
        throw failure;
    }

    /**
     * A peer's hello arrived.
     */
    public void onHello(final int sender, final long pid, final String host)
    {
        peerPids[sender] = pid;
        peerHosts[sender] = host;
        helloReceived[sender] = true;
    }

    /**
     * @return the processes of the peers on this host (learnt from their hellos), null for the others.
     */
    ProcessHandle[] peerProcesses()
    {
        return peerProcesses;
    }

    /**
     * @return every member's host identity (this rank's own included), as their hellos gave them.
     */
    String[] hosts()
    {
        final String[] hosts = peerHosts.clone();
        hosts[group.rank] = HostIdentity.current();
        return hosts;
    }

    /**
     * @return every member's process id (this rank's own included), as their hellos gave them.
     */
    long[] pids()
    {
        final long[] pids = peerPids.clone();
        pids[group.rank] = ProcessHandle.current().pid();
        return pids;
    }

    /**
     * @return whether every member said hello from this host.
     */
    boolean allOnThisHost()
    {
        final String host = HostIdentity.current();
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer != group.rank && (null == peerHosts[peer] || !peerHosts[peer].equals(host)))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return ranks of this communicator on this host, this one included.
     */
    int ranksOnThisHost()
    {
        int count = 1;
        for (final ProcessHandle process : peerProcesses)
        {
            if (null != process)
            {
                count++;
            }
        }
        return count;
    }

    /**
     * A rank that will never finish connecting: its process was known and is gone, the launcher reported its exit,
     * or it published its status during this start-up (not left by an earlier run of the same job id) and exited.
     * A known process that exited fails the handshake even after its hello arrived: its own hello may never have
     * reached it (an Aeron publication connects only to a running subscriber), and the other members, which may
     * have found it gone sooner, stop waiting for this rank; it would wait for the deadline and fail without
     * naming anyone (a shrink would then give up rather than run its next epoch without the rank).
     *
     * @param helloSent the peers this rank's hello went to.
     */
    private void checkConnectingPeers(final boolean[] helloSent)
    {
        final int rank = group.rank;
        if (null != knownProcesses)
        {
            for (int peer = 0; peer < group.size; peer++)
            {
                final ProcessHandle process = knownProcesses[peer];
                if (null != process && !process.isAlive())
                {
                    throw new PeerFailedException("rank " + rank + ": " + group.name(peer) + " (pid " + process.pid() +
                        ") exited " + (helloReceived[peer] && helloSent[peer] ? "while the others connected" :
                        "before it connected") + "; see its own output for why", peer);
                }
            }
        }
        if (null == board)
        {
            return;
        }
        // the first rank to fail is the cause; ranks that failed on hearing of it exited after it
        int firstExited = -1;
        long firstExitUs = Long.MAX_VALUE;
        for (int peer = 0; peer < group.size; peer++)
        {
            final long exitUs = helloReceived[peer] ? 0 : board.reportedExitUs(peer);
            if (exitUs > 0 && exitUs < firstExitUs)
            {
                firstExited = peer;
                firstExitUs = exitUs;
            }
        }
        if (firstExited >= 0)
        {
            throw new PeerFailedException("rank " + rank + ": " + group.name(firstExited) + " exited with code " +
                board.reportedExitCode(firstExited) + " before it connected (reported by the launcher); see its own " +
                "output for why", firstExited);
        }
        final long selfStartMs = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        for (int peer = 0; peer < group.size; peer++)
        {
            if (!helloReceived[peer] && board.refresh(peer) && !board.isAlive(peer) &&
                board.createdMs(peer) >= selfStartMs - STATUS_STALE_MIN_MS)
            {
                throw new PeerFailedException("rank " + rank + ": " + group.name(peer) + " (pid " + board.pid(peer) +
                    ") exited before it connected; see its own output for why", peer);
            }
        }
    }

    private String missing(final boolean[] sent)
    {
        final List<String> ranks = new ArrayList<>();
        for (int peer = 0; peer < sent.length; peer++)
        {
            if (!sent[peer] || !helloReceived[peer])
            {
                ranks.add(group.name(peer) + (sent[peer] ? "" : " (not connected)"));
            }
        }
        return String.join(", ", ranks);
    }

    /**
     * @return the one peer that has not both taken and sent its hello, the rank to blame; -1 when several have not.
     */
    private int soleMissing(final boolean[] sent)
    {
        int missing = -1;
        for (int peer = 0; peer < sent.length; peer++)
        {
            if (!sent[peer] || !helloReceived[peer])
            {
                if (-1 != missing)
                {
                    return -1;
                }
                missing = peer;
            }
        }
        return missing;
    }

    private static boolean allTrue(final boolean[] flags)
    {
        for (final boolean flag : flags)
        {
            if (!flag)
            {
                return false;
            }
        }
        return true;
    }
}
