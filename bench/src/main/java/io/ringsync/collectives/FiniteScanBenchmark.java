package io.ringsync.collectives;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
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
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The cost of {@code RINGSYNC_CHECK_FINITE=1}: {@link FiniteCheck#scan} over one rank's input, all finite (the
 * whole vector is read, as on every call that is not refused), through the vector loop ({@link VectorFiniteScan})
 * or the scalar one. Layouts: {@code heap} ({@code float[]}/{@code double[]}, read in place) and {@code direct}
 * (an off-heap buffer, staged through an L1-sized block). Lives in the kernels' package like
 * {@link KernelBenchmark}, for the same reason. Average time per scan; GB/s is {@code bytes} over it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED" })
public class FiniteScanBenchmark
{
    @Param({ "FLOAT32", "FLOAT64" })
    public DataType type;

    @Param({ "4096", "1048576", "16777216" })
    public int bytes;

    @Param({ "heap", "direct" })
    public String layout;

    @Param({ "scalar", "vector" })
    public String kernel;

    private boolean vector;
    private int count;
    private Object base;
    private long address;
    private ByteBuffer direct;

    @Setup(Level.Trial)
    public void setUp()
    {
        vector = "vector".equals(kernel);
        if (vector && !Kernels.VECTORIZED)
        {
            throw new IllegalStateException("vector kernels requested but not active: " + Kernels.implementation());
        }
        count = bytes / type.byteSize();
        if ("heap".equals(layout))
        {
            base = type == DataType.FLOAT32 ? new float[count] : new double[count];
            address = type == DataType.FLOAT32 ?
                UnsafeApi.arrayBaseOffset(float[].class) : UnsafeApi.arrayBaseOffset(double[].class);
        }
        else if ("direct".equals(layout))
        {
            direct = BufferUtil.allocateDirectAligned(bytes, 64);
            address = BufferUtil.address(direct);
        }
        else
        {
            throw new IllegalArgumentException("layout " + layout);
        }
        final SplittableRandom random = new SplittableRandom(9);
        for (int i = 0; i < count; i++)
        {
            if (type == DataType.FLOAT32)
            {
                UnsafeApi.putFloat(base, address + ((long)i << 2), (float)(random.nextDouble() * 2 - 1));
            }
            else
            {
                UnsafeApi.putDouble(base, address + ((long)i << 3), random.nextDouble() * 2 - 1);
            }
        }
        if (scan() != -1)
        {
            throw new IllegalStateException("the input is finite, the scan found something");
        }
    }

    @Benchmark
    public long scan()
    {
        return vector ? FiniteCheck.scan(type, base, address, count) :
            FiniteCheck.scalarScan(type, base, address, count);
    }
}
