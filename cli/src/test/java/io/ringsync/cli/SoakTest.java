package io.ringsync.cli;

import io.ringsync.bench.SoakWorker;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync soak}, short as CI runs it (20000 calls of 4 KiB, 200 of 1 MiB, on 2 ranks): it exits 0, rank 0
 * prints a row per window of each phase with the samples, and both ranks report no growth of file descriptors,
 * threads or memory. The long run is the command's default ({@code bin/ringsync soak}).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@Tag("process") // launches the soak as a job of JVM ranks
class SoakTest
{
    @ParameterizedTest
    @ValueSource(strings = { "shm", "tcp" })
    void aShortSoakFindsNoGrowthAndEveryResultExact(final String transport)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err), "soak", "--np", "2",
            "--transport", transport, "--small", "20000", "--large", "200", "--timeout-ms", "30000");
        final String output = out + "\n" + err;
        assertEquals(Launcher.EXIT_OK, exitCode, output);
        final List<String> rows = Arrays.stream(out.toString().split("\n"))
            .filter(line -> line.startsWith("[0] small,") || line.startsWith("[0] large,"))
            .collect(Collectors.toList());
        assertEquals(2 * SoakWorker.WINDOWS, rows.size(), output);
        for (final String row : rows)
        {
            final String[] fields = row.substring(4).split(",");
            assertEquals(SoakWorker.HEADER.split(",").length, fields.length, row);
            assertTrue(Double.parseDouble(fields[4]) > 0 && Long.parseLong(fields[6]) > 0 &&
                Long.parseLong(fields[7]) > 0 && Long.parseLong(fields[8]) > 0, row);
        }
        for (int rank = 0; rank < 2; rank++)
        {
            assertTrue(out.toString().contains("[" + rank + "] rank " + rank + ": SOAK OK: 20200 calls"), output);
        }
    }
}
