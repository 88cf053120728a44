package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 7 of issue 14: the ranks of a launcher killed with SIGKILL stop by themselves within a bound, and the
 * job directory goes with them. A real launcher JVM starts 2 JVM ranks that join the job and then loop: on this
 * host (they watch the launcher's pid), and through a remote shell (the end of the launcher's pipe stops them).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // starts a launcher JVM with JVM ranks and kills it
class LauncherDeathTest
{
    private static final long RANKS_END_WITHIN_MS = 15_000;
    private static final Pattern JOB_LINE = Pattern.compile("ringsync: job 0x([0-9a-f]+): .* in (\\S+)$");

    @TempDir
    Path temp;

    @Test
    void ranksOfASigkilledLauncherStopAndRemoveTheJobDirectory() throws Exception
    {
        assertRanksStopWhenTheLauncherIsKilled(List.of("--np", "2", "--transport", "shm"));
    }

    @Test
    void ranksOnOtherHostsOfASigkilledLauncherStopAndRemoveTheirJobDirectory() throws Exception
    {
        final Path rsh = temp.resolve("local-rsh");
        Files.writeString(rsh, "#!/bin/sh\n# a stand-in for ssh: drop the host, run the command line here\n" +
            "shift\nexec sh -c \"$*\"\n");
        Files.setPosixFilePermissions(rsh, PosixFilePermissions.fromString("rwx------"));
        assertRanksStopWhenTheLauncherIsKilled(List.of("--hosts", "localhost:1,127.0.0.1:1", "--rsh", rsh.toString()));
    }

    private static void assertRanksStopWhenTheLauncherIsKilled(final List<String> launchOptions) throws Exception
    {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> command = new ArrayList<>(List.of(java,
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"),
            RingsyncCommand.class.getName(), "launch", "--verbose"));
        command.addAll(launchOptions);
        command.addAll(List.of("--", java, "-cp", System.getProperty("java.class.path"), LoopMain.class.getName()));
        final Process launcher = new ProcessBuilder(command).redirectErrorStream(true).start();
        final List<String> output = new ArrayList<>();
        List<ProcessHandle> ranks = List.of();
        Path jobDir = null;
        try
        {
            final BufferedReader reader = new BufferedReader(new InputStreamReader(launcher.getInputStream(),
                StandardCharsets.UTF_8));
            int ready = 0;
            String line;
            while (ready < 2 && null != (line = reader.readLine()))
            {
                output.add(line);
                final Matcher job = JOB_LINE.matcher(line);
                if (job.find())
                {
                    jobDir = Path.of("/dev/shm", JobDirectory.name(Long.parseUnsignedLong(job.group(1), 16)));
                }
                if (line.contains(LoopMain.READY))
                {
                    ready++;
                }
            }
            assertEquals(2, ready, () -> "the ranks did not start: " + String.join("\n", output));
            assertNotNull(jobDir, () -> "no job line: " + String.join("\n", output));
            assertTrue(Files.isDirectory(jobDir), jobDir + " must exist while the job runs");
            ranks = launcher.descendants().collect(Collectors.toList());
            assertTrue(ranks.size() >= 2, ranks::toString);

            launcher.destroyForcibly(); // SIGKILL: no hook of the launcher runs
            assertTrue(launcher.waitFor(10, TimeUnit.SECONDS));

            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RANKS_END_WITHIN_MS);
            while ((ranks.stream().anyMatch(ProcessHandle::isAlive) || Files.exists(jobDir)) &&
                System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(50);
            }
            final List<String> alive = ranks.stream().filter(ProcessHandle::isAlive)
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).collect(Collectors.toList());
            assertEquals(List.of(), alive, "processes still running " + RANKS_END_WITHIN_MS + " ms after the launcher");
            assertFalse(Files.exists(jobDir), "the job directory " + jobDir + " must be removed");
        }
        finally
        {
            ranks.forEach(ProcessHandle::destroyForcibly);
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
            if (null != jobDir)
            {
                JobDirectory.deleteQuietly(jobDir);
            }
        }
    }
}
