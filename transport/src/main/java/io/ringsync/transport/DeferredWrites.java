package io.ringsync.transport;

/**
 * Lets a caller that commits several messages in one pass have them written to the kernel together, by one system
 * call per link, instead of one per commit: offered by transports whose links write to sockets (ask for it with
 * {@code transport.capability(DeferredWrites.class)}; null where commits cost no system call).
 * <p>
 * Between {@link #deferWrites()} and {@link #flushWrites()} a commit leaves its message in the link's buffer;
 * {@link #flushWrites()} (or the transport's {@code doWork()}) writes them. Used by the engine around one pass of
 * its progress loop: a ring that injects a run of chunks, or forwards several chunks that arrived together, hands
 * the kernel one large write, which it segments more cheaply than many small ones. Only the thread that uses the
 * transport calls these.
 */
public interface DeferredWrites
{
    /**
     * From now until {@link #flushWrites()}, commits do not write to the kernel.
     */
    void deferWrites();

    /**
     * Write what was deferred (what the kernel takes now; the rest later as {@code doWork()} goes on, as for any
     * write the kernel did not take at once), and write at every commit again. Never throws.
     *
     * @return the number of links that wrote bytes.
     */
    int flushWrites();
}
