package io.ringsync.bench;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A rank of {@code ringsync soak}: many calls in a row, watching what a long job would leak. Two phases, small
 * vectors then large ones ({@code --small N --large M} calls; 4 KiB and 1 MiB float32 SUM by default), each cut into
 * {@link #WINDOWS} windows. After each window the rank samples its resident set, open file descriptors and live Java
 * threads, and the window's p50 and p99 call time; every result is checked exactly. Rank 0 prints one row per
 * window ({@link #HEADER}); every rank then compares its last window with an earlier one (the first of all is
 * warm-up): from the second, threads must not grow and file descriptors by at most {@link #FD_SLACK}; from the
 * middle one, the resident set by at most {@link #RSS_SLACK_KIB} ({@link #leak}). A rank that finds a leak says which and exits 1; the p50 is reported, not judged (the
 * host's state changes under it).
 */
public final class SoakWorker
{
    /**
     * Windows per phase.
     */
    public static final int WINDOWS = 10;

    /**
     * Growth of the resident set allowed from the middle window to the last: the heap and the JIT's memory may
     * still grow at first, a leak grows without end.
     */
    public static final long RSS_SLACK_KIB = 32 * 1024;

    /**
     * Growth of open file descriptors allowed from the second window to the last: a JVM opens a few files late and
     * keeps them (a jar of the class path the first time a class of it loads); a leak grows by one or more per
     * window. CI saw one rank of a short tcp soak open one more in its last window.
     */
    public static final long FD_SLACK = 2;

    /**
     * Columns of rank 0's rows.
     */
    public static final String HEADER = "phase,window,calls,bytes,p50_us,p99_us,rss_kib,fds,threads";

    private final Communicator comm;
    private final PrintStream out;
    private boolean exact = true;
    private String leak;

    private SoakWorker(final Communicator comm, final PrintStream out)
    {
        this.comm = comm;
        this.out = out;
    }

    /**
     * @param args {@code SMALL_CALLS LARGE_CALLS SMALL_BYTES LARGE_BYTES}.
     */
    public static void main(final String[] args)
    {
        final long smallCalls = Long.parseLong(args[0]);
        final long largeCalls = Long.parseLong(args[1]);
        final int smallBytes = Integer.parseInt(args[2]);
        final int largeBytes = Integer.parseInt(args[3]);
        int status = 0;
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final SoakWorker worker = new SoakWorker(comm, System.out);
            if (comm.rank() == 0)
            {
                System.out.println(HEADER);
            }
            worker.phase("small", smallCalls, smallBytes / Float.BYTES);
            worker.phase("large", largeCalls, largeBytes / Float.BYTES);
            if (!worker.exact)
            {
                System.out.println("rank " + comm.rank() + ": SOAK FAILED: a result was not the exact sum");
                status = 1;
            }
            else if (null != worker.leak)
            {
                System.out.println("rank " + comm.rank() + ": SOAK FAILED: " + worker.leak);
                status = 1;
            }
            else
            {
                System.out.println("rank " + comm.rank() + ": SOAK OK: " + (smallCalls + largeCalls) + " calls, no " +
                    "file descriptor, thread or memory growth");
            }
        }
        catch (final RuntimeException ex)
        {
            System.out.println("rank ?: SOAK FAILED: " + ex);
            ex.printStackTrace(System.out);
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    private void phase(final String name, final long calls, final int count)
    {
        if (0 == calls)
        {
            return;
        }
        final float[] vector = new float[count];
        final long perWindow = Math.max(1, calls / WINDOWS);
        final long[] times = new long[(int)Math.min(perWindow, 1 << 20)];
        final float sum = comm.size() * (comm.size() + 1) / 2.0f;
        final long[][] samples = new long[WINDOWS][];
        for (int window = 0; window < WINDOWS; window++)
        {
            int timed = 0;
            for (long call = 0; call < perWindow; call++)
            {
                Arrays.fill(vector, comm.rank() + 1);
                final long startNs = System.nanoTime();
                comm.allReduce(vector, ReduceOp.SUM);
                final long tookNs = System.nanoTime() - startNs;
                if (timed < times.length)
                {
                    times[timed++] = tookNs;
                }
                // the first, the last and one in the middle: enough to catch a wrong sum without slowing the soak
                exact &= vector[0] == sum && vector[count / 2] == sum && vector[count - 1] == sum;
            }
            Arrays.sort(times, 0, timed);
            samples[window] = new long[]{ ProcessStats.rssKib(ProcessHandle.current().pid()), openFiles(),
                ManagementFactory.getThreadMXBean().getThreadCount() };
            if (comm.rank() == 0)
            {
                out.println(String.format(Locale.ROOT, "%s,%d,%d,%d,%.2f,%.2f,%d,%d,%d", name, window, perWindow,
                    (long)count * Float.BYTES, times[timed / 2] / 1e3, times[Math.min(timed - 1, timed * 99 / 100)] / 1e3,
                    samples[window][0], samples[window][1], samples[window][2]));
            }
        }
        if (null == leak)
        {
            leak = leak(name, samples);
        }
    }

    /**
     * @param phase   the phase's name.
     * @param samples every window's sample, in order: resident set KiB, open file descriptors, live threads.
     * @return what grew, or null when nothing did: file descriptors (within {@link #FD_SLACK}) and threads from the
     * second window to the last, the resident set (within {@link #RSS_SLACK_KIB}) from the middle window to the last.
     * The resident set starts later: the JIT compiles for a while after the first window and the memory it takes
     * stays with the process (CI saw one rank grow 49 MiB over a short soak's 4 KiB phase while its peer grew
     * 4 MiB, most likely that); a leak grows in the second half as in the first.
     */
    static String leak(final String phase, final long[][] samples)
    {
        final long[] second = samples[1];
        final long[] last = samples[samples.length - 1];
        if (last[1] > second[1] + FD_SLACK)
        {
            return phase + " phase: open file descriptors grew from " + second[1] + " to " + last[1];
        }
        if (last[2] > second[2])
        {
            return phase + " phase: live threads grew from " + second[2] + " to " + last[2];
        }
        final int middle = samples.length / 2;
        if (samples[middle][0] > 0 && last[0] - samples[middle][0] > RSS_SLACK_KIB)
        {
            final StringBuilder byWindow = new StringBuilder();
            for (final long[] sample : samples)
            {
                byWindow.append(byWindow.length() == 0 ? "" : " ").append(sample[0]);
            }
            return phase + " phase: the resident set grew from " + samples[middle][0] + " KiB (window " + middle +
                ") to " + last[0] + " KiB (window " + (samples.length - 1) + "); KiB by window: " + byWindow;
        }
        return null;
    }

    private static long openFiles()
    {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd")))
        {
            return fds.count();
        }
        catch (final IOException ex)
        {
            return -1;
        }
    }
}
