package io.ringsync.bench.jmh;

import io.ringsync.collectives.Path;
import io.ringsync.collectives.metrics.LinkTally;
import io.ringsync.collectives.metrics.RankMetrics;
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
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;

/**
 * What the counters, histogram, flight recorder and JFR check add to one collective call, on their own: the
 * engine's {@code begin} and {@code end} hooks around what the links count in a call (two chunks sent to a peer,
 * two received from another), against the counters file in /dev/shm as a rank keeps it. Run with {@code -prof gc} to see
 * that nothing allocates.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class CallMetricsBenchmark
{
    private static final int ALL_REDUCE = RankMetrics.collectiveIndex("allReduce");

    @Param({ "2", "8" })
    public int worldSize;

    /** Bytes of the vector: small calls time the peers' first chunks in one call of 8, large ones in every call. */
    @Param({ "4096", "1048576" })
    public int bytes;

    private File directory;
    private LinkTally tally;
    private RankMetrics metrics;
    private long sequence;
    private long startNs;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final File shm = new File("/dev/shm");
        directory = Files.createTempDirectory((shm.isDirectory() ? shm : new File(System.getProperty(
            "java.io.tmpdir"))).toPath(), "ringsync-call-metrics-").toFile();
        tally = new LinkTally(worldSize);
        metrics = RankMetrics.open(directory, tally, 0, worldSize, 42);
        startNs = System.nanoTime();
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        metrics.close();
        directory.delete();
    }

    @Benchmark
    public void callHooks()
    {
        // the engine reads the clock at the start of every call (its deadline) and at the end (the status board's
        // heartbeat) with or without counters, and hands those readings in
        metrics.begin(ALL_REDUCE, Path.RING, ++sequence, bytes, startNs);
        tally.sent(1, 2112);
        tally.received(worldSize - 1, 2112);
        tally.sent(1, 2112);
        tally.received(worldSize - 1, 2112);
        metrics.end(false, startNs + 1000);
    }
}
