package io.ringsync.bench;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.DataType;
import io.ringsync.collectives.ReduceOp;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One rank of {@code ringsync bench}: times {@code allReduce(SUM)} over a list of vector sizes and, on rank 0,
 * prints one CSV row per size on stdout, marked with {@link #ROW_PREFIX} so the bench command can tell rows
 * from anything else a rank prints.
 * <p>
 * Before the first size, a fixed number of untimed calls warm the JVM up (skipped with {@code --warmup 0}).
 * Per size: one correctness check (every rank contributes rank + 1, every element must come back as
 * n(n + 1) / 2 exactly), then W warm-up calls that are not counted, then K timed calls. The vector holds
 * zeros while timed, so repeated in-place sums stay finite. Each call is timed on every rank; one more
 * {@code allReduce(MAX)} over the array of times gives every rank the slowest rank's time of each call,
 * which is what a training step waits for. The timed loop allocates nothing. Around it each rank reads its CPU
 * time, its media driver threads' CPU time and its resident memory; a second gather brings them to rank 0 for the
 * columns of {@link #EXTRA_HEADER}.
 * <p>
 * Arguments: {@code --sizes B1,B2,... --type float32|float64 [--iters K] [--warmup W]}, sizes in bytes.
 * Without {@code --iters}, K is chosen per size so that the size takes 1-2 s: {@value #TARGET_SECONDS} s
 * divided by the slowest rank's mean time over the second half of the warm-up, clamped to
 * [{@value #MIN_ITERS}, {@value #MAX_ITERS}].
 */
public final class SweepWorker
{
    /**
     * Marks the lines of rank 0's stdout that are result rows.
     */
    public static final String ROW_PREFIX = "@csv ";

    /**
     * The columns of a result row.
     */
    public static final String HEADER =
        "bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps";

    /**
     * Columns that follow {@link #HEADER} in a row (the contract's columns come first and never change):
     * <ul>
     *     <li>{@code p90_us}, {@code p999_us}, {@code max_us}: more of the same HdrHistogram of per-call times;</li>
     *     <li>{@code rank_cpu_us}: CPU time each rank's process used per timed call (all its threads, including
     *     an embedded media driver), in rank order separated by {@code ;};</li>
     *     <li>{@code driver_cpu_us}: CPU time of media driver threads per timed call, summed over the job's
     *     drivers: the launcher's shared driver (ipc), the keeper threads of the ranks' embedded drivers (udp; the
     *     duty cycles a rank runs on its own thread are in its {@code rank_cpu_us}), 0 without a driver (shm);</li>
     *     <li>{@code cpu_util}: (sum of rank_cpu_us + driver_cpu_us) / mean_us, the cores the job kept busy;</li>
     *     <li>{@code rss_kib}: resident memory of each rank after the size, {@code ;}-separated;</li>
     *     <li>{@code shm_bytes}: bytes of the files in the job's directory (its {@code /dev/shm} footprint:
     *     Aeron terms, shm slot rings) after the size;</li>
     *     <li>{@code cpu_model}, {@code jdk}: the machine and the JVM of the ranks (commas removed).</li>
     * </ul>
     * A figure that cannot be read on this system is -1.
     */
    public static final String EXTRA_HEADER =
        "p90_us,p999_us,max_us,rank_cpu_us,driver_cpu_us,cpu_util,rss_kib,shm_bytes,cpu_model,jdk";

    /**
     * Marks the line rank 0 prints before it starts a size: {@code @progress <bytes>}.
     */
    public static final String PROGRESS_PREFIX = "@progress ";

    /**
     * Fewest timed calls per size when chosen automatically.
     */
    public static final int MIN_ITERS = 20;

    /**
     * Most timed calls per size when chosen automatically.
     */
    public static final int MAX_ITERS = 100_000;

    /**
     * Most timed calls per size when given.
     */
    public static final int MAX_GIVEN_ITERS = 10_000_000;

    /**
     * Time per size the automatic iteration count aims for. It is computed from warm-up calls, which run
     * slower than the timed ones (the JIT is still at work), so a size ends up taking 1-2 s.
     */
    public static final double TARGET_SECONDS = 2.0;

    private static final long WARMUP_BYTES_BUDGET = 256L << 20;
    private static final int MIN_WARMUP = 5;
    private static final int MAX_WARMUP = 50_000;
    private static final int STATS_PER_RANK = 4;

    private final Communicator comm;
    private final DataType type;
    private final float[] floats;
    private final double[] doubles;
    private final UnsafeBuffer shared;
    private final double[] times;
    private final double[] agreed = new double[1];
    private final Histogram histogram = new Histogram(1, TimeUnit.HOURS.toNanos(1), 3);
    private final PrintStream out;
    private final double[] stats;
    private final long driverPid;
    private final long pid = ProcessHandle.current().pid();
    private final Path jobDirectory;
    private final String machine;

    private SweepWorker(
        final Communicator comm,
        final DataType type,
        final long maxBytes,
        final int maxIters,
        final boolean useShared,
        final long driverPid,
        final PrintStream out)
    {
        this.comm = comm;
        this.type = type;
        final int maxCount = (int)(maxBytes / type.byteSize());
        this.shared = useShared ? comm.allocate(maxCount, type) : null;
        this.floats = !useShared && type == DataType.FLOAT32 ? new float[maxCount] : null;
        this.doubles = !useShared && type == DataType.FLOAT64 ? new double[maxCount] : null;
        this.times = new double[maxIters];
        this.stats = new double[STATS_PER_RANK * comm.size()];
        this.driverPid = driverPid;
        this.out = out;
        final String jobDir = Configuration.jobDirectory(System.getenv());
        this.jobDirectory = null == jobDir ? null : Path.of(jobDir);
        this.machine = ProcessStats.cpuModel().replace(',', ' ') + "," + ProcessStats.jdk().replace(',', ' ');
    }

    /**
     * @param args {@code --sizes B1,B2,... --type float32|float64 [--iters K] [--warmup W] [--driver-pid PID]},
     *             the last naming the process that hosts the job's media driver (the launcher, for ipc).
     */
    public static void main(final String[] args)
    {
        final Arguments arguments;
        try
        {
            arguments = Arguments.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("SweepWorker: " + ex.getMessage());
            System.exit(2);
            return;
        }
        int rank = -1;
        try (Communicator comm = Communicator.fromEnvironment())
        {
            rank = comm.rank();
            final int maxIters = arguments.iters > 0 ? arguments.iters : MAX_ITERS;
            final SweepWorker worker = new SweepWorker(
                comm, arguments.type, arguments.maxBytes(), maxIters, arguments.shared, arguments.driverPid, System.out);
            if (arguments.warmup != 0)
            {
                worker.prime(arguments.maxBytes());
            }
            for (final long bytes : arguments.sizes)
            {
                worker.measure(bytes, arguments.iters, arguments.warmup);
            }
        }
        catch (final RuntimeException | OutOfMemoryError ex)
        {
            System.err.println((rank >= 0 ? "rank " + rank + ": " : "") + "bench failed: " + ex);
            ex.printStackTrace();
            System.exit(1);
        }
    }

    /**
     * Warm the JVM up once before the first size ({@link Priming}).
     *
     * @param largestBytes the largest size the sweep measures.
     */
    private void prime(final long largestBytes)
    {
        fill((int)(Math.min(largestBytes, Priming.MAX_BYTES) / type.byteSize()), 0);
        Priming.prime(comm, largestBytes, type.byteSize(), count -> reduce(count, ReduceOp.SUM));
    }

    /**
     * @param bytes  of the vector.
     * @param iters  timed calls, or 0 to choose.
     * @param warmup untimed calls first, or -1 to choose.
     */
    private void measure(final long bytes, final int iters, final int warmup)
    {
        if (comm.rank() == 0)
        {
            out.println(PROGRESS_PREFIX + bytes);
            out.flush();
        }
        final int count = (int)(bytes / type.byteSize());
        check(count);
        fill(count, 0);

        final int warmupCalls = warmup >= 0 ? warmup : defaultWarmup(bytes);
        // the estimate uses the second half of the warm-up only: the first calls of a size run cold (JIT, page
        // faults) and would make the count far too small
        final int firstCounted = warmupCalls / 2;
        long warmupNs = 0;
        for (int i = 0; i < warmupCalls; i++)
        {
            final long startNs = System.nanoTime();
            reduce(count, ReduceOp.SUM);
            if (i >= firstCounted)
            {
                warmupNs += System.nanoTime() - startNs;
            }
        }

        final int timedCalls;
        if (iters > 0)
        {
            timedCalls = iters;
        }
        else
        {
            // every rank must run the same number of calls: agree on the slowest rank's estimate
            agreed[0] = warmupCalls > 0 ? (double)warmupNs / (warmupCalls - firstCounted) : estimateOneCallNs(count);
            comm.allReduce(agreed, ReduceOp.MAX);
            timedCalls = iterationsFor(agreed[0]);
        }

        final long cpuStartNs = ProcessStats.processCpuNs();
        final long ownDriverStartNs = ProcessStats.threadsCpuNs(pid, ProcessStats.DRIVER_THREAD);
        final long launcherDriverStartNs = launcherDriverCpuNs();
        for (int i = 0; i < timedCalls; i++)
        {
            final long startNs = System.nanoTime();
            reduce(count, ReduceOp.SUM);
            times[i] = System.nanoTime() - startNs;
        }
        final long cpuNs = ProcessStats.processCpuNs() - cpuStartNs;
        final long ownDriverNs = ProcessStats.threadsCpuNs(pid, ProcessStats.DRIVER_THREAD) - ownDriverStartNs;
        final long launcherDriverNs = launcherDriverCpuNs() - launcherDriverStartNs;
        comm.allReduce(times, 0, timedCalls, ReduceOp.MAX);

        // every rank's own figures, gathered to all by a sum over slots that only their owner fills
        Arrays.fill(stats, 0);
        final int slot = STATS_PER_RANK * comm.rank();
        stats[slot] = cpuStartNs < 0 ? -1 : cpuNs / 1000.0 / timedCalls;
        stats[slot + 1] = ownDriverStartNs < 0 ? -1 : ownDriverNs / 1000.0 / timedCalls;
        stats[slot + 2] = ProcessStats.rssKib(pid);
        stats[slot + 3] = launcherDriverStartNs < 0 ? -1 : launcherDriverNs / 1000.0 / timedCalls;
        comm.allReduce(stats, ReduceOp.SUM);

        if (comm.rank() == 0)
        {
            report(bytes, timedCalls);
        }
    }

    /**
     * @return on rank 0, CPU time of the driver threads of the launcher (given {@code --driver-pid}, the ipc
     * case); 0 elsewhere; -1 when unreadable.
     */
    private long launcherDriverCpuNs()
    {
        return comm.rank() != 0 || driverPid <= 0 ? 0 : ProcessStats.threadsCpuNs(driverPid, ProcessStats.DRIVER_THREAD);
    }

    private long estimateOneCallNs(final int count)
    {
        final long startNs = System.nanoTime();
        reduce(count, ReduceOp.SUM);
        return System.nanoTime() - startNs;
    }

    /**
     * Small vectors need many calls before the JIT and the links settle; large ones few, and take long each.
     * 256 MiB worth of calls, 5 to 50,000: a 4 KiB call is compiled by C2 only after some 10,000 calls, and with
     * the earlier 200 the small sizes were timed in C1 code (4 KiB shm, np 2: 1.8 us p50 against 0.9 us once
     * warm).
     *
     * @param bytes of the vector.
     * @return warm-up calls.
     */
    static int defaultWarmup(final long bytes)
    {
        final long byBudget = WARMUP_BYTES_BUDGET / Math.max(1, bytes);
        return (int)Math.max(MIN_WARMUP, Math.min(MAX_WARMUP, byBudget));
    }

    /**
     * @param meanNs slowest rank's mean time of one call.
     * @return calls that take about {@link #TARGET_SECONDS}, clamped to [{@link #MIN_ITERS}, {@link #MAX_ITERS}].
     */
    static int iterationsFor(final double meanNs)
    {
        final double calls = TARGET_SECONDS * 1e9 / Math.max(1.0, meanNs);
        return (int)Math.max(MIN_ITERS, Math.min(MAX_ITERS, Math.round(calls)));
    }

    private void report(final long bytes, final int timedCalls)
    {
        histogram.reset();
        double sumNs = 0;
        for (int i = 0; i < timedCalls; i++)
        {
            final double ns = times[i];
            sumNs += ns;
            histogram.recordValue(Math.max(1, Math.min(histogram.getHighestTrackableValue(), (long)ns)));
        }
        final double meanNs = sumNs / timedCalls;
        final double algbw = meanNs > 0 ? bytes / meanNs : 0;
        final int np = comm.size();
        final double busbw = algbw * 2.0 * (np - 1) / np;
        final String algorithm = algorithm(comm, bytes);

        final StringBuilder rankCpu = new StringBuilder();
        final StringBuilder rss = new StringBuilder();
        double driverCpu = 0;
        double cpuSum = 0;
        boolean cpuKnown = true;
        for (int r = 0; r < np; r++)
        {
            final double cpu = stats[STATS_PER_RANK * r];
            final double ownDriver = stats[STATS_PER_RANK * r + 1];
            final double launcherDriver = stats[STATS_PER_RANK * r + 3];
            cpuKnown &= cpu >= 0 && ownDriver >= 0 && launcherDriver >= 0;
            // a rank's process CPU holds its own driver threads already; the launcher's driver comes on top
            cpuSum += cpu + launcherDriver;
            driverCpu += ownDriver + launcherDriver;
            rankCpu.append(r > 0 ? ";" : "").append(String.format(Locale.ROOT, "%.1f", cpu));
            rss.append(r > 0 ? ";" : "").append((long)stats[STATS_PER_RANK * r + 2]);
        }
        final double cpuUtil = cpuKnown && meanNs > 0 ? cpuSum * 1000.0 / meanNs : -1;

        out.println(ROW_PREFIX + String.format(Locale.ROOT,
            "%d,%s,%d,%s,%s,%d,%.3f,%.3f,%.3f,%.6f,%.6f,%.3f,%.3f,%.3f,%s,%.1f,%.2f,%s,%d,%s",
            bytes,
            typeName(type),
            np,
            comm.transportName(),
            null != shared && "direct".equals(algorithm) ? algorithm + "-shared" : algorithm,
            timedCalls,
            histogram.getValueAtPercentile(50) / 1000.0,
            histogram.getValueAtPercentile(99) / 1000.0,
            meanNs / 1000.0,
            algbw,
            busbw,
            histogram.getValueAtPercentile(90) / 1000.0,
            histogram.getValueAtPercentile(99.9) / 1000.0,
            histogram.getMaxValue() / 1000.0,
            rankCpu,
            cpuKnown ? driverCpu : -1.0,
            cpuUtil,
            rss,
            null == jobDirectory ? -1 : ProcessStats.directoryBytes(jobDirectory),
            machine));
        out.flush();
    }

    /**
     * Every rank contributes rank + 1: every element of the sum must be n(n + 1) / 2, exactly (small
     * integers are exact in both types, whatever the order of additions).
     */
    private void check(final int count)
    {
        final int n = comm.size();
        final double expected = n * (n + 1) / 2.0;
        fill(count, comm.rank() + 1);
        reduce(count, ReduceOp.SUM);
        for (int i = 0; i < count; i++)
        {
            final double actual = null != floats ? floats[i] : null != doubles ? doubles[i] :
                type == DataType.FLOAT32 ? shared.getFloat(4 * i) : shared.getDouble(8 * i);
            if (actual != expected)
            {
                throw new IllegalStateException("rank " + comm.rank() + ": WRONG RESULT: allReduce SUM of " + count +
                    " x " + typeName(type) + " over " + n + " ranks gave " + actual + " at element " + i +
                    ", expected " + expected + " (each rank contributed rank + 1); this is a bug in ringsync");
            }
        }
    }

    private void fill(final int count, final double value)
    {
        if (null != floats)
        {
            Arrays.fill(floats, 0, count, (float)value);
        }
        else if (null != doubles)
        {
            Arrays.fill(doubles, 0, count, value);
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                if (type == DataType.FLOAT32)
                {
                    shared.putFloat(4 * i, (float)value);
                }
                else
                {
                    shared.putDouble(8 * i, value);
                }
            }
        }
    }

    private void reduce(final int count, final ReduceOp op)
    {
        if (null != floats)
        {
            comm.allReduce(floats, 0, count, op);
        }
        else if (null != doubles)
        {
            comm.allReduce(doubles, 0, count, op);
        }
        else
        {
            comm.allReduce(shared, 0, count, type, op);
        }
    }

    /**
     * @param comm  that ran the calls.
     * @param bytes of the vector.
     * @return the allReduce path the communicator takes for that size: {@code small}, {@code direct} or
     *         {@code ring}.
     */
    public static String algorithm(final Communicator comm, final long bytes)
    {
        return comm.allReducePath((int)Math.min(Integer.MAX_VALUE, bytes / 4), DataType.FLOAT32).label();
    }

    /**
     * @param type an element type.
     * @return its name in the bench's arguments and rows: float32 or float64.
     */
    public static String typeName(final DataType type)
    {
        return type == DataType.FLOAT32 ? "float32" : "float64";
    }

    /**
     * @param name float32 or float64.
     * @return the type.
     */
    public static DataType parseType(final String name)
    {
        switch (name.trim().toLowerCase(Locale.ROOT))
        {
            case "float32":
            case "float":
                return DataType.FLOAT32;
            case "float64":
            case "double":
                return DataType.FLOAT64;
            default:
                throw new IllegalArgumentException("type '" + name + "' is not float32 or float64");
        }
    }

    /**
     * The worker's arguments; the bench command checked them already, this only guards direct use.
     */
    static final class Arguments
    {
        long[] sizes;
        DataType type = DataType.FLOAT32;
        int iters;
        int warmup = -1;
        boolean shared;
        long driverPid;

        static Arguments parse(final String[] args)
        {
            final Arguments arguments = new Arguments();
            for (int i = 0; i < args.length; i++)
            {
                final String name = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                final String value = args[++i];
                switch (name)
                {
                    case "--sizes":
                        arguments.sizes = Arrays.stream(value.split(",")).map(String::trim)
                            .mapToLong(Long::parseLong).toArray();
                        break;
                    case "--type":
                        arguments.type = parseType(value);
                        break;
                    case "--iters":
                        arguments.iters = Integer.parseInt(value);
                        break;
                    case "--warmup":
                        arguments.warmup = Integer.parseInt(value);
                        break;
                    case "--shared":
                        arguments.shared = Boolean.parseBoolean(value);
                        break;
                    case "--driver-pid":
                        arguments.driverPid = Long.parseLong(value);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown argument " + name +
                            "; expected --sizes B1,B2,... --type float32|float64 [--iters K] [--warmup W] [--driver-pid PID]");
                }
            }
            if (null == arguments.sizes || arguments.sizes.length == 0)
            {
                throw new IllegalArgumentException("--sizes is required (bytes, comma-separated)");
            }
            for (final long bytes : arguments.sizes)
            {
                if (bytes < 0 || bytes % arguments.type.byteSize() != 0 ||
                    bytes / arguments.type.byteSize() > Integer.MAX_VALUE - 8)
                {
                    throw new IllegalArgumentException("size " + bytes + " is not a whole number of " +
                        typeName(arguments.type) + " elements that fits one Java array");
                }
            }
            if (arguments.iters < 0 || arguments.iters > MAX_GIVEN_ITERS)
            {
                throw new IllegalArgumentException("--iters must be 1 to " + MAX_GIVEN_ITERS);
            }
            return arguments;
        }

        long maxBytes()
        {
            return Arrays.stream(sizes).max().orElse(0);
        }
    }
}
