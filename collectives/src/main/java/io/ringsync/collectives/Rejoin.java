package io.ringsync.collectives;

import io.ringsync.transport.Transport;
import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementStore;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What the two sides of rejoining share: the members' {@link Admission} and the {@link Joiner}. They meet in an
 * {@link AgreementStore} ({@link #openStore}): on one host the files of {@code rejoin-<job id>/} in the job
 * directory, each complete or absent ({@link DirectoryStore}); across hosts, when the job has an agreement server
 * ({@link Configuration#AGREEMENT_ENV}, which {@code ringsync launch --hosts --restart N} serves), its entries. The
 * names:
 * <ul>
 *     <li>{@code request-<ticket>}: a joiner's request, {@code <pid> <job rank>}, across hosts followed by its
 *     lease's name ({@link AgreementLease}: rank 0 asks the server whether it still runs). Tickets count up from 0;
 *     a joiner takes the lowest free one by putting its request there once, so tickets are distinct and ordered by
 *     arrival.</li>
 *     <li>{@code verdict-<ticket>}: what became of a request, published once ({@link AgreementStore#putOnce}):
 *     {@code admitted <first ticket of the round>} by the members' rank 0, {@code gone} by rank 0 for a requester
 *     whose process has exited, or {@code withdrawn} by a joiner whose wait passed its deadline. Whoever puts it
 *     first decides, so a joiner that gives up is never counted by the members, and one admitted never gives up.</li>
 *     <li>{@code round-<first ticket>}: the grown group, written by rank 0 after the verdicts:
 *     {@code <members before> <mesh id> <job ranks> <pids> <tickets> <tcp host> <session id>} (comma-separated
 *     lists; the tickets of the joiners in their new rank order; over tcp or udp the address rank 0's endpoint
 *     has, where a joiner of its host listens too, and the rendezvous' session id in hex, which the joiner's frame
 *     keys need; {@code -} where there is none).</li>
 *     <li>{@code endpoint-<mesh id>-<rank>}: over tcp or udp, where each rank of the grown group listens
 *     ({@link GrownEndpoints}).</li>
 * </ul>
 * Across hosts a rank cannot watch another host's processes: rank 0 asks the server whether a requester still holds
 * its lease, but a joiner that dies after it was admitted is named by the grown group's connect at the deadline (on
 * one host at once); the members' communicator still works. Across hosts rejoining runs over tcp, the transport
 * between hosts.
 * <p>
 * The grown communicator's mesh is opened afresh (not from the members' transport, whose ranks the joiners are not
 * among): its files and status in {@code mesh-<id>} and {@code comm-<id>} of the job directory, with a mesh id that
 * every side derives from the members' mesh id and the round's first ticket ({@link #meshId}).
 */
final class Rejoin
{
    static final String VERDICT_ADMITTED = "admitted";
    static final String VERDICT_GONE = "gone";
    static final String VERDICT_WITHDRAWN = "withdrawn";

    private Rejoin()
    {
    }

    /**
     * @param ctx concluded settings of a rank on this host.
     * @return the directory of the job's join requests.
     */
    static Path directory(final Context ctx)
    {
        return new File(Transports.jobDirectory(ctx), String.format("rejoin-%016x", ctx.jobId())).toPath();
    }

    /**
     * @param ctx concluded settings of a member or a joiner.
     * @return whether the two sides meet at the job's agreement server rather than in the job directory (the same
     * on every rank of the job: the launcher sets it for all, or for none).
     */
    static boolean atServer(final Context ctx)
    {
        return null != ctx.agreement();
    }

    /**
     * @param ctx    concluded settings of a member or a joiner.
     * @param writer tells this writer's temporary files from the others' (on files).
     * @return where the two sides meet: the agreement server's entries, else the job directory's rejoin files.
     * @throws IOException when the server cannot be reached or the directory made.
     */
    static AgreementStore openStore(final Context ctx, final String writer) throws IOException
    {
        if (atServer(ctx))
        {
            return AgreementClient.connect(ctx.agreement(), ctx.jobSecret(), ctx.timeoutNs());
        }
        final Path directory = directory(ctx);
        FileAgreement.createDirectory(directory);
        return new DirectoryStore(directory, writer);
    }

    static String request(final long ticket)
    {
        return "request-" + ticket;
    }

    static String verdict(final long ticket)
    {
        return "verdict-" + ticket;
    }

    static String round(final long firstTicket)
    {
        return "round-" + firstTicket;
    }

    /**
     * @param store  where the requests are.
     * @param ticket a joiner's ticket.
     * @return the name of the lease its request gives (across hosts), else null.
     * @throws IOException when the store cannot be read.
     */
    static String leaseOfRequest(final AgreementStore store, final long ticket) throws IOException
    {
        final String request = store.get(request(ticket));
        final String[] fields = null == request ? new String[0] : request.split(" ");
        return fields.length >= 3 ? fields[2] : null;
    }

    /**
     * @return the mesh id of the group grown from the one of {@code parentMeshId} by the round starting at
     * {@code firstTicket}: distinct from a split's (whose sequence is not negative) and a shrink's (colour 0).
     */
    static long meshId(final long parentMeshId, final long firstTicket)
    {
        return SubGroups.meshId(parentMeshId, -1 - firstTicket, 1);
    }

    /**
     * @return why rejoining cannot work over this transport, or null when it can.
     */
    static String transportProblem(final String transport)
    {
        return "shm".equals(transport) || "ipc".equals(transport) || "tcp".equals(transport) ||
            "udp".equals(transport) ? null : "rejoin over " + transport + " is not built (shm, ipc, tcp and udp)";
    }

    /**
     * @param ctx concluded settings of a member or a joiner.
     * @return why rejoining cannot work with these settings, or null when it can: at an agreement server (across
     * hosts) only tcp serves.
     */
    static String problem(final Context ctx)
    {
        final String transport = transportProblem(ctx.transport());
        if (null != transport || !atServer(ctx) || "tcp".equals(ctx.transport()))
        {
            return transport;
        }
        return "rejoin at an agreement server (" + Configuration.AGREEMENT_ENV + ", across hosts) runs over tcp, " +
            "not " + ctx.transport();
    }

    /**
     * Open and connect this rank's part of a grown group, on a member or a joiner alike.
     *
     * @param ctx      this rank's settings (the members' communicator's, or the joiner's).
     * @param store    where the grown group's ranks publish their endpoints (tcp, udp).
     * @param meshId   of the grown group.
     * @param rank     this rank in it.
     * @param jobRanks every member's job rank, by new rank.
     * @param liveness whether the other ranks of the grown group still run.
     * @param joined   whether this rank is a joiner.
     * @param host     over tcp or udp, the address this rank takes its port on; else null.
     * @return the connected communicator.
     * @throws PeerFailedException naming a rank of the grown group that exited before it connected.
     */
    static Communicator connect(
        final Context ctx, final AgreementStore store, final long meshId, final int rank, final int[] jobRanks,
        final PeerLiveness liveness, final boolean joined, final String host)
    {
        final File statusDirectory = new File(Transports.jobDirectory(ctx), String.format("comm-%016x", meshId));
        // the members' udp endpoints are not the grown group's: those are exchanged below
        final Context grown = ctx.copy().epoch((int)(meshId ^ (meshId >>> 32))).statusDirectory(statusDirectory)
            .rank(rank).worldSize(jobRanks.length).udpEndpoints((String[])null).conclude();
        // over tcp and udp every rank of the grown group needs a port the others know first; a rank gone before it
        // published one fails this connect naming it, as the handshake would
        final boolean tcp = "tcp".equals(ctx.transport());
        final GrownEndpoints endpoints = tcp || "udp".equals(ctx.transport()) ?
            GrownEndpoints.exchange(grown, store, meshId, host, liveness, tcp) : null;
        final Transport mesh;
        try
        {
            FileAgreement.createDirectory(statusDirectory.toPath());
            mesh = Transports.openGrownMesh(grown, meshId, rank, jobRanks.length, endpoints);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new ConfigurationException(String.format(Locale.ROOT, "rank %d: rejoin cannot open the mesh of " +
                "the grown group of %d ranks over %s: %s", rank, jobRanks.length, ctx.transport(), ex), -1, ex);
        }
        final ProcessHandle[] known = liveness.processes();
        return "udp".equals(ctx.transport()) ? Communicator.connectGrown(mesh, grown, jobRanks, known, meshId, joined,
            statusDirectory, Transports.grownUdpDirectory(ctx, meshId)) :
            Communicator.connectGrown(mesh, grown, jobRanks, known, meshId, joined, statusDirectory);
    }
}
