package io.ringsync.collectives;

import java.io.File;
import java.util.UUID;

/**
 * A fresh job directory for a test, under /dev/shm where there is one (as the launcher makes them), not yet
 * created; tests remove it with everything in it ({@code IoUtil.delete(dir, true)}) when they end.
 */
final class TestJobDirectory
{
    private TestJobDirectory()
    {
    }

    static File fresh(final String name)
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, "ringsync-" + name + "-" + UUID.randomUUID());
    }
}
