package io.ringsync.cli;

import io.ringsync.bench.SweepWorker;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * {@code ringsync bench}: the AllReduce latency and bandwidth of this host, one row per vector size. Rows go
 * to stdout (CSV or an aligned table); notes about the machine and the ranks' own output go to stderr, so
 * {@code ringsync bench ... --format csv > results.csv} keeps a clean CSV.
 */
@Command(
    name = "bench",
    header = "Measure allReduce latency and bandwidth over a sweep of sizes.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Time allReduce(SUM) over a sweep of vector sizes with N ranks on this host. Per size: a correctness " +
            "check, W warm-up calls, then K timed calls; a call's time is the slowest rank's.",
        "Columns: " + SweepWorker.HEADER + "; algbw = bytes / mean time (GB = 1e9 bytes), " +
            "busbw = algbw * 2 (np - 1) / np."
    },
    footer = {
        "",
        "Example:",
        "  ringsync bench --np 2 --transport ipc --sizes 4,64KiB,1MiB,16MiB --format csv > results.csv"
    })
final class BenchCommand implements Callable<Integer>
{
    private static final String[] COLUMNS = SweepWorker.HEADER.split(",");
    private static final int[] MIN_WIDTHS = { 10, 7, 2, 9, 9, 6, 10, 10, 10, 10, 10 };

    @Spec
    CommandSpec spec;

    @Option(names = "--np", paramLabel = "N", defaultValue = "2", description = "Number of ranks (default: 2).")
    int np;

    @Option(names = "--transport", paramLabel = "ipc|udp|shm", defaultValue = Configuration.TRANSPORT_DEFAULT,
        converter = Converters.Transport.class, description = "Transport (default: ipc).")
    LaunchTransport transport;

    @Option(names = "--sizes", paramLabel = "LIST", defaultValue = "4,64KiB,1MiB,16MiB",
        description = "Vector sizes in bytes, comma-separated; suffixes B, KiB, MiB, GiB (1024-based) and KB, MB, " +
            "GB (1000-based) (default: ${DEFAULT-VALUE}).")
    String sizes;

    @Option(names = "--type", paramLabel = "float32|float64", defaultValue = "float32",
        converter = Converters.Type.class, description = "Element type (default: float32).")
    DataType type;

    @Option(names = "--iters", paramLabel = "K",
        description = "Timed calls per size (default: chosen from the warm-up so a size takes 1-2 s, 20 to 10000).")
    Integer iters;

    @Option(names = "--warmup", paramLabel = "W",
        description = "Untimed calls per size before timing (default: 5 to 200, more for small sizes).")
    Integer warmup;

    @Option(names = "--format", paramLabel = "csv|table", defaultValue = "csv",
        description = "csv (default) or table (aligned columns).")
    String format;

    @Option(names = "--shared",
        description = "Place the vector with Communicator.allocate (in shared memory over shm, read in place by " +
            "the direct mode) instead of a Java array.")
    boolean shared;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "Deadline of each call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV + ".")
    Long timeoutMs;

    /**
     * @return the job's exit code.
     */
    public Integer call()
    {
        final CommandLine commandLine = spec.commandLine();
        final List<Long> byteSizes = validate(commandLine);
        final boolean table = "table".equals(format);
        final PrintWriter out = commandLine.getOut();
        final PrintWriter err = commandLine.getErr();

        for (final String note : machineNotes())
        {
            err.println("# " + note);
        }
        err.flush();
        out.println(table ? tableRow(COLUMNS) : SweepWorker.HEADER);
        out.flush();

        final List<String> workerArgs = new ArrayList<>(List.of(
            "--sizes", byteSizes.stream().map(String::valueOf).collect(Collectors.joining(",")),
            "--type", SweepWorker.typeName(type)));
        if (null != iters)
        {
            workerArgs.addAll(List.of("--iters", iters.toString()));
        }
        if (null != warmup)
        {
            workerArgs.addAll(List.of("--warmup", warmup.toString()));
        }
        if (shared)
        {
            workerArgs.addAll(List.of("--shared", "true"));
        }

        final int[] rows = new int[1];
        final OutputSink ranksOutput = OutputSink.prefixed(err, err);
        final int exitCode = Launcher.builder()
            .np(np)
            .transport(transport)
            .command(WorkerCommand.java(SweepWorker.class, workerArgs))
            .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
            .sink((rank, stderr, line) ->
            {
                if (rank == 0 && !stderr && line.startsWith(SweepWorker.ROW_PREFIX))
                {
                    final String row = line.substring(SweepWorker.ROW_PREFIX.length());
                    out.println(table ? tableRow(row.split(",")) : row);
                    out.flush();
                    rows[0]++;
                }
                else
                {
                    // anything else a rank says is a note for the user, never part of the results
                    ranksOutput.onLine(rank, stderr, line);
                }
            })
            .log(LaunchCommand.log(err))
            .build()
            .run();

        if (exitCode == Launcher.EXIT_OK && rows[0] != byteSizes.size())
        {
            err.println("ringsync bench: expected " + byteSizes.size() + " rows but the ranks printed " + rows[0]);
            err.flush();
            return Launcher.EXIT_FAILED;
        }
        return exitCode;
    }

