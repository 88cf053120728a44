package io.ringsync.cli;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync demo sgd|kmeans --data 'd-{rank}...'} with a malformed line in rank 1's file: what the user reads
 * first is that rank's {@code file:line: what was wrong}, and only after it the other rank's report that rank 1
 * left (one line, no stack trace).
 */
@Tag("process") // launches the demos as jobs of JVM ranks
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoBadDataTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "demo {0}")
    @CsvSource(delimiter = '|', value = {
        "sgd    | svm | 1 1:1\\n-1 2:1\\n1 3:1\\n | 1 1:1\\n-1 7:x\\n | :2: value 'x' in '7:x' is not a number",
        "kmeans | csv | 1,2\\n3,4\\n5,6\\n7,8\\n  | 1,2\\n3,x\\n      | :2: "
    })
    void theFirstErrorLineIsTheBadLineOfTheRankThatReadIt(
        final String demo, final String extension, final String rank0, final String rank1, final String expected)
        throws IOException
    {
        Files.writeString(dir.resolve("d-0." + extension), rank0.replace("\\n", "\n"));
        Files.writeString(dir.resolve("d-1." + extension), rank1.replace("\\n", "\n"));
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int exitCode = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(err),
            "demo", demo, "--np", "2", "--timeout-ms", "20000", "--data", dir.resolve("d-{rank}." + extension).toString(),
            "--baseline", "off", "--explain", "off");
        final String output = "exit code " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        assertEquals(Launcher.EXIT_FAILED, exitCode, output);

        final List<String> errors = err.toString().lines().collect(Collectors.toList());
        final String first = errors.isEmpty() ? "" : errors.get(0);
        final String badLine = OutputSink.prefix(1) + dir.resolve("d-1." + extension) + expected;
        assertTrue(first.startsWith(badLine), () -> "the first error line is not rank 1's '" + badLine + "...'\n" +
            output);
        assertTrue(errors.stream().skip(1).anyMatch(line -> line.startsWith(OutputSink.prefix(0) + "rank 0: demo " +
            demo + " failed: ")), () -> "rank 0 did not report after it\n" + output);
        assertTrue(errors.stream().noneMatch(line -> line.contains("\tat ")), () -> "a stack trace\n" + output);
    }
}
