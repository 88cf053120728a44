package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sub-communicators across processes, through the launcher: each group gets the exact sum of its members on every
 * transport, and a process that dies inside a group is named by the survivors of that group.
 */
@Tag("process")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class LaunchSplitTest
{
    @ParameterizedTest(name = "np={0} transport={1}")
    @CsvSource({ "4, shm", "5, shm", "4, ipc", "4, udp" })
    void oddAndEvenGroupsEachGetTheirMembersSum(final int np, final String transport)
    {
        final Job job = Job.run(Launcher.builder()
            .np(np)
            .transport(LaunchTransport.parse(transport))
            .timeoutMs(30_000)
            .command(Job.java(SplitMain.class)));
        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        // each rank adds its group's sum (of job rank + 1 over the members) into the parent's allReduce
        long total = 0;
        for (int rank = 0; rank < np; rank++)
        {
            for (int member = rank % 2; member < np; member += 2)
            {
                total += member + 1;
            }
        }
        for (int rank = 0; rank < np; rank++)
        {
            final String result = job.lineOf(rank, SplitMain.RESULT);
            assertNotNull(result, "rank " + rank + " printed no result\n" + job.describe());
            final StringBuilder members = new StringBuilder();
            for (int r = (np - 1 - rank % 2) / 2 * 2 + rank % 2; r >= 0; r -= 2)
            {
                members.append(members.length() == 0 ? "" : ",").append(r);
            }
            final int size = (np + 1 - rank % 2) / 2;
            assertTrue(result.startsWith("ok rank=" + rank + " group=" + (size - 1 - rank / 2) + " size=" + size +
                " members=" + members + " total=" + total), result);
        }
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
    }

    @ParameterizedTest(name = "transport={0}")
    @CsvSource({ "shm", "udp" })
    void aProcessDyingInsideAGroupIsNamedByTheGroupsSurvivors(final String transport)
    {
        final int np = 6;
        final Job job = Job.run(Launcher.builder()
            .np(np)
            .transport(LaunchTransport.parse(transport))
            .timeoutMs(30_000)
            .command(Job.java(SplitMain.class, "die")));
        assertTrue(job.exitCode != Launcher.EXIT_OK, job::describe);
        assertTrue(job.elapsedMs < 60_000, "took " + job.elapsedMs + " ms\n" + job.describe());
        // the odd group is job ranks 5, 3, 1 in that order: job rank 5, its rank 0, halts
        for (final int survivor : new int[]{ 1, 3 })
        {
            final String failed = job.lineOf(survivor, SplitMain.FAILED);
            if (null == failed)
            {
                continue; // the launcher may have stopped it first; the one that reported must be right
            }
            assertTrue(failed.startsWith("PeerFailedException suspect=0") ||
                failed.contains("rank 0 (job rank 5)"), failed);
        }
        assertTrue(null != job.lineOf(1, SplitMain.FAILED) || null != job.lineOf(3, SplitMain.FAILED),
            "no survivor of the group reported the failure\n" + job.describe());
    }
}
