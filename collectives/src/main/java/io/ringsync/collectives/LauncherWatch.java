package io.ringsync.collectives;

import org.agrona.IoUtil;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/**
 * Stops a rank whose launcher is gone. {@code ringsync launch} passes its pid in
 * {@link Configuration#LAUNCHER_PID_ENV}; a launcher stopped by a signal it can catch stops its ranks itself, but
 * one killed with SIGKILL cannot, and its ranks would run on forever, holding their files in /dev/shm. A daemon
 * thread of each rank checks every {@link #POLL_INTERVAL_MS} ms that the launcher still lives (by pid and start
 * time, so a reused pid is not mistaken for it); once it is gone the rank says so on stderr, removes the job
 * directory (only when its {@code launcher.pid} names that launcher) and exits with {@link #EXIT_CODE}. The
 * engine runs on the caller's thread and is never touched from here: exiting the JVM ends any call in progress.
 */
final class LauncherWatch
{
    /**
     * Interval of the checks: a rank ends within about this long of its launcher.
     */
    static final long POLL_INTERVAL_MS = 200;

    /**
     * Exit code of a rank stopped because its launcher died, as for a rank ended by SIGTERM (128 + 15).
     */
    static final int EXIT_CODE = 143;

    /**
     * Time given to shutdown hooks before the JVM is halted.
     */
    static final long EXIT_GRACE_MS = 5_000;

    /**
     * File in a launcher's job directory holding its pid (the launcher's {@code JobDirectory.PID_FILE}).
     */
    static final String PID_FILE = "launcher.pid";

    private static final AtomicBoolean IS_WATCHING = new AtomicBoolean();

    private LauncherWatch()
    {
    }

    /**
     * Watch the launcher named in the environment, once per process; nothing when none is named.
     *
     * @param launcherPid  from {@link Configuration#launcherPid}, or -1.
     * @param rank         this rank, for the message.
     * @param jobDirectory the launcher's job directory, or null.
     */
    static void watchFromEnvironment(final long launcherPid, final int rank, final File jobDirectory)
    {
        if (launcherPid > 0 && IS_WATCHING.compareAndSet(false, true))
        {
            watch(launcherPid, rank, jobDirectory, POLL_INTERVAL_MS, LauncherWatch::exit);
        }
    }

    /**
     * Start the watching thread.
     *
     * @param launcherPid    to watch.
     * @param rank           this rank, for the message.
     * @param jobDirectory   the launcher's job directory, or null.
     * @param pollIntervalMs between checks.
     * @param onGone         given {@link #EXIT_CODE} once the launcher is gone and the directory removed.
     * @return the thread, a daemon.
     */
    static Thread watch(
        final long launcherPid,
        final int rank,
        final File jobDirectory,
        final long pollIntervalMs,
        final IntConsumer onGone)
    {
        final Optional<ProcessHandle> launcher = ProcessHandle.of(launcherPid);
        final Thread thread = new Thread(() ->
        {
            try
            {
                while (launcher.isPresent() && launcher.get().isAlive())
                {
                    Thread.sleep(pollIntervalMs);
                }
            }
            catch (final InterruptedException ex)
            {
                return;
            }
            System.err.println("ringsync: rank " + rank + ": its launcher (pid " + launcherPid + ", " +
                Configuration.LAUNCHER_PID_ENV + ") is gone, killed before it could stop the job; this rank stops " +
                "too" + (null != jobDirectory ? " and removes the job directory " + jobDirectory : ""));
            removeJobDirectory(jobDirectory, launcherPid);
            onGone.accept(EXIT_CODE);
        }, "ringsync-launcher-watch");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Remove the job directory of a launcher that is gone, if its pid file names it: never a directory of
     * someone else's choosing.
     */
    static void removeJobDirectory(final File jobDirectory, final long launcherPid)
    {
        if (null == jobDirectory)
        {
            return;
        }
        try
        {
            final String owner = Files.readString(new File(jobDirectory, PID_FILE).toPath(), StandardCharsets.US_ASCII);
            if (Long.parseLong(owner.trim()) == launcherPid)
            {
                IoUtil.delete(jobDirectory, true);
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // gone already (another rank removed it), or not the launcher's: leave it
        }
    }

    private static void exit(final int code)
    {
        final Thread halter = new Thread(() ->
        {
            try
            {
                Thread.sleep(EXIT_GRACE_MS);
            }
            catch (final InterruptedException ignore)
            {
                // halt now
            }
            Runtime.getRuntime().halt(code);
        }, "ringsync-launcher-watch-halt");
        halter.setDaemon(true);
        halter.start();
        System.exit(code);
    }
}
