package io.ringsync.collectives;

import io.ringsync.transport.shm.ShmWindow;
import io.ringsync.transport.shm.ShmWindows;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Vectors placed where an AllReduce reads them fastest: in shared memory that peers read in place, where the
 * transport offers shared windows and the direct mode is on; ordinary 64-byte aligned off-heap memory elsewhere,
 * or once {@link ShmWindows#MAX_ALLOCATIONS} are taken.
 */
final class SharedVectors
{
    private final int rank;
    private final ShmWindows windows;

    /**
     * @param windows the transport's shared windows when the direct mode reads them, else null.
     */
    SharedVectors(final int rank, final ShmWindows windows)
    {
        this.rank = rank;
        this.windows = windows;
    }

    /**
     * @param inShared whether shared memory may still be handed out (the communicator is open).
     * @return a zeroed little-endian buffer of {@code count} elements.
     */
    UnsafeBuffer allocate(final int count, final DataType type, final boolean inShared)
    {
        if (count < 0 || null == type)
        {
            throw new IllegalArgumentException("count " + count + " and type " + type + ": count must be >= 0");
        }
        final long bytes = (long)count * type.byteSize();
        if (bytes > Integer.MAX_VALUE - 4096)
        {
            throw new IllegalArgumentException(count + " x " + type + " is above the 2 GiB of one buffer");
        }
        if (null != windows && inShared)
        {
            try
            {
                final ShmWindow shared = windows.allocate(bytes);
                if (null != shared)
                {
                    final int offset = (int)(shared.dataAddress() - shared.buffer().addressOffset());
                    return new UnsafeBuffer(shared.mapped(), offset, (int)bytes);
                }
            }
            catch (final IllegalStateException ex)
            {
                throw new ConfigurationException("rank " + rank + ": cannot place " + bytes + " bytes in shared " +
                    "memory: " + ex.getMessage() + " (is /dev/shm full?)", -1, ex);
            }
        }
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(64, (int)bytes), 64), 0, (int)bytes);
    }
}
