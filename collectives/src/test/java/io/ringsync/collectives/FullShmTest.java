package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finding 5 of issue 14 through the public API: on a job directory in a real 8 MiB tmpfs (mounted only with root;
 * skipped otherwise) a job too big is refused with the figures before any file is made, and a shared vector too
 * big for what is left fails {@link Communicator#allocate} with a {@link ConfigurationException} naming the
 * figures, leaving no {@code alloc-*} file.
 */
@Timeout(90)
class FullShmTest
{
    private static final long MIB = 1L << 20;

    private static Map<String, String> env(final int rank, final long jobId, final File dir)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.RANK_ENV, Integer.toString(rank));
        env.put(Configuration.WORLD_SIZE_ENV, "2");
        env.put(Configuration.TRANSPORT_ENV, "shm");
        env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(jobId));
        env.put(Configuration.JOB_DIR_ENV, dir.getPath());
        env.put(Configuration.TIMEOUT_MS_ENV, "20000");
        env.put(Configuration.SHM_SLOT_COUNT_ENV, "8");
        env.put(Configuration.SHM_WINDOW_BYTES_ENV, "64KiB");
        env.put(Configuration.SHM_DIRECT_MIN_BYTES_ENV, "64KiB");
        return env;
    }

    @Test
    void aJobOrAVectorTooBigForTheFileSystemIsAConfigurationExceptionWithTheFigures() throws Exception
    {
        assumeTrue(0 == PrivateDirectory.currentUid(), "skipped: mounting a small tmpfs needs root");
        final Path mount = Files.createTempDirectory("ringsync-full-shm-");
        final Process mounting = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m,mode=700", "tmpfs",
            mount.toString()).redirectErrorStream(true).start();
        assumeTrue(mounting.waitFor(10, TimeUnit.SECONDS) && 0 == mounting.exitValue(),
            "skipped: cannot mount a tmpfs here");
        final ExecutorService ranks = Executors.newFixedThreadPool(2);
        try
        {
            final File dir = mount.resolve("job").toFile();
            final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);

            final Map<String, String> tooBig = env(0, jobId, dir);
            tooBig.put(Configuration.SHM_SLOT_COUNT_ENV, "256");
            final ConfigurationException refused = assertThrows(ConfigurationException.class,
                () -> Communicator.fromEnvironment(tooBig).close());
            assertTrue(refused.getMessage().contains("a 2-rank shm job needs ") &&
                refused.getMessage().contains(" is free"), refused.getMessage());
            assertEquals(0, dir.exists() ? dir.list().length : 0, "no file before the check");

            final Future<?> peer = ranks.submit(() ->
            {
                try (Communicator comm = Communicator.fromEnvironment(env(1, jobId, dir)))
                {
                    comm.barrier();
                }
                return null;
            });
            try (Communicator comm = Communicator.fromEnvironment(env(0, jobId, dir)))
            {
                final ConfigurationException full = assertThrows(ConfigurationException.class,
                    () -> comm.allocateFloats((int)(16 * MIB / 4)));
                assertTrue(full.getMessage().contains("needs 16.0 MiB") && full.getMessage().contains(" is free"),
                    full.getMessage());
                final String[] left = dir.list((d, name) -> name.startsWith("alloc-") || name.endsWith(".tmp"));
                assertEquals(0, left.length, String.join(",", left));
                comm.barrier();
            }
            peer.get(30, TimeUnit.SECONDS);
        }
        finally
        {
            ranks.shutdownNow();
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
            IoUtil.delete(mount.toFile(), true);
        }
    }
}
