package io.ringsync.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What a benchmark reports about the machine and the processes it ran: CPU model, JDK, CPU time of a process and
 * of some of its threads, resident memory, bytes of files under a directory. Read from {@code /proc} on Linux;
 * elsewhere the figures are -1 (unknown) rather than an error, since they annotate results and are not results.
 * <p>
 * Thread CPU comes from {@code /proc/<pid>/task/<tid>/stat} in clock ticks of 10 ms (USER_HZ = 100 on every
 * Linux), so over a size that runs 1-2 s it is good to about 1 %. Media driver threads are found by their kernel
 * name ({@code comm}, the first 15 characters of the Java thread name): Aeron names a driver's agent threads after
 * its directory (a path, so the name starts with {@code /}), plus its {@code aeron-executor} thread, and
 * ringsync's invoker driver has a keeper thread named {@code ringsync-driver}.
 */
public final class ProcessStats
{
    /**
     * Nanoseconds per clock tick of {@code /proc} CPU times (USER_HZ = 100).
     */
    static final long NS_PER_TICK = TimeUnit.SECONDS.toNanos(1) / 100;

    /**
     * Threads of a media driver, by their kernel name: see the class comment.
     */
    public static final Predicate<String> DRIVER_THREAD =
        (comm) -> comm.startsWith("/") || comm.equals("aeron-executor") || comm.equals("ringsync-driver");

    private ProcessStats()
    {
    }

    /**
     * @return CPU time this JVM has used, all threads, in nanoseconds; -1 when the JVM cannot tell.
     */
    public static long processCpuNs()
    {
        final java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean)
        {
            return ((com.sun.management.OperatingSystemMXBean)os).getProcessCpuTime();
        }
        return -1;
    }

    /**
     * @param pid    of a process.
     * @param filter on the threads' kernel names.
     * @return user + system CPU time of the matching threads of {@code pid}, in nanoseconds (0 when none match),
     * or -1 when {@code /proc} cannot be read.
     */
    public static long threadsCpuNs(final long pid, final Predicate<String> filter)
    {
        final Path tasks = Path.of("/proc", Long.toString(pid), "task");
        long ticks = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks))
        {
            for (final Path thread : threads)
            {
                final String stat;
                try
                {
                    stat = Files.readString(thread.resolve("stat"), StandardCharsets.US_ASCII);
                }
                catch (final IOException ex)
                {
                    continue; // the thread ended meanwhile
                }
                final int open = stat.indexOf('(');
                final int close = stat.lastIndexOf(')');
                if (open < 0 || close < open || !filter.test(stat.substring(open + 1, close)))
                {
                    continue;
                }
                // after the name: state(3) ppid(4) ... utime(14) stime(15), fields counted from 1 with pid
                final String[] fields = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
        return ticks * NS_PER_TICK;
    }

    /**
     * @param pid of a process.
     * @return its resident set size in KiB ({@code VmRSS}), or -1 when unknown.
     */
    public static long rssKib(final long pid)
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")))
            {
                if (line.startsWith("VmRSS:"))
                {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // not Linux, or the process is gone
        }
        return -1;
    }

    /**
     * @param directory a job directory, e.g. under {@code /dev/shm}.
     * @return the sum of the lengths of the regular files under it, or -1 when it cannot be read.
     */
    public static long directoryBytes(final Path directory)
    {
        if (null == directory || !Files.isDirectory(directory))
        {
            return -1;
        }
        try (Stream<Path> files = Files.walk(directory))
        {
            return files.filter(Files::isRegularFile).mapToLong((file) ->
            {
                try
                {
                    return Files.size(file);
                }
                catch (final IOException ex)
                {
                    return 0; // removed meanwhile
                }
            }).sum();
        }
        catch (final IOException | UncheckedIOException ex)
        {
            return -1;
        }
    }

    /**
     * @return the CPU model as {@code /proc/cpuinfo} (or {@code lscpu}) names it, or "unknown".
     */
    public static String cpuModel()
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

    /**
     * @return the JDK running this JVM: vendor, VM name and runtime version.
     */
    public static String jdk()
    {
        return System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " " +
            System.getProperty("java.runtime.version");
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
