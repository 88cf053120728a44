package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementStore;

import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Whether the other ranks of a group still run (a connected communicator's, through {@link Membership#isAlive}, or
 * one being formed by rejoining, while this rank waits for them): a
 * process of this host is watched through its handle, a process of another host through its lease at the job's
 * agreement server ({@link AgreementLease}); a rank known neither way is taken to run, and is named only at the
 * deadline. A lease costs a round trip to the server, so it is asked for at most every {@link #LEASE_CHECK_NS}. A
 * rank once found gone stays gone. Used by one thread at a time.
 */
final class PeerLiveness
{
    /**
     * Least time between two questions about one rank's lease.
     */
    static final long LEASE_CHECK_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ProcessHandle[] processes;
    private final AgreementStore store;
    private final String[] leases;
    private final long[] nextLeaseCheckNs;
    private final String[] goneAs;

    private PeerLiveness(final ProcessHandle[] processes, final AgreementStore store, final String[] leases)
    {
        this.processes = processes;
        this.store = store;
        this.leases = leases;
        this.nextLeaseCheckNs = new long[processes.length];
        this.goneAs = new String[processes.length];
    }

    /**
     * @param processes the ranks' processes on this host, by rank (null where not known: this rank, another
     *                  host's).
     * @return liveness from these processes only.
     */
    static PeerLiveness ofProcesses(final ProcessHandle[] processes)
    {
        return new PeerLiveness(processes.clone(), null, new String[processes.length]);
    }

    /**
     * @param processes the ranks' processes on this host, by rank, where known.
     * @param store     the agreement server's store, where the leases are.
     * @param leases    the ranks' lease names ({@link AgreementLease#name}), by rank, where known.
     * @return liveness from the processes, else the leases.
     */
    static PeerLiveness ofLeases(final ProcessHandle[] processes, final AgreementStore store, final String[] leases)
    {
        if (processes.length != leases.length)
        {
            throw new IllegalArgumentException(processes.length + " processes but " + leases.length + " leases");
        }
        return new PeerLiveness(processes.clone(), store, leases.clone());
    }

    /**
     * @return the processes of this host by rank, for the handshake that watches them ({@link Handshake}).
     */
    ProcessHandle[] processes()
    {
        return processes.clone();
    }

    /**
     * @param peer a rank of the group.
     * @return null while it may still run; else how it is known to be gone ("process 4242 exited"), from then on.
     * @throws IOException when the agreement server cannot be asked.
     */
    String gone(final int peer) throws IOException
    {
        if (null == goneAs[peer])
        {
            goneAs[peer] = ask(peer);
        }
        return goneAs[peer];
    }

    private String ask(final int peer) throws IOException
    {
        final ProcessHandle process = processes[peer];
        if (null != process)
        {
            return process.isAlive() ? null : String.format(Locale.ROOT, "process %d exited", process.pid());
        }
        final String lease = leases[peer];
        if (null == lease || null == store)
        {
            return null;
        }
        final long nowNs = System.nanoTime();
        if (nextLeaseCheckNs[peer] != 0 && nowNs - nextLeaseCheckNs[peer] < 0)
        {
            return null;
        }
        nextLeaseCheckNs[peer] = nowNs + LEASE_CHECK_NS;
        return AgreementLease.isAlive(store, lease) ? null :
            "its process ended: its lease " + lease + " at the agreement server is gone";
    }
}
