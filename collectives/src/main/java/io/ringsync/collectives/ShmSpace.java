package io.ringsync.collectives;

import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.FileSpace;
import io.ringsync.transport.aeron.AeronFootprint;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.shm.ShmFootprint;

import java.io.File;
import java.util.Map;

/**
 * The pre-flight check of a job's files in /dev/shm, made by every rank and by the launcher before any file is
 * created: the most the job's files take (a shm job's links and windows from {@link ShmFootprint}, an ipc or udp
 * job's drivers and logs from {@link AeronFootprint}, plus a status file per rank) against the free space of the
 * file system ({@link FileSpace}), and, when it does not fit, the figures and which settings to change; another
 * transport is suggested only when it would fit.
 */
public final class ShmSpace
{
    /**
     * Files the job has already that are worth a mention in a refusal (a pid file or two are not).
     */
    private static final long PRESENT_WORTH_SAYING = 64 * 1024;

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
     * As {@link #check(Map, int, File, long)} for a job of the given transport with every rank on this host, as
     * {@code ringsync launch} starts it.
     *
     * @param env         the ranks' environment.
     * @param transport   shm, ipc or udp (tcp makes no files of this size).
     * @param worldSize   ranks in the job.
     * @param directory   the job directory, which may not exist yet.
     * @param usableBytes free bytes to assume, or -1 to ask the file system.
     */
    public static void check(final Map<String, String> env, final String transport, final int worldSize,
        final File directory, final long usableBytes)
    {
        final Map<String, String> jobEnv = new java.util.HashMap<>(env);
        jobEnv.put(Configuration.TRANSPORT_ENV, transport);
        final Context ctx = Context.fromEnvironment(jobEnv).worldSize(worldSize).conclude();
        raise(shortfall(ctx, directory, ShmFootprint.existingBytes(directory),
            usableBytes >= 0 ? usableBytes : FileSpace.usableBytes(directory), worldSize));
    }

    /**
     * @param ctx         concluded settings, with the world size.
     * @param directory   the job directory, which may not exist yet.
     * @param usableBytes free bytes to assume, or -1 to ask the file system.
     * @throws ConfigurationException with the figures and what to do, when the job does not fit.
     */
    static void check(final Context ctx, final File directory, final long usableBytes)
    {
        final int ranksHere = "udp".equals(ctx.transport()) ? 1 : ctx.worldSize();
        raise(shortfall(ctx, directory, ShmFootprint.existingBytes(directory),
            usableBytes >= 0 ? usableBytes : FileSpace.usableBytes(directory), ranksHere));
    }

    private static void raise(final String problem)
    {
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
        return shortfall(ctx, directory, present, usable, ctx.worldSize());
    }

    /**
     * @param present   bytes of the job's files that exist already (free space no longer counts them).
     * @param usable    free bytes, -1 when unknown (then there is nothing to say).
     * @param ranksHere ranks of the job on this host (udp: each has a driver of its own).
     * @return null when the job fits, else a message with the figures and what to do; a message that the
     * directory does not exist when neither it nor its parent does.
     */
    static String shortfall(
        final Context ctx, final File directory, final long present, final long usable, final int ranksHere)
    {
        final int n = ctx.worldSize();
        final File parent = directory.getAbsoluteFile().getParentFile();
        if (!directory.isDirectory() && null != parent && !parent.isDirectory())
        {
            return "the job directory " + directory + " does not exist, nor does its parent " + parent + ": " +
                "create it (mode 700), or leave " + Configuration.JOB_DIR_ENV + " unset";
        }
        final long statusBytes = (long)ranksHere * ShmFootprint.pages(StatusDescriptor.FILE_LENGTH);
        final long ipcBytes = AeronFootprint.ipcJobBytes(n, Math.max(ctx.termLength(),
            MediaDriverHost.IPC_TERM_LENGTH_MIN)) + statusBytes;
        switch (ctx.transport())
        {
            case "shm":
                return shmShortfall(ctx, directory, present, usable, ipcBytes);
            case "ipc":
                return aeronShortfall("a " + n + "-rank ipc job (one media driver, " + (long)n * (n - 1) + " logs of 3 x " +
                    ctx.termLength() + "-byte terms)", ipcBytes, directory, present, usable, ctx);
            case "udp":
                final long rankBytes = AeronFootprint.udpRankBytes(n, ctx.termLength());
                return aeronShortfall((1 == ranksHere ? "a rank of a " : ranksHere + " ranks of a ") + n +
                    "-rank udp job (a media driver and " + 2 * (n - 1) + " logs of 3 x " + ctx.termLength() +
                    "-byte terms per rank)", ranksHere * rankBytes + statusBytes, directory, present, usable, ctx);
            default:
                return null;
        }
    }

    private static String shmShortfall(
        final Context ctx, final File directory, final long present, final long usable, final long ipcBytes)
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
        return "a " + n + "-rank shm job needs " + mib(needed) + " in " + directory.getParent() + " (" + (long)n * (n - 1) +
            " links of " + slotCount + " slots x " + slotLength + " bytes = " + mib(links) + ", plus " +
            mib(n * ShmFootprint.windowFileBytes(n, windowBytes)) + " of direct-mode windows, " +
            Configuration.SHM_WINDOW_BYTES_ENV + "=" + windowBytes + " per rank), but only " + mib(usable) +
            " is free" + (present >= PRESENT_WORTH_SAYING ? " besides the job's " + mib(present) : "") + ". Give it more room (docker " +
            "run --shm-size=" + suggestedShmSize(needed) + "m ...), lower " + Configuration.SHM_SLOT_COUNT_ENV +
            " or " + Configuration.SHM_SLOT_LENGTH_ENV + " (or " + Configuration.CHUNK_BYTES_ENV + ")" +
            (ipcBytes <= usable ? ", or use --transport ipc (" + Configuration.TRANSPORT_ENV + "=ipc), which " +
            "needs " + mib(ipcBytes) : "");
    }

    private static String aeronShortfall(final String what, final long needed, final File directory,
        final long present, final long usable, final Context ctx)
    {
        if (usable < 0 || needed - present <= usable)
        {
            return null;
        }
        final long shmBytes = jobBytes(ctx.worldSize(), ctx.shmSlotCountFor(ctx.worldSize()), ctx.shmSlotLength(),
            ctx.directMinBytes() < 0 ? 0 : ctx.shmWindowBytes());
        return what + " needs " + mib(needed) + " in " + directory.getParent() + ", but only " + mib(usable) +
            " is free" + (present >= PRESENT_WORTH_SAYING ? " besides the job's " + mib(present) : "") + ". Give it more room (docker " +
            "run --shm-size=" + suggestedShmSize(needed) + "m ...) or lower " + Configuration.TERM_LENGTH_ENV + "=" +
            ctx.termLength() + " (a power of two, at least " + ("ipc".equals(ctx.transport()) ?
            MediaDriverHost.IPC_TERM_LENGTH_MIN : 65536) + ")" + (shmBytes <= usable ? ", or use --transport shm (" +
            Configuration.TRANSPORT_ENV + "=shm), which needs " + mib(shmBytes) : "");
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
        return FileSpace.mib(bytes);
    }
}
