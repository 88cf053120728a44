package io.ringsync.bench.cluster;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A JUnit fixture over {@code bench/cluster/cluster.sh}: N simulated hosts on this machine (each its own network,
 * UTS and mount namespace: address 10.77.0.I, hostname hostI, a /dev/shm of its own), processes started into a host
 * through {@code bench/cluster/rsh}, a host's link cut and mended. Each fixture has a namespace prefix of its own
 * ({@code ringsync-c<pid>-}), so it never disturbs a benchmark on the default set. {@link #close()} ends every
 * process it started and removes the namespaces; a shutdown hook does the same if the test JVM is stopped first.
 * <p>
 * {@link #assumeUsable()} skips the calling test, with the reason, where the fixture cannot work: not root, or no
 * {@code ip}, {@code tc}, {@code unshare} or {@code nsenter}.
 */
public final class SimulatedCluster implements AutoCloseable
{
    private static final long SCRIPT_TIMEOUT_S = 60;

    private final Path scripts;
    private final String prefix;
    private final int hosts;
    private final Path logs;
    private final List<Process> processes = new ArrayList<>();
    private final Thread shutdownHook;
    private boolean closed;

    private SimulatedCluster(final Path scripts, final String prefix, final int hosts) throws IOException
    {
        this.scripts = scripts;
        this.prefix = prefix;
        this.hosts = hosts;
        this.logs = Files.createTempDirectory(prefix + "logs-");
        this.shutdownHook = new Thread(this::down, prefix + "down");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** The directory of cluster.sh and rsh, found from the bench module or the project root. */
    static Path scripts()
    {
        final Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (final Path candidate : List.of(dir.resolve("cluster"), dir.resolve("bench/cluster"),
            dir.resolve("../bench/cluster")))
        {
            if (Files.isExecutable(candidate.resolve("cluster.sh")))
            {
                return candidate.normalize();
            }
        }
        return dir.resolve("cluster");
    }

    /** Skips the calling test, saying why, where simulated hosts cannot be made. */
    public static void assumeUsable()
    {
        final Path scripts = scripts();
        Assumptions.assumeTrue(Files.isExecutable(scripts.resolve("cluster.sh")) &&
            Files.isExecutable(scripts.resolve("rsh")), "skipped: no bench/cluster/cluster.sh and rsh under " + scripts);
        Assumptions.assumeTrue(isRoot(),
            "skipped: simulated hosts are network, UTS and mount namespaces and need root; run the tests as root");
        for (final String tool : List.of("ip", "tc", "unshare", "nsenter"))
        {
            Assumptions.assumeTrue(onPath(tool), "skipped: simulated hosts need '" + tool +
                "' (iproute2, util-linux), which is not on the PATH");
        }
    }

    /**
     * Brings up {@code hosts} simulated hosts.
     *
     * @param options more arguments of {@code cluster.sh up}, e.g. {@code --rate 1gbit}.
     */
    public static SimulatedCluster up(final int hosts, final String... options) throws IOException
    {
        final String prefix = "ringsync-c" + ProcessHandle.current().pid() + "-";
        final SimulatedCluster cluster = new SimulatedCluster(scripts(), prefix, hosts);
        final List<String> command = new ArrayList<>(List.of(cluster.scripts.resolve("cluster.sh").toString(), "up",
            Integer.toString(hosts)));
        command.addAll(List.of(options));
        final String output = cluster.script(command);
        if (null != output)
        {
            cluster.close();
            throw new AssertionError("cluster.sh up " + hosts + " failed: " + output);
        }
        return cluster;
    }

    public int hosts()
    {
        return hosts;
    }

    /** The address of host {@code host} (1-based) on the simulated network. */
    public String address(final int host)
    {
        return "10.77.0." + host;
    }

    /**
     * Starts a command on a host, as {@code ssh hostI CMD} would (through bench/cluster/rsh): its stdout is the
     * process's input stream, its stderr goes to a log file ({@link #stderr(Process)}).
     *
     * @param env variables for the command (rsh passes none of the caller's, as ssh would not).
     */
    public Process start(final int host, final List<String> command, final Map<String, String> env) throws IOException
    {
        final List<String> words = new ArrayList<>(List.of(scripts.resolve("rsh").toString(), "host" + host, "env"));
        env.forEach((name, value) -> words.add(quote(name + "=" + value)));
        for (final String word : command)
        {
            words.add(quote(word));
        }
        final ProcessBuilder builder = new ProcessBuilder(words)
            .redirectError(logs.resolve("p" + processes.size() + "-host" + host + ".stderr").toFile());
        builder.environment().put("RINGSYNC_NETNS_PREFIX", prefix);
        synchronized (processes)
        {
            final Process process = builder.start();
            processes.add(process);
            return process;
        }
    }

    /** What a process started by {@link #start} wrote to stderr so far. */
    public String stderr(final Process process)
    {
        final int index = processes.indexOf(process);
        try (var files = Files.list(logs))
        {
            for (final Path file : (Iterable<Path>)files::iterator)
            {
                if (file.getFileName().toString().startsWith("p" + index + "-"))
                {
                    return Files.readString(file, StandardCharsets.UTF_8);
                }
            }
            return "";
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")";
        }
    }

    /** Brings host {@code host}'s link down (its eth0 and its port on the bridge), as a pulled cable would. */
    public void cut(final int host) throws IOException
    {
        final String output = script(List.of(scripts.resolve("cluster.sh").toString(), "cut", Integer.toString(host)));
        if (null != output)
        {
            throw new AssertionError("cluster.sh cut " + host + " failed: " + output);
        }
    }

    /** Brings host {@code host}'s link up again. */
    public void mend(final int host) throws IOException
    {
        final String output = script(List.of(scripts.resolve("cluster.sh").toString(), "mend", Integer.toString(host)));
        if (null != output)
        {
            throw new AssertionError("cluster.sh mend " + host + " failed: " + output);
        }
    }

    /** The java command for a main class of the test class path, with the flags the library needs. */
    public static List<String> java(final String mainClass, final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
            "-Xmx256m", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** Ends every process started on the hosts and removes the hosts; idempotent. */
    @Override
    public void close()
    {
        down();
        try
        {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        }
        catch (final IllegalStateException ignore)
        {
            // the JVM is shutting down: the hook is running or has run
        }
    }

    private synchronized void down()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        synchronized (processes)
        {
            for (final Process process : processes)
            {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
        try
        {
            // cluster.sh down also ends whatever still runs in the hosts' namespaces
            final String output = script(List.of(scripts.resolve("cluster.sh").toString(), "down"));
            if (null != output)
            {
                System.err.println("SimulatedCluster: cluster.sh down failed: " + output);
            }
            try (var files = Files.list(logs))
            {
                for (final Path file : (Iterable<Path>)files::iterator)
                {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(logs);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** Runs a fixture script with this cluster's prefix; null when it succeeded, else its exit and output. */
    private String script(final List<String> command) throws IOException
    {
        final Path output = logs.resolve("script.out");
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(output.toFile());
        builder.environment().put("RINGSYNC_NETNS_PREFIX", prefix);
        final Process process = builder.start();
        try
        {
            if (!process.waitFor(SCRIPT_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return "timed out after " + SCRIPT_TIMEOUT_S + " s: " + Files.readString(output);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return "interrupted";
        }
        final String text = Files.readString(output);
        Files.deleteIfExists(output);
        return 0 == process.exitValue() ? null : "exit " + process.exitValue() + ": " + text.trim();
    }

    private static String quote(final String word)
    {
        return word.matches("[A-Za-z0-9_./:=,@%+-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    private static boolean isRoot()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/self/status")))
            {
                if (line.startsWith("Uid:"))
                {
                    return "0".equals(line.split("\\s+")[1]);
                }
            }
        }
        catch (final IOException ignore)
        {
            // not Linux
        }
        return false;
    }

    private static boolean onPath(final String tool)
    {
        final String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (final String dir : path.split(":"))
        {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool)))
            {
                return true;
            }
        }
        return false;
    }
}
