package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementStore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@link AgreementStore} of ranks that share a job directory (one host): a name {@code a/b} is the file
 * {@code b} in the directory {@code a} under the root, written through {@link FileAgreement} (complete or absent,
 * owner-only), so {@link #putOnce} is decided by a hard link that only one writer can make.
 */
final class DirectoryStore implements AgreementStore
{
    private final Path root;
    private final String writer;
    private String lastAsked;
    private java.io.File lastAskedFile;

    /**
     * @param root   the directory the names live under (a job or sub-communicator's status directory).
     * @param writer tells this writer's temporary files from the others' (a rank).
     */
    DirectoryStore(final Path root, final String writer)
    {
        this.root = root;
        this.writer = writer + "-" + ProcessHandle.current().pid();
    }

    @Override
    public void put(final String name, final String value) throws IOException
    {
        AgreementStore.checkValue(value);
        final Path file = file(name);
        FileAgreement.createDirectory(file.getParent());
        FileAgreement.writeAtomically(file.getParent(), file.getFileName().toString(), value);
    }

    @Override
    public boolean putOnce(final String name, final String value) throws IOException
    {
        AgreementStore.checkValue(value);
        final Path file = file(name);
        FileAgreement.createDirectory(file.getParent());
        return FileAgreement.publishOnce(file.getParent(), file.getFileName().toString(), writer, value);
    }

    @Override
    public String get(final String name) throws IOException
    {
        return FileAgreement.read(file(name));
    }

    @Override
    public boolean contains(final String name)
    {
        // one stat, no exception for a missing file, and the file of a name asked again kept: asked at every sync
        // point (the members' rank 0 looking for a request), it allocates nothing
        if (name != lastAsked)
        {
            lastAskedFile = file(name).toFile();
            lastAsked = name;
        }
        return lastAskedFile.exists();
    }

    @Override
    public void close()
    {
        // files stay: a rank that comes back late must still find what was decided without it
    }

    @Override
    public String toString()
    {
        return root.toString();
    }

    private Path file(final String name)
    {
        AgreementStore.checkName(name);
        return root.resolve(name);
    }
}
