package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launcher across hosts, with a remote shell that runs the command here: a script that drops its first argument
 * (the host) and runs the rest with sh, as ssh would on the host. Hosts are names of this machine (localhost,
 * 127.0.0.1), so the rendezvous on the first host is reachable; the job directories of "every host" are the one
 * /dev/shm here.
 */
@Tag("process") // launches jobs of JVM ranks through a remote shell
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostsLauncherTest
{
    @TempDir
    Path temp;

    private List<String> localRsh() throws IOException
    {
        final Path script = temp.resolve("local-rsh");
        Files.writeString(script, "#!/bin/sh\n# a stand-in for ssh: drop the host, run the command line here\n" +
            "shift\nexec sh -c \"$*\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return List.of(script.toString());
    }

    private Launcher.Builder hostsJob(final String hosts, final List<String> command) throws IOException
    {
        return HostsLauncher.configure(Launcher.builder().command(command).timeoutMs(30_000),
            HostsLauncher.parseHosts(hosts), 0, localRsh(), System.getProperty("user.dir"));
    }

    @Test
    void ranksOnEveryHostGetTheExactSumAndEveryHostIsCleanedUp() throws Exception
    {
        final Job job = Job.run(hostsJob("localhost:2,127.0.0.1:1", Job.java(SumCheckMain.class)));

        job.agreedSumCheckHash(3);
        assertFalse(Files.exists(Path.of("/dev/shm", JobDirectory.name(job.launcher.jobId()))),
            "a host's job directory was left behind");
        assertFalse(job.err.stream().anyMatch(line -> line.contains("Picked up " + Launcher.JDK_JAVA_OPTIONS)),
            "the JVM's note about the launcher's own JDK_JAVA_OPTIONS is noise and must be dropped");
    }

    @Test
    void eachRankGetsItsEnvironmentAndTheSecretStaysOffTheCommandLine() throws Exception
    {
        final Launcher.Builder builder = hostsJob("localhost:2,127.0.0.1:2", List.of("sh", "-c",
            "echo \"ENV $RINGSYNC_RANK $RINGSYNC_WORLD_SIZE $RINGSYNC_LOCAL_RANK $RINGSYNC_TRANSPORT " +
            "$RINGSYNC_RENDEZVOUS ${#RINGSYNC_JOB_SECRET} $RINGSYNC_JOB_DIR\""));
        final Job job = Job.run(builder);
        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        final String rendezvous = job.lineOf(0, "ENV ").split(" ")[4];
        assertTrue(rendezvous.startsWith("localhost:"), rendezvous);
        for (int rank = 0; rank < 4; rank++)
        {
            final String[] words = job.lineOf(rank, "ENV ").split(" ");
            assertEquals(List.of(Integer.toString(rank), "4", Integer.toString(rank % 2), "tcp", rendezvous, "64",
                "/dev/shm/" + JobDirectory.name(job.launcher.jobId())), List.of(words), job::describe);
        }
        final HostsLauncher starter = (HostsLauncher)HostsLauncher.configure(Launcher.builder(),
            HostsLauncher.parseHosts("a"), 0, List.of("ssh"), "/tmp").np(1).command(List.of("true")).build()
            .starterForTests();
        final String script = starter.script(Map.of("RINGSYNC_RANK", "0", "RINGSYNC_JOB_SECRET", "s3cret",
            "RINGSYNC_JOB_DIR", "/dev/shm/ringsync-00000000000000aa"), List.of("java", "it's"));
        assertFalse(script.contains("s3cret"), script);
        assertTrue(script.contains("export RINGSYNC_RANK='0'") && script.contains("'java' 'it'\\''s' &"), script);
        assertTrue(script.contains("RINGSYNC_JOB_DIR=\"$d/ringsync-00000000000000aa\""), script);
    }

    @Test
    void aRankFailingStopsTheRanksOnEveryHost() throws Exception
    {
        final Job job = Job.run(hostsJob("localhost:2,127.0.0.1:1", Job.java(FailingRankMain.class, "die")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertEquals(137, job.launcher.exitCodes()[1], job::describe);
        for (final int survivor : new int[]{ 0, 2 })
        {
            final String failure = job.lineOf(survivor, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + survivor + " did not report the failure\n" + job.describe());
            assertTrue(failure.contains("rank 1"), failure);
        }
        assertFalse(Files.exists(Path.of("/dev/shm", JobDirectory.name(job.launcher.jobId()))),
            "a host's job directory was left behind");
    }

    @Test
    void anInterruptedLauncherStopsEveryRankAndCleansEveryHost() throws Exception
    {
        final AtomicInteger ready = new AtomicInteger();
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final Launcher launcher = hostsJob("localhost:1,127.0.0.1:2", Job.java(SleepMain.class))
            .sink((rank, stderr, line) ->
            {
                if (line.startsWith(SleepMain.READY))
                {
                    ready.incrementAndGet();
                }
            })
            .log(log::add)
            .build();
        final int[] exitCode = { -1 };
        final Thread thread = new Thread(() -> exitCode[0] = launcher.run(), "hosts-launcher");
        thread.start();
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ready.get() < 3 && System.nanoTime() - deadlineNs < 0)
        {
            Thread.sleep(50);
        }
        assertEquals(3, ready.get(), () -> "ranks not ready: " + log);
        final List<ProcessHandle> ranks = new ArrayList<>();
        ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("/java") &&
            p.info().commandLine().orElse("").contains(SleepMain.class.getName())).forEach(ranks::add);
        assertEquals(3, ranks.size(), ranks::toString);

        thread.interrupt();
        thread.join(30_000);
        assertFalse(thread.isAlive(), "the launcher did not return after an interrupt");
        assertEquals(Launcher.EXIT_FAILED, exitCode[0]);
        for (final ProcessHandle rank : ranks)
        {
            assertTrue(rank.onExit().handle((p, t) -> true).get(10, TimeUnit.SECONDS) && !rank.isAlive(),
                "rank process " + rank.pid() + " survived");
        }
        assertFalse(Files.exists(Path.of("/dev/shm", JobDirectory.name(launcher.jobId()))),
            "a host's job directory was left behind");
    }

    /**
     * Real network stacks: two simulated hosts of {@code bench/cluster/netns.sh} (network namespaces over a bridge),
     * entered by {@code bench/cluster/netns-rsh}; each rank listens on its host's own address (the route to the
     * rendezvous on 10.77.0.1). Needs root and iproute2; skipped otherwise. The namespaces get a prefix of this
     * test's own and are removed also on failure.
     */
    @Test
    void ranksOnTwoSimulatedHostsMeetAtTheRendezvousAndGetTheExactSum() throws Exception
    {
        final Path cluster = Path.of(System.getProperty("user.dir")).resolve("../bench/cluster").normalize();
        final Path netns = cluster.resolve("netns.sh");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(netns), "skipped: no " + netns);
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "skipped: simulated hosts need root (network namespaces)");
        org.junit.jupiter.api.Assumptions.assumeTrue(0 == run(List.of("ip", "netns", "list"), null),
            "skipped: the ip command (iproute2) cannot list network namespaces here");
        final String prefix = "ringsync-l" + ProcessHandle.current().pid() + "-";
        try
        {
            assertEquals(0, run(List.of(netns.toString(), "up", "2"), prefix), "netns.sh up 2 failed");
            final Launcher.Builder builder = HostsLauncher.configure(Launcher.builder()
                    .command(Job.java(SumCheckMain.class)).timeoutMs(30_000),
                HostsLauncher.parseHosts("10.77.0.1:2,10.77.0.2:1"), 0,
                List.of("env", "RINGSYNC_NETNS_PREFIX=" + prefix, cluster.resolve("netns-rsh").toString()),
                System.getProperty("user.dir"));
            final Job job = Job.run(builder);
            assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
            for (int rank = 0; rank < 3; rank++)
            {
                final String result = job.lineOf(rank, SumCheckMain.RESULT);
                assertNotNull(result, "rank " + rank + " printed no result\n" + job.describe());
                assertTrue(result.startsWith("ok rank=" + rank + " hash=0x"), result);
            }
            assertFalse(Files.exists(Path.of("/dev/shm", JobDirectory.name(job.launcher.jobId()))),
                "a host's job directory was left behind");
        }
        finally
        {
            run(List.of(netns.toString(), "down"), prefix);
        }
    }

    private static int run(final List<String> command, final String prefix) throws Exception
    {
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (null != prefix)
        {
            builder.environment().put("RINGSYNC_NETNS_PREFIX", prefix);
        }
        final Process process = builder.start();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }

    @Test
    void hostListsAndHostfilesParse() throws Exception
    {
        assertEquals("[a:2, b:1, user@c:3, [fd00::1]:2]",
            HostsLauncher.parseHosts("a:2, b,user@c:3,[fd00::1]:2").toString());
        final Path file = temp.resolve("hosts");
        Files.writeString(file, "# the job's hosts\nnode01:4\n\nnode02   # one slot\nnode03 slots=2\n");
        assertEquals("[node01:4, node02:1, node03:2]", HostsLauncher.parseHostfile(file).toString());
        Files.writeString(file, "node01:4\nnode 02\n");
        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> HostsLauncher.parseHostfile(file));
        assertTrue(bad.getMessage().endsWith("hosts:2: 'node 02' is not host[:slots]"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostsLauncher.parseHosts("a;rm -rf /"));
        assertEquals("fd00::1", HostsLauncher.parseHosts("[fd00::1]:2").get(0).networkName());
        assertEquals("c", HostsLauncher.parseHosts("user@c").get(0).networkName());
    }
}
