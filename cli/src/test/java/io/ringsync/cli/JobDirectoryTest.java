package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
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
@Tag("process") // starts launcher JVMs and kills one
class JobDirectoryTest
{
    @Test
    void aLaunchRemovesStaleJobDirectoriesButKeepsLiveOnes() throws Exception
    {
        final Path root = JobDirectory.defaultRoot();
        final Path stale = root.resolve(JobDirectory.PREFIX + "test-stale-" + ProcessHandle.current().pid());
        final Path live = root.resolve(JobDirectory.PREFIX + "test-live-" + ProcessHandle.current().pid());
        final Path noPid = root.resolve(JobDirectory.PREFIX + "test-nopid-" + ProcessHandle.current().pid());
        final Path orphans = root.resolve(JobDirectory.PREFIX + "test-orphans-" + ProcessHandle.current().pid());
        io.ringsync.collectives.status.RankStatusBoard orphan = null;
        try
        {
            makeJobDir(orphans, deadPid());
            orphan = io.ringsync.collectives.status.RankStatusBoard.create(orphans.toFile(), 0, 2, 7);
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
            assertTrue(Files.isDirectory(orphans), "ranks of a dead launcher still run there: keep it");
        }
        finally
        {
            if (null != orphan)
            {
                orphan.close();
            }
            JobDirectory.deleteQuietly(orphans);
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

    /**
     * Two real launchers in their own JVMs, each running a shm job of one sleeping rank: the one killed with
     * SIGKILL (its rank too) leaves its directory, the next launch removes it and keeps the live one's; the live
     * launcher, stopped with SIGTERM, removes its own.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void aSigkilledLaunchersDirectoryIsRemovedByTheNextLaunchAndALiveOneIsKept() throws Exception
    {
        final Process killed = startLauncher();
        final Process live = startLauncher();
        try
        {
            final Path killedDir = awaitJobDirectory(killed);
            final Path liveDir = awaitJobDirectory(live);
            final List<ProcessHandle> ranks = killed.descendants().collect(java.util.stream.Collectors.toList());
            killed.destroyForcibly();
            assertTrue(killed.waitFor(10, TimeUnit.SECONDS));
            ranks.forEach(ProcessHandle::destroyForcibly);
            assertTrue(Files.isDirectory(killedDir), "SIGKILL leaves the directory behind");

            final Job job = Job.run(Launcher.builder().np(1).command(List.of("true")));

            assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
            assertFalse(Files.exists(killedDir), "the killed launcher's directory must be removed");
            assertTrue(Files.isDirectory(liveDir), "a live launcher's directory must be kept");

            live.destroy();
            assertTrue(live.waitFor(30, TimeUnit.SECONDS));
            assertFalse(Files.exists(liveDir), "a launcher stopped with SIGTERM removes its directory");
        }
        finally
        {
            for (final Process launcher : new Process[]{ killed, live })
            {
                launcher.descendants().forEach(ProcessHandle::destroyForcibly);
                launcher.destroyForcibly();
            }
        }
    }

    private static Process startLauncher() throws IOException
    {
        final List<String> command = new java.util.ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            RingsyncCommand.class.getName(), "launch", "--np", "1", "--transport", "shm", "--", "sleep", "60"));
        return new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static Path awaitJobDirectory(final Process launcher) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - deadlineNs < 0)
        {
            try (java.util.stream.Stream<Path> dirs = Files.list(JobDirectory.defaultRoot()))
            {
                final java.util.Optional<Path> dir = dirs
                    .filter(d -> d.getFileName().toString().startsWith(JobDirectory.PREFIX))
                    .filter(d -> JobDirectory.ownerPid(d) == launcher.pid())
                    .findFirst();
                if (dir.isPresent() && launcher.descendants().findAny().isPresent())
                {
                    return dir.get();
                }
            }
            assertTrue(launcher.isAlive(), "the launcher exited early");
            Thread.sleep(50);
        }
        throw new AssertionError("launcher " + launcher.pid() + " made no job directory");
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
