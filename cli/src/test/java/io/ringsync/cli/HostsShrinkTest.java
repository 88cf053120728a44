package io.ringsync.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An elastic job across hosts: simulated hosts of {@code bench/cluster/cluster.sh} (each its own network, UTS
 * and mount namespace, so its own /dev/shm and host name), the launcher started on host1 as a user on the cluster
 * would, ranks started on every host through {@code bench/cluster/rsh}. One rank halts; the survivors, on two hosts
 * with nothing in common but the network, shrink by agreeing at the launcher's agreement server, finish with the
 * exact sums and the same bits, and the launcher, told to tolerate one loss, exits 0. Needs root, iproute2 and
 * util-linux; skipped otherwise. The hosts get a prefix of this test's own and are removed also on failure.
 */
@Tag("process")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostsShrinkTest
{
    private static final Pattern SURVIVED = Pattern.compile(
        "\\[(\\d+)] " + ShrinkingRankMain.SURVIVED +
        "members=([0-9,]+) shrinks=(\\d+) hash=(0x[0-9a-f]+) paths=([a-z-]+,[a-z-]+)");

    @Test
    void survivorsOnOtherHostsShrinkAtTheLaunchersAgreementServerAndTheJobSucceeds() throws Exception
    {
        shrinkJob("host1,host2,host3", 15_000, 0, -1, "1,2", Set.of(1, 2), "ring,ring");
    }

    @Test
    void hostAwareRanksLoseOneAndTheOthersShrinkToAFlatCommunicator() throws Exception
    {
        // the shrunk communicator runs flat: its ranks do not look for their hosts again
        shrinkJob("host1:2,host2:2", 15_000, 1, -1, "0,2,3", Set.of(0, 2, 3), "host-aware,ring");
    }

    /**
     * A second rank dies when it sees the first failure, before it shrinks: the survivors see at the agreement server
     * that it dropped its lease, and leave it out at once instead of waiting for it until the deadline (60 s here).
     */
    @Test
    void aSecondRankDyingBeforeTheShrinkIsLeftOutAtOnceAcrossHosts() throws Exception
    {
        final long startNs = System.nanoTime();
        final Result job = shrinkJob("host1,host2,host3,host4", 60_000, 0, 3, "1,2", Set.of(1, 2), "ring,ring");
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs < 45_000, "the job took " + tookMs + " ms: the survivors waited for the dead rank until " +
            "the deadline instead of seeing its lease gone\n" + job.output);
    }

    /**
     * A restarted rank rejoins across hosts: the SGD demo loses job rank 1 (host2) in epoch 2, the launcher starts it
     * again there as a joiner, the survivors admit it at a sync point (asking and answering at the agreement server)
     * and hand it the model; the job exits 0 and the three final models are identical.
     */
    @Test
    void aRankRestartedOnItsHostRejoinsTheOthersAcrossHostsAndAllEndIdentical() throws Exception
    {
        final Result job = launch(List.of("--hosts", "host1,host2,host3", "--tolerate", "1", "--restart", "1"), 15_000,
            Job.java(io.ringsync.examples.SgdDemo.class, "--dim", "4096", "--vocab", "1000", "--examples", "15000",
                "--holdout", "2000", "--epochs", "3", "--sync-every", "8", "--explain", "off", "--baseline", "off",
                "--mode", "sync", "--kill-rank", "1", "--at-epoch", "2", "--restart", "1"));
        assertEquals(Launcher.EXIT_OK, job.exitCode, "the launcher restarts the lost rank:\n" + job.output);
        assertTrue(job.output.contains("[1] rank 1: rejoined the job as job rank 1, rank 2 of 3"), job.output);
        final Set<String> hashes = new HashSet<>();
        for (int rank = 0; rank < 3; rank++)
        {
            final Matcher matcher = Pattern.compile("\\[" + rank + "] final model hash: (\\S+)").matcher(job.output);
            assertTrue(matcher.find(), "rank " + rank + " printed no model hash:\n" + job.output);
            hashes.add(matcher.group(1));
        }
        assertEquals(1, hashes.size(), "the final models differ: " + hashes + "\n" + job.output);
    }

    /**
     * A job of {@link ShrinkingRankMain} on {@code hosts}: job rank {@code victim} halts in step 3, {@code second}
     * (unless -1) when it sees that; every survivor shrinks once, ends with {@code members}, the same bits and the
     * AllReduce paths {@code paths} (before, after), and the launcher, tolerating both losses, exits 0.
     */
    private static Result shrinkJob(final String hosts, final long timeoutMs, final int victim, final int second,
        final String members, final Set<Integer> expectedSurvivors, final String paths) throws Exception
    {
        final Result job = launch(List.of("--hosts", hosts, "--tolerate", second >= 0 ? "2" : "1"), timeoutMs,
            Job.java(ShrinkingRankMain.class, Integer.toString(victim), "3", "100000", Integer.toString(second)));
        assertEquals(Launcher.EXIT_OK, job.exitCode, "the launcher tolerates the losses:\n" + job.output);
        final Set<String> hashes = new HashSet<>();
        final Set<Integer> survivors = new HashSet<>();
        for (final String line : job.output.split("\n"))
        {
            final Matcher matcher = SURVIVED.matcher(line);
            if (matcher.find())
            {
                survivors.add(Integer.parseInt(matcher.group(1)));
                assertEquals(members, matcher.group(2), line + "\n" + job.output);
                assertEquals("1", matcher.group(3), line + "\n" + job.output);
                hashes.add(matcher.group(4));
                assertEquals(paths, matcher.group(5), line);
            }
        }
        assertEquals(expectedSurvivors, survivors, "the survivors:\n" + job.output);
        assertEquals(1, hashes.size(), "the survivors' last sums differ: " + hashes);
        return job;
    }

    /**
     * Bring up four simulated hosts, run {@code ringsync launch OPTIONS --rsh rsh --timeout-ms T -- RANK} on host1,
     * and take them down again (also on failure).
     *
     * @return the launcher's exit code and its output, the ranks' lines prefixed {@code [rank]}.
     */
    private static Result launch(final List<String> options, final long timeoutMs, final List<String> rank)
        throws Exception
    {
        final Path scripts = Path.of(System.getProperty("user.dir")).resolve("../bench/cluster").normalize();
        Assumptions.assumeTrue(Files.isExecutable(scripts.resolve("cluster.sh")), "skipped: no " + scripts);
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
            "skipped: simulated hosts are network, UTS and mount namespaces and need root");
        for (final String tool : List.of("ip", "unshare", "nsenter"))
        {
            Assumptions.assumeTrue(0 == run(List.of("sh", "-c", "command -v " + tool), null, 10).exitCode,
                "skipped: simulated hosts need '" + tool + "' (iproute2, util-linux)");
        }
        final String prefix = "ringsync-e" + ProcessHandle.current().pid() + "-";
        try
        {
            final Result up = run(List.of(scripts.resolve("cluster.sh").toString(), "up", "4"), prefix, 60);
            assertEquals(0, up.exitCode, "cluster.sh up 4: " + up.output);
            final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            final List<String> command = new ArrayList<>(List.of(java, "--add-exports",
                "java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx256m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), RingsyncCommand.class.getName(), "launch"));
            command.addAll(options);
            command.addAll(List.of("--rsh", scripts.resolve("rsh").toString(), "--timeout-ms", Long.toString(timeoutMs),
                "--"));
            command.addAll(rank);
            // rsh runs the words as one sh command line, as ssh does: each is quoted
            final List<String> quoted = new ArrayList<>(List.of(scripts.resolve("rsh").toString(), "host1"));
            for (final String word : command)
            {
                quoted.add("'" + word.replace("'", "'\\''") + "'");
            }
            return run(quoted, prefix, 150);
        }
        finally
        {
            final Result down = run(List.of(scripts.resolve("cluster.sh").toString(), "down"), prefix, 60);
            if (down.exitCode != 0)
            {
                fail("cluster.sh down: " + down.output);
            }
        }
    }

    private static Result run(final List<String> command, final String prefix, final long timeoutS) throws Exception
    {
        final File output = File.createTempFile("ringsync-hosts-shrink", ".out");
        try
        {
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output);
            if (null != prefix)
            {
                builder.environment().put("RINGSYNC_NETNS_PREFIX", prefix);
            }
            final Process process = builder.start();
            if (!process.waitFor(timeoutS, TimeUnit.SECONDS))
            {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, "timed out after " + timeoutS + " s:\n" + Files.readString(output.toPath()));
            }
            return new Result(process.exitValue(), Files.readString(output.toPath()));
        }
        finally
        {
            Files.deleteIfExists(output.toPath());
        }
    }

    private static final class Result
    {
        final int exitCode;
        final String output;

        Result(final int exitCode, final String output)
        {
            this.exitCode = exitCode;
            this.output = output;
        }
    }
}
