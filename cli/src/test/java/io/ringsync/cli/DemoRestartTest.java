package io.ringsync.cli;

import io.ringsync.examples.SgdDemo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code demo sgd --kill-rank R --at-epoch 2 --restart} through the launcher, shrunk as in {@link DemoLaunchTest}:
 * the launcher starts the killed rank again as a joiner ({@code --restart 1}), the survivors shrink, then admit it
 * at a sync point and hand it the model; the job exits 0, the output says when the rank died, when the group shrank
 * and when it rejoined, and all four final models are identical.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("process") // launches the demo as a job of JVM ranks
class DemoRestartTest
{
    private static final double MIN_ACCURACY = 0.78;
    private static final String[] SMALL_SGD = { "--dim", "4096", "--vocab", "1000", "--examples", "15000",
        "--holdout", "2000", "--epochs", "3", "--sync-every", "8", "--explain", "off", "--baseline", "off" };

    @ParameterizedTest(name = "mode={0} kill rank {1} over {2}")
    @CsvSource({ "sync, 2, shm", "async, 1, ipc", "sync, 3, tcp", "sync, 1, udp" })
    void aKilledRankIsRestartedRejoinsAndAllFourEndIdentical(
        final String mode, final int victim, final String transport)
    {
        final List<String> args = new ArrayList<>(List.of(SMALL_SGD));
        args.addAll(List.of("--mode", mode, "--kill-rank", Integer.toString(victim), "--at-epoch", "2",
            "--restart", "1"));
        final Job job = Job.run(Launcher.builder().np(4).timeoutMs(30_000).tolerate(1).restart(1)
            .transport(LaunchTransport.parse(transport))
            .command(Job.java(SgdDemo.class, args.toArray(new String[0]))));
        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
        // the restarted process' exit code is the rank's
        assertEquals(0, job.launcher.exitCodes()[victim], job::describe);
        assertNotNull(job.lineOf(victim, "rank " + victim + ": --kill-rank: halting now, in epoch 2 "), job::describe);
        assertTrue(job.allLog().contains("rank " + victim + " exited with code 3; the others go on, and it is " +
            "restarted to rejoin them (restart 1 of at most 1)"), job::describe);
        final int first = victim == 0 ? 1 : 0;
        final String shrank = job.lineOf(first, "epoch 2: lost job rank " + victim);
        assertNotNull(shrank, job::describe);
        assertTrue(shrank.endsWith("the survivors shrank from 4 to 3 ranks (job ranks " + survivors(victim) +
            ") and go on"), job::describe);
        final String rejoined = job.linesOf(first).stream().filter(l -> l.contains(": job rank " + victim +
            " rejoined")).findFirst().orElse(null);
        assertNotNull(rejoined, job::describe);
        assertTrue(rejoined.endsWith("the group grew from 3 to 4 ranks (job ranks " + survivors(victim) + "," +
            victim + ")"), rejoined);
        assertNotNull(job.lineOf(victim, "rank " + victim + ": rejoined the job as job rank " + victim + ", rank 3 " +
            "of 4"), job::describe);
        final Set<String> hashes = new HashSet<>();
        for (int rank = 0; rank < 4; rank++)
        {
            final String hash = job.lineOf(rank, "final model hash: ");
            assertNotNull(hash, "rank " + rank + " printed no model hash\n" + job.describe());
            hashes.add(hash);
        }
        assertEquals(1, hashes.size(), () -> "ranks disagree: " + hashes + "\n" + job.describe());
        assertNotNull(job.lineOf(first, "all 4 ranks hold bitwise identical"), job::describe);
        final String accuracy = job.lineOf(first, SgdDemo.ACCURACY);
        assertNotNull(accuracy, job::describe);
        assertTrue(Double.parseDouble(accuracy.replace("%", "")) / 100 > MIN_ACCURACY, job::describe);
    }

    private static String survivors(final int victim)
    {
        final StringBuilder sb = new StringBuilder();
        for (int rank = 0; rank < 4; rank++)
        {
            if (rank != victim)
            {
                sb.append(sb.length() == 0 ? "" : ",").append(rank);
            }
        }
        return sb.toString();
    }
}
