package io.ringsync.transport;

/**
 * The links of one rank to every other rank of a job, as the collective algorithms see them.
 * <p>
 * A transport is a full mesh of directed links: {@link #outbound(int)} sends to a peer,
 * {@link #inbound(int)} receives from it. Messages on one link arrive whole and in the order they
 * were committed. Sending is claim, write in place, commit ({@link OutboundLink}); receiving reads
 * in place from the transport's own memory ({@link InboundLink}). Nothing here copies a payload.
 * <p>
 * Implementations: {@code AeronTransport} (Aeron IPC or UDP publications) and {@link LocalTransport}
 * (ranks as threads of one JVM, for tests and embedding). A transport is used by one thread at a
 * time; the communicator above it serialises access.
 */
public interface Transport extends AutoCloseable
{
    /**
     * @return this rank, 0 to {@code worldSize() - 1}.
     */
    int rank();

    /**
     * @return the number of ranks in the job.
     */
    int worldSize();

    /**
     * @return a short name of the transport, as used in {@code RINGSYNC_TRANSPORT}: ipc, udp, local.
     */
    String name();

    /**
     * @param peer another rank.
     * @return the link that sends to {@code peer}.
     */
    OutboundLink outbound(int peer);

    /**
     * @param peer another rank.
     * @return the link that receives from {@code peer}.
     */
    InboundLink inbound(int peer);

    /**
     * @return the largest message (header and payload) one claim can hold without fragmentation.
     */
    int maxMessageLength();

    /**
     * Does background work the transport needs from the caller's thread (e.g. an Aeron client conductor
     * run as an invoker). Transports with their own threads return 0.
     *
     * @return the amount of work done, 0 when idle.
     */
    default int doWork()
    {
        return 0;
    }

    /**
     * Open a mesh of its own among some ranks of this one, for a sub-communicator: new links, so that the
     * two meshes can be used at the same time from different threads and closed independently. Shared
     * resources (an Aeron client, a media driver, a listening socket) are shared and released with the
     * last mesh that uses them. Like {@link #close()}, it is called by each member for itself; it does
     * not wait for the other members (the layer above handshakes with a deadline).
     *
     * @param meshId  identical on every member and unique among the meshes of the job: it keeps the
     *                messages, files or streams of different meshes apart.
     * @param members ranks of this transport, in the new mesh's rank order; this rank is one of them.
     * @return the new mesh, whose {@link #rank()} is this rank's index in {@code members}.
     * @throws UnsupportedOperationException when the transport cannot open meshes.
     */
    default Transport openMesh(final long meshId, final int[] members)
    {
        throw new UnsupportedOperationException(name() + " transport cannot open sub-meshes");
    }

    /**
     * Check the members {@link #openMesh} is given and find this rank among them: the one rule every transport's
     * {@code openMesh} applies.
     *
     * @param members   ranks of a mesh of {@code worldSize}, in the new mesh's order.
     * @param rank      this rank in that mesh.
     * @param worldSize of that mesh.
     * @return this rank's index in {@code members}, its rank in the new mesh.
     * @throws IllegalArgumentException when a member is not a rank, appears twice, or this rank is not one.
     */
    static int rankInMesh(final int[] members, final int rank, final int worldSize)
    {
        final boolean[] seen = new boolean[worldSize];
        int newRank = -1;
        for (int i = 0; i < members.length; i++)
        {
            final int member = members[i];
            if (member < 0 || member >= worldSize || seen[member])
            {
                throw new IllegalArgumentException("members " + java.util.Arrays.toString(members) + ": " + member +
                    (member < 0 || member >= worldSize ? " is not a rank of this " + worldSize + "-rank mesh" :
                    " appears twice"));
            }
            seen[member] = true;
            newRank = member == rank ? i : newRank;
        }
        if (newRank < 0)
        {
            throw new IllegalArgumentException("rank " + rank + " is not among the members " +
                java.util.Arrays.toString(members));
        }
        return newRank;
    }

    /**
     * A feature of this transport beyond links, asked for by its type: for example the shared-memory
     * windows that the shm transport offers for reading peers' memory in place. The layer above asks
     * for what it can use and falls back when the answer is null, instead of testing the transport's
     * class.
     *
     * @param type of the feature.
     * @param <T>  the feature.
     * @return the feature, or null when this transport does not offer it.
     */
    default <T> T capability(final Class<T> type)
    {
        return null;
    }

    /**
     * Release every link and resource, in reverse order of creation; never throws for a peer that is gone.
     */
    void close();
}
