package io.ringsync.transport.tcp;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two simulated hosts ({@code bench/cluster/netns.sh}: network namespaces joined by veth pairs on a bridge, MTU
 * 1500): a rank on each, 200 echoes of 60,000-byte messages, then the echoing rank's process is killed and the other
 * must see its link lost. Needs root and iproute2; skipped with a message otherwise. The namespaces get a prefix of
 * this test's own, so a benchmark using the default set is not disturbed, and are removed also on failure.
 */
@Tag("process")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TcpNetnsTest
{
    @Test
    void ranksOnTwoSimulatedHostsEchoThenSeeAKilledPeerLost() throws Exception
    {
        final Path script = Path.of(System.getProperty("user.dir")).resolve("../bench/cluster/netns.sh").normalize();
        Assumptions.assumeTrue(Files.isExecutable(script), "skipped: " + script + " is not there");
        Assumptions.assumeTrue(isRoot(), "skipped: simulated hosts need root (network namespaces); run as root");
        Assumptions.assumeTrue(run(List.of("ip", "netns", "list"), null) == 0,
            "skipped: the ip command (iproute2) cannot list network namespaces here");

        final String prefix = "ringsync-t" + ProcessHandle.current().pid() + "-";
        final List<Process> ranks = new ArrayList<>();
        try
        {
            assertEquals(0, run(List.of(script.toString(), "up", "2"), prefix), "netns.sh up 2 failed");
            final int port = 20_000 + ThreadLocalRandom.current().nextInt(20_000);
            final String endpoints = "10.77.0.1:" + port + ",10.77.0.2:" + port;
            final String jobId = Long.toString(ThreadLocalRandom.current().nextLong());
            for (int rank = 0; rank < 2; rank++)
            {
                ranks.add(new ProcessBuilder(List.of(
                    "ip", "netns", "exec", prefix + "h" + (rank + 1),
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx128m",
                    "-cp", System.getProperty("java.class.path"),
                    TcpNetnsPeer.class.getName(), Integer.toString(rank), endpoints, jobId, "200"))
                    .redirectErrorStream(true)
                    .start());
            }
            final BufferedReader rank0 = new BufferedReader(
                new InputStreamReader(ranks.get(0).getInputStream(), StandardCharsets.UTF_8));
            final String echoed = rank0.readLine();
            assertEquals("ECHOED 200", echoed);

            ranks.get(1).destroyForcibly();
            assertTrue(ranks.get(1).waitFor(10, TimeUnit.SECONDS));
            final String lost = rank0.readLine();
            assertNotNull(lost, "rank 0 ended without a word");
            assertTrue(lost.startsWith("LOST "), lost);
            assertTrue(ranks.get(0).waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, ranks.get(0).exitValue());
        }
        finally
        {
            for (final Process rank : ranks)
            {
                rank.destroyForcibly();
            }
            run(List.of(script.toString(), "down"), prefix);
        }
    }

    private static boolean isRoot() throws IOException
    {
        for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
        {
            if (line.startsWith("Uid:"))
            {
                return "0".equals(line.split("\\s+")[1]);
            }
        }
        return false;
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
}