    private List<Long> validate(final CommandLine commandLine)
    {
        if (np < 1)
        {
            throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + np);
        }
        if (!"csv".equals(format) && !"table".equals(format))
        {
            throw new CommandLine.ParameterException(commandLine, "--format must be csv or table, got " + format);
        }
        if (null != iters && (iters < 1 || iters > SweepWorker.MAX_GIVEN_ITERS))
        {
            throw new CommandLine.ParameterException(commandLine, "--iters must be 1 to " +
                SweepWorker.MAX_GIVEN_ITERS + ", got " + iters);
        }
        if (null != warmup && warmup < 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--warmup must be 0 or more, got " + warmup);
        }
        if (null != timeoutMs && timeoutMs <= 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--timeout-ms must be positive, got " + timeoutMs);
        }
        final List<Long> byteSizes;
        try
        {
            byteSizes = ByteSizes.parseList(sizes);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(commandLine, "--sizes: " + ex.getMessage());
        }
        for (final long bytes : byteSizes)
        {
            if (bytes % type.byteSize() != 0)
            {
                throw new CommandLine.ParameterException(commandLine, "--sizes: " + bytes + " bytes is not a whole " +
                    "number of " + SweepWorker.typeName(type) + " elements (" + type.byteSize() + " bytes each)");
            }
            if (bytes / type.byteSize() > Integer.MAX_VALUE - 8)
            {
                throw new CommandLine.ParameterException(commandLine, "--sizes: " + ByteSizes.format(bytes) +
                    " is more elements than one Java array holds");
            }
        }
        return byteSizes;
    }

    private static String tableRow(final String[] cells)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++)
        {
            final int width = i < COLUMNS.length ? Math.max(MIN_WIDTHS[i], COLUMNS[i].length()) : 0;
            if (i > 0)
            {
                sb.append("  ");
            }
            sb.append(" ".repeat(Math.max(0, width - cells[i].length()))).append(cells[i]);
        }
        return sb.toString();
    }

    /**
     * @return what a reader of the results needs to compare them with others: CPU, cores, JDK, job shape.
     */
    private List<String> machineNotes()
    {
        final List<String> notes = new ArrayList<>();
        notes.add("ringsync bench: np=" + np + " transport=" + transport + " type=" + SweepWorker.typeName(type) +
            " iters=" + (null == iters ? "auto" : iters) + " warmup=" + (null == warmup ? "auto" : warmup));
        notes.add("cpu: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores available");
        notes.add("jdk: " + System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " +
            System.getProperty("java.runtime.version"));
        notes.add("os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " +
            System.getProperty("os.arch"));
        return notes;
    }

    static String cpuModel()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8))
            {
                if (line.startsWith("model name"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // not Linux, or no model name there (some ARM kernels): ask lscpu
        }
        return lscpuModel();
    }

    private static String lscpuModel()
    {
        try
        {
            final Process process = new ProcessBuilder("lscpu").redirectErrorStream(true).start();
            process.getOutputStream().close();
            final String output;
            try (InputStream in = process.getInputStream())
            {
                output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            process.waitFor(5, TimeUnit.SECONDS);
            for (final String line : output.split("\n"))
            {
                if (line.startsWith("Model name:"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException ignore)
        {
            // no lscpu
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return "unknown";
    }
}
