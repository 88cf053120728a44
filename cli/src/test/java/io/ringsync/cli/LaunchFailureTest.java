package io.ringsync.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
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
@Timeout(value = 90, unit = TimeUnit.SECONDS)
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
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }
}
