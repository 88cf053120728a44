package io.ringsync.collectives;

import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 7 of issue 14, the rank's side: a rank notices that the process named as its launcher is gone, removes
 * that launcher's job directory (only if its pid file names it) and stops, with the exit code of SIGTERM. The
 * stand-in launcher is a {@code sleep} killed with SIGKILL; the exit is replaced by a future here.
 */
@Timeout(30)
class LauncherWatchTest
{
    private static File jobDirectory(final long ownerPid) throws Exception
    {
        final File dir = TestJobDirectory.fresh("launcher-watch");
        io.ringsync.transport.PrivateDirectory.ensure(dir);
        Files.writeString(new File(dir, LauncherWatch.PID_FILE).toPath(), ownerPid + "\n");
        Files.writeString(new File(dir, "link-0-1.shm").toPath(), "data");
        return dir;
    }

    @Test
    void aRankStopsAndRemovesTheJobDirectoryWhenItsLauncherIsKilled() throws Exception
    {
        final Process launcher = new ProcessBuilder("sleep", "60").start();
        final File dir = jobDirectory(launcher.pid());
        try
        {
            final CompletableFuture<Integer> exit = new CompletableFuture<>();
            LauncherWatch.watch(launcher.pid(), 1, dir, 20, exit::complete);
            assertThrows(TimeoutException.class, () -> exit.get(300, TimeUnit.MILLISECONDS),
                "a live launcher is left alone");
            assertTrue(dir.isDirectory());

            launcher.destroyForcibly();
            assertEquals(LauncherWatch.EXIT_CODE, exit.get(5, TimeUnit.SECONDS));
            assertFalse(dir.exists(), "the killed launcher's job directory must be removed");
        }
        finally
        {
            launcher.destroyForcibly();
            IoUtil.delete(dir, true);
        }
    }

    @Test
    void aDirectoryThatIsNotTheLaunchersIsKeptAndALauncherAlreadyGoneStopsTheRankAtOnce() throws Exception
    {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, TimeUnit.SECONDS));
        final File dir = jobDirectory(ProcessHandle.current().pid());
        try
        {
            final CompletableFuture<Integer> exit = new CompletableFuture<>();
            LauncherWatch.watch(gone.pid(), 0, dir, 20, exit::complete);
            assertEquals(LauncherWatch.EXIT_CODE, exit.get(5, TimeUnit.SECONDS));
            assertTrue(new File(dir, "link-0-1.shm").isFile(), "a directory of another launcher must be kept");
        }
        finally
        {
            IoUtil.delete(dir, true);
        }
    }

    @Test
    void aBadLauncherPidNamesTheVariable()
    {
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Configuration.launcherPid(java.util.Map.of(Configuration.LAUNCHER_PID_ENV, "0")));
        assertTrue(ex.getMessage().startsWith(Configuration.LAUNCHER_PID_ENV + "=0"), ex.getMessage());
        assertEquals(-1, Configuration.launcherPid(java.util.Map.of()));
    }
}
