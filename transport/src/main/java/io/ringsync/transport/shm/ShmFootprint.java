package io.ringsync.transport.shm;

import io.ringsync.transport.FileSpace;

import java.io.File;

/**
 * How much of /dev/shm the shm transport's files take, as figures: link files, direct-mode windows, and what a
 * directory already holds or has free. The layer above adds its own files and turns a shortfall into advice; it
 * must check before any file is created: pages are touched when files are made, and a page that tmpfs cannot
 * supply kills the process with SIGBUS instead of failing with a message.
 * <p>
 * A job of n ranks holds n (n - 1) link files (a full mesh: every algorithm may use any link) and one direct-mode
 * window per rank, whether or not it is in use (vectors a user allocates in shared memory come on top). Every
 * figure is fixed by the settings, never by a vector's size: vectors stream through.
 */
public final class ShmFootprint
{
    /**
     * Bytes of a page: every file takes whole pages of tmpfs.
     */
    public static final long PAGE = 4096;

    private ShmFootprint()
    {
    }

    /**
     * @param slotCount  slots per link.
     * @param slotLength bytes per slot.
     * @return the bytes of one link file, in whole pages.
     */
    public static long linkFileBytes(final int slotCount, final int slotLength)
    {
        return pages(ShmLinkDescriptor.fileLength(slotCount, slotLength));
    }

    /**
     * @param worldSize   ranks in the job.
     * @param windowBytes data bytes of a window.
     * @return the bytes of one rank's direct-mode window file: its data, its chunk flags and its header, as
     * {@link ShmWindows#window()} makes it; 0 for no window.
     */
    public static long windowFileBytes(final int worldSize, final long windowBytes)
    {
        if (windowBytes <= 0)
        {
            return 0;
        }
        final int flags = (int)(windowBytes / ShmWindows.MIN_CHUNK_BYTES) + 2 * worldSize;
        return pages(ShmWindow.fileLength(flags, windowBytes));
    }

    /**
     * @param worldSize   ranks in the job.
     * @param slotCount   slots per link.
     * @param slotLength  bytes per slot.
     * @param windowBytes window allowance per rank.
     * @return the bytes of /dev/shm the transport's files of the whole job take at most.
     */
    public static long jobBytes(final int worldSize, final int slotCount, final int slotLength, final long windowBytes)
    {
        return (long)worldSize * (worldSize - 1) * linkFileBytes(slotCount, slotLength) +
            worldSize * windowFileBytes(worldSize, windowBytes);
    }

    /**
     * @param directory a directory, or one not yet created.
     * @return the bytes its file system lets this user allocate (statvfs free blocks for unprivileged users), or
     * -1 when it cannot be told.
     */
    public static long usableBytes(final File directory)
    {
        return FileSpace.usableBytes(directory);
    }

    /**
     * @param directory the job directory.
     * @return the bytes the files already in it take (they are counted in the job's footprint already).
     */
    public static long existingBytes(final File directory)
    {
        final File[] files = directory.listFiles();
        long bytes = 0;
        if (null != files)
        {
            for (final File file : files)
            {
                if (file.isFile())
                {
                    bytes += pages(file.length());
                }
            }
        }
        return bytes;
    }

    /**
     * @param bytes of a file.
     * @return the bytes of the whole pages it takes.
     */
    public static long pages(final long bytes)
    {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }
}
