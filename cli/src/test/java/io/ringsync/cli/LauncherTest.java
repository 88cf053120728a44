package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher's own behaviour, with shell commands as ranks: environment, output, stdin, exit codes,
 * stopping ranks that outlive a failure, and its job directory.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of shell ranks
class LauncherTest
{
    private static List<String> sh(final String script)
    {
        return List.of("sh", "-c", script);
    }

    @Test
    void shmIsTheDefaultTransportAndNeedsNoDriver()
    {
        final Job job = Job.run(Launcher.builder()
            .np(2)
            .command(sh("echo \"env $" + Configuration.TRANSPORT_ENV + " [$" + Configuration.AERON_DIR_ENV + "]\"")));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        for (int rank = 0; rank < 2; rank++)
        {
            assertEquals("shm []", job.lineOf(rank, "env "), job::describe);
        }
    }

    @Test
    void ranksGetTheJobEnvironmentOverIpcAndTheirOutputIsPrefixed()
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(LaunchTransport.IPC)
            .command(sh("echo \"env $" + Configuration.RANK_ENV + " $" + Configuration.WORLD_SIZE_ENV + " $" +
                Configuration.TRANSPORT_ENV + " $" + Configuration.JOB_ID_ENV + " $" + Configuration.AERON_DIR_ENV +
                " $" + Configuration.JOB_DIR_ENV + "\"; echo to-stderr >&2; " +
                "test -f \"$" + Configuration.AERON_DIR_ENV + "/cnc.dat\" && echo driver-up; " +
                "stat -c 'mode %a' \"$" + Configuration.JOB_DIR_ENV + "\"; " +
                "if read line; then echo stdin-has-data; else echo stdin-empty; fi")));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        final String jobId = Launcher.hex(job.launcher.jobId());
        assertTrue(jobId.matches("0x[0-9a-f]{16}"), jobId);
        final Path jobDir = job.launcher.jobDirectory();
        assertEquals(JobDirectory.defaultRoot().resolve(JobDirectory.name(job.launcher.jobId())), jobDir);
        for (int rank = 0; rank < 3; rank++)
        {
            assertEquals(rank + " 3 ipc " + jobId + " " + jobDir.resolve("aeron") + " " + jobDir,
                job.lineOf(rank, "env "), job::describe);
            assertTrue(job.err.contains("[" + rank + "] to-stderr"), job::describe);
            assertTrue(job.out.contains("[" + rank + "] driver-up"), job::describe);
            assertTrue(job.out.contains("[" + rank + "] mode 700"), job::describe);
            assertTrue(job.out.contains("[" + rank + "] stdin-empty"), job::describe);
        }
        assertFalse(Files.exists(jobDir), "job directory left behind");
    }

    @Test
    void udpRanksGetOneLoopbackEndpointEachAndNoSharedDriver()
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(LaunchTransport.UDP)
            .command(sh("echo \"udp $" + Configuration.TRANSPORT_ENV + " $" + Configuration.UDP_ENDPOINTS_ENV + " $" +
                Configuration.UDP_MTU_ENV + " aeron=[$" + Configuration.AERON_DIR_ENV + "] secret=${#" +
                Configuration.JOB_SECRET_ENV + "} mac=$" + Configuration.FRAME_MAC_ENV + "\"")));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        final String first = job.lineOf(0, "udp ");
        assertNotNull(first, job::describe);
        for (int rank = 1; rank < 3; rank++)
        {
            assertEquals(first, job.lineOf(rank, "udp "), "every rank gets the same list");
        }
        final String[] parts = first.split(" ");
        assertEquals("udp", parts[0]);
        assertEquals(Integer.toString(Launcher.LOOPBACK_UDP_MTU), parts[2]);
        final Set<String> ports = new HashSet<>();
        for (final String endpoint : parts[1].split(","))
        {
            assertTrue(endpoint.matches("127\\.0\\.0\\.1:\\d+"), endpoint);
            ports.add(endpoint.substring(endpoint.indexOf(':') + 1));
        }
        assertEquals(3, ports.size(), "one distinct port per rank: " + first);
        // (an inherited RINGSYNC_AERON_DIR is dropped too: the launcher owns that variable)
        assertEquals("aeron=[]", parts[3], "udp ranks embed their own drivers: " + first);
        assertEquals("secret=64", parts[4], "a fresh job secret, which the link sessions derive from: " + first);
        assertEquals("mac=off", parts[5], "a drawn secret does not tag every message (as on tcp): " + first);
    }

    @Test
    void jdkJavaOptionsGetsTheAgronaExportAppended()
    {
        final Job job = Job.run(Launcher.builder()
            .np(1)
            .environment(Launcher.JDK_JAVA_OPTIONS, "-Dmine=1")
            .command(sh("echo \"opts $" + Launcher.JDK_JAVA_OPTIONS + "\"")));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        assertEquals("-Dmine=1 " + Launcher.JVM_FLAGS, job.lineOf(0, "opts "));
    }

    @Test
    void ranksThatOutliveAFailureAreTerminatedThenKilled()
    {
        // rank 1 fails at once; ranks 0 and 2 ignore SIGTERM, so only SIGKILL ends them
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .timeoutMs(1000)
            .command(sh("if [ \"$" + Configuration.RANK_ENV + "\" = 1 ]; then exit 5; fi; trap '' TERM; " +
                "echo waiting; sleep 60")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertArrayEquals(new int[]{ 137, 5, 137 }, job.launcher.exitCodes(), job::describe);
        assertTrue(job.allLog().contains("rank 1 exited with code 5; stopping ranks 0, 2"), job::describe);
        // grace 1 s + 2 s from SIGTERM to SIGKILL, plus start-up
        assertTrue(job.elapsedMs < 15_000, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @Test
    void anInterruptedLauncherStopsItsRanksAndCleansUp() throws Exception
    {
        final List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Launcher launcher = Launcher.builder()
            .np(2)
            .command(sh("echo started; exec sleep 60"))
            .sink((rank, stderr, line) -> log.add(OutputSink.prefix(rank) + line))
            .log(log::add)
            .build();
        final int[] exitCode = { -1 };
        final Thread thread = new Thread(() -> exitCode[0] = launcher.run(), "launcher-under-test");
        thread.start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (log.stream().filter(line -> line.endsWith("] started")).count() < 2 && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(20);
        }
        final Path jobDir = launcher.jobDirectory();
        assertNotNull(jobDir, String.join("\n", log));
        assertTrue(Files.isDirectory(jobDir));

        thread.interrupt();
        thread.join(TimeUnit.SECONDS.toMillis(20));

        assertFalse(thread.isAlive(), "the launcher must return once interrupted");
        assertEquals(Launcher.EXIT_FAILED, exitCode[0], () -> String.join("\n", log));
        assertArrayEquals(new int[]{ 143, 143 }, launcher.exitCodes(), () -> String.join("\n", log));
        assertFalse(Files.exists(jobDir), "job directory left behind");
    }

    @Test
    void aCommandThatCannotStartFailsTheJobAndCleansUp()
    {
        final Job job = Job.run(Launcher.builder()
            .np(2)
            .command(List.of("/no/such/program-ringsync")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertTrue(job.allLog().contains("cannot start rank 0"), job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @Test
    void builderRejectsWhatCannotRun()
    {
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> Launcher.builder().np(0).command(List.of("true")).build()).getMessage().contains("at least 1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> Launcher.builder().np(2).build()).getMessage().contains("no command"));
    }
}
