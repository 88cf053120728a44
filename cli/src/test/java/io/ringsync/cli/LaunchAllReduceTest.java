package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole jobs through the launcher: separate JVMs over Aeron IPC and UDP, started with a plain
 * {@code java -cp} (no JVM flags: the launcher's JDK_JAVA_OPTIONS must be enough), get exact sums and
 * bitwise identical results on every rank.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of JVM ranks
class LaunchAllReduceTest
{
    /**
     * The hash each np produced, whatever the transport: the bits must not depend on it.
     */
    private static final java.util.Map<Integer, Set<String>> HASHES_BY_NP = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Separate processes, two shm slots per link, 256-byte chunks: vectors of up to 16 MiB, some 30,000 times
     * the window of a link, still complete with the exact sum (the ring keeps one slot for forwards).
     */
    @ParameterizedTest(name = "np={0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = { 3, 4 })
    void twoSlotsPerLinkCarryAnyVectorAcrossProcesses(final int np)
    {
        final Job job = Job.run(Launcher.builder()
            .np(np)
            .transport(LaunchTransport.SHM)
            .environment("RINGSYNC_SHM_SLOT_COUNT", "2")
            .environment("RINGSYNC_CHUNK_BYTES", "256")
            .timeoutMs(30_000)
            .command(Job.java(SumCheckMain.class)));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        for (int rank = 0; rank < np; rank++)
        {
            final String result = job.lineOf(rank, SumCheckMain.RESULT);
            assertNotNull(result, "rank " + rank + " printed no result\n" + job.describe());
            assertTrue(result.startsWith("ok rank=" + rank), result);
        }
    }

    /**
     * {@code bin/ringsync launch --np 3 --transport tcp}: rank 0 serves the rendezvous on 127.0.0.1, the others
     * learn its and each other's ports there, and every rank gets the exact sum with the bits of the other transports.
     */
    @org.junit.jupiter.api.Test
    void aTcpJobFromTheCommandLineGetsTheExactSum()
    {
        final java.io.StringWriter out = new java.io.StringWriter();
        final java.io.StringWriter err = new java.io.StringWriter();
        final java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("launch", "--np", "3",
            "--transport", "tcp", "--timeout-ms", "30000", "--"));
        args.addAll(Job.java(SumCheckMain.class));
        final int exitCode = RingsyncCommand.execute(new java.io.PrintWriter(out), new java.io.PrintWriter(err),
            args.toArray(new String[0]));
        final String describe = "exit " + exitCode + "\nout:\n" + out + "\nerr:\n" + err;
        assertEquals(Launcher.EXIT_OK, exitCode, describe);
        final Set<String> hashes = new HashSet<>();
        for (int rank = 0; rank < 3; rank++)
        {
            final String prefix = "[" + rank + "] " + SumCheckMain.RESULT + "ok rank=" + rank + " hash=";
            final String line = out.toString().lines().filter(l -> l.startsWith(prefix)).findFirst().orElse(null);
            assertNotNull(line, describe);
            hashes.add(line.substring(line.indexOf("hash=")));
        }
        assertEquals(1, hashes.size(), () -> "ranks disagree: " + hashes);
        HASHES_BY_NP.computeIfAbsent(3, k -> java.util.concurrent.ConcurrentHashMap.newKeySet()).addAll(hashes);
        assertEquals(1, HASHES_BY_NP.get(3).size(), () -> "tcp and the other transports disagree: " + HASHES_BY_NP);
        assertFalse(err.toString().contains("refused"), describe);
    }

    @ParameterizedTest(name = "np={0} transport={1}")
    @CsvSource({ "2, ipc", "3, ipc", "4, ipc", "2, udp", "3, udp", "4, udp", "2, shm", "3, shm", "4, shm", "2, tcp",
        "4, tcp" })
    void everyRankGetsTheExactSumAndTheSameBits(final int np, final String transport)
    {
        final Job job = Job.run(Launcher.builder()
            .np(np)
            .transport(LaunchTransport.parse(transport))
            .timeoutMs(30_000)
            .command(Job.java(SumCheckMain.class)));

        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        final Set<String> hashes = new HashSet<>();
        for (int rank = 0; rank < np; rank++)
        {
            final String result = job.lineOf(rank, SumCheckMain.RESULT);
            assertNotNull(result, "rank " + rank + " printed no result\n" + job.describe());
            assertTrue(result.startsWith("ok rank=" + rank + " hash=0x"), result);
            hashes.add(result.substring(result.indexOf("hash=")));
        }
        assertEquals(1, hashes.size(), () -> "ranks disagree: " + hashes);
        final Set<String> acrossTransports = HASHES_BY_NP.computeIfAbsent(np,
            k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
        acrossTransports.addAll(hashes);
        assertEquals(1, acrossTransports.size(), () -> "np=" + np + ": transports disagree: " + acrossTransports);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
        assertFalse(job.err.stream().anyMatch(line -> line.contains("Picked up " + Launcher.JDK_JAVA_OPTIONS)),
            "the JVM's note about the launcher's own JDK_JAVA_OPTIONS is noise and must be dropped");
    }
}
