package io.ringsync.collectives;

import io.ringsync.transport.Transport;
import org.agrona.CloseHelper;

import java.io.File;

/**
 * The groups the host-aware path runs on, made once when a job's communicator connects: which ranks share a host
 * ({@link Topology}), a sub-communicator of each host's ranks over shared memory, and one of the ranks that hold the
 * same place on every host over the job's own transport. Built from {@link Communicator#split}, so each group has
 * its own links, call numbers and failure handling; closed with the job's communicator.
 * <p>
 * Worth it only when there are several hosts and some hold several ranks: with one host, or one rank per host,
 * nothing is made and calls take the flat paths.
 */
final class Hierarchy implements AutoCloseable
{
    private final Communicator local;
    private final Communicator cross;
    private final HostAwareAllReduce.Mode mode;

    private Hierarchy(final Communicator local, final Communicator cross, final HostAwareAllReduce.Mode mode)
    {
        this.local = local;
        this.cross = cross;
        this.mode = mode;
    }

    /**
     * Find the hosts and make the groups. Collective over {@code world}.
     *
     * @param world        the job's communicator, connected.
     * @param ctx          its settings, which the host groups' shared memory links take too.
     * @param jobDirectory the job's directory in shared memory on this host.
     * @return the groups, or null when the job gains nothing from them.
     */
    static Hierarchy open(final Communicator world, final Context ctx, final File jobDirectory)
    {
        final Topology topology = Topology.discover(world, jobDirectory);
        final int rank = world.rank();
        if (topology.hosts() == 1 || topology.hosts() == world.size())
        {
            return null;
        }
        final int host = topology.hostOf(rank);
        final int localRank = topology.localRank(rank);
        final SubGroups.MeshOpener overSharedMemory = (meshId, members) -> Transports.openShmMesh(ctx, jobDirectory,
            meshId, Transport.rankInMesh(members, rank, world.size()), members.length);
        Communicator local = null;
        Communicator cross = null;
        try
        {
            local = world.split(host, rank, overSharedMemory, jobDirectory);
            // every rank takes the same plan: the table is the same everywhere
            final boolean even = topology.isEven();
            cross = even ? world.split(localRank, host) : world.split(0 == localRank ? 0 : Communicator.UNDEFINED, host);
            return new Hierarchy(local, cross, even ? HostAwareAllReduce.Mode.SHARES : HostAwareAllReduce.Mode.LEADERS);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(cross, local);
            throw ex;
        }
    }

    /**
     * @param world the job's communicator's engine, which runs the host-aware calls.
     * @return the host-aware AllReduce over these groups.
     */
    Algorithm allReduce(final CallEngine world, final int worldSize)
    {
        return new HostAwareAllReduce(local.engine(), null == cross ? null : cross.engine(), world.faults(), mode,
            local.rank(), local.size(), worldSize);
    }

    /**
     * @return the groups' own links: the host's, and the cross-host one where this rank has one (for tests that
     * break links the way a process exit does).
     */
    Transport[] transports()
    {
        return null == cross ? new Transport[]{ local.transport() } :
            new Transport[]{ local.transport(), cross.transport() };
    }

    /**
     * Close both groups, the cross-host one first.
     */
    public void close()
    {
        CloseHelper.quietCloseAll(cross, local);
    }
}
