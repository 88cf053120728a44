package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shm direct mode through the launcher, forced on for every size ({@code RINGSYNC_SHM_DIRECT_MIN_BYTES=0} and
 * {@code RINGSYNC_SMALL_MAX_BYTES=0}, so no call takes the small-vector path):
 * separate JVMs get exact sums and the very bits the ring gives (the result hash of {@link SumCheckMain} is the
 * same with the direct mode forced off), also with a 64 KiB window the largest vectors stream through in hundreds
 * of rounds; a killed rank and a mismatch fail every rank as over the ring, and no file is left.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("process") // launches jobs of JVM ranks
class LaunchShmDirectTest
{
    @ParameterizedTest(name = "np={0}")
    @ValueSource(ints = { 2, 3, 4 })
    void directGivesTheRingsBitsOnEveryRank(final int np)
    {
        final String ring = hashOf(np, "-1", null);
        assertEquals(ring, hashOf(np, "0", null), "direct mode vs ring");
        assertEquals(ring, hashOf(np, "0", "64KiB"), "direct mode streaming through a 64 KiB window vs ring");
    }

    @Test
    void aKilledRankFailsTheJobAndTheOthersNameIt()
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(LaunchTransport.SHM)
            .timeoutMs(10_000)
            .environment("RINGSYNC_SHM_DIRECT_MIN_BYTES", "0")
            .environment("RINGSYNC_SMALL_MAX_BYTES", "0")
            .command(Job.java(FailingRankMain.class, "die")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertEquals(137, job.launcher.exitCodes()[1], job::describe);
        for (final int survivor : new int[]{ 0, 2 })
        {
            final String failure = job.lineOf(survivor, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + survivor + " did not report the failure\n" + job.describe());
            assertTrue(failure.contains("rank 1"), "rank " + survivor + " must name rank 1: " + failure);
            assertEquals(3, job.launcher.exitCodes()[survivor], "rank " + survivor + " must fail on its own");
        }
        assertTrue(job.elapsedMs < 30_000, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @Test
    void aLengthMismatchFailsEveryRank()
    {
        final Job job = Job.run(Launcher.builder()
            .np(3)
            .transport(LaunchTransport.SHM)
            .timeoutMs(10_000)
            .environment("RINGSYNC_SHM_DIRECT_MIN_BYTES", "0")
            .environment("RINGSYNC_SMALL_MAX_BYTES", "0")
            .command(Job.java(FailingRankMain.class, "mismatch")));

        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        for (int rank = 0; rank < 3; rank++)
        {
            final String failure = job.lineOf(rank, FailingRankMain.FAILED);
            assertNotNull(failure, "rank " + rank + " did not report the mismatch\n" + job.describe());
            assertTrue(failure.startsWith("CollectiveMismatchException"), failure);
            assertTrue(failure.contains("1000") && failure.contains("1001"), failure);
        }
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    private static String hashOf(final int np, final String directMinBytes, final String windowBytes)
    {
        final Launcher.Builder builder = Launcher.builder()
            .np(np)
            .transport(LaunchTransport.SHM)
            .timeoutMs(30_000)
            .environment("RINGSYNC_SHM_DIRECT_MIN_BYTES", directMinBytes)
            .environment("RINGSYNC_SMALL_MAX_BYTES", "0")
            .command(Job.java(SumCheckMain.class));
        if (null != windowBytes)
        {
            builder.environment("RINGSYNC_SHM_WINDOW_BYTES", windowBytes);
        }
        final Job job = Job.run(builder);
        final String hash = job.agreedSumCheckHash(np);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
        return hash;
    }
}
