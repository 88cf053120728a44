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
 * engine's {@code begin} and {@code end} hooks around what the links count in a call of a 2-rank job (two chunks
 * sent, two received), against the counters file in /dev/shm as a rank keeps it. Run with {@code -prof gc} to see
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
    @Param({ "2", "8" })
    public int worldSize;

    private File directory;
    private LinkTally tally;
    private RankMetrics metrics;
    private long sequence;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final File shm = new File("/dev/shm");
        directory = Files.createTempDirectory((shm.isDirectory() ? shm : new File(System.getProperty(
            "java.io.tmpdir"))).toPath(), "ringsync-call-metrics-").toFile();
        tally = new LinkTally(worldSize);
        metrics = RankMetrics.open(directory, tally, 0, worldSize, 42);
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
        metrics.begin("allReduce", Path.RING, ++sequence, 4096);
        tally.sent(1, 2112);
        tally.received(worldSize - 1, 2112);
        tally.sent(1, 2112);
        tally.received(worldSize - 1, 2112);
        metrics.end(false);
    }
}
