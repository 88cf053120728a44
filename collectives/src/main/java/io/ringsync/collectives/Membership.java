package io.ringsync.collectives;

import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementStore;

import java.io.IOException;

/**
 * Who a connected communicator's ranks are, as its handshake found them: their group and settings, every rank's
 * pid and host, the processes of those on this host, and whether they all share this rank's job directory. What
 * the two ways a membership changes start from ({@link Shrink}, {@link Admission}), and the one place that says
 * whether a peer still runs ({@link #isAlive}).
 */
final class Membership
{
    final Group group;
    final Context ctx;
    final long meshId;
    final boolean oneHost;
    private final ProcessHandle[] peerProcesses;
    private final long[] pids;
    private final String[] hosts;
    private PeerLiveness liveness;
    private AgreementStore livenessStore;

    /**
     * @param group         the communicator's ranks and links.
     * @param ctx           its settings.
     * @param meshId        its mesh id.
     * @param peerProcesses its peers' processes, by rank (null where unknown: another host, or exited).
     * @param pids          every rank's pid, this one's included.
     * @param hosts         every rank's host identity, this one's included.
     * @param oneHost       whether every rank runs on this host and publishes its status in this rank's status
     *                      directory ({@link #sharesDirectory}): they agree there, else at the agreement server.
     */
    Membership(
        final Group group, final Context ctx, final long meshId, final ProcessHandle[] peerProcesses,
        final long[] pids, final String[] hosts, final boolean oneHost)
    {
        this.group = group;
        this.ctx = ctx;
        this.meshId = meshId;
        this.peerProcesses = peerProcesses;
        this.pids = pids;
        this.hosts = hosts;
        this.oneHost = oneHost;
    }

    /**
     * Whether every rank of a communicator that just connected runs on this host and publishes its status in the
     * same directory as this rank: its status file is there, written by the process that said hello. Ranks of one
     * machine that were given different job directories (simulated hosts) could not agree through files.
     *
     * @param board       this rank's status board, or null when it publishes none.
     * @param group       the communicator's ranks.
     * @param pids        every rank's pid from the handshake.
     * @param allSameHost whether every rank's hello came from this host.
     * @return whether the survivors of this communicator can agree through its status directory.
     */
    static boolean sharesDirectory(
        final RankStatusBoard board, final Group group, final long[] pids, final boolean allSameHost)
    {
        if (group.size == 1)
        {
            return true;
        }
        if (!allSameHost || null == board)
        {
            return false;
        }
        for (int peer = 0; peer < group.size; peer++)
        {
            // each rank made its status file before its hello, so it is there now unless it is elsewhere
            if (peer != group.rank && (!board.refresh(peer) || board.pid(peer) != pids[peer]))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @param rank a rank of the communicator.
     * @return its pid, as its hello gave it.
     */
    long pid(final int rank)
    {
        return pids[rank];
    }

    /**
     * @param rank a rank of the communicator.
     * @return the name of its lease at the agreement server ({@link AgreementLease}), or null when its host is not
     * known.
     */
    String leaseName(final int rank)
    {
        return null == hosts[rank] ? null : AgreementLease.name(hosts[rank], pids[rank]);
    }

    /**
     * @param peer a rank of the communicator.
     * @return its process when it runs on this host and had not exited by the end of the handshake, else null.
     */
    ProcessHandle process(final int peer)
    {
        return peerProcesses[peer];
    }

    /**
     * Whether a peer still runs. On one host every peer's process is known from its hello (one missing had exited
     * by the end of it); across hosts, those of other hosts are asked for at the agreement server, where each
     * holds a lease ({@link AgreementLease}), and taken to run where there is no server to ask. The asking is
     * {@link PeerLiveness}'s, as for the ranks of a group being formed by rejoining.
     *
     * @param store where the ranks agree: the agreement server is asked only when it is one.
     * @param peer  a rank of the communicator.
     * @return false once its process is known to have exited.
     * @throws IOException when the server cannot be asked.
     */
    boolean isAlive(final AgreementStore store, final int peer) throws IOException
    {
        if (peer == group.rank)
        {
            return true;
        }
        if (oneHost && null == peerProcesses[peer])
        {
            return false;
        }
        return null == liveness(store).gone(peer);
    }

    private PeerLiveness liveness(final AgreementStore store)
    {
        if (null == liveness || livenessStore != store)
        {
            final String[] leases = new String[group.size];
            if (!oneHost && store instanceof AgreementClient)
            {
                for (int peer = 0; peer < group.size; peer++)
                {
                    leases[peer] = peer == group.rank ? null : leaseName(peer);
                }
            }
            liveness = PeerLiveness.ofLeases(peerProcesses, store, leases);
            livenessStore = store;
        }
        return liveness;
    }
}
