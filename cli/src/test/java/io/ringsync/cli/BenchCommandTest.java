package io.ringsync.cli;

import io.ringsync.bench.SweepWorker;
import io.ringsync.collectives.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync bench} writes exactly a header and one well-formed row per size on stdout, and its notes
 * on stderr, so its stdout is a clean CSV.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@Tag("process") // runs the bench sweep as jobs of JVM ranks
class BenchCommandTest
{
    @Test
    void csvHasTheHeaderAndOneRowPerSize()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "bench", "--np", "2", "--transport", "ipc", "--sizes", "4,64KiB", "--iters", "20", "--format", "csv");
        final String context = "stdout:\n" + out + "\nstderr:\n" + err;

        assertEquals(Launcher.EXIT_OK, exitCode, context);
        final String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, context);
        // the contract's columns first, unchanged, then the extra ones
        assertEquals(SweepWorker.HEADER + "," + SweepWorker.EXTRA_HEADER, lines[0]);
        final int columns = lines[0].split(",").length;
        final long[] sizes = { 4, 65536 };
        for (int i = 0; i < sizes.length; i++)
        {
            final String[] cells = lines[i + 1].split(",", -1);
            assertEquals(columns, cells.length, lines[i + 1]);
            assertEquals(Long.toString(sizes[i]), cells[0]);
            assertEquals("float32", cells[1]);
            assertEquals("2", cells[2]);
            assertEquals("ipc", cells[3]);
            // the default switch: small vectors take the small-vector path, the rest the ring
            assertEquals(sizes[i] <= Configuration.SMALL_MAX_BYTES_DEFAULT ? "small" : "ring", cells[4]);
            assertEquals("20", cells[5]);
            final double p50 = Double.parseDouble(cells[6]);
            final double p99 = Double.parseDouble(cells[7]);
            final double mean = Double.parseDouble(cells[8]);
            final double algbw = Double.parseDouble(cells[9]);
            final double busbw = Double.parseDouble(cells[10]);
            assertTrue(p50 > 0 && p99 >= p50 && mean > 0, lines[i + 1]);
            assertEquals(sizes[i] / (mean * 1000), algbw, Math.max(1e-4, algbw * 0.01), lines[i + 1]);
            assertEquals(algbw, busbw, 1e-4, "busbw = algbw * 2 (np - 1) / np = algbw for np 2: " + lines[i + 1]);

            final double p90 = Double.parseDouble(cells[11]);
            final double p999 = Double.parseDouble(cells[12]);
            final double max = Double.parseDouble(cells[13]);
            assertTrue(p50 <= p90 && p90 <= p99 && p99 <= p999 && p999 <= max, lines[i + 1]);
            final String[] rankCpu = cells[14].split(";");
            assertEquals(2, rankCpu.length, "one CPU figure per rank: " + lines[i + 1]);
            double cpuUs = 0;
            for (final String cpu : rankCpu)
            {
                // the JVM counts process CPU in 10 ms ticks: 20 short calls may read 0, never -1 (unknown) on Linux
                assertTrue(Double.parseDouble(cpu) >= 0, "a rank's CPU time is known: " + lines[i + 1]);
                cpuUs += Double.parseDouble(cpu);
            }
            assertTrue(Double.parseDouble(cells[15]) >= 0, "the ipc job's driver is measured: " + lines[i + 1]);
            cpuUs += Double.parseDouble(cells[15]);
            // cores kept busy: the CPU figures over the mean time, so 0 exactly when every figure read 0 ticks
            final double busy = Double.parseDouble(cells[16]);
            assertEquals(cpuUs > 0, busy > 0, "cores kept busy: " + lines[i + 1]);
            assertTrue(busy >= 0, "cores kept busy: " + lines[i + 1]);
            final String[] rss = cells[17].split(";");
            assertEquals(2, rss.length, lines[i + 1]);
            for (final String kib : rss)
            {
                assertTrue(Long.parseLong(kib) > 1024, "a JVM's RSS is more than 1 MiB: " + lines[i + 1]);
            }
            assertTrue(Long.parseLong(cells[18]) > 0, "the ipc job's Aeron files are in /dev/shm: " + lines[i + 1]);
            assertFalse(cells[19].isBlank(), "cpu model: " + lines[i + 1]);
            assertTrue(cells[20].contains(System.getProperty("java.runtime.version")), "jdk: " + lines[i + 1]);
        }
        assertTrue(err.toString().contains("# cpu: "), context);
        assertTrue(err.toString().contains("# jdk: "), context);
        assertTrue(err.toString().contains("# [1/2] np=2 transport=ipc type=float32 size=4 B"), context);
        assertTrue(err.toString().contains("# [2/2] np=2 transport=ipc type=float32 size=64 KiB"), context);
    }

    @Test
    void sweepPrintsOneHeaderThenRowsOfEveryJobWithOnlyTheContractColumnsOnRequest()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "bench", "--np", "2..3", "--transport", "shm", "--type", "float32,float64", "--sizes", "8,4KiB",
            "--iters", "5", "--warmup", "2", "--columns", "contract");
        final String context = "stdout:\n" + out + "\nstderr:\n" + err;

        assertEquals(Launcher.EXIT_OK, exitCode, context);
        final String[] lines = out.toString().split("\n");
        assertEquals(1 + 2 * 2 * 2, lines.length, context);
        assertEquals(SweepWorker.HEADER, lines[0]);
        final String[] expected = {
            "8,float32,2", "4096,float32,2", "8,float32,3", "4096,float32,3",
            "8,float64,2", "4096,float64,2", "8,float64,3", "4096,float64,3" };
        for (int i = 0; i < expected.length; i++)
        {
            final String[] cells = lines[i + 1].split(",");
            assertEquals(11, cells.length, lines[i + 1]);
            assertTrue(lines[i + 1].startsWith(expected[i] + ",shm,"), lines[i + 1]);
            assertEquals("5", cells[5], lines[i + 1]);
        }
        assertTrue(err.toString().contains("# [8/8] np=3 transport=shm type=float64 size=4 KiB"), context);
    }

    @Test
    void rejectsAnEmptyRankRangeAndUnknownTransportsInAList()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        assertEquals(Launcher.EXIT_USAGE, RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "bench", "--np", "4..2"));
        assertTrue(err.toString().contains("--np range 4..2 is empty"), err.toString());
        assertEquals(Launcher.EXIT_USAGE, RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "bench", "--transport", "ipc,pigeon"));
        assertTrue(err.toString().contains("unknown transport 'pigeon'"), err.toString());
        assertEquals("", out.toString());
    }
}
