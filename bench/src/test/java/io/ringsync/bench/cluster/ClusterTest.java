package io.ringsync.bench.cluster;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * ringsync between simulated hosts ({@link SimulatedCluster}: 4 hosts, each its own network, UTS and mount namespace,
 * MTU 1500), 2 ranks per host, each rank a process started into its host through {@code bench/cluster/rsh} and
 * joining with explicit endpoints ({@link ClusterRank}):
 * <ul>
 *   <li>over tcp and udp, every rank gets the exact result of SUM, MIN, MAX and AVG, float32 and float64, at lengths
 *       0, 1, n-1, n+1, odd, several chunks and 1 MiB + 3 elements, and every rank the same bits;</li>
 *   <li>each rank sees its host's name, and in /dev/shm the files of its host's ranks and of no other host's (the
 *       fixture's promise);</li>
 *   <li>a host's link cut mid-run (its veth down, as a pulled cable) fails every rank, of the other hosts and of
 *       the cut one, within the deadline with {@code CollectiveTimeoutException} or {@code PeerFailedException}, and
 *       every rank of the other hosts names a rank of the cut host.</li>
 * </ul>
 * Needs root and iproute2/util-linux (skipped with the reason otherwise). About a minute on 2 cores.
 */
@Tag("process")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest
{
    private static final int HOSTS = 4;
    private static final int PER_HOST = 2;
    private static final int NP = HOSTS * PER_HOST;
    private static final AtomicInteger RUNS = new AtomicInteger();
    // also the connect deadline of the 8 ranks: 3 s was too short for 8 JVMs starting on 2 busy cores
    private static final long CUT_TIMEOUT_MS = 6_000;
    private static final long CUT_SLACK_MS = 4_000;

    private static SimulatedCluster cluster;
    private static int basePort;

    @BeforeAll
    static void up() throws IOException
    {
        SimulatedCluster.assumeUsable();
        cluster = SimulatedCluster.up(HOSTS);
        basePort = 20_000 + ThreadLocalRandom.current().nextInt(20_000);
    }

    @AfterAll
    static void down()
    {
        if (null != cluster)
        {
            cluster.close();
        }
    }

    /** Host (1-based) of a rank: ranks 0,1 on host1, 2,3 on host2, ... */
    private static int hostOf(final int rank)
    {
        return rank / PER_HOST + 1;
    }

    @Order(1)
    @ParameterizedTest(name = "{0}: 4 hosts x 2 ranks")
    @ValueSource(strings = { "tcp", "udp" })
    void everyRankGetsTheExactResultWithTheSameBitsAndOnlyItsHostsSharedMemory(final String transport) throws Exception
    {
        final List<String> paths = checkEveryRank(transport, startRanks("check", transport, 30_000));
        assertEquals(NP, paths.stream().filter("ring"::equals).count(), transport + ": explicit endpoints, flat ring");
    }

    /**
     * The ranks join as a user's program does ({@code Communicator.fromEnvironment()}), each from the variables its
     * scheduler sets, meeting at rank 0's rendezvous on host1; ranks that share a host find each other and take the
     * host-aware path, unless {@code RINGSYNC_HIERARCHY=flat}.
     */
    @Order(2)
    @ParameterizedTest(name = "{0}: 4 hosts x 2 ranks")
    @ValueSource(strings = { "torchrun", "slurm", "ringsync", "ringsync-flat" })
    void ranksStartedFromEachSchedulersEnvironmentMeetAndAgree(final String scheduler) throws Exception
    {
        final int port = basePort + 20 * RUNS.incrementAndGet();
        final String seed = Long.toString(ThreadLocalRandom.current().nextLong());
        final List<Process> ranks = new ArrayList<>();
        for (int rank = 0; rank < NP; rank++)
        {
            ranks.add(cluster.start(hostOf(rank), SimulatedCluster.java(ClusterRank.class.getName(), "check", "env",
                Integer.toString(rank), Integer.toString(NP), "-", "0", seed, "30000"),
                schedulerEnvironment(scheduler, rank, port)));
        }
        final List<String> paths = checkEveryRank(scheduler, ranks);
        final String expected = "ringsync-flat".equals(scheduler) ? "ring" : "host-aware";
        assertEquals(NP, paths.stream().filter(expected::equals).count(), scheduler + ": paths " + paths);
    }

    /** What a rank started by {@code scheduler} would find in its environment. */
    private static Map<String, String> schedulerEnvironment(final String scheduler, final int rank, final int port)
    {
        final Map<String, String> env = new java.util.TreeMap<>();
        env.put("RINGSYNC_TIMEOUT_MS", "30000");
        env.put("RINGSYNC_RENDEZVOUS_TIMEOUT_MS", "60000");
        switch (scheduler)
        {
            case "torchrun":
                env.put("RANK", Integer.toString(rank));
                env.put("WORLD_SIZE", Integer.toString(NP));
                env.put("LOCAL_RANK", Integer.toString(rank % PER_HOST));
                env.put("MASTER_ADDR", "host1");
                env.put("MASTER_PORT", Integer.toString(port));
                break;
            case "slurm":
                env.put("SLURM_PROCID", Integer.toString(rank));
                env.put("SLURM_NTASKS", Integer.toString(NP));
                env.put("SLURM_LOCALID", Integer.toString(rank % PER_HOST));
                env.put("SLURM_STEP_NODELIST", "host[1-" + HOSTS + "]");
                env.put("SLURM_JOB_ID", Integer.toString(port));
                env.put("SLURM_STEP_ID", "0");
                break;
            case "ringsync":
            case "ringsync-flat":
                env.put("RINGSYNC_RANK", Integer.toString(rank));
                env.put("RINGSYNC_WORLD_SIZE", Integer.toString(NP));
                env.put("RINGSYNC_RENDEZVOUS", "10.77.0.1:" + port);
                env.put("RINGSYNC_INTERFACE", "10.77.0.0/24");
                if ("ringsync-flat".equals(scheduler))
                {
                    env.put("RINGSYNC_HIERARCHY", "flat");
                }
                break;
            default:
                throw new IllegalArgumentException(scheduler);
        }
        return env;
    }

    /**
     * A rank that never starts is named, when the rendezvous deadline passes, by rank 0 and by every rank waiting.
     */
    @Order(3)
    @Test
    void aRankThatNeverArrivesIsNamedByEveryRankThatDid() throws Exception
    {
        final int port = basePort + 20 * RUNS.incrementAndGet();
        final int missing = NP - 3;
        final List<Process> ranks = new ArrayList<>();
        for (int rank = 0; rank < NP; rank++)
        {
            if (rank == missing)
            {
                continue;
            }
            final Map<String, String> env = new java.util.TreeMap<>(schedulerEnvironment("ringsync", rank, port));
            // long enough for 7 JVMs on 2 loaded cores to arrive (at 4 s a late one was named beside the missing)
            env.put("RINGSYNC_RENDEZVOUS_TIMEOUT_MS", "8000");
            ranks.add(cluster.start(hostOf(rank), SimulatedCluster.java(ClusterRank.class.getName(), "check", "env",
                Integer.toString(rank), Integer.toString(NP), "-", "0", "1", "30000"), env));
        }
        for (final Process process : ranks)
        {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "a rank still waits 60 s after an 8 s rendezvous deadline");
            assertTrue(0 != process.exitValue(), "a rank went on without rank " + missing);
            final String stderr = cluster.stderr(process);
            // rank 0: "rank 5 never arrived (7 of 8 joined)"; the others: "rank 0 was still waiting for rank 5"; a
            // rank that was only late is named beside it ("ranks 3, 5")
            final java.util.regex.Matcher named = java.util.regex.Pattern.compile(
                "(?:ranks? ([\\d, ]+) never arrived|waiting for ranks? ([\\d, ]+)[ (])").matcher(stderr);
            assertTrue(named.find(), "must name rank " + missing + ": " + stderr);
            final String list = null != named.group(1) ? named.group(1) : named.group(2);
            assertTrue(java.util.Arrays.asList(list.trim().split(",\\s*")).contains(Integer.toString(missing)),
                "must name rank " + missing + ": " + stderr);
        }
    }

    /** Waits for every rank of a check run and judges its report; returns the path each rank's 1 MiB call takes. */
    private List<String> checkEveryRank(final String transport, final List<Process> ranks) throws Exception
    {
        final List<List<String>> lines = new ArrayList<>();
        for (final Process rank : ranks)
        {
            lines.add(new ArrayList<>());
        }
        final List<Thread> readers = readAll(ranks, lines);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        for (int rank = 0; rank < NP; rank++)
        {
            final Process process = ranks.get(rank);
            if (!process.waitFor(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS))
            {
                fail(transport + ": rank " + rank + " did not finish within 150 s; its stderr: " +
                    cluster.stderr(process) + "; its stdout: " + lines.get(rank));
            }
        }
        for (final Thread reader : readers)
        {
            reader.join(5_000);
        }

        final int calls = ClusterRank.counts(NP).length * 2 * (ClusterRank.OPS.length + 2);
        final List<String> firstCrcs = new ArrayList<>();
        final List<String> paths = new ArrayList<>();
        for (int rank = 0; rank < NP; rank++)
        {
            final List<String> out = lines.get(rank);
            final String where = transport + ", rank " + rank + " on host" + hostOf(rank);
            assertEquals(0, ranks.get(rank).exitValue(), where + " failed: " + out + "; stderr: " +
                cluster.stderr(ranks.get(rank)));
            assertEquals("HOST host" + hostOf(rank), out.get(0), where + ": its host name");
            final String expectedShm = "SHM " + (hostOf(rank) - 1) * PER_HOST + "," + ((hostOf(rank) - 1) * PER_HOST + 1);
            assertEquals(expectedShm, line(out, "SHM "), where + ": the /dev/shm files it sees are its host's ranks'");
            final List<String> callLines = out.stream().filter(l -> l.startsWith("CALL ")).toList();
            assertEquals(calls, callLines.size(), where + ": calls reported");
            for (int call = 0; call < calls; call++)
            {
                final String[] words = callLines.get(call).split(" ", 8);
                assertEquals("ok", words[7], where + ": " + callLines.get(call));
                // every word but the verdict (index, type, op, count, input kind, crc) must be the same on every rank
                final String key = String.join(" ", List.of(words).subList(1, 7));
                if (0 == rank)
                {
                    firstCrcs.add(key);
                }
                else
                {
                    assertEquals(firstCrcs.get(call), key, where + ": not the same bits as rank 0");
                }
            }
            assertEquals("DONE", out.get(out.size() - 1), where);
            paths.add(line(out, "PATH ").substring("PATH ".length()));
        }
        return paths;
    }

    @Order(4)
    @Test
    void aCutLinkFailsEveryRankWithinTheDeadline() throws Exception
    {
        final Cut cut = cutHostMidRun(3);
        for (int rank = 0; rank < NP; rank++)
        {
            final String[] words = cut.failed[rank].split(" ", 5);
            assertTrue(Set.of("PeerFailedException", "CollectiveTimeoutException").contains(words[1]),
                "rank " + rank + " (host" + hostOf(rank) + "): " + words[1] + cut.summary);
        }
    }

    /**
     * After a silent cut (no RST, no FIN: the link just stops) every rank of another host names a rank of the cut
     * host: there is no status file across hosts, so ranks waiting in a call send heartbeats to their peers on other
     * hosts, and the deadline blames the remote peer silent longest, while the healthy ones, waiting too, keep
     * beating. (A rank of the cut host sees every other host go silent and may name any of them.)
     */
    @Order(5)
    @Test
    void aCutLinkIsNamedByEveryRankOfTheOtherHosts() throws Exception
    {
        final Cut cut = cutHostMidRun(3);
        for (int rank = 0; rank < NP; rank++)
        {
            final int suspect = Integer.parseInt(cut.failed[rank].split(" ", 5)[2]);
            if (!cut.cutRanks.contains(rank))
            {
                assertTrue(cut.cutRanks.contains(suspect), "rank " + rank + " (host" + hostOf(rank) +
                    ") must name rank " + cut.cutRanks + ", names " + suspect + cut.summary);
            }
        }
    }

    /** What every rank reported after a host's link was cut while all ranks were calling allReduce in a loop. */
    private record Cut(Set<Integer> cutRanks, String[] failed, String summary)
    {
    }

    /**
     * Starts 8 ranks calling allReduce in a loop (deadline {@value #CUT_TIMEOUT_MS} ms), cuts the link of
     * {@code cutHost} once all are running, and asserts that every rank reports a failure within the deadline plus
     * {@value #CUT_SLACK_MS} ms: none hangs, none ends without an exception. Mends the link again.
     */
    private Cut cutHostMidRun(final int cutHost) throws Exception
    {
        final List<Process> ranks = startRanks("fail", "tcp", CUT_TIMEOUT_MS);
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final List<List<String>> lines = new ArrayList<>();
        for (int rank = 0; rank < NP; rank++)
        {
            lines.add(new ArrayList<>());
        }
        for (int rank = 0; rank < NP; rank++)
        {
            final int r = rank;
            final BufferedReader reader = new BufferedReader(
                new InputStreamReader(ranks.get(rank).getInputStream(), StandardCharsets.UTF_8));
            final Thread thread = new Thread(() ->
            {
                try
                {
                    for (String line; null != (line = reader.readLine()); )
                    {
                        synchronized (lines)
                        {
                            lines.get(r).add(line);
                        }
                        events.add(r + " " + line);
                    }
                }
                catch (final IOException ignore)
                {
                    // the process was ended
                }
                events.add(r + " EOF");
            }, "rank-" + rank + "-stdout");
            thread.setDaemon(true);
            thread.start();
        }

        int ready = 0;
        final long readyDeadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (ready < NP)
        {
            final String event = events.poll(Math.max(1, readyDeadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
            assertNotNull(event, "not every rank got ready within 90 s: " + lines);
            assertTrue(!event.endsWith(" EOF") && !event.contains(" FAILED "), "a rank ended before the cut: " +
                event + "; stderr: " + cluster.stderr(ranks.get(Integer.parseInt(event.split(" ")[0]))));
            if (event.endsWith(" READY"))
            {
                ready++;
            }
        }

        Thread.sleep(200);
        final long cutNs = System.nanoTime();
        cluster.cut(cutHost);
        try
        {
            final long boundMs = CUT_TIMEOUT_MS + CUT_SLACK_MS;
            final String[] failed = new String[NP];
            final long[] failedAfterMs = new long[NP];
            int reported = 0;
            while (reported < NP)
            {
                final String event = events.poll(Math.max(1, cutNs + TimeUnit.MILLISECONDS.toNanos(boundMs) -
                    System.nanoTime()), TimeUnit.NANOSECONDS);
                if (null == event)
                {
                    final StringBuilder silent = new StringBuilder();
                    for (int rank = 0; rank < NP; rank++)
                    {
                        if (null == failed[rank])
                        {
                            silent.append(" rank ").append(rank).append(" (host").append(hostOf(rank)).append(')');
                        }
                    }
                    fail("within " + boundMs + " ms of the cut, these ranks reported nothing:" + silent);
                }
                final int rank = Integer.parseInt(event.substring(0, event.indexOf(' ')));
                final String text = event.substring(event.indexOf(' ') + 1);
                if ((text.startsWith("FAILED ") || "EOF".equals(text)) && null == failed[rank])
                {
                    failed[rank] = text;
                    failedAfterMs[rank] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - cutNs);
                    reported++;
                }
                assertTrue(!text.startsWith("BAD"), "rank " + rank + " got a wrong sum: " + text);
            }

            final StringBuilder summary = new StringBuilder();
            for (int rank = 0; rank < NP; rank++)
            {
                summary.append(String.format("%n  rank %d (host%d) after %d ms: %s", rank, hostOf(rank),
                    failedAfterMs[rank], failed[rank]));
            }
            for (int rank = 0; rank < NP; rank++)
            {
                assertTrue(failed[rank].startsWith("FAILED "), "rank " + rank + " ended without naming a failure: " +
                    failed[rank] + "; stderr: " + cluster.stderr(ranks.get(rank)) + summary);
            }
            System.out.println("ClusterTest: host" + cutHost + "'s link cut" + summary);
            return new Cut(Set.of((cutHost - 1) * PER_HOST, (cutHost - 1) * PER_HOST + 1), failed, summary.toString());
        }
        finally
        {
            cluster.mend(cutHost);
        }
    }

    private List<Process> startRanks(final String mode, final String transport, final long timeoutMs)
        throws IOException
    {
        final int port = basePort + 20 * RUNS.incrementAndGet();
        final StringBuilder endpoints = new StringBuilder();
        for (int rank = 0; rank < NP; rank++)
        {
            endpoints.append(0 == rank ? "" : ",").append(cluster.address(hostOf(rank))).append(':')
                .append(port + rank % PER_HOST);
        }
        final String jobId = Long.toString(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
        final String seed = Long.toString(ThreadLocalRandom.current().nextLong());
        final List<Process> ranks = new ArrayList<>();
        for (int rank = 0; rank < NP; rank++)
        {
            ranks.add(cluster.start(hostOf(rank), SimulatedCluster.java(ClusterRank.class.getName(), mode, transport,
                Integer.toString(rank), Integer.toString(NP), endpoints.toString(), jobId, seed,
                Long.toString(timeoutMs)), Map.of()));
        }
        return ranks;
    }

    private static List<Thread> readAll(final List<Process> ranks, final List<List<String>> lines)
    {
        final List<Thread> threads = new ArrayList<>();
        for (int rank = 0; rank < ranks.size(); rank++)
        {
            final BufferedReader reader = new BufferedReader(
                new InputStreamReader(ranks.get(rank).getInputStream(), StandardCharsets.UTF_8));
            final List<String> out = lines.get(rank);
            final Thread thread = new Thread(() ->
            {
                try
                {
                    for (String line; null != (line = reader.readLine()); )
                    {
                        synchronized (out)
                        {
                            out.add(line);
                        }
                    }
                }
                catch (final IOException ignore)
                {
                    // the process was ended
                }
            }, "rank-" + rank + "-stdout");
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        return threads;
    }

    private static String line(final List<String> lines, final String start)
    {
        return lines.stream().filter(l -> l.startsWith(start)).findFirst().orElse("(no line " + start.trim() + ")");
    }
}
