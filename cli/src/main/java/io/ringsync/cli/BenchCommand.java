package io.ringsync.cli;

import io.ringsync.bench.ProcessStats;
import io.ringsync.bench.SweepWorker;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code ringsync bench}: the AllReduce latency and bandwidth of this host, one row per vector size, for one job
 * shape or a sweep over rank counts, transports and element types (one job per combination, rows under one
 * header). Rows go to stdout (CSV or an aligned table); notes about the machine, a progress line per size and the
 * ranks' own output go to stderr, so {@code ringsync bench ... --format csv > results.csv} keeps a clean CSV.
 * <p>
 * A row holds the contract's columns ({@link SweepWorker#HEADER}) and then, unless {@code --columns contract},
 * the columns of {@link SweepWorker#EXTRA_HEADER}: more percentiles, CPU per rank and per driver, memory and
 * {@code /dev/shm} footprint, CPU model and JDK.
 */
@Command(
    name = "bench",
    header = "Measure allReduce latency and bandwidth over a sweep of sizes.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Time allReduce(SUM) over a sweep of vector sizes with N ranks on this host. Per size: a correctness " +
            "check, W warm-up calls, then K timed calls; a call's time is the slowest rank's. --np, --transport " +
            "and --type take lists: one job runs per combination, all rows under one header.",
        "Columns: " + SweepWorker.HEADER + "; algbw = bytes / mean time (GB = 1e9 bytes), " +
            "busbw = algbw * 2 (np - 1) / np.",
        "Then (--columns all, the default): " + SweepWorker.EXTRA_HEADER + ": more percentiles; CPU us per call " +
            "of each rank's process (;-separated) and of the media driver threads; cores kept busy; RSS KiB per " +
            "rank; bytes of the job's /dev/shm files; CPU model and JDK. -1 where unknown."
    },
    footer = {
        "",
        "Examples:",
        "  ringsync bench --np 2 --transport shm --sizes 4,64KiB,1MiB,16MiB --format csv > results.csv",
        "  ringsync bench --np 2..4 --transport all --type float32,float64 > sweep.csv"
    })
final class BenchCommand implements Callable<Integer>
{
    /**
     * Default sizes: 4 B (8 B for float64), then powers of 4 from 16 B to 64 MiB.
     */
    static final String DEFAULT_SIZES = "4,16,64,256,1KiB,4KiB,16KiB,64KiB,256KiB,1MiB,4MiB,16MiB,64MiB";

    private static final String[] CONTRACT_COLUMNS = SweepWorker.HEADER.split(",");
    private static final int[] MIN_WIDTHS = { 10, 7, 2, 9, 9, 6, 10, 10, 10, 10, 10 };

    @Spec
    CommandSpec spec;

    @Option(names = "--np", paramLabel = "N|N1,N2|A..B", defaultValue = "2",
        description = "Number of ranks, a list or a range (default: 2).")
    String np;

    @Option(names = "--transport", paramLabel = "shm|tcp|ipc|udp|all", defaultValue = Configuration.TRANSPORT_DEFAULT,
        description = "Transport, a comma-separated list, or all (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--sizes", paramLabel = "LIST",
        description = "Vector sizes in bytes, comma-separated; suffixes k/KiB, m/MiB, g/GiB (1024-based; KB, MB, " +
            "GB are refused as ambiguous) (default: 4 B, or 8 B for float64, then powers of 4 from 16 B to 64 MiB).")
    String sizes;

    @Option(names = "--type", paramLabel = "float32|float64|all", defaultValue = "float32",
        description = "Element type, a comma-separated list, or all (default: float32).")
    String type;

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

    @Option(names = "--columns", paramLabel = "all|contract", defaultValue = "all",
        description = "all (default): the contract's columns, then the extra ones; contract: only the contract's 11.")
    String columns;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "Deadline of each call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV + ".")
    Long timeoutMs;

    /**
     * One job of the sweep.
     */
    private static final class Job
    {
        final int np;
        final LaunchTransport transport;
        final DataType type;
        final List<Long> sizes;

        Job(final int np, final LaunchTransport transport, final DataType type, final List<Long> sizes)
        {
            this.np = np;
            this.transport = transport;
            this.type = type;
            this.sizes = sizes;
        }
    }

