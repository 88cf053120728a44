package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A job whose ranks fail ends quickly, non-zero, with every rank saying why, and leaves nothing behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of JVM ranks
class LaunchFailureTest
{
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({ "ipc, die", "udp, die", "shm, die", "ipc, die-small", "udp, die-small", "shm, die-small" })
    void aKilledRankFailsTheJobAndTheOthersNameIt(final String transport, final String scenario)
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(LaunchTransport.parse(transport))
            .timeoutMs(10_000)
            .command(Job.java(FailingRankMain.class, scenario)));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertTrue(job.allLog().contains("rank 1 exited with code 137"), job::describe);
        assertEquals(137, job.launcher.exitCodes()[1], job::describe);
        for (final int survivor : new int[]{ 0, 2 })
        {
            final String failure = job.lineOf(survivor, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + survivor + " did not report the failure\n" + job.describe());
            assertTrue(failure.contains("rank 1"), "rank " + survivor + " must name rank 1: " + failure);
            assertEquals(3, job.launcher.exitCodes()[survivor], "rank " + survivor + " must fail on its own");
        }
        // the survivors must not need the grace period: the liveness check finds a dead peer within seconds
        assertTrue(job.elapsedMs < 30_000, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    /**
     * With {@code tolerate(1)} the first failure (rank 1) is only reported; the survivors, which do not shrink
     * here, then fail too, which is past the tolerance: the job fails as before, and says both.
     */
    @Test
    void aToleratedLossIsReportedAndAFailureBeyondItStillFailsTheJob()
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .timeoutMs(10_000)
            .tolerate(1)
            .command(Job.java(FailingRankMain.class, "die")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertTrue(job.allLog().contains("rank 1 exited with code 137; tolerated (1 of at most 1 ranks lost): " +
            "the others go on"), job::describe);
        assertTrue(job.allLog().contains("failed; exit codes: rank 0: 3, rank 1: 137, rank 2: 3"), job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    /**
     * Rank 1 of 4 dies: ranks 0 and 2 are its ring neighbours, rank 3 is not, and every survivor must name it
     * (rank 3 through the status files or an abort), quickly and on its own.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(LaunchTransport.class)
    void aKilledRankIsNamedByEverySurvivorNotOnlyItsNeighbours(final LaunchTransport transport)
    {
        final Job job = Job.run(Launcher.builder()
            .np(4)
            .transport(transport)
            .timeoutMs(20_000)
            .command(Job.java(FailingRankMain.class, "die")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        for (final int survivor : new int[]{ 0, 2, 3 })
        {
            final String failure = job.lineOf(survivor, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + survivor + " did not report the failure\n" + job.describe());
            assertTrue(failure.startsWith("PeerFailedException") && failure.contains("rank 1"),
                "rank " + survivor + " must name rank 1: " + failure);
            assertEquals(3, job.launcher.exitCodes()[survivor], "rank " + survivor + " must fail on its own");
        }
        assertTrue(job.elapsedMs < 20_000, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    /**
     * Rank 1 dies before it has connected, so it never said hello nor published a status: the others learn it
     * from the launcher's report in the job directory, not at their deadline.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(LaunchTransport.class)
    void aRankThatDiesBeforeConnectingIsNamedBeforeTheDeadline(final LaunchTransport transport)
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(transport)
            .timeoutMs(30_000)
            .command(Job.java(FailingRankMain.class, "early")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        for (final int survivor : new int[]{ 0, 2 })
        {
            final String failure = job.lineOf(survivor, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + survivor + " did not report the failure\n" + job.describe());
            assertTrue(failure.startsWith("PeerFailedException") && failure.contains("rank 1 exited with code 137"),
                failure);
            assertEquals(3, job.launcher.exitCodes()[survivor], "rank " + survivor + " must fail on its own");
        }
        assertTrue(job.elapsedMs < 10_000, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @Test
    void aShmJobThatDoesNotFitDevShmIsRefusedBeforeAnyRankStarts()
    {
        final Job job = Job.run(Launcher.builder()
            .np(4)
            .transport(LaunchTransport.SHM)
            .shmUsableBytes(16L << 20)
            .command(Job.java(FailingRankMain.class, "mismatch")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        final String log = job.allLog();
        assertTrue(log.contains("a 4-rank shm job needs ") && log.contains("only 16.0 MiB is free") &&
            log.contains("--shm-size="), log);
        // a 4-rank ipc job needs more than 16 MiB too: suggesting it would not be true
        assertFalse(log.contains("--transport ipc"), log);
        assertEquals(-1, job.launcher.exitCodes()[0], "no rank may start");
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(LaunchTransport.class)
    void aLengthMismatchFailsEveryRankWithAMessageSayingSo(final LaunchTransport transport)
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(transport)
            .timeoutMs(10_000)
            .command(Job.java(FailingRankMain.class, "mismatch")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        for (int rank = 0; rank < 3; rank++)
        {
            final String failure = job.lineOf(rank, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + rank + " did not report the mismatch\n" + job.describe());
            assertTrue(failure.startsWith("CollectiveMismatchException"), failure);
            assertTrue(failure.contains("1000") || failure.contains("1001"), failure);
        }
        // the launcher's merged flight record shows where the ranks diverged: all failed the same call, rank 0
        // with 4000 bytes, the others with 4004
        final String log = job.allLog();
        final java.util.regex.Matcher last = java.util.regex.Pattern.compile("rank 0: last call #(\\d+) allReduce " +
            "failed").matcher(log);
        assertTrue(last.find(), log);
        final String call = last.group(1);
        for (int rank = 1; rank < 3; rank++)
        {
            assertTrue(log.contains("rank " + rank + ": last call #" + call + " allReduce failed"), log);
        }
        for (int rank = 0; rank < 3; rank++)
        {
            assertTrue(java.util.regex.Pattern.compile("\\s" + rank + "\\s+#" + call + " allReduce\\s+\\S+\\s+" +
                (rank == 0 ? "4000" : "4004") + "\\s.*failed").matcher(log).find(), "rank " + rank + "'s row: " + log);
        }
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }
}
