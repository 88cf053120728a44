package io.ringsync.transport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one place that answers "is there room" for the files a job maps (shm links, windows, allocations, status
 * pages, Aeron's cnc and log buffers), and that turns running out of it into a message with the figures. A mapped
 * file is given its pages when they are first touched: on a full tmpfs that raises SIGBUS, which the JVM reports
 * as a {@link InternalError} from an unsafe memory access. So every creating path checks first, and also catches
 * that error, removing what it made.
 */
public final class FileSpace
{
    private FileSpace()
    {
    }

    /**
     * @param directory a directory, or one not yet created.
     * @return the bytes its file system lets this user allocate (statvfs free blocks for unprivileged users), or
     * -1 when it cannot be told (then there is nothing to say).
     */
    public static long usableBytes(final File directory)
    {
        final Path existing = nearestExisting(directory);
        try
        {
            return null == existing ? -1 : Files.getFileStore(existing).getUsableSpace();
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /**
     * @param directory where files are to be made; it may not exist yet, but its parent must.
     * @param needed    bytes they take, in whole pages.
     * @param what      what they are, for the message ("a 2-rank shm job").
     * @return null when they fit (or the free space cannot be told), else a message with needed, free and path, or
     * saying that the directory's parent does not exist.
     */
    public static String shortfall(final File directory, final long needed, final String what)
    {
        final File parent = directory.getAbsoluteFile().getParentFile();
        if (!directory.isDirectory() && null != parent && !parent.isDirectory())
        {
            return what + " cannot be made in " + directory + ": neither it nor its parent " + parent + " exists";
        }
        final long usable = usableBytes(directory);
        if (usable < 0 || needed <= usable)
        {
            return null;
        }
        return what + " needs " + mib(needed) + " in " + fileSystemOf(directory) + ", but only " + mib(usable) +
            " is free there";
    }

    /**
     * Check that {@code needed} bytes fit before making files.
     *
     * @param directory where files are to be made.
     * @param needed    bytes they take.
     * @param what      what they are, for the message.
     * @throws IllegalStateException with needed, free and path when they do not fit.
     */
    public static void require(final File directory, final long needed, final String what)
    {
        final String problem = shortfall(directory, needed, what);
        if (null != problem)
        {
            throw new IllegalStateException(problem);
        }
    }

    /**
     * @param what  what could not be made, e.g. "rank 1 cannot create its shm window".
     * @param file  the file.
     * @param bytes its length.
     * @param cause what went wrong: an {@link IOException}, a runtime exception, or the {@link InternalError} of a
     *              page that could not be supplied.
     * @return an exception with the figures, and the cause.
     */
    public static IllegalStateException failure(
        final String what, final File file, final long bytes, final Throwable cause)
    {
        final File directory = file.getAbsoluteFile().getParentFile();
        final long usable = usableBytes(directory);
        final String free = usable < 0 ? "" : "; " + mib(usable) + " is free in " + fileSystemOf(directory);
        final String reason = cause instanceof InternalError ?
            "the file system ran out of space while its pages were touched (" + cause.getMessage() + ")" :
            String.valueOf(cause);
        return new IllegalStateException(what + " " + file + " (" + mib(bytes) + "): " + reason + free, cause);
    }

    /**
     * @param bytes a size.
     * @return it in MiB with one decimal, as every space message writes it.
     */
    public static String mib(final long bytes)
    {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private static String fileSystemOf(final File directory)
    {
        final Path existing = nearestExisting(directory);
        try
        {
            return null == existing ? String.valueOf(directory) :
                existing + " (" + Files.getFileStore(existing).name() + ")";
        }
        catch (final IOException | RuntimeException ex)
        {
            return existing.toString();
        }
    }

    private static Path nearestExisting(final File directory)
    {
        Path path = directory.toPath().toAbsolutePath();
        while (null != path && !Files.exists(path))
        {
            path = path.getParent();
        }
        return path;
    }
}
