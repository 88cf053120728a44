package io.ringsync.collectives;

import org.agrona.BufferUtil;
import org.agrona.IoUtil;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The AllReduce element kernel alone, SUM through the package-private {@link Kernels#reduce} (the vector kernels
 * when the JVM has {@code jdk.incubator.vector}) or {@link Kernels#scalarReduce} (the scalar loops).
 * <p>
 * It lives in the kernels' own package, in the bench module, like a test: it calls them directly, so javac checks
 * every call against their current signatures, while the kernels stay package-private (they take raw addresses,
 * and a wrong one crashes the JVM). Both jars are on one class path wherever it runs (the JMH runner
 * {@code benchmarks.jar} holds both), which is what makes them one runtime package.
 * <p>
 * Layouts: {@code heap}, {@code direct}, {@code mapped}: {@code b[i] = a[i] + b[i]} with both vectors in
 * {@code float[]}/{@code double[]}, in one direct buffer, or in one file mapped from {@code /dev/shm} as transport
 * buffers are. {@code mixed}: the same with {@code a} in the mapped file and {@code b} an array, as a received
 * piece is added into a user's array. {@code claim}: {@code d[i] = a[i] + b[i]} with {@code a} and {@code d} in the
 * mapped file and {@code b} an array, as a partial sum is written into the outgoing claim. {@code window}: as
 * {@code mixed}, the sum also written into a second mapped region, as the direct mode's owner of a segment writes
 * the final value into the user's array and into its window. Throughput is operations per second; GB/s of input is
 * that times {@code bytes} (one vector; memory traffic is three times as much, four times for {@code window}).
 * <p>
 * Kernels: {@code scalar} ({@link Kernels#scalarReduce}), {@code vector} ({@link Kernels#reduce}: what the library
 * runs) and {@code staged} (the vector kernels with every off-heap operand copied through L1 blocks, as before
 * {@link ViewKernels}), so the three compare in one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector",
    "--enable-native-access=ALL-UNNAMED" })
public class KernelBenchmark
{
    @Param({ "FLOAT32", "FLOAT64" })
    public DataType type;

    @Param({ "65536", "1048576", "16777216" })
    public int bytes;

    @Param({ "heap", "direct", "mapped", "mixed", "claim", "window" })
    public String layout;

    @Param({ "scalar", "staged", "vector" })
    public String kernel;

    private boolean vector;
    private boolean staged;
    private int count;
    private Object aBase;
    private long aAddr;
    private Object bBase;
    private long bAddr;
    private Object dBase;
    private long dAddr;
    private long d2Addr;

    private File file;
    private MappedByteBuffer mapped;
    private ByteBuffer direct;

    @Setup(Level.Trial)
    public void setUp()
    {
        vector = "vector".equals(kernel);
        staged = "staged".equals(kernel);
        if ((vector || staged) && !Kernels.VECTORIZED)
        {
            throw new IllegalStateException(kernel + " kernels requested but vector kernels are not active: " +
                Kernels.implementation());
        }
        System.out.println("kernels: " + (vector ? Kernels.implementation() : kernel));

        count = bytes / type.byteSize();
        final long arrayBase = type == DataType.FLOAT32 ?
            UnsafeApi.arrayBaseOffset(float[].class) : UnsafeApi.arrayBaseOffset(double[].class);
        switch (layout)
        {
            case "heap":
                aBase = newArray();
                aAddr = arrayBase;
                bBase = newArray();
                bAddr = arrayBase;
                break;

            case "direct":
                direct = BufferUtil.allocateDirectAligned(2 * bytes, 64);
                aAddr = BufferUtil.address(direct);
                bAddr = aAddr + bytes;
                break;

            case "mapped":
                aAddr = map(2L * bytes);
                bAddr = aAddr + bytes;
                break;

            case "mixed":
                aAddr = map(bytes);
                bBase = newArray();
                bAddr = arrayBase;
                break;

            case "window":
                aAddr = map(2L * bytes);
                bBase = newArray();
                bAddr = arrayBase;
                d2Addr = aAddr + bytes;
                break;

            case "claim":
                aAddr = map(2L * bytes);
                bBase = newArray();
                bAddr = arrayBase;
                dAddr = aAddr + bytes;
                break;

            default:
                throw new IllegalArgumentException("layout " + layout);
        }
        if (!"claim".equals(layout))
        {
            dBase = bBase;
            dAddr = bAddr;
        }
        fill(aBase, aAddr, 1);
        fill(bBase, bAddr, 2);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
            mapped = null;
        }
        if (null != file)
        {
            IoUtil.delete(file, true);
            file = null;
        }
    }

    @Benchmark
    public void sum()
    {
        // SUM on a step that is not the finishing one: the divisor (2 ranks) is not used
        if (vector)
        {
            Kernels.reduce(type, ReduceOp.SUM, false, 2.0, aBase, aAddr, bBase, bAddr, dBase, dAddr, null, d2Addr,
                count);
        }
        else if (staged)
        {
            VectorKernels.reduce(type, ReduceOp.SUM, false, 2.0, aBase, aAddr, bBase, bAddr, dBase, dAddr, null, d2Addr,
                count, false, false);
        }
        else
        {
            Kernels.scalarReduce(
                type, ReduceOp.SUM, false, 2.0, aBase, aAddr, bBase, bAddr, dBase, dAddr, null, d2Addr, count);
        }
    }

    private Object newArray()
    {
        return type == DataType.FLOAT32 ? new float[count] : new double[count];
    }

    private long map(final long length)
    {
        file = new File("/dev/shm", "ringsync-kernel-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        mapped = IoUtil.mapNewFile(file, length);
        return BufferUtil.address(mapped);
    }

    /**
     * Values in [-1, 1): sums grow by at most 1 per operation, far from overflow and never subnormal.
     */
    private void fill(final Object base, final long addr, final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < count; i++)
        {
            if (type == DataType.FLOAT32)
            {
                UnsafeApi.putFloat(base, addr + ((long)i << 2), (float)(random.nextDouble() * 2 - 1));
            }
            else
            {
                UnsafeApi.putDouble(base, addr + ((long)i << 3), random.nextDouble() * 2 - 1);
            }
        }
    }
}
