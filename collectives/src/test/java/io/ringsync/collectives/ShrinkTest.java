package io.ringsync.collectives;

import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import io.ringsync.transport.agreement.AgreementServer;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link Communicator#shrink()} with ranks that are processes of their own ({@link ShrinkRankMain}): one halts in
 * the middle of a job, the survivors shrink, end with the same members renumbered in order, and an allReduce over
 * them is exact and bitwise identical; a second rank dying during the shrink, a slow rank (kept), a rank back too
 * late (excluded with {@link RankExcludedException}), a split communicator, and ipc besides shm.
 */
@Timeout(120)
class ShrinkTest
{
    private static final Pattern SHRUNK = Pattern.compile(
        "SHRUNK rank=(\\d+) size=(\\d+) members=([\\d,]+) exact=(\\w+) hash=(\\w+)( .*)?");

    @Test
    void threeShmRanksLoseOneAndTheTwoLeftAgree() throws Exception
    {
        final Job job = run(3, "shm", null, "basic", 1, -1, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals(3, job.exitCodes[1], job.describe());
    }

    @Test
    void fourShmRanksLoseOneAndTheThreeLeftAgree() throws Exception
    {
        final Job job = run(4, "shm", null, "basic", 2, -1, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 1, 3 });
    }

    @Test
    void ipcRanksLoseRankZeroAndTheOthersRenumberFromZero() throws Exception
    {
        final File aeronDir = TestJobDirectory.fresh("shrink-aeron");
        try (MediaDriverHost driver = MediaDriverHost.launch(aeronDir, AeronMedia.IPC, 1 << 20))
        {
            final Job job = run(3, "ipc", driver.aeronDirectoryName(), "basic", 0, -1, 0, 10_000);
            job.assertShrunk(new int[]{ 1, 2 });
        }
        finally
        {
            IoUtil.delete(aeronDir, true);
        }
    }

