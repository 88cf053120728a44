package io.ringsync.bench.jmh;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.aeron.UdpPorts;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The ring AllReduce between processes, over a real transport: the benchmark JVM is rank 0, and {@code np - 1}
 * {@link AllReducePeer} processes, forked at trial set-up with the environment {@code ringsync launch} would give
 * them, answer each of its calls. Sample-time mode, so JMH reports percentiles of rank 0's call time (what its
 * caller waits; the sweep of {@code ringsync bench} reports the slowest rank's instead).
 * <p>
 * For {@code ipc} this JVM also hosts the job's media driver, as the launcher does; for {@code udp} each rank
 * embeds its own, run on its thread while it waits. {@code -prof gc} therefore counts the allocation of rank 0, of
 * its Aeron client and of the ipc driver: the steady state must be 0 B/op for every size and transport.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED" })
public class ProcessAllReduceBenchmark
{
    private static final List<String> JVM_FLAGS = List.of(
        "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED");

    private static final int LOOPBACK_UDP_MTU = 65504;

    private static final String JOB_DIR_PREFIX = "ringsync-jmh-";

    @Param({ "4096", "65536", "1048576", "16777216" })
    public int bytes;

    @Param({ "ipc", "udp", "shm", "tcp" })
    public String transport;

    @Param({ "2" })
    public int np;

    private File jobDir;
    private MediaDriverHost driver;
    private final List<Process> peers = new CopyOnWriteArrayList<>();
    private Thread stopPeersOnExit;
    private Communicator rank0;
    private float[] vector;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        try
        {
            start();
        }
        catch (final IOException | RuntimeException | Error ex)
        {
            // JMH does not tear down a trial whose set-up failed: leave no process or directory behind
            cleanUp();
            throw ex;
        }
    }

    private void start() throws IOException
    {
        removeStaleJobDirectories();
        jobDir = new File("/dev/shm", JOB_DIR_PREFIX + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createDirectory(jobDir.toPath(),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));

        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.WORLD_SIZE_ENV, Integer.toString(np));
        env.put(Configuration.TRANSPORT_ENV, transport);
        env.put(Configuration.JOB_ID_ENV, "0x" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1));
        env.put(Configuration.JOB_DIR_ENV, jobDir.getAbsolutePath());
        switch (transport)
        {
            case "ipc":
                final File aeronDir = new File(jobDir, "aeron");
                driver = MediaDriverHost.launch(aeronDir, AeronMedia.IPC, Configuration.TERM_LENGTH_DEFAULT);
                env.put(Configuration.AERON_DIR_ENV, aeronDir.getAbsolutePath());
                break;

            case "udp":
                env.put(Configuration.UDP_ENDPOINTS_ENV, String.join(",", UdpPorts.loopbackEndpoints(np)));
                env.put(Configuration.UDP_MTU_ENV, Integer.toString(LOOPBACK_UDP_MTU));
                break;

            case "shm":
                break;

            case "tcp":
                // rank 0, this JVM, serves the rendezvous where the peers learn each other's ports
                try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1,
                    java.net.InetAddress.getLoopbackAddress()))
                {
                    env.put(Configuration.RENDEZVOUS_ENV, "127.0.0.1:" + socket.getLocalPort());
                }
                break;

            default:
                throw new IllegalArgumentException("transport " + transport + ": use ipc, udp, shm or tcp");
        }

        // a JVM that exits without tearing down (System.exit, SIGTERM) still stops its peers (which also watch it
        // and leave when it is gone, even after a SIGKILL) and removes the job directory
        final File dir = jobDir;
        stopPeersOnExit = new Thread(() ->
        {
            destroyPeers();
            IoUtil.delete(dir, true);
        }, "stop-allreduce-peers");
        Runtime.getRuntime().addShutdownHook(stopPeersOnExit);
        final String java = new File(System.getProperty("java.home"), "bin/java").getAbsolutePath();
        for (int rank = 1; rank < np; rank++)
        {
            final List<String> command = new ArrayList<>(List.of(java));
            command.addAll(JVM_FLAGS);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), AllReducePeer.class.getName(),
                Integer.toString(bytes)));
            final ProcessBuilder builder = new ProcessBuilder(command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().putAll(env);
            builder.environment().put(Configuration.RANK_ENV, Integer.toString(rank));
            peers.add(builder.start());
        }

        final Map<String, String> rank0Env = new HashMap<>(env);
        rank0Env.put(Configuration.RANK_ENV, "0");
        rank0 = Communicator.fromEnvironment(rank0Env);
        vector = new float[bytes / Float.BYTES];
    }

    @Benchmark
    public float allReduceSum()
    {
        vector[0] = 0;
        rank0.allReduce(vector, ReduceOp.SUM);
        return vector[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException
    {
        try
        {
            if (null != rank0)
            {
                vector[0] = AllReducePeer.STOP;
                rank0.allReduce(vector, ReduceOp.SUM);
                // close() is collective (the ranks leave together): close while the peers close, not after they
                // exit, or each peer waits out the close deadline for rank 0
                rank0.close();
                rank0 = null;
            }
            for (final Process peer : peers)
            {
                if (!peer.waitFor(30, TimeUnit.SECONDS))
                {
                    throw new IllegalStateException("peer " + peer.pid() + " did not stop");
                }
                if (peer.exitValue() != 0)
                {
                    throw new IllegalStateException("peer " + peer.pid() + " exited with code " + peer.exitValue() +
                        " (its stderr is above)");
                }
            }
        }
        finally
        {
            cleanUp();
        }
    }

    private void cleanUp()
    {
        destroyPeers();
        if (null != stopPeersOnExit)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(stopPeersOnExit);
            }
            catch (final IllegalStateException ignore)
            {
                // the JVM is already shutting down: the hook runs anyway
            }
            stopPeersOnExit = null;
        }
        peers.clear();
        CloseHelper.quietCloseAll(rank0, driver);
        rank0 = null;
        driver = null;
        if (null != jobDir)
        {
            IoUtil.delete(jobDir, true);
        }
    }

    /**
     * A benchmark JVM that was killed (SIGKILL) could not remove its job directory: remove those of JVMs that are
     * gone, named {@code ringsync-jmh-PID-...}.
     */
    private static void removeStaleJobDirectories()
    {
        final File[] dirs = new File("/dev/shm").listFiles((dir, name) -> name.startsWith(JOB_DIR_PREFIX));
        for (final File dir : null == dirs ? new File[0] : dirs)
        {
            final String rest = dir.getName().substring(JOB_DIR_PREFIX.length());
            final int dash = rest.indexOf('-');
            try
            {
                final long pid = Long.parseLong(dash < 0 ? rest : rest.substring(0, dash));
                if (ProcessHandle.of(pid).isEmpty())
                {
                    IoUtil.delete(dir, true);
                }
            }
            catch (final NumberFormatException ignore)
            {
                // not one of ours
            }
        }
    }

    private void destroyPeers()
    {
        for (final Process peer : peers)
        {
            peer.destroyForcibly();
        }
    }
}
