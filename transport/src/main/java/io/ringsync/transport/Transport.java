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
     * Release every link and resource, in reverse order of creation; never throws for a peer that is gone.
     */
    void close();
}
