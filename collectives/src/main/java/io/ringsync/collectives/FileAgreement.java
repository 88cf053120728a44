package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The file operations processes of one host agree through, in a job directory: every file is complete or absent
 * (written under a temporary name, then renamed or linked into place), created mode 600 in directories of mode
 * 700, and a name meant to be decided once ({@link #publishOnce}) is taken by exactly one writer. Used by
 * {@link Shrink} (join files, the decision) and by rejoining ({@link RejoinFiles}: requests, verdicts).
 */
final class FileAgreement
{
    private FileAgreement()
    {
    }

    /**
     * Create a directory (and missing parents) owner-only, or keep the one there.
     *
     * @param directory to create.
     * @throws IOException when it cannot be created.
     */
    static void createDirectory(final Path directory) throws IOException
    {
        Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PrivateDirectory.DIRECTORY_MODE));
    }

    /**
     * Write {@code name} in {@code directory} so that readers see all of it or nothing: a temporary file, then an
     * atomic rename over any earlier version.
     *
     * @param directory where.
     * @param name      the file's name.
     * @param content   one line of text, US-ASCII (a newline is added).
     * @throws IOException when it cannot be written.
     */
    static void writeAtomically(final Path directory, final String name, final String content) throws IOException
    {
        final Path temp = directory.resolve(name + "." + ProcessHandle.current().pid() + ".tmp");
        PrivateDirectory.writeFile(temp, content + "\n");
        Files.move(temp, directory.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Publish {@code name} unless it exists: the content goes to a private temporary file, which is then hard
     * linked as {@code name} ({@link Files#createLink}, which fails when the name exists). Of concurrent
     * publishers exactly one succeeds, and the file is complete when it appears.
     *
     * @param directory where.
     * @param name      the file's name.
     * @param writer    tells this writer's temporary file from the others' (a rank, a pid).
     * @param content   one line of text, US-ASCII (a newline is added).
     * @return true when this call published it, false when the name was taken already.
     * @throws IOException when it cannot be written.
     */
    static boolean publishOnce(final Path directory, final String name, final String writer, final String content)
        throws IOException
    {
        final Path temp = directory.resolve(name + "." + writer + ".tmp");
        PrivateDirectory.writeFile(temp, content + "\n");
        try
        {
            Files.createLink(directory.resolve(name), temp);
            return true;
        }
        catch (final FileAlreadyExistsException taken)
        {
            return false;
        }
        finally
        {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * @param file a file published by {@link #writeAtomically} or {@link #publishOnce}.
     * @return its content without the line end, or null when it does not exist.
     * @throws IOException when it exists but cannot be read.
     */
    static String read(final Path file) throws IOException
    {
        try
        {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        }
        catch (final NoSuchFileException ex)
        {
            return null;
        }
    }
}
