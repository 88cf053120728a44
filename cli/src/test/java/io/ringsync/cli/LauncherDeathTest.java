package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 7 of issue 14: the ranks of a launcher killed with SIGKILL stop by themselves within a bound, and the
 * job directory goes with them. A real launcher JVM starts 2 JVM ranks that join a shm job and then loop.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // starts a launcher JVM with JVM ranks and kills it
class LauncherDeathTest
{
    private static final long RANKS_END_WITHIN_MS = 15_000;

    @Test
    void ranksOfASigkilledLauncherStopAndRemoveTheJobDirectory() throws Exception
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            RingsyncCommand.class.getName(), "launch", "--np", "2", "--transport", "shm", "--",
            java, "-cp", System.getProperty("java.class.path"), LoopMain.class.getName()));
        final Process launcher = new ProcessBuilder(command).redirectErrorStream(true).start();
        final List<String> output = new ArrayList<>();
        List<ProcessHandle> ranks = List.of();
        try
        {
            final BufferedReader reader = new BufferedReader(new InputStreamReader(launcher.getInputStream(),
                StandardCharsets.UTF_8));
            int ready = 0;
            String line;
            while (ready < 2 && null != (line = reader.readLine()))
            {
                output.add(line);
                if (line.contains(LoopMain.READY))
                {
                    ready++;
                }
            }
            assertEquals(2, ready, () -> "the ranks did not start: " + String.join("\n", output));
            final Path jobDir = jobDirectoryOf(launcher.pid());
            ranks = launcher.descendants().collect(Collectors.toList());
            assertTrue(ranks.size() >= 2, ranks::toString);

            launcher.destroyForcibly(); // SIGKILL: no hook of the launcher runs
            assertTrue(launcher.waitFor(10, TimeUnit.SECONDS));

            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RANKS_END_WITHIN_MS);
            while (ranks.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(50);
            }
            final List<ProcessHandle> alive = ranks.stream().filter(ProcessHandle::isAlive)
                .collect(Collectors.toList());
            assertEquals(List.of(), alive, "ranks still running " + RANKS_END_WITHIN_MS + " ms after the launcher");
            assertFalse(Files.exists(jobDir), "the job directory " + jobDir + " must be removed");
        }
        finally
        {
            ranks.forEach(ProcessHandle::destroyForcibly);
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }

    private static Path jobDirectoryOf(final long launcherPid) throws Exception
    {
        try (Stream<Path> dirs = Files.list(JobDirectory.defaultRoot()))
        {
            return dirs.filter(d -> d.getFileName().toString().startsWith(JobDirectory.PREFIX))
                .filter(d -> JobDirectory.ownerPid(d) == launcherPid)
                .findFirst()
                .orElseThrow(() -> new AssertionError("launcher " + launcherPid + " made no job directory"));
        }
    }
}
