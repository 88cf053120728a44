package io.ringsync.bench.jmh;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.transport.LocalTransport;
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

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The ring AllReduce of two ranks in one JVM over the in-JVM transport: the benchmark thread is rank 0, a
 * partner thread is rank 1 and answers every call. Measures the algorithm, kernels and codec without
 * process or driver costs, and with {@code -prof gc} shows what a call allocates (both threads count).
 * <p>
 * Rank 0 puts a stop mark into element 0 at tear-down; the partner leaves its loop when it sees it in a result.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class LocalAllReduceBenchmark
{
    private static final float STOP = 1e30f;

    @Param({ "4096", "65536", "1048576" })
    public int bytes;

    private Communicator rank0;
    private float[] vector;
    private ExecutorService partnerThread;
    private Future<?> partner;

    @Setup(Level.Trial)
    public void setUp() throws Exception
    {
        final LocalTransport[] transports = LocalTransport.createJob(2, 1 << 20);
        partnerThread = Executors.newSingleThreadExecutor();
        final CompletableFuture<Communicator> rank1 = new CompletableFuture<>();
        partner = partnerThread.submit(() ->
        {
            try (Communicator comm = Communicator.connect(transports[1], new Context()))
            {
                rank1.complete(comm);
                final float[] v = new float[bytes / 4];
                do
                {
                    v[0] = 0;
                    comm.allReduce(v, ReduceOp.SUM);
                }
                while (v[0] < STOP);
            }
            return null;
        });
        rank0 = Communicator.connect(transports[0], new Context());
        rank1.get(30, TimeUnit.SECONDS);
        vector = new float[bytes / 4];
    }

    @Benchmark
    public float allReduceSum()
    {
        vector[0] = 0;
        rank0.allReduce(vector, ReduceOp.SUM);
        return vector[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        vector[0] = STOP;
        rank0.allReduce(vector, ReduceOp.SUM);
        // close() is collective: both ranks close together, so rank 0 closes before it waits for the partner
        rank0.close();
        partner.get(30, TimeUnit.SECONDS);
        partnerThread.shutdownNow();
    }
}
