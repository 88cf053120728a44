package io.ringsync.cli;

import io.ringsync.examples.KMeansDemo;
import io.ringsync.examples.SgdDemo;
import io.ringsync.examples.SparseShard;
import io.ringsync.examples.SyntheticText;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demos as users run them, shrunk: separate JVMs through the launcher, small models. Each must exit 0, end
 * with the same model bits on every rank, and learn: the synthetic data flips 5% of the labels, and logistic
 * regression on these small settings reaches about 85% (the bound below leaves room); k-means on well separated
 * blobs must come within 10% of the inertia of the true centres.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("process") // launches the demos as jobs of JVM ranks
class DemoLaunchTest
{
    private static final double MIN_ACCURACY = 0.78;
    private static final String[] SMALL_SGD = { "--dim", "4096", "--vocab", "1000", "--examples", "15000",
        "--holdout", "2000", "--epochs", "3", "--sync-every", "8", "--explain", "off" };

    @TempDir
    Path dir;

    @ParameterizedTest(name = "np={0} mode={1}")
    @CsvSource({ "2, sync", "3, sync", "2, async", "3, async", "2, none" })
    void sgdLearnsAndEndsWithIdenticalModels(final int np, final String mode)
    {
        final List<String> args = new ArrayList<>(List.of(SMALL_SGD));
        args.addAll(List.of("--mode", mode, "--baseline", np == 2 ? "on" : "off"));
        final Job job = run(np, SgdDemo.class, args);
        assertIdenticalModels(job, np);
        final double accuracy = percentage(job, SgdDemo.ACCURACY);
        assertTrue(accuracy > MIN_ACCURACY, "accuracy " + accuracy + "\n" + job.describe());
        if (np == 2)
        {
            assertNotNull(job.lineOf(0, "baseline: holdout accuracy "), job::describe);
        }
    }

    @ParameterizedTest(name = "mode={0} kill rank {1} over {2}")
    @CsvSource({ "sync, 2, shm", "async, 2, shm", "sync, 0, shm", "async, 1, ipc", "sync, 1, udp", "sync, 3, tcp" })
    void sgdGoesOnWhenARankIsKilledAndTheSurvivorsEndIdentical(
        final String mode, final int victim, final String transport)
    {
        final List<String> args = new ArrayList<>(List.of(SMALL_SGD));
        args.addAll(List.of("--mode", mode, "--baseline", "off", "--kill-rank", Integer.toString(victim),
            "--at-epoch", "2"));
        final Job job = Job.run(Launcher.builder().np(4).timeoutMs(30_000).tolerate(1)
            .transport(LaunchTransport.parse(transport))
            .command(Job.java(SgdDemo.class, args.toArray(new String[0]))));
        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
        assertEquals(3, job.launcher.exitCodes()[victim], job::describe);
        assertNotNull(job.lineOf(victim, "rank " + victim + ": --kill-rank: halting now, in epoch 2 "), job::describe);
        assertTrue(job.allLog().contains("rank " + victim + " exited with code 3; tolerated"), job::describe);
        final Set<String> hashes = new HashSet<>();
        final int first = victim == 0 ? 1 : 0;
        for (int rank = 0; rank < 4; rank++)
        {
            if (rank != victim)
            {
                final String hash = job.lineOf(rank, "final model hash: ");
                assertNotNull(hash, "rank " + rank + " printed no model hash\n" + job.describe());
                hashes.add(hash);
            }
        }
        assertEquals(1, hashes.size(), () -> "survivors disagree: " + hashes + "\n" + job.describe());
        final String survivors = String.join(",", java.util.stream.IntStream.range(0, 4).filter(r -> r != victim)
            .mapToObj(Integer::toString).toArray(String[]::new));
        assertNotNull(job.lineOf(first, "epoch 2: lost job rank " + victim), job::describe);
        assertTrue(job.lineOf(first, "epoch 2: lost job rank " + victim).endsWith("the survivors shrank from 4 " +
            "to 3 ranks (job ranks " + survivors + ") and go on"), job::describe);
        assertNotNull(job.lineOf(first, "all 3 ranks hold bitwise identical"), job::describe);
        final double accuracy = percentage(job, first, SgdDemo.ACCURACY);
        assertTrue(accuracy > MIN_ACCURACY, "accuracy " + accuracy + "\n" + job.describe());
    }

