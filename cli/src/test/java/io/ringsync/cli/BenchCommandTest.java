package io.ringsync.cli;

import io.ringsync.bench.SweepWorker;
import io.ringsync.collectives.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync bench} writes exactly a header and one well-formed row per size on stdout, and its notes
 * on stderr, so its stdout is a clean CSV.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class BenchCommandTest
{
    @Test
    void csvHasTheHeaderAndOneRowPerSize()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "bench", "--np", "2", "--sizes", "4,64KiB", "--iters", "20", "--format", "csv");
        final String context = "stdout:\n" + out + "\nstderr:\n" + err;

        assertEquals(Launcher.EXIT_OK, exitCode, context);
        final String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, context);
        assertEquals(SweepWorker.HEADER, lines[0]);
        final long[] sizes = { 4, 65536 };
        for (int i = 0; i < sizes.length; i++)
        {
            final String[] cells = lines[i + 1].split(",");
            assertEquals(11, cells.length, lines[i + 1]);
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
        }
        assertTrue(err.toString().contains("# cpu: "), context);
        assertTrue(err.toString().contains("# jdk: "), context);
    }
}
