package io.ringsync.transport.tcp;

import io.ringsync.transport.DeferredWrites;

import java.util.function.IntSupplier;

/**
 * {@link DeferredWrites} for the outbound links of one tcp mesh: a flag their commits read, and the flush. A link
 * writes anyway once {@link #MAX_DEFERRED_BYTES} wait, so a pass that injects a long run of chunks starts sending
 * its first ones while it copies the rest in, and the receiver can start reducing.
 */
final class TcpDeferredWrites implements DeferredWrites
{
    /**
     * Unwritten bytes at which a commit writes even while deferred: 64 KiB, the largest segment the kernel builds
     * for one send (GSO), so a longer wait would save no segment.
     */
    static final int MAX_DEFERRED_BYTES = 64 * 1024;

    private final IntSupplier flush;
    private boolean isDeferring;

    /**
     * @param flush writes what the mesh's links hold unwritten (the transport's {@code doWork}); returns the links
     *              that wrote bytes.
     */
    TcpDeferredWrites(final IntSupplier flush)
    {
        this.flush = flush;
    }

    public void deferWrites()
    {
        isDeferring = true;
    }

    public int flushWrites()
    {
        isDeferring = false;
        return flush.getAsInt();
    }

    /**
     * @return true while commits are to leave their frames unwritten.
     */
    boolean isDeferring()
    {
        return isDeferring;
    }
}
