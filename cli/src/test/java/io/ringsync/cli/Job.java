package io.ringsync.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A job run in-process by the tests, with everything it printed kept, and the java command of a test main.
 */
final class Job
{
    private static final Pattern PREFIXED = Pattern.compile("^\\[(\\d+)] (.*)$");

    final Launcher launcher;
    final int exitCode;
    final long elapsedMs;
    final List<String> out;
    final List<String> err;
    final List<String> log;

    private Job(
        final Launcher launcher, final int exitCode, final long elapsedMs,
        final List<String> out, final List<String> err, final List<String> log)
    {
        this.launcher = launcher;
        this.exitCode = exitCode;
        this.elapsedMs = elapsedMs;
        this.out = out;
        this.err = err;
        this.log = log;
    }

    /**
     * Run a job; its output is echoed to this JVM's stderr as well, so a failing test shows it.
     *
     * @param builder settings, without sink and log.
     * @return the finished job.
     */
    static Job run(final Launcher.Builder builder)
    {
        final List<String> out = Collections.synchronizedList(new ArrayList<>());
        final List<String> err = Collections.synchronizedList(new ArrayList<>());
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final Consumer<String> echo = line -> System.err.println("    | " + line);
        final Launcher launcher = builder
            .sink((rank, stderr, line) ->
            {
                final String prefixed = OutputSink.prefix(rank) + line;
                (stderr ? err : out).add(prefixed);
                echo.accept(prefixed);
            })
            .log(line ->
            {
                log.add(line);
                echo.accept(line);
            })
            .build();
        final long startNs = System.nanoTime();
        final int exitCode = launcher.run();
        final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        return new Job(launcher, exitCode, elapsedMs, out, err, log);
    }

    /**
     * @param mainClass a test main.
     * @param args      its arguments.
     * @return {@code java <flags> -cp <this JVM's class path> mainClass args}.
     */
    static List<String> java(final Class<?> mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-cp",
            System.getProperty("java.class.path"),
            mainClass.getName()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * @param rank of interest.
     * @return the lines that rank printed, stdout then stderr, without their prefix.
     */
    List<String> linesOf(final int rank)
    {
        final List<String> lines = new ArrayList<>();
        synchronized (out)
        {
            collect(out, rank, lines);
        }
        synchronized (err)
        {
            collect(err, rank, lines);
        }
        return lines;
    }

    private static void collect(final List<String> from, final int rank, final List<String> into)
    {
        for (final String line : from)
        {
            final Matcher matcher = PREFIXED.matcher(line);
            if (matcher.matches() && Integer.parseInt(matcher.group(1)) == rank)
            {
                into.add(matcher.group(2));
            }
        }
    }

    /**
     * @param rank   of interest.
     * @param marker a line's start.
     * @return the rest of the first line of that rank starting with the marker, or null.
     */
    String lineOf(final int rank, final String marker)
    {
        return linesOf(rank).stream().filter(line -> line.startsWith(marker)).findFirst()
            .map(line -> line.substring(marker.length())).orElse(null);
    }

    /**
     * The job ran {@link SumCheckMain} on {@code np} ranks: it exited 0, every rank printed an exact result, and all
     * results have the same bits.
     *
     * @return that result's hash ({@code hash=0x...}).
     */
    String agreedSumCheckHash(final int np)
    {
        org.junit.jupiter.api.Assertions.assertEquals(Launcher.EXIT_OK, exitCode, this::describe);
        final java.util.Set<String> hashes = new java.util.HashSet<>();
        for (int rank = 0; rank < np; rank++)
        {
            final String result = lineOf(rank, SumCheckMain.RESULT);
            org.junit.jupiter.api.Assertions.assertNotNull(result, "rank " + rank + " printed no result\n" + describe());
            org.junit.jupiter.api.Assertions.assertTrue(result.startsWith("ok rank=" + rank + " hash=0x"), result);
            hashes.add(result.substring(result.indexOf("hash=")));
        }
        org.junit.jupiter.api.Assertions.assertEquals(1, hashes.size(), () -> "ranks disagree: " + hashes);
        return hashes.iterator().next();
    }

    String describe()
    {
        return "exit code " + exitCode + " after " + elapsedMs + " ms\nlauncher:\n" + String.join("\n", log) +
            "\nstdout:\n" + String.join("\n", out) + "\nstderr:\n" + String.join("\n", err);
    }

    String allLog()
    {
        synchronized (log)
        {
            return log.stream().collect(Collectors.joining("\n"));
        }
    }
}
