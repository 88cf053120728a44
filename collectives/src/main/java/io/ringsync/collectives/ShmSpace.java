package io.ringsync.collectives;

import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.shm.ShmFootprint;

import java.io.File;
import java.util.Locale;
import java.util.Map;

/**
 * The pre-flight check of a shm job, made by every rank and by the launcher before any file is created: the most
 * the job's files take (the transport's links and windows from {@link ShmFootprint}, plus a status file per rank)
 * against the free space of the file system, and, when it does not fit, the figures and which settings to change.
 */
public final class ShmSpace
{
    private ShmSpace()
    {
    }

    /**
     * The pre-flight check as {@code ringsync launch} makes it before it starts a shm job, from the environment its
     * ranks will get (system properties override it, as for the ranks).
     *
     * @param env         the ranks' environment.
     * @param worldSize   ranks in the job.
     * @param directory   the job directory, which may not exist yet.
     * @param usableBytes free bytes to assume, or -1 to ask the file system (statvfs).
     * @throws ConfigurationException with the figures and what to do when the job does not fit, or naming a bad
     *                                setting.
     */
    public static void check(
        final Map<String, String> env, final int worldSize, final File directory, final long usableBytes)
    {
        check(Context.fromEnvironment(env).worldSize(worldSize).conclude(), directory, usableBytes);
    }

    /**
     * @param ctx         concluded settings, with the world size.
     * @param directory   the job directory, which may not exist yet.
     * @param usableBytes free bytes to assume, or -1 to ask the file system.
     * @throws ConfigurationException with the figures and what to do, when the job does not fit.
     */
    static void check(final Context ctx, final File directory, final long usableBytes)
    {
        final String problem = shortfall(ctx, directory, ShmFootprint.existingBytes(directory),
            usableBytes >= 0 ? usableBytes : ShmFootprint.usableBytes(directory));
        if (null != problem)
        {
            throw new ConfigurationException(problem, -1);
        }
    }

    /**
     * @param present bytes of the job's files that exist already (free space no longer counts them).
     * @param usable  free bytes, -1 when unknown (then there is nothing to say).
     * @return null when the job fits, else a message with the figures and what to do.
     */
    static String shortfall(final Context ctx, final File directory, final long present, final long usable)
    {
        final int n = ctx.worldSize();
        final int slotCount = ctx.shmSlotCountFor(n);
        final int slotLength = ctx.shmSlotLength();
        final long windowBytes = ctx.directMinBytes() < 0 ? 0 : ctx.shmWindowBytes();
        final long needed = jobBytes(n, slotCount, slotLength, windowBytes);
        if (usable < 0 || needed - present <= usable)
        {
            return null;
        }
        final long links = (long)n * (n - 1) * ShmFootprint.linkFileBytes(slotCount, slotLength);
        return "a " + n + "-rank shm job needs " + mib(needed) + " in " + directory.getParent() + " (" + n * (n - 1) +
            " links of " + slotCount + " slots x " + slotLength + " bytes = " + mib(links) + ", plus " +
            mib(n * ShmFootprint.windowFileBytes(n, windowBytes)) + " of direct-mode windows, " +
            Configuration.SHM_WINDOW_BYTES_ENV + "=" + windowBytes + " per rank), but only " + mib(usable) +
            " is free" + (present > 0 ? " besides the job's " + mib(present) : "") + ". Give it more room (docker " +
            "run --shm-size=" + suggestedShmSize(needed) + "m ...), lower " + Configuration.SHM_SLOT_COUNT_ENV +
            " or " + Configuration.SHM_SLOT_LENGTH_ENV + " (or " + Configuration.CHUNK_BYTES_ENV + "), or use " +
            "--transport ipc (" + Configuration.TRANSPORT_ENV + "=ipc)";
    }

    /**
     * @return every file of a shm job: the transport's, and a status file per rank.
     */
    static long jobBytes(final int worldSize, final int slotCount, final int slotLength, final long windowBytes)
    {
        return ShmFootprint.jobBytes(worldSize, slotCount, slotLength, windowBytes) +
            worldSize * ShmFootprint.pages(StatusDescriptor.FILE_LENGTH);
    }

    private static long suggestedShmSize(final long needed)
    {
        // round up to a multiple of 64 MiB with a quarter spare, the sizes people pass to docker
        final long mib = (needed + (needed >> 2) + (1 << 20) - 1) >> 20;
        return (mib + 63) / 64 * 64;
    }

    private static String mib(final long bytes)
    {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