    @Test
    void sgdTrainsOnLibsvmShardsOfEveryRank() throws IOException
    {
        final SyntheticText text = new SyntheticText(9, 4096, 1000, 1.0, 20, 60, 0.05);
        for (int rank = 0; rank < 2; rank++)
        {
            writeLibsvm(text.shard(rank, 10_000 + 3_000 * rank), dir.resolve("train-" + rank + ".svm"));
        }
        writeLibsvm(text.holdout(2_000), dir.resolve("test.svm"));
        final Job job = run(2, SgdDemo.class, List.of("--dim", "4096", "--epochs", "3", "--sync-every", "8",
            "--data", dir.resolve("train-{rank}.svm").toString(), "--format", "libsvm", "--test",
            dir.resolve("test.svm").toString(), "--explain", "off"));
        assertIdenticalModels(job, 2);
        final double accuracy = percentage(job, SgdDemo.ACCURACY);
        assertTrue(accuracy > MIN_ACCURACY, "accuracy " + accuracy + "\n" + job.describe());
    }

    @Test
    void sgdReportsABadDataLineWithFileAndLine() throws IOException
    {
        Files.writeString(dir.resolve("d-0.svm"), "1 1:1\n");
        Files.writeString(dir.resolve("d-1.svm"), "1 1:1\n-1 7:x\n");
        final Job job = Job.run(Launcher.builder().np(2).timeoutMs(20_000)
            .command(Job.java(SgdDemo.class, "--dim", "16", "--data", dir.resolve("d-{rank}.svm").toString())));
        assertEquals(Launcher.EXIT_FAILED, job.exitCode, job::describe);
        assertTrue(String.join("\n", job.linesOf(1)).contains("d-1.svm:2: value 'x' in '7:x' is not a number"),
            job::describe);
    }

    @ParameterizedTest(name = "np={0} mode={1}")
    @CsvSource({ "2, sync", "3, sync", "2, none" })
    void kmeansFindsTheBlobsAndEndsWithIdenticalCentres(final int np, final String mode)
    {
        final Job job = run(np, KMeansDemo.class, List.of("--k", "4", "--dim", "4", "--spread", "0.5", "--points",
            "20000", "--batch", "100", "--sync-every", "4", "--mode", mode, "--explain", "off"));
        assertIdenticalModels(job, np);
        final String line = job.lineOf(0, KMeansDemo.INERTIA);
        assertNotNull(line, job::describe);
        final double inertia = Double.parseDouble(line.substring(0, line.indexOf(' ')));
        final double truth = Double.parseDouble(line.substring(line.indexOf("give ") + 5, line.length() - 1));
        assertTrue(inertia < 1.1 * truth, "inertia " + inertia + " vs true centres " + truth + "\n" + job.describe());
    }

    private static Job run(final int np, final Class<?> main, final List<String> args)
    {
        final Job job = Job.run(Launcher.builder().np(np).timeoutMs(30_000)
            .command(Job.java(main, args.toArray(new String[0]))));
        assertEquals(Launcher.EXIT_OK, job.exitCode, job::describe);
        assertFalse(Files.exists(job.launcher.jobDirectory()), "job directory left behind");
        return job;
    }

    private static void assertIdenticalModels(final Job job, final int np)
    {
        final Set<String> hashes = new HashSet<>();
        for (int rank = 0; rank < np; rank++)
        {
            final String hash = job.lineOf(rank, "final model hash: ");
            assertNotNull(hash, "rank " + rank + " printed no model hash\n" + job.describe());
            hashes.add(hash);
        }
        assertEquals(1, hashes.size(), () -> "ranks disagree: " + hashes + "\n" + job.describe());
        assertNotNull(job.lineOf(0, np == 2 ? "both ranks hold bitwise identical" : "all " + np +
            " ranks hold bitwise identical"), job::describe);
    }

    private static double percentage(final Job job, final String marker)
    {
        return percentage(job, 0, marker);
    }

    private static double percentage(final Job job, final int rank, final String marker)
    {
        final String line = job.lineOf(rank, marker);
        assertNotNull(line, job::describe);
        return Double.parseDouble(line.replace("%", "")) / 100;
    }

    private static void writeLibsvm(final SparseShard shard, final Path file) throws IOException
    {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file)))
        {
            for (int row = 0; row < shard.size(); row++)
            {
                final StringBuilder line = new StringBuilder(shard.label(row) > 0 ? "+1" : "-1");
                for (int i = shard.start(row); i < shard.end(row); i++)
                {
                    line.append(' ').append(shard.indices()[i] + 1).append(':')
                        .append(String.format(Locale.ROOT, "%.9g", shard.values()[i]));
                }
                out.println(line);
            }
        }
    }
}
