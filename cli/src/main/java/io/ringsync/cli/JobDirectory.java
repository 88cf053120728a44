package io.ringsync.cli;

import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.PrivateDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The per-job directory: {@code /dev/shm/ringsync-<job id in hex>}, private to the user, holding the Aeron
 * directories of the job and a {@code launcher.pid} that says which process owns it. Its owner removes it
 * when the job ends; a later launcher removes the ones whose owner was killed before it could.
 */
public final class JobDirectory
{
    /**
     * Prefix of every job directory's name.
     */
    public static final String PREFIX = "ringsync-";

    /**
     * File in a job directory holding the pid of the process that owns it, in decimal.
     */
    public static final String PID_FILE = "launcher.pid";

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /**
     * A pid file written more than this long before its process started names a newer process that was
     * given a recycled pid. Process start times are rounded to clock ticks, hence the slack.
     */
    private static final long PID_REUSE_SLACK_MS = 2_000;

    private JobDirectory()
    {
    }

    /**
     * @return {@code /dev/shm} where it exists (memory-backed, what Aeron wants), else {@code java.io.tmpdir}.
     */
    public static Path defaultRoot()
    {
        final Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm))
        {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /**
     * @param jobId of the job.
     * @return the name of its directory, {@code ringsync-} and 16 hex digits.
     */
    public static String name(final long jobId)
    {
        return PREFIX + String.format("%016x", jobId);
    }

    /**
     * Create the directory of a job, readable by its owner only, with this process' pid in {@link #PID_FILE}.
     *
     * @param root  to create it in.
     * @param jobId of the job.
     * @return the directory.
     * @throws FileAlreadyExistsException when a job with that id already has one.
     * @throws IOException                when it cannot be created.
     */
    public static Path create(final Path root, final long jobId) throws IOException
    {
        final Path dir = root.resolve(name(jobId));
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        try
        {
            // the umask can only narrow what createDirectory asked for, but say it explicitly all the same
            Files.setPosixFilePermissions(dir, OWNER_ONLY);
            PrivateDirectory.writeFile(dir.resolve(PID_FILE), ProcessHandle.current().pid() + "\n");
        }
        catch (final IOException | RuntimeException ex)
        {
            deleteQuietly(dir);
            throw ex;
        }
        return dir;
    }

    /**
     * Remove the job directories under {@code root} whose owner is gone: their {@link #PID_FILE} names a
     * process that no longer exists (or a newer process that got its pid), and no rank that published a status
     * file there still runs. Directories without a readable
     * pid file are left alone: one may be a job being set up this very moment.
     *
     * @param root to look in.
     * @param log  told about each directory removed.
     * @return the directories removed.
     */
    public static List<Path> removeStale(final Path root, final Consumer<String> log)
    {
        final List<Path> removed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, PREFIX + "*"))
        {
            for (final Path dir : entries)
            {
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS))
                {
                    continue;
                }
                final long pid = ownerPid(dir);
                // a launcher killed outright leaves its ranks running: their files stay until they are gone too
                if (pid > 0 && isStale(dir, pid) && 0 == RankStatusBoard.liveRanks(dir.toFile()) && deleteQuietly(dir))
                {
                    removed.add(dir);
                    log.accept("ringsync: removed stale job directory " + dir + " (its launcher, pid " + pid +
                        ", is gone)");
                }
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // an unreadable root holds nothing of ours to clean
        }
        return removed;
    }

    /**
     * @param dir a job directory.
     * @return the pid in its {@link #PID_FILE}, or -1 when there is none or it cannot be read.
     */
    public static long ownerPid(final Path dir)
    {
        try
        {
            return Long.parseLong(Files.readString(dir.resolve(PID_FILE), StandardCharsets.US_ASCII).trim());
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    private static boolean isStale(final Path dir, final long pid)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return true;
        }
        final Optional<Instant> started = process.get().info().startInstant();
        if (started.isEmpty())
        {
            return false;
        }
        try
        {
            final FileTime written = Files.getLastModifiedTime(dir.resolve(PID_FILE));
            return started.get().toEpochMilli() > written.toMillis() + PID_REUSE_SLACK_MS;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * Delete a directory and everything in it, without following symbolic links out of it.
     *
     * @param dir to delete; nothing happens when it does not exist.
     * @return true when it is gone.
     */
    public static boolean deleteQuietly(final Path dir)
    {
        if (null == dir)
        {
            return true;
        }
        try
        {
            Files.walkFileTree(dir, new SimpleFileVisitor<>()
            {
                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult visitFileFailed(final Path file, final IOException ex) throws IOException
                {
                    if (ex instanceof NoSuchFileException)
                    {
                        return FileVisitResult.CONTINUE;
                    }
                    throw ex;
                }

                public FileVisitResult postVisitDirectory(final Path subdir, final IOException ex) throws IOException
                {
                    Files.deleteIfExists(subdir);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final NoSuchFileException ignore)
        {
            // already gone
        }
        catch (final IOException ex)
        {
            return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
        }
        return !Files.exists(dir, LinkOption.NOFOLLOW_LINKS);
    }
}
