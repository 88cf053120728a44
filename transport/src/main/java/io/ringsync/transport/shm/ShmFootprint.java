package io.ringsync.transport.shm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much of /dev/shm a shm job takes, and a check against the free space, made before any file is created:
 * link and status pages are touched when they are made, and a page that tmpfs cannot supply kills the process
 * with SIGBUS instead of failing with a message.
 * <p>
 * A job of n ranks holds n (n - 1) link files (a full mesh: every algorithm may use any link), n status files,
 * and one direct-mode window of {@link #WINDOW_BYTES_ENV} data per rank, whether or not it is in use (vectors
 * a user allocates in shared memory come on top). Every figure is fixed by the settings, never by a vector's size: vectors stream through.
 * With the defaults a 4-rank job needs well under the 64 MiB /dev/shm a container gets by default.
 */
public final class ShmFootprint
{
    /**
     * Variable with the bytes of /dev/shm each rank may map as windows of the direct mode.
     */
    public static final String WINDOW_BYTES_ENV = "RINGSYNC_SHM_WINDOW_BYTES";

    /**
     * Default window data per rank: {@link ShmTransport#WINDOW_LENGTH_DEFAULT}.
     */
    public static final long WINDOW_BYTES_DEFAULT = ShmTransport.WINDOW_LENGTH_DEFAULT;

    private static final long PAGE = 4096;

    private ShmFootprint()
    {
    }

    /**
     * @param worldSize   ranks in the job.
     * @param slotCount   slots per link.
     * @param slotLength  bytes per slot.
     * @param windowBytes window allowance per rank.
     * @return the bytes of /dev/shm the whole job takes at most.
     */
    public static long jobBytes(final int worldSize, final int slotCount, final int slotLength, final long windowBytes)
    {
        final long link = pages(ShmLinkDescriptor.fileLength(slotCount, slotLength));
        return (long)worldSize * (worldSize - 1) * link + worldSize * (pages(StatusDescriptor.FILE_LENGTH) +
            windowFileBytes(worldSize, windowBytes));
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
     * @param directory a directory, or one not yet created.
     * @return the bytes its file system lets this user allocate (statvfs free blocks for unprivileged users), or
     * -1 when it cannot be told.
     */
    public static long usableBytes(final File directory)
    {
        Path path = directory.toPath().toAbsolutePath();
        while (null != path && !Files.exists(path))
        {
            path = path.getParent();
        }
        try
        {
            return null == path ? -1 : Files.getFileStore(path).getUsableSpace();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
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
     * Compare what a job needs with what is free.
     *
     * @param directory   the job directory, for the message.
     * @param worldSize   ranks in the job.
     * @param slotCount   slots per link.
     * @param slotLength  bytes per slot.
     * @param windowBytes window allowance per rank.
     * @param present     bytes of the job's files that exist already (free space no longer counts them).
     * @param usable      free bytes, -1 when unknown (then there is nothing to say).
     * @return null when the job fits, else a message with the figures and what to do.
     */
    public static String shortfall(
        final File directory,
        final int worldSize,
        final int slotCount,
        final int slotLength,
        final long windowBytes,
        final long present,
        final long usable)
    {
        final long needed = jobBytes(worldSize, slotCount, slotLength, windowBytes);
        if (usable < 0 || needed - present <= usable)
        {
            return null;
        }
        final long links = (long)worldSize * (worldSize - 1) * pages(ShmLinkDescriptor.fileLength(slotCount, slotLength));
        return "a " + worldSize + "-rank shm job needs " + mib(needed) + " in " + directory.getParent() + " (" +
            worldSize * (worldSize - 1) + " links of " + slotCount + " slots x " + slotLength + " bytes = " + mib(links) +
            ", plus " + mib(worldSize * windowFileBytes(worldSize, windowBytes)) + " of direct-mode windows, " + WINDOW_BYTES_ENV + "=" + windowBytes +
            " per rank), but only " + mib(usable) + " is free" + (present > 0 ? " besides the job's " + mib(present) : "") +
            ". Give it more room (docker run --shm-size=" + suggestedShmSize(needed) + "m ...), lower " +
            "RINGSYNC_SHM_SLOT_COUNT or RINGSYNC_SHM_SLOT_LENGTH (or RINGSYNC_CHUNK_BYTES), or use --transport ipc " +
            "(RINGSYNC_TRANSPORT=ipc)";
    }

    private static long suggestedShmSize(final long needed)
    {
        // round up to a multiple of 64 MiB with a quarter spare, the sizes people pass to docker
        final long mib = (needed + (needed >> 2) + (1 << 20) - 1) >> 20;
        return (mib + 63) / 64 * 64;
    }

    private static long pages(final long bytes)
    {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }

    private static String mib(final long bytes)
    {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