    /**
     * @return the exit code: 0 when every job succeeded and printed every row, else that of the first failure.
     */
    public Integer call()
    {
        final CommandLine commandLine = spec.commandLine();
        final List<Job> jobs = validate(commandLine);
        final boolean table = "table".equals(format);
        final boolean extras = "all".equals(columns);
        final PrintWriter out = commandLine.getOut();
        final PrintWriter err = commandLine.getErr();
        final String[] header = (extras ? SweepWorker.HEADER + "," + SweepWorker.EXTRA_HEADER : SweepWorker.HEADER)
            .split(",");

        for (final String note : machineNotes(jobs))
        {
            err.println("# " + note);
        }
        err.flush();
        out.println(table ? tableRow(header, header) : String.join(",", header));
        out.flush();

        final int totalSizes = jobs.stream().mapToInt((job) -> job.sizes.size()).sum();
        final long startNs = System.nanoTime();
        final int[] done = new int[1];
        int exitCode = Launcher.EXIT_OK;
        for (final Job job : jobs)
        {
            final int rows = runJob(job, table, extras, header, out, err, done, totalSizes, startNs);
            if (rows < 0)
            {
                exitCode = Launcher.EXIT_FAILED;
                break;
            }
            if (rows != job.sizes.size())
            {
                err.println("ringsync bench: expected " + job.sizes.size() + " rows from np=" + job.np +
                    " transport=" + job.transport + " type=" + SweepWorker.typeName(job.type) +
                    " but the ranks printed " + rows);
                err.flush();
                exitCode = Launcher.EXIT_FAILED;
                break;
            }
        }
        return exitCode;
    }

