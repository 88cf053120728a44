package io.ringsync.collectives;

import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Rejoining on one host ({@link Communicator#join(Context)}, {@link Communicator#admit()}) with ranks that are
 * processes of their own ({@link RejoinRankMain}): joiners admitted into groups of 2 and 3 over shm, ipc, tcp and
 * udp end with the same members and bitwise identical results, also when two arrive while the members are
 * admitting; with nobody waiting admit() returns the same communicator; a joiner nobody admits gets
 * {@link NotAdmittedException}; and a job loses a rank to SIGKILL, shrinks, takes a new process in, twice over
 * (over shm, tcp and udp).
 */
@Timeout(150)
class RejoinTest
{
    private static final Pattern GROWN = Pattern.compile(
        "rank=(\\d+) size=(\\d+) members=([\\d,]+) exact=(\\w+) hash=(\\w+)");
    private static final Pattern DONE = Pattern.compile("size=(\\d+) members=([\\d,]+) exact=(\\w+) hash=(\\w+)");

    @ParameterizedTest(name = "{0} members + {1} joiner(s) over {2}")
    @CsvSource({ "2, 1, shm", "3, 1, shm", "2, 1, ipc", "3, 1, ipc", "2, 2, shm", "2, 1, tcp", "3, 2, tcp",
        "2, 1, udp" })
    void joinersAreAdmittedAndTheGrownGroupReducesBitwiseIdentically(
        final int members, final int joiners, final String transport) throws Exception
    {
        final File aeronDir = "ipc".equals(transport) ? TestJobDirectory.fresh("rejoin-aeron") : null;
        try (MediaDriverHost driver = null == aeronDir ? null :
            MediaDriverHost.launch(aeronDir, AeronMedia.IPC, 1 << 20);
            Job job = new Job(transport, null == driver ? null : driver.aeronDirectoryName(), 10_000, members))
        {
            final int size = members + joiners;
            for (int rank = 0; rank < members; rank++)
            {
                job.start(rank, false, "grow", Integer.toString(size));
            }
            // the members are in their admit() loop: the joiners arrive while they admit
            for (int rank = 0; rank < members; rank++)
            {
                job.awaitLine(rank, "ADMITTING", 1);
            }
            for (int joiner = 0; joiner < joiners; joiner++)
            {
                job.start(members + joiner, true, "grow", Integer.toString(size));
            }
            job.awaitExit(90);
            String hash = null;
            for (int process = 0; process < size; process++)
            {
                final String line = job.line(process, "GROWN ");
                assertNotNull(line, job.describe());
                final Matcher matcher = GROWN.matcher(line);
                assertTrue(matcher.matches(), line);
                assertEquals(size, Integer.parseInt(matcher.group(2)), line);
                // the members keep ranks 0..n-1, the joiners follow
                assertEquals(process < members, Integer.parseInt(matcher.group(1)) < members, line);
                assertEquals(members(size), sorted(matcher.group(3)), line);
                assertEquals("true", matcher.group(4), "exact sum: " + line);
                hash = null == hash ? matcher.group(5) : hash;
                assertEquals(hash, matcher.group(5), "bits of process " + process + job.describe());
                assertEquals(0, job.exitCode(process), job.describe());
            }
            if ("tcp".equals(transport) || "udp".equals(transport))
            {
                // the grown group met over tcp or udp: every rank of it published the port it listened on (joiners that
                // came in separate rounds grew the group once each: the last mesh is the one of all ranks)
                final String[] endpoints = new File(job.jobDir, String.format("rejoin-%016x", job.jobId))
                    .list((dir, name) -> name.startsWith("endpoint-"));
                assertNotNull(endpoints, job.describe());
                final Map<String, Integer> perMesh = new java.util.TreeMap<>();
                for (final String name : endpoints)
                {
                    perMesh.merge(name.substring(0, name.lastIndexOf('-')), 1, Integer::sum);
                }
                assertTrue(perMesh.containsValue(size), String.join(" ", endpoints));
                // the grown meshes' directories (udp: their media drivers) went with the last rank of each
                final String[] meshes = job.jobDir.list((dir, name) -> name.startsWith("mesh-"));
                assertEquals(0, null == meshes ? 0 : meshes.length, String.join(" ", null == meshes ? new String[0] :
                    meshes));
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
    void withNobodyWaitingAdmitReturnsTheSameCommunicatorCheaply() throws Exception
    {
        try (Job job = new Job("shm", null, 10_000, 3))
        {
            for (int rank = 0; rank < 3; rank++)
            {
                job.start(rank, false, "none", "1000");
            }
            job.awaitExit(60);
            for (int rank = 0; rank < 3; rank++)
            {
                final String line = job.line(rank, "NONE ");
                assertNotNull(line, job.describe());
                assertTrue(line.startsWith("same=true perCallNs="), line);
                // steady state allocates nothing: under a byte per call over the last 1000 admits (rank 0 once
                // made a file name, a path and a regex split per call, 1680 bytes)
                final long allocated = Long.parseLong(line.substring(line.indexOf("allocatedBytes=") + 15));
                assertTrue(allocated < 1000, "rank " + rank + " allocated " + allocated + " bytes in 1000 admits");
                assertEquals(0, job.exitCode(rank), job.describe());
            }
            final String rankZero = job.line(0, "NONE ");
            System.out.println("admit() with nobody waiting, 3 shm ranks: " + rankZero);
        }
    }

    @Test
    void aJoinerNobodyAdmitsGetsNotAdmittedNamingTheJobAndWithdraws() throws Exception
    {
        final File jobDir = TestJobDirectory.fresh("rejoin-alone");
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        try
        {
            final Context noJob = new Context().transport("shm").jobId(jobId).jobDirectory(jobDir).rank(1);
            final NotAdmittedException none = assertThrows(NotAdmittedException.class, () -> Communicator.join(noJob));
            assertTrue(none.getMessage().contains("runs on this host: its job directory does not exist"),
                none.getMessage());
            Files.createDirectory(jobDir.toPath(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            final Context ctx = new Context().transport("shm").jobId(jobId).jobDirectory(jobDir).rank(1)
                .timeoutNs(TimeUnit.MILLISECONDS.toNanos(800));
            final long startNs = System.nanoTime();
            final NotAdmittedException ex = assertThrows(NotAdmittedException.class, () -> Communicator.join(ctx));
            final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
            assertTrue(tookMs >= 800 && tookMs < 10_000, "took " + tookMs + " ms");
            assertTrue(ex.getMessage().contains(String.format("was not admitted to job 0x%016x (%s) within 800 ms",
                jobId, jobDir)), ex.getMessage());
            final File rejoin = new File(jobDir, String.format("rejoin-%016x", jobId));
            assertEquals("withdrawn", Files.readString(new File(rejoin, "verdict-0").toPath()).trim());
            assertEquals(ProcessHandle.current().pid() + " 1",
                Files.readString(new File(rejoin, "request-0").toPath()).trim());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(new File(rejoin, "request-0").toPath())));
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(rejoin.toPath())));
        }
        finally
        {
            IoUtil.delete(jobDir, true);
        }
    }

    /**
     * Three ranks in a loop of allReduce, stop vote and admit; one is killed with SIGKILL, the two left shrink, a new
     * process joins as the lost job rank; then again with another rank. The three at the end agree bit for bit.
     */
    @ParameterizedTest(name = "over {0}")
    @ValueSource(strings = { "shm", "tcp", "udp" })
    void aRankKilledWithSigkillIsReplacedByAJoinerTwice(final String transport) throws Exception
    {
        try (Job job = new Job(transport, null, 10_000, 3))
        {
            final String stop = new File(job.outDir, "stop").getPath();
            for (int rank = 0; rank < 3; rank++)
            {
                job.start(rank, false, "loop", stop);
            }
            int shrinks = 0;
            int grows = 0;
            for (final int victim : new int[]{ 1, 2 })
            {
                job.awaitLine(0, "AT ", 2 + 2 * grows);
                job.process(victim).destroyForcibly();
                shrinks++;
                job.awaitLine(0, "SHRANK size=2 ", shrinks);
                // a new process takes the lost job rank: index 3 and 4 of the job's processes
                job.start(3 + grows, true, "loop", stop, victim);
                grows++;
                job.awaitLine(0, "GREW size=3 ", grows);
            }
            job.awaitLine(0, "AT ", 6);
            Files.writeString(new File(stop).toPath(), "stop\n");
            job.awaitExit(60);
            String hash = null;
            for (final int process : new int[]{ 0, 3, 4 })
            {
                final String line = job.line(process, "DONE ");
                assertNotNull(line, job.describe());
                final Matcher matcher = DONE.matcher(line);
                assertTrue(matcher.matches(), line);
                assertEquals("3", matcher.group(1), line);
                assertEquals("0,1,2", sorted(matcher.group(2)), line);
                assertEquals("true", matcher.group(3), "every round exact: " + line);
                hash = null == hash ? matcher.group(4) : hash;
                assertEquals(hash, matcher.group(4), job.describe());
                assertEquals(0, job.exitCode(process), job.describe());
            }
            assertEquals(137, job.exitCode(1), job.describe());
            assertEquals(137, job.exitCode(2), job.describe());
            assertNotNull(job.line(3, "JOINED rank=2 size=3"), job.describe());
            assertNotNull(job.line(4, "JOINED rank=2 size=3"), job.describe());
        }
    }

    /**
     * An elastic ModelAverager of three ranks loses one to SIGKILL, shrinks, and takes in a new process at a later
     * sync point, which starts from the hand-over; all three end with the same model bits.
     */
    @Test
    void anElasticModelAveragerTakesInAJoinerAfterALossAndEndsIdentical() throws Exception
    {
        try (Job job = new Job("shm", null, 10_000, 3))
        {
            for (int rank = 0; rank < 3; rank++)
            {
                job.start(rank, false, "averager", "6000");
            }
            job.awaitLine(0, "STEP ", 5);
            job.process(2).destroyForcibly();
            job.awaitLine(0, "SIZE 2 ", 1);
            job.start(3, true, "averager", "6000", 2);
            job.awaitLine(0, "SIZE 3 ", 1);
            job.awaitExit(90);
            String hash = null;
            for (final int process : new int[]{ 0, 1, 3 })
            {
                final String line = job.line(process, "AVERAGED ");
                assertNotNull(line, job.describe());
                final Matcher matcher = Pattern.compile("size=3 shrinks=(\\d) rejoins=(\\d) hash=(\\w+)")
                    .matcher(line);
                assertTrue(matcher.matches(), line);
                if (process != 3)
                {
                    assertEquals("1", matcher.group(1), line);
                    assertEquals("1", matcher.group(2), line);
                }
                hash = null == hash ? matcher.group(3) : hash;
                assertEquals(hash, matcher.group(3), "model bits of process " + process + job.describe());
                assertEquals(0, job.exitCode(process), job.describe());
            }
            assertEquals(137, job.exitCode(2), job.describe());
        }
    }

    private static String members(final int size)
    {
        final StringBuilder sb = new StringBuilder();
        for (int rank = 0; rank < size; rank++)
        {
            sb.append(rank == 0 ? "" : ",").append(rank);
        }
        return sb.toString();
    }

    private static String sorted(final String members)
    {
        return String.join(",", java.util.Arrays.stream(members.split(",")).mapToInt(Integer::parseInt).sorted()
            .mapToObj(Integer::toString).toArray(String[]::new));
    }

    /**
     * The processes of one test job: started one by one, their output in files, all killed and the job and output
     * directories removed on close, also when the test failed.
     */
    static final class Job implements AutoCloseable
    {
        final File jobDir = TestJobDirectory.fresh("rejoin");
        final File outDir;
        private final String transport;
        private final String aeronDir;
        private final long timeoutMs;
        private final int members;
        final long jobId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
        private final List<Process> processes = new ArrayList<>();
        private final int rendezvousPort = RendezvousPorts.freeHere();
        private String udpEndpoints;
        private final String secret = Long.toHexString(ThreadLocalRandom.current().nextLong()) +
            Long.toHexString(ThreadLocalRandom.current().nextLong());

        /**
         * @param members ranks that start the job (joiners come on top).
         */
        Job(final String transport, final String aeronDir, final long timeoutMs, final int members)
            throws IOException
        {
            this.members = members;
            this.transport = transport;
            this.aeronDir = aeronDir;
            this.timeoutMs = timeoutMs;
            this.outDir = Files.createTempDirectory("ringsync-rejoin-out").toFile();
            this.udpEndpoints = String.join(",", UdpPorts.loopbackEndpoints(members));
        }

        void start(final int index, final boolean joiner, final String scenario, final String target)
            throws IOException
        {
            start(index, joiner, scenario, target, index);
        }

        /**
         * @param index   of the process in this job (its output file).
         * @param jobRank its rank in the job (a joiner's job rank).
         */
        void start(final int index, final boolean joiner, final String scenario, final String target,
            final int jobRank) throws IOException
        {
            final List<String> command = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), RejoinRankMain.class.getName(), scenario, target));
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(new File(outDir, "process-" + index + ".txt"));
            final Map<String, String> env = builder.environment();
            env.remove("JDK_JAVA_OPTIONS");
            env.remove("JAVA_TOOL_OPTIONS");
            env.put(Configuration.RANK_ENV, Integer.toString(jobRank));
            env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(members));
            env.put(Configuration.TRANSPORT_ENV, transport);
            env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(jobId));
            env.put(Configuration.JOB_DIR_ENV, jobDir.getPath());
            env.put(Configuration.TIMEOUT_MS_ENV, Long.toString(timeoutMs));
            env.put(Configuration.SHM_WINDOW_BYTES_ENV, "1MiB");
            if (joiner)
            {
                env.put(Configuration.JOIN_ENV, "1");
            }
            if (null != aeronDir)
            {
                env.put(Configuration.AERON_DIR_ENV, aeronDir);
            }
            if ("udp".equals(transport))
            {
                // each rank's own media driver on its port; with a secret every message carries a tag
                env.put(Configuration.UDP_ENDPOINTS_ENV, udpEndpoints);
                env.put(Configuration.UDP_MTU_ENV, "8192");
                env.put(Configuration.JOB_SECRET_ENV, secret);
            }
            if ("tcp".equals(transport))
            {
                // the members meet at rank 0's rendezvous; the secret makes every frame carry a tag, so a joiner
                // whose keys differ from the members' (another session id) could not connect
                env.put(Configuration.RENDEZVOUS_ENV, "127.0.0.1:" + rendezvousPort);
                env.put(Configuration.JOB_SECRET_ENV, secret);
            }
            while (processes.size() <= index)
            {
                processes.add(null);
            }
            processes.set(index, builder.start());
        }

        Process process(final int index)
        {
            return processes.get(index);
        }

        int exitCode(final int index)
        {
            return processes.get(index).exitValue();
        }

        void awaitExit(final long seconds) throws Exception
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int index = 0; index < processes.size(); index++)
            {
                final Process process = processes.get(index);
                final long leftNs = deadlineNs - System.nanoTime();
                if (null != process && !process.waitFor(Math.max(0, leftNs), TimeUnit.NANOSECONDS))
                {
                    fail("process " + index + " still runs after " + seconds + " s: a hang" + describe());
                }
            }
        }

        /**
         * Wait (at most 60 s) until process {@code index} has printed {@code count} lines starting with
         * {@code prefix}.
         */
        void awaitLine(final int index, final String prefix, final int count) throws Exception
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            final Predicate<String> match = line -> line.startsWith(prefix);
            while (lines(index).stream().filter(match).count() < count)
            {
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    fail("process " + index + " did not print '" + prefix + "' " + count + " times in 60 s" +
                        describe());
                }
                if (!processes.get(index).isAlive() && lines(index).stream().filter(match).count() < count)
                {
                    fail("process " + index + " exited before printing '" + prefix + "' " + count + " times" +
                        describe());
                }
                Thread.sleep(20);
            }
        }

        List<String> lines(final int index)
        {
            try
            {
                return Files.readAllLines(new File(outDir, "process-" + index + ".txt").toPath());
            }
            catch (final IOException ex)
            {
                return List.of();
            }
        }

        String line(final int index, final String prefix)
        {
            return lines(index).stream().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()))
                .findFirst().orElse(null);
        }

        String describe()
        {
            final StringBuilder sb = new StringBuilder();
            for (int index = 0; index < processes.size(); index++)
            {
                sb.append("\nprocess ").append(index).append(":\n").append(String.join("\n", lines(index)));
            }
            return sb.toString();
        }

        public void close()
        {
            for (final Process process : processes)
            {
                if (null != process)
                {
                    process.destroyForcibly();
                    try
                    {
                        process.waitFor(10, TimeUnit.SECONDS);
                    }
                    catch (final InterruptedException ex)
                    {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            IoUtil.delete(jobDir, true);
            IoUtil.delete(outDir, true);
        }
    }
}
