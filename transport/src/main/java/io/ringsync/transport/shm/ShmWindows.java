package io.ringsync.transport.shm;

import org.agrona.CloseHelper;

import java.io.File;

/**
 * The direct-mode memory of one rank of a {@link ShmTransport}: its own window (created on first use), its
 * allocations, and the peers' windows and allocations it has mapped. Peers' files are looked for at most every
 * {@link ShmTransport#ATTACH_INTERVAL_NS} each, so a caller can ask on every poll. Single-threaded, as the
 * transport; closed with it, in reverse order: peers' mappings first, then this rank's files, which are deleted.
 */
public final class ShmWindows implements AutoCloseable
{
    /**
     * Most allocations a rank may hold: a model and its gradients are two; the ids index a fixed array.
     */
    public static final int MAX_ALLOCATIONS = 8;

    /**
     * Fewest bytes per chunk the flag array is sized for: a window of W bytes has W / 4 KiB + 2 n flags.
     */
    public static final int MIN_CHUNK_BYTES = 4096;

    private final ShmTransport.Context ctx;
    private final int rank;
    private final int worldSize;
    private final ShmWindow[] peerWindows;
    private final ShmWindow[][] peerAllocations;
    private final long[] nextLookNs;
    private final ShmWindow[] allocations = new ShmWindow[MAX_ALLOCATIONS + 1];
    private ShmWindow window;
    // written by the thread that allocates, read by the one running a call (an async progress thread)
    private volatile int allocationCount;
    private boolean isClosed;

    ShmWindows(final ShmTransport.Context ctx)
    {
        this.ctx = ctx;
        this.rank = ctx.rank();
        this.worldSize = ctx.worldSize();
        this.peerWindows = new ShmWindow[worldSize];
        this.peerAllocations = new ShmWindow[worldSize][MAX_ALLOCATIONS + 1];
        this.nextLookNs = new long[worldSize];
    }

    /**
     * @return bytes of a window's data area, from {@link ShmTransport.Context#windowLength()}.
     */
    public long windowLength()
    {
        return ctx.windowLength();
    }

    /**
     * This rank's window, created on the first call.
     *
     * @return the window.
     * @throws IllegalStateException when it cannot be created (e.g. /dev/shm is full).
     */
    public ShmWindow window()
    {
        if (null == window)
        {
            checkOpen();
            final long length = ctx.windowLength();
            final int flags = (int)(length / MIN_CHUNK_BYTES) + 2 * worldSize;
            window = ShmWindow.create(new File(ctx.directory(), ShmWindow.windowFileName(rank)),
                ShmWindow.KIND_WINDOW, ctx.jobId(), rank, 0, flags, length);
        }
        return window;
    }

    /**
     * A peer's window, mapped once it exists.
     *
     * @param peer another rank.
     * @return the mapping, or null while the peer has not created it.
     */
    public ShmWindow peerWindow(final int peer)
    {
        ShmWindow w = peerWindows[peer];
        if (null == w && !isClosed && lookNow(peer))
        {
            w = ShmWindow.map(new File(ctx.directory(), ShmWindow.windowFileName(peer)),
                ShmWindow.KIND_WINDOW, ctx.jobId(), peer, 0);
            peerWindows[peer] = w;
        }
        return w;
    }

    /**
     * Place a new allocation of {@code bytes} in shared memory.
     *
     * @param bytes data length.
     * @return the allocation, or null when this rank already holds {@link #MAX_ALLOCATIONS}.
     */
    public ShmWindow allocate(final long bytes)
    {
        checkOpen();
        if (allocationCount == MAX_ALLOCATIONS)
        {
            return null;
        }
        final int id = allocationCount + 1;
        final ShmWindow allocation = ShmWindow.create(new File(ctx.directory(), ShmWindow.allocationFileName(rank, id)),
            ShmWindow.KIND_ALLOCATION, ctx.jobId(), rank, id, 0, bytes);
        allocations[id] = allocation;
        allocationCount = id;
        return allocation;
    }

    /**
     * The allocation of this rank that holds {@code [address, address + bytes)}, if any.
     *
     * @param address absolute.
     * @param bytes   length.
     * @return the allocation, or null.
     */
    public ShmWindow allocationHolding(final long address, final long bytes)
    {
        for (int id = 1; id <= allocationCount; id++)
        {
            final ShmWindow a = allocations[id];
            if (address >= a.dataAddress() && address + bytes <= a.dataAddress() + a.dataLength())
            {
                return a;
            }
        }
        return null;
    }

    /**
     * Whether {@code [address, address + bytes)} overlaps this rank's window data.
     *
     * @param address absolute.
     * @param bytes   length.
     * @return true when it does.
     */
    public boolean overlapsWindow(final long address, final long bytes)
    {
        return null != window && address < window.dataAddress() + window.dataLength() &&
            window.dataAddress() < address + bytes;
    }

    /**
     * A peer's allocation, mapped once it exists (it is published before any call names it).
     *
     * @param peer another rank.
     * @param id   1 to {@link #MAX_ALLOCATIONS}.
     * @return the mapping, or null.
     */
    public ShmWindow peerAllocation(final int peer, final int id)
    {
        if (id < 1 || id > MAX_ALLOCATIONS)
        {
            return null;
        }
        ShmWindow a = peerAllocations[peer][id];
        if (null == a && !isClosed && lookNow(peer))
        {
            a = ShmWindow.map(new File(ctx.directory(), ShmWindow.allocationFileName(peer, id)),
                ShmWindow.KIND_ALLOCATION, ctx.jobId(), peer, id);
            peerAllocations[peer][id] = a;
        }
        return a;
    }

    private boolean lookNow(final int peer)
    {
        final long nowNs = System.nanoTime();
        if (nowNs - nextLookNs[peer] < 0)
        {
            return false;
        }
        nextLookNs[peer] = nowNs + ShmTransport.ATTACH_INTERVAL_NS;
        return true;
    }

    private void checkOpen()
    {
        if (isClosed)
        {
            throw new IllegalStateException("rank " + rank + ": the shm transport is closed");
        }
    }

    /**
     * Unmap peers' files, delete this rank's (allocations keep their mapping for the user's buffers). Idempotent.
     */
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        for (final ShmWindow[] peer : peerAllocations)
        {
            for (final ShmWindow a : peer)
            {
                CloseHelper.quietClose(a);
            }
        }
        for (final ShmWindow w : peerWindows)
        {
            CloseHelper.quietClose(w);
        }
        for (final ShmWindow a : allocations)
        {
            if (null != a)
            {
                a.closeKeepingMapping();
            }
        }
        CloseHelper.quietClose(window);
    }
}