    /**
     * @return the rows the job printed, or -1 when it failed.
     */
    private int runJob(
        final Job job,
        final boolean table,
        final boolean extras,
        final String[] header,
        final PrintWriter out,
        final PrintWriter err,
        final int[] done,
        final int totalSizes,
        final long startNs)
    {
        final List<String> workerArgs = new ArrayList<>(List.of(
            "--sizes", job.sizes.stream().map(String::valueOf).collect(Collectors.joining(",")),
            "--type", SweepWorker.typeName(job.type)));
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
        if (job.transport == LaunchTransport.IPC)
        {
            // the launcher, this JVM, hosts the job's media driver: rank 0 reads its threads' CPU time
            workerArgs.addAll(List.of("--driver-pid", Long.toString(ProcessHandle.current().pid())));
        }

        final int[] rows = new int[1];
        final OutputSink ranksOutput = OutputSink.prefixed(err, err);
        final int exitCode = Launcher.builder()
            .np(job.np)
            .transport(job.transport)
            .command(WorkerCommand.java(SweepWorker.class, workerArgs))
            .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
            .sink((rank, stderr, line) ->
            {
                if (rank == 0 && !stderr && line.startsWith(SweepWorker.ROW_PREFIX))
                {
                    final String[] cells = line.substring(SweepWorker.ROW_PREFIX.length()).split(",", -1);
                    final String[] shown = Arrays.copyOf(cells, Math.min(cells.length, header.length));
                    out.println(table ? tableRow(shown, header) : String.join(",", shown));
                    out.flush();
                    rows[0]++;
                }
                else if (rank == 0 && !stderr && line.startsWith(SweepWorker.PROGRESS_PREFIX))
                {
                    done[0]++;
                    final long bytes = Long.parseLong(line.substring(SweepWorker.PROGRESS_PREFIX.length()).trim());
                    err.println(String.format(Locale.ROOT, "# [%d/%d] np=%d transport=%s type=%s size=%s (%.0f s)",
                        done[0], totalSizes, job.np, job.transport, SweepWorker.typeName(job.type),
                        ByteSizes.format(bytes), (System.nanoTime() - startNs) / 1e9));
                    err.flush();
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

        return exitCode == Launcher.EXIT_OK ? rows[0] : -1;
    }

    private List<Job> validate(final CommandLine commandLine)
    {
        final List<Integer> rankCounts = parseRankCounts(commandLine);
        final List<LaunchTransport> transports = parseTransports(commandLine);
        final List<DataType> types = parseTypes(commandLine);
        if (!"csv".equals(format) && !"table".equals(format))
        {
            throw new CommandLine.ParameterException(commandLine, "--format must be csv or table, got " + format);
        }
        if (!"all".equals(columns) && !"contract".equals(columns))
        {
            throw new CommandLine.ParameterException(commandLine, "--columns must be all or contract, got " + columns);
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

        final List<Job> jobs = new ArrayList<>();
        for (final DataType dataType : types)
        {
            final List<Long> byteSizes = parseSizes(commandLine, dataType);
            for (final LaunchTransport launchTransport : transports)
            {
                for (final int ranks : rankCounts)
                {
                    jobs.add(new Job(ranks, launchTransport, dataType, byteSizes));
                }
            }
        }
        return jobs;
    }

    private List<Integer> parseRankCounts(final CommandLine commandLine)
    {
        final List<Integer> counts = new ArrayList<>();
        try
        {
            for (final String item : np.split(","))
            {
                final String value = item.trim();
                final int range = value.indexOf("..");
                if (range > 0)
                {
                    final int from = Integer.parseInt(value.substring(0, range).trim());
                    final int to = Integer.parseInt(value.substring(range + 2).trim());
                    if (to < from)
                    {
                        throw new CommandLine.ParameterException(commandLine, "--np range " + value +
                            " is empty: write it low..high, e.g. 2..4");
                    }
                    for (int n = from; n <= to; n++)
                    {
                        counts.add(n);
                    }
                }
                else
                {
                    counts.add(Integer.parseInt(value));
                }
            }
        }
        catch (final NumberFormatException ex)
        {
            throw new CommandLine.ParameterException(commandLine, "--np must be a number, a list (2,4) or a range " +
                "(2..4), got " + np);
        }
        for (final int n : counts)
        {
            if (n < 1)
            {
                throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + n);
            }
        }
        return counts;
    }

    private List<LaunchTransport> parseTransports(final CommandLine commandLine)
    {
        if ("all".equalsIgnoreCase(transport.trim()))
        {
            return List.of(LaunchTransport.values());
        }
        final List<LaunchTransport> transports = new ArrayList<>();
        for (final String name : transport.split(","))
        {
            try
            {
                transports.add(LaunchTransport.parse(name));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.ParameterException(commandLine, "--transport: " + ex.getMessage() +
                    ", a comma-separated list of them, or all");
            }
        }
        return transports;
    }

    private List<DataType> parseTypes(final CommandLine commandLine)
    {
        if ("all".equalsIgnoreCase(type.trim()))
        {
            return List.of(DataType.FLOAT32, DataType.FLOAT64);
        }
        final List<DataType> types = new ArrayList<>();
        for (final String name : type.split(","))
        {
            try
            {
                types.add(SweepWorker.parseType(name));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.ParameterException(commandLine, "--type: " + ex.getMessage() +
                    "; give float32, float64, a comma-separated list of them, or all");
            }
        }
        return types;
    }

    private List<Long> parseSizes(final CommandLine commandLine, final DataType dataType)
    {
        final List<Long> byteSizes;
        try
        {
            byteSizes = new ArrayList<>(ByteSizes.parseList(null != sizes ? sizes : DEFAULT_SIZES));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(commandLine, "--sizes: " + ex.getMessage());
        }
        if (null == sizes && byteSizes.get(0) < dataType.byteSize())
        {
            byteSizes.set(0, (long)dataType.byteSize()); // the default's smallest size: one element
        }
        for (final long bytes : byteSizes)
        {
            if (bytes % dataType.byteSize() != 0)
            {
                throw new CommandLine.ParameterException(commandLine, "--sizes: " + bytes + " bytes is not a whole " +
                    "number of " + SweepWorker.typeName(dataType) + " elements (" + dataType.byteSize() +
                    " bytes each)");
            }
            if (bytes / dataType.byteSize() > Integer.MAX_VALUE - 8)
            {
                throw new CommandLine.ParameterException(commandLine, "--sizes: " + ByteSizes.format(bytes) +
                    " is more elements than one Java array holds");
            }
        }
        return byteSizes;
    }

    private static String tableRow(final String[] cells, final String[] header)
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++)
        {
            final int minWidth = i < MIN_WIDTHS.length ? MIN_WIDTHS[i] : 0;
            final int width = i < header.length ? Math.max(minWidth, header[i].length()) : 0;
            if (i > 0)
            {
                sb.append("  ");
            }
            sb.append(" ".repeat(Math.max(0, width - cells[i].length()))).append(cells[i]);
        }
        return sb.toString();
    }

    /**
     * @return what a reader of the results needs to compare them with others: CPU, cores, JDK, job shapes.
     */
    private List<String> machineNotes(final List<Job> jobs)
    {
        final List<String> notes = new ArrayList<>();
        notes.add("ringsync bench: np=" + np + " transport=" + transport + " type=" + type + " sizes=" +
            (null == sizes ? "default" : sizes) + " iters=" + (null == iters ? "auto" : iters) + " warmup=" +
            (null == warmup ? "auto" : warmup) + " (" + jobs.size() + (jobs.size() == 1 ? " job)" : " jobs)"));
        notes.add("cpu: " + ProcessStats.cpuModel() + ", " + Runtime.getRuntime().availableProcessors() +
            " cores available");
        notes.add("jdk: " + ProcessStats.jdk());
        notes.add("os: " + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " +
            System.getProperty("os.arch"));
        return notes;
    }
}