    @Test
    void aSecondRankDyingDuringTheShrinkLeavesTheOthersAgreeing() throws Exception
    {
        final Job job = run(4, "shm", null, "second", 1, 3, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals(4, job.exitCodes[3], job.describe());
    }

    @Test
    void aRankSlowButInsideTheDeadlineIsKept() throws Exception
    {
        final Job job = run(3, "shm", null, "slow", 2, 1, 2_500, 8_000);
        job.assertShrunk(new int[]{ 0, 1 });
    }

    @Test
    void aRankBackAfterTheDeadlineIsExcludedWithASpecificException() throws Exception
    {
        final Job job = run(4, "shm", null, "slow", 3, 1, 5_000, 2_500);
        job.assertShrunk(new int[]{ 0, 2 });
        final String failed = job.line(1, "FAILED ");
        assertNotNull(failed, job.describe());
        assertTrue(failed.startsWith("RankExcludedException: rank 1: the other survivors agreed on ranks [0, 2]"),
            failed);
        assertEquals(1, job.exitCodes[1], job.describe());
    }

    @Test
    void aSplitCommunicatorShrinksAmongItsOwnMembers() throws Exception
    {
        final Job job = run(4, "shm", null, "split", 1, -1, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals("rank=0 size=1", job.line(3, "UNTOUCHED "), job.describe());
    }

    @ParameterizedTest
    @ValueSource(ints = { 6, 101, 102, 203, 299 })
    void anElasticModelAveragerGoesOnOverTheSurvivorsWithIdenticalModels(final int dieAtStep) throws Exception
    {
        final Job job = run(4, "shm", null, "averager", 2, -1, dieAtStep, 10_000);
        String hash = null;
        for (final int rank : new int[]{ 0, 1, 3 })
        {
            final String line = job.line(rank, "AVERAGED ");
            assertNotNull(line, job.describe());
            final Matcher matcher = Pattern.compile("size=3 shrinks=1 lost=1 hash=(\\w+)").matcher(line);
            assertTrue(matcher.matches(), line);
            hash = null == hash ? matcher.group(1) : hash;
            assertEquals(hash, matcher.group(1), "model bits of job rank " + rank);
            assertEquals(0, job.exitCodes[rank], job.describe());
        }
        assertEquals(3, job.exitCodes[2], job.describe());
    }

    /**
     * One or two of four ranks lost at random points of reduce-scatter, allgather, broadcast or a 1 MiB allReduce
     * (the direct mode on shm), on every transport ({@link ShrinkSweep}): the survivors shrink, go on in step, end
     * with the same members, exact results throughout and the same bits.
     */
    @ParameterizedTest(name = "{0}, {1} lost")
    @org.junit.jupiter.params.provider.CsvSource({ "shm, 1", "shm, 2", "ipc, 1", "ipc, 2", "tcp, 1", "tcp, 2",
        "udp, 1", "udp, 2" })
    void ranksLostAtRandomPointsOfAnyCollectiveLeaveTheOthersAgreeing(final String transport, final int lost)
        throws Exception
    {
        // -Dringsync.sweepSeed=<the seed a failed run printed> replays its victims and delays
        final long seed = Long.getLong("ringsync.sweepSeed", ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE));
        final int victim = (int)Math.floorMod(seed, 4);
        final int second = 2 == lost ? (victim + 1 + (int)Math.floorMod(seed >>> 8, 3)) % 4 : -1;
        final File aeronDir = "ipc".equals(transport) ? TestJobDirectory.fresh("shrink-sweep-aeron") : null;
        try (MediaDriverHost driver = null == aeronDir ? null :
            MediaDriverHost.launch(aeronDir, AeronMedia.IPC, 1 << 20))
        {
            final Job job = run(4, transport, "udp".equals(transport) ? udpEndpoints(4) :
                null == driver ? null : driver.aeronDirectoryName(), "sweep", victim, second, seed, 10_000, false);
            final int[] members = java.util.stream.IntStream.range(0, 4).filter(r -> r != victim && r != second)
                .toArray();
            job.assertShrunk(members);
            if (second >= 0)
            {
                assertEquals(3, job.exitCodes[second], "the second victim halts with 3: " + job.describe());
            }
        }
        finally
        {
            if (null != aeronDir)
            {
                IoUtil.delete(aeronDir, true);
            }
        }
    }

    @Test
    void shrinkRefusesAWorkingCommunicatorAndOneWithoutAJobDirectory() throws Exception
    {
        final Context fast = new Context().timeoutNs(TimeUnit.MILLISECONDS.toNanos(1500));
        final List<RankThreads.Outcome<String>> outcomes = LocalCluster.run(2, 1 << 18, fast, comm ->
        {
            final IllegalStateException working = assertThrows(IllegalStateException.class, comm::shrink);
            assertTrue(working.getMessage().contains("this one has not, keep using it"), working.getMessage());
            assertThrows(CollectiveMismatchException.class,
                () -> comm.allReduce(new float[comm.rank() == 0 ? 10 : 11], ReduceOp.SUM));
            final UnsupportedOperationException noDirectory = assertThrows(UnsupportedOperationException.class,
                comm::shrink);
            return noDirectory.getMessage();
        });
        for (final RankThreads.Outcome<String> outcome : outcomes)
        {
            assertNull(outcome.error, "rank " + outcome.rank + ": " + outcome.error);
            assertTrue(outcome.value.contains("shrink needs a job directory"), outcome.value);
        }
    }

    /**
     * Ranks of one machine that do not share a job directory (as ranks of different hosts do not) cannot agree
     * through it: every survivor gets an {@link UnsupportedOperationException} saying so, never a split.
     */
    @Test
    void tcpRanksOfOneHostLoseOneAndTheTwoLeftAgree() throws Exception
    {
        final Job job = run(3, "tcp", null, "basic", 1, -1, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals(3, job.exitCodes[1], job.describe());
    }

    @Test
    void overTcpASecondRankDyingDuringTheShrinkLeavesTheOthersAgreeing() throws Exception
    {
        final Job job = run(4, "tcp", null, "second", 1, 3, 0, 10_000);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals(4, job.exitCodes[3], job.describe());
    }

    @Test
    void udpRanksSharingAJobDirectoryLoseRankZeroAndTheOthersAgree() throws Exception
    {
        final Job job = run(3, "udp", udpEndpoints(3), "basic", 0, -1, 0, 10_000, false);
        job.assertShrunk(new int[]{ 1, 2 });
    }

    @Test
    void ranksThatDoNotShareAJobDirectoryNorAnAgreementServerAreToldWhatShrinkNeeds() throws Exception
    {
        final Job job = run(3, "udp", udpEndpoints(3), "basic", 2, -1, 0, 10_000);
        for (final int survivor : new int[]{ 0, 1 })
        {
            final String failed = job.line(survivor, "FAILED ");
            assertNotNull(failed, job.describe());
            assertTrue(failed.startsWith("UnsupportedOperationException: rank " + survivor + ": shrink across hosts " +
                "needs the job's agreement server (" + Configuration.AGREEMENT_ENV), failed);
        }
        assertEquals(3, job.exitCodes[2], job.describe());
    }

    /**
     * Ranks with a job directory each, as on hosts of their own, agree at an agreement server (here in the test's
     * JVM, as the launcher of a {@code --hosts} job serves it) instead of through files.
     */
    @Test
    void tcpRanksOfSeparateHostsLoseOneAndAgreeAtTheAgreementServer() throws Exception
    {
        final Job job = run(3, "tcp", null, "basic", 1, -1, 0, 10_000, true, true);
        job.assertShrunk(new int[]{ 0, 2 });
    }

    @Test
    void acrossHostsASecondRankDyingDuringTheShrinkLeavesTheOthersAgreeing() throws Exception
    {
        final Job job = run(4, "tcp", null, "second", 1, 3, 0, 10_000, true, true);
        job.assertShrunk(new int[]{ 0, 2 });
        assertEquals(4, job.exitCodes[3], job.describe());
    }

    @Test
    void udpRanksOfSeparateHostsLoseRankZeroAndAgreeAtTheAgreementServer() throws Exception
    {
        final Job job = run(3, "udp", udpEndpoints(3), "basic", 0, -1, 0, 10_000, true, true);
        job.assertShrunk(new int[]{ 1, 2 });
    }

    private static Job run(
        final int np, final String transport, final String aeronDirOrEndpoints, final String scenario,
        final int victim, final int second, final long slowMs, final long timeoutMs) throws Exception
    {
        // udp ranks get a job directory each, as if each were on a host of its own
        return run(np, transport, aeronDirOrEndpoints, scenario, victim, second, slowMs, timeoutMs,
            "udp".equals(transport), false);
    }

    private static Job run(
        final int np, final String transport, final String aeronDirOrEndpoints, final String scenario,
        final int victim, final int second, final long slowMs, final long timeoutMs, final boolean apart)
        throws Exception
    {
        return run(np, transport, aeronDirOrEndpoints, scenario, victim, second, slowMs, timeoutMs, apart, false);
    }

    /**
     * @param apart     whether each rank gets a job directory of its own (as on hosts of their own).
     * @param agreement whether the test serves an agreement server (with the job secret) and tells the ranks.
     */
    private static Job run(
        final int np, final String transport, final String aeronDirOrEndpoints, final String scenario,
        final int victim, final int second, final long slowMs, final long timeoutMs, final boolean apart,
        final boolean agreement) throws Exception
    {
        final boolean udp = "udp".equals(transport);
        final String aeronDir = udp ? null : aeronDirOrEndpoints;
        final String rendezvous = "tcp".equals(transport) ? "127.0.0.1:" + RendezvousPorts.freeHere() : null;
        final File jobDir = TestJobDirectory.fresh("shrink");
        final File outDir = Files.createTempDirectory("ringsync-shrink-out").toFile();
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        final Process[] processes = new Process[np];
        final String secret = "shrink-test-secret-" + jobId;
        final List<String> serverLog = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AgreementServer server = agreement ? AgreementServer.start(new java.net.InetSocketAddress(
            java.net.InetAddress.getLoopbackAddress(), 0), secret.getBytes(StandardCharsets.UTF_8), serverLog::add) :
            null;
        try
        {
            if (apart)
            {
                Files.createDirectory(jobDir.toPath(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
            for (int rank = 0; rank < np; rank++)
            {
                final List<String> command = new ArrayList<>(List.of(
                    System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                    "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                    "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", System.getProperty("java.class.path"), ShrinkRankMain.class.getName(),
                    scenario, Integer.toString(victim), Integer.toString(second), Long.toString(slowMs)));
                final ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(new File(outDir, "rank-" + rank + ".txt"));
                final Map<String, String> env = builder.environment();
                env.remove("JDK_JAVA_OPTIONS");
                env.remove("JAVA_TOOL_OPTIONS");
                env.put(Configuration.RANK_ENV, Integer.toString(rank));
                env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(np));
                env.put(Configuration.TRANSPORT_ENV, transport);
                env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(jobId));
                env.put(Configuration.JOB_DIR_ENV, apart ? new File(jobDir, "rank-" + rank).getPath() :
                    jobDir.getPath());
                if (udp)
                {
                    env.put(Configuration.UDP_ENDPOINTS_ENV, aeronDirOrEndpoints);
                    env.put(Configuration.UDP_MTU_ENV, "8192");
                }
                if (null != rendezvous)
                {
                    // rank 0 serves the rendezvous; with a secret every frame is tagged, in the shrunk mesh too
                    env.put(Configuration.RENDEZVOUS_ENV, rendezvous);
                    env.put(Configuration.JOB_SECRET_ENV, secret);
                }
                if (null != server)
                {
                    env.put(Configuration.AGREEMENT_ENV, "127.0.0.1:" + server.port());
                    env.put(Configuration.JOB_SECRET_ENV, secret);
                }
                env.put(Configuration.TIMEOUT_MS_ENV, Long.toString(timeoutMs));
                env.put(Configuration.SHM_WINDOW_BYTES_ENV, "1MiB");
                if (null != aeronDir)
                {
                    env.put(Configuration.AERON_DIR_ENV, aeronDir);
                }
                processes[rank] = builder.start();
            }
            final int[] exitCodes = new int[np];
            for (int rank = 0; rank < np; rank++)
            {
                if (!processes[rank].waitFor(90, TimeUnit.SECONDS))
                {
                    fail("rank " + rank + " still runs after 90 s: a hang\n" + outputs(outDir, np));
                }
                exitCodes[rank] = processes[rank].exitValue();
            }
            final Map<Integer, List<String>> lines = new HashMap<>();
            for (int rank = 0; rank < np; rank++)
            {
                lines.put(rank, Files.readAllLines(new File(outDir, "rank-" + rank + ".txt").toPath()));
            }
            if (null != server)
            {
                assertEquals(0, server.refusedConnections(), serverLog.toString());
                // the survivors' join entries and the decision: they did agree there
                assertTrue(server.entryCount() >= 2, "entries at the agreement server: " + server.entryCount());
            }
            return new Job(np, victim, exitCodes, lines);
        }
        finally
        {
            if (null != server)
            {
                server.close();
            }
            for (final Process process : processes)
            {
                if (null != process)
                {
                    process.destroyForcibly();
                }
            }
            IoUtil.delete(jobDir, true);
            IoUtil.delete(outDir, true);
        }
    }

    private static String udpEndpoints(final int np) throws IOException
    {
        return String.join(",", UdpPorts.loopbackEndpoints(np));
    }

    private static String outputs(final File outDir, final int np)
    {
        final StringBuilder sb = new StringBuilder();
        for (int rank = 0; rank < np; rank++)
        {
            try
            {
                sb.append("rank ").append(rank).append(":\n")
                    .append(Files.readString(new File(outDir, "rank-" + rank + ".txt").toPath()));
            }
            catch (final Exception ex)
            {
                sb.append(ex).append('\n');
            }
        }
        return sb.toString();
    }

    private static final class Job
    {
        final int np;
        final int victim;
        final int[] exitCodes;
        final Map<Integer, List<String>> lines;

        Job(final int np, final int victim, final int[] exitCodes, final Map<Integer, List<String>> lines)
        {
            this.np = np;
            this.victim = victim;
            this.exitCodes = exitCodes;
            this.lines = lines;
        }

        String line(final int rank, final String prefix)
        {
            return lines.get(rank).stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                .findFirst().orElse(null);
        }

        /**
         * Every survivor (of the job ranks in {@code members}) shrank to exactly those members, has rank = its
         * index among them, an exact sum, the same bits as the others, and exited 0.
         */
        void assertShrunk(final int[] members)
        {
            final StringBuilder expectedMembers = new StringBuilder();
            for (final int member : members)
            {
                expectedMembers.append(expectedMembers.length() == 0 ? "" : ",").append(member);
            }
            String hash = null;
            for (int i = 0; i < members.length; i++)
            {
                final int rank = members[i];
                final String shrunk = line(rank, "");
                final String result = lines.get(rank).stream().filter(l -> l.startsWith("SHRUNK ")).findFirst()
                    .orElse(null);
                assertNotNull(result, "job rank " + rank + " did not shrink: " + describe());
                final Matcher matcher = SHRUNK.matcher(result);
                assertTrue(matcher.matches(), result);
                assertEquals(i, Integer.parseInt(matcher.group(1)),
                    "new rank of job rank " + rank + ": " + result + ": " + describe());
                assertEquals(members.length, Integer.parseInt(matcher.group(2)), result + ": " + describe());
                assertEquals(expectedMembers.toString(), matcher.group(3),
                    "members seen by job rank " + rank + ": " + describe());
                assertEquals("true", matcher.group(4), "exact sum on job rank " + rank);
                if (null == hash)
                {
                    hash = matcher.group(5);
                }
                assertEquals(hash, matcher.group(5), "bits of job rank " + rank + " against job rank " + members[0]);
                assertEquals(0, exitCodes[rank], "exit code of job rank " + rank + ": " + describe());
                assertNull(line(rank, "FAILED "), describe());
                assertNotNull(shrunk);
            }
            assertEquals(3, exitCodes[victim], "the victim halts with 3: " + describe());
        }

        String describe()
        {
            final StringBuilder sb = new StringBuilder();
            for (int rank = 0; rank < np; rank++)
            {
                sb.append("\nrank ").append(rank).append(" exit ").append(exitCodes[rank]).append(":\n")
                    .append(String.join("\n", lines.get(rank)));
            }
            return sb.toString();
        }
    }
}
