package io.ringsync.transport;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The one place that makes a job's directories and files private to the user who runs it, whatever the umask: a
 * directory ringsync creates is mode 700 and a file 600, set explicitly; a directory that already exists is used
 * only when it is a real directory (not a symbolic link), owned by this user and mode 700. Anything else may have
 * been prepared by another user to read or tamper with the job (its name, {@code ringsync-<job id>} under
 * /dev/shm, is predictable), so it is refused with the path, its owner and mode, and what to do.
 */
public final class PrivateDirectory
{
    /**
     * Permissions of every directory a job creates: owner only.
     */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");

    /**
     * Permissions of every file a job creates: owner read and write.
     */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    /**
     * Attribute creating a file with {@link #FILE_MODE} atomically (the umask can only narrow it).
     */
    public static final FileAttribute<Set<PosixFilePermission>> FILE_ATTRIBUTE =
        PosixFilePermissions.asFileAttribute(FILE_MODE);

    private static final FileAttribute<Set<PosixFilePermission>> DIRECTORY_ATTRIBUTE =
        PosixFilePermissions.asFileAttribute(DIRECTORY_MODE);

    private static volatile int currentUid = -2;

    private PrivateDirectory()
    {
    }

    /**
     * Make sure {@code dir} is a private directory of this user: create it mode 700 when it does not exist (its
     * parent must), else check it.
     *
     * @param dir the directory.
     * @return {@code dir}.
     * @throws IllegalStateException naming the path, and for an existing one its owner, mode and what to do, when
     *                               it cannot be created or is not private.
     */
    public static Path ensure(final Path dir)
    {
        final Path parent = dir.toAbsolutePath().getParent();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS))
        {
            if (null != parent && !Files.isDirectory(parent))
            {
                throw new IllegalStateException("cannot create the job directory " + dir + ": " + parent +
                    " does not exist; create it first or name a directory whose parent exists");
            }
            try
            {
                Files.createDirectory(dir, DIRECTORY_ATTRIBUTE);
                // the umask can only narrow the mode asked for; set it all the same, so nothing depends on it
                Files.setPosixFilePermissions(dir, DIRECTORY_MODE);
                return dir;
            }
            catch (final FileAlreadyExistsException ex)
            {
                // made by a peer rank (or someone else) just now: check it below
            }
            catch (final IOException | UnsupportedOperationException ex)
            {
                throw new IllegalStateException("cannot create the job directory " + dir + ": " + ex, ex);
            }
        }
        final String problem = problem(dir);
        if (null != problem)
        {
            throw new IllegalStateException(problem);
        }
        return dir;
    }

    /**
     * As {@link #ensure(Path)}, first creating missing parents mode 700 (for directories nested in a job directory
     * that a test or tool names directly).
     *
     * @param dir the directory.
     * @return {@code dir}.
     * @throws IllegalStateException as {@link #ensure(Path)}.
     */
    public static File ensureWithParents(final File dir)
    {
        createMissingParents(dir.toPath());
        ensure(dir.toPath());
        return dir;
    }

    /**
     * Create the parents of {@code path} that do not exist, mode 700; existing ones are left as they are.
     *
     * @param path a directory or file to be created.
     * @throws IllegalStateException when a parent cannot be created.
     */
    public static void createMissingParents(final Path path)
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (null != parent && !Files.isDirectory(parent))
        {
            try
            {
                Files.createDirectories(parent, DIRECTORY_ATTRIBUTE);
                Files.setPosixFilePermissions(parent, DIRECTORY_MODE);
            }
            catch (final IOException | RuntimeException ex)
            {
                throw new IllegalStateException("cannot create " + parent + ", the parent of " + path + ": " + ex, ex);
            }
        }
    }

    /**
     * As {@link #ensure(Path)}, for a {@link File}.
     *
     * @param dir the directory.
     * @return {@code dir}.
     */
    public static File ensure(final File dir)
    {
        ensure(dir.toPath());
        return dir;
    }

    /**
     * @param dir an existing directory.
     * @return null when it is a real directory owned by this user with mode 700, else what is wrong with it and what
     * to do.
     */
    public static String problem(final Path dir)
    {
        final PosixFileAttributes attributes;
        final int uid;
        try
        {
            attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            uid = (Integer)Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        }
        catch (final IOException | RuntimeException ex)
        {
            return "cannot check the job directory " + dir + " (" + ex + "); it must be a directory of this user, " +
                "mode 700";
        }
        final String mode = PosixFilePermissions.toString(attributes.permissions());
        final String found = " (a " + (attributes.isSymbolicLink() ? "symbolic link" :
            attributes.isDirectory() ? "directory" : "file") + ", owner " + attributes.owner().getName() + " uid " +
            uid + ", mode " + octal(attributes) + " " + mode + ")";
        if (attributes.isSymbolicLink() || !attributes.isDirectory())
        {
            return "the job directory " + dir + " is not a directory" + found + ": someone else may have put it " +
                "there; remove it, or use another job id or directory";
        }
        final int self = currentUid();
        if (self >= 0 && uid != self)
        {
            return "the job directory " + dir + " belongs to another user" + found + ", not to this user (uid " +
                self + "): it may have been prepared to read or change the job's data; remove it (as its owner or " +
                "root), or use another job id or directory";
        }
        if (!DIRECTORY_MODE.equals(attributes.permissions()))
        {
            return "the job directory " + dir + " is open to other users" + found + ": it must be mode 700; " +
                "`chmod 700 " + dir + "` if its files are yours and nobody else can have changed them, else remove " +
                "it";
        }
        return null;
    }

    /**
     * Write a small text file (a pid, an exit code) created mode 600, replacing one this user has there.
     *
     * @param file    to write.
     * @param content its text, US-ASCII.
     * @throws IOException when it cannot be written.
     */
    public static void writeFile(final Path file, final String content) throws IOException
    {
        writeFile(file, content.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Write a small file created mode 600, replacing one this user has there.
     *
     * @param file    to write.
     * @param content its bytes.
     * @throws IOException when it cannot be written.
     */
    public static void writeFile(final Path file, final byte[] content) throws IOException
    {
        Files.deleteIfExists(file);
        Files.createFile(file, FILE_ATTRIBUTE);
        Files.setPosixFilePermissions(file, FILE_MODE);
        Files.write(file, content);
    }

    /**
     * Make a directory tree that another program created (an Aeron directory) private: directories 700, files 600.
     * Best effort: an entry that vanishes meanwhile is skipped.
     *
     * @param dir the root of the tree.
     * @throws IllegalStateException when a mode cannot be set.
     */
    public static void restrictTree(final Path dir)
    {
        try
        {
            Files.walkFileTree(dir, new SimpleFileVisitor<>()
            {
                public FileVisitResult preVisitDirectory(final Path subdir, final BasicFileAttributes attrs)
                    throws IOException
                {
                    Files.setPosixFilePermissions(subdir, DIRECTORY_MODE);
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult visitFile(final Path file, final BasicFileAttributes attrs) throws IOException
                {
                    if (attrs.isRegularFile())
                    {
                        Files.setPosixFilePermissions(file, FILE_MODE);
                    }
                    return FileVisitResult.CONTINUE;
                }

                public FileVisitResult visitFileFailed(final Path file, final IOException ex)
                {
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            throw new IllegalStateException("cannot make " + dir + " private to this user: " + ex, ex);
        }
    }

    /**
     * @return the effective uid of this process (the owner of {@code /proc/self}), or -1 where it cannot be told.
     */
    public static int currentUid()
    {
        int uid = currentUid;
        if (-2 == uid)
        {
            try
            {
                uid = (Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            }
            catch (final IOException | RuntimeException ex)
            {
                uid = -1;
            }
            currentUid = uid;
        }
        return uid;
    }

    private static String octal(final PosixFileAttributes attributes)
    {
        int bits = 0;
        for (final PosixFilePermission permission : attributes.permissions())
        {
            bits |= 1 << (8 - permission.ordinal());
        }
        return String.format("%03o", bits);
    }
}
