package io.ringsync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A launcher removes the job directories of launchers that died without cleaning up, and only those.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JobDirectoryTest
{
    @Test
    void aLaunchRemovesStaleJobDirectoriesButKeepsLiveOnes() throws Exception
    {
        final Path root = JobDirectory.defaultRoot();
        final Path stale = root.resolve(JobDirectory.PREFIX + "test-stale-" + ProcessHandle.current().pid());
        final Path live = root.resolve(JobDirectory.PREFIX + "test-live-" + ProcessHandle.current().pid());
        final Path noPid = root.resolve(JobDirectory.PREFIX + "test-nopid-" + ProcessHandle.current().pid());
        try
        {
            makeJobDir(stale, deadPid());
            Files.createDirectories(stale.resolve("aeron"));
            Files.writeString(stale.resolve("aeron").resolve("cnc.dat"), "x");
            makeJobDir(live, ProcessHandle.current().pid());
            Files.createDirectories(noPid);

            final Job job = Job.run(Launcher.builder().np(1).command(List.of("true")));

            assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
            assertFalse(Files.exists(stale), "the dead launcher's directory must be removed");
            assertTrue(job.allLog().contains("removed stale job directory " + stale), job::describe);
            assertTrue(Files.isDirectory(live), "a live launcher's directory must be kept");
            assertTrue(Files.isDirectory(noPid), "a directory without a pid file may be a job starting: keep it");
        }
        finally
        {
            JobDirectory.deleteQuietly(stale);
            JobDirectory.deleteQuietly(live);
            JobDirectory.deleteQuietly(noPid);
        }
    }

    @Test
    void createMakesAPrivateDirectoryNamingItsOwner() throws Exception
    {
        final Path dir = JobDirectory.create(JobDirectory.defaultRoot(), 0x0123456789abcdefL);
        try
        {
            assertEquals(JobDirectory.PREFIX + "0123456789abcdef", dir.getFileName().toString());
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir)));
            assertEquals(ProcessHandle.current().pid(), JobDirectory.ownerPid(dir));
        }
        finally
        {
            assertTrue(JobDirectory.deleteQuietly(dir));
        }
    }

    private static void makeJobDir(final Path dir, final long pid) throws IOException
    {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(JobDirectory.PID_FILE), pid + "\n");
    }

    /**
     * @return the pid of a process that has exited (and, so soon after, has not been reused).
     */
    private static long deadPid() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        return process.pid();
    }
}
