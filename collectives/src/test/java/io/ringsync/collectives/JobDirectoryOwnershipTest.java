package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finding 2 of issue 14 through {@link Communicator#fromEnvironment(Map)}: the predictable directory of a job id,
 * prepared by someone else (another owner, or open to all), is refused before any file is made in it, the message
 * naming the path, owner, mode and the variable that chose it.
 */
@Timeout(60)
class JobDirectoryOwnershipTest
{
    private static Map<String, String> env(final long jobId, final String transport)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.RANK_ENV, "0");
        env.put(Configuration.WORLD_SIZE_ENV, "2");
        env.put(Configuration.TRANSPORT_ENV, transport);
        env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(jobId));
        env.put(Configuration.TIMEOUT_MS_ENV, "2000");
        return env;
    }

    private static File preparedDirectory(final long jobId, final String mode) throws Exception
    {
        final File dir = Transports.jobDirectory(new Context().jobId(jobId));
        Files.createDirectory(dir.toPath());
        Files.setPosixFilePermissions(dir.toPath(), PosixFilePermissions.fromString(mode));
        return dir;
    }

    @Test
    void aJobIdsDirectoryOpenToEveryoneIsRefused() throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final File dir = preparedDirectory(jobId, "rwxrwxrwx");
        try
        {
            final ConfigurationException ex = assertThrows(ConfigurationException.class,
                () -> Communicator.fromEnvironment(env(jobId, "shm")).close());
            assertTrue(ex.getMessage().contains(dir.getPath()), ex.getMessage());
            assertTrue(ex.getMessage().contains("mode 777"), ex.getMessage());
            assertTrue(ex.getMessage().contains(Configuration.JOB_ID_ENV), ex.getMessage());
            assertEquals(0, dir.list().length, "nothing may be created in a refused directory");
        }
        finally
        {
            IoUtil.delete(dir, true);
        }
    }

    @Test
    void aJobDirectoryOfAnotherUserIsRefusedOnEveryTransport() throws Exception
    {
        assumeTrue(0 == PrivateDirectory.currentUid(), "skipped: giving a directory to another user needs root");
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final File dir = preparedDirectory(jobId, "rwx------");
        try
        {
            Files.setAttribute(dir.toPath(), "unix:uid", 65534);
            for (final String transport : new String[]{ "shm", "udp" })
            {
                final Map<String, String> env = env(jobId, transport);
                env.put(Configuration.JOB_DIR_ENV, dir.getPath());
                env.put(Configuration.UDP_ENDPOINTS_ENV, "127.0.0.1:1,127.0.0.1:2");
                final ConfigurationException ex = assertThrows(ConfigurationException.class,
                    () -> Communicator.fromEnvironment(env).close(), transport);
                assertTrue(ex.getMessage().contains("belongs to another user") &&
                    ex.getMessage().contains("uid 65534"), ex.getMessage());
                assertTrue(ex.getMessage().contains(Configuration.JOB_DIR_ENV + "=" + dir), ex.getMessage());
                assertEquals(0, dir.list().length, transport + ": nothing may be created in a refused directory");
            }
        }
        finally
        {
            IoUtil.delete(dir, true);
        }
    }
}
