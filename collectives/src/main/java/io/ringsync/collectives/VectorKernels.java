package io.ringsync.collectives;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.agrona.UnsafeApi;


/**
 * Vector API ({@code jdk.incubator.vector}) versions of the {@link Kernels#reduce} loops. Only {@link Kernels}
 * may touch this class, and only after it has seen the incubator module in the boot layer: loading it on a JVM
 * started without {@code --add-modules jdk.incubator.vector} would fail.
 * <p>
 * How an operand is reached (why: see {@link Kernels} and {@code perf-results/kernels/README.md}):
 * <ul>
 *     <li>a {@code float[]} (FLOAT32) or {@code double[]} (FLOAT64) in place, with {@code fromArray}/{@code intoArray};
 *     </li>
 *     <li>when all three operands are off heap and {@link SegmentKernels#AVAILABLE} (JDK 22+ with native access):
 *     straight from memory through a segment spanning the address space;</li>
 *     <li>an off-heap first input (a peer's data: the reduction step every transport runs most), the second an
 *     array or off heap, the outputs an array or off heap, from 16 KiB: through {@link ViewKernels} on JDKs whose
 *     Vector API loads from a {@code ByteBuffer} (JDK 17), in place;</li>
 *     <li>otherwise (off-heap memory, a {@code byte[]}) staged through a per-thread scratch array with
 *     {@link UnsafeApi#copyMemory}, one L1-sized block at a time. The JDK 17 Vector API loads off-heap data only
 *     from a {@code ByteBuffer}, and a buffer cannot be had for a bare address without allocating per call or
 *     forging one over a foreign address range; the Vector API of later JDKs (25 here) has no {@code ByteBuffer}
 *     or {@code byte[]} loads left at all, only {@code MemorySegment} ones, which {@code --release 17} cannot
 *     name. Staging allocates nothing after a thread's first call. Exception: FLOAT64 with all three operands
 *     staged runs the scalar loop, which is faster there.</li>
 * </ul>
 * Results are those of the scalar loops bit for bit: each lane does the same single IEEE 754 operation as the
 * scalar code ({@code +}, {@code /}, and {@code min}/{@code max}, which the Vector API defines as
 * {@link Math#min}/{@link Math#max}, NaN and signed zeros included), and tails run the scalar operations. The one
 * freedom is the payload of the NaN that results when both inputs are NaNs, which Java leaves open and which the
 * scalar loop itself changes between the interpreter, C1 and C2.
 * <p>
 * The output may be the very memory of an input, but must not partially overlap one; the second output must not
 * overlap anything.
 */
final class VectorKernels
{
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;

    /**
     * Bytes staged per block: three blocks (two inputs, one output) stay well inside a 32 KiB L1 data cache.
     */
    static final int BLOCK_BYTES = 4096;

    private static final int FLOAT_BLOCK = BLOCK_BYTES >> 2;
    private static final int DOUBLE_BLOCK = BLOCK_BYTES >> 3;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorKernels()
    {
    }

    /**
     * Whether vectors are worth using here: at least two lanes of each type (on a CPU or JVM without SIMD
     * support the preferred species degenerates and the Vector API runs as slow Java code).
     *
     * @return true if both preferred species have at least 2 lanes and a block holds whole vectors.
     */
    static boolean isUsable()
    {
        return FLOATS.length() >= 2 && DOUBLES.length() >= 2 &&
            FLOAT_BLOCK % FLOATS.length() == 0 && DOUBLE_BLOCK % DOUBLES.length() == 0;
    }

    /**
     * Description of the species in use, for diagnostics.
     *
     * @return e.g. "Species[float, 16, S_512_BIT]".
     */
    static String describe()
    {
        return FLOATS + ", " + DOUBLES;
    }

    /**
     * Same contract as {@link Kernels#reduce}.
     *
     * @param segments true to run the layouts {@link SegmentKernels#takes} through it (only when
     *                 {@link SegmentKernels#AVAILABLE}); false stages their off-heap operands.
     * @param views    true to run the layouts {@link ViewKernels#takes} through it (only when
     *                 {@link ViewKernels#AVAILABLE}); false stages their off-heap operands.
     */
    static void reduce(
        final DataType type,
        final ReduceOp op,
        final boolean finish,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count,
        final boolean segments,
        final boolean views)
    {
        if (count <= 0)
        {
            return;
        }

        final int kind = ScalarKernels.kind(op, finish);
        if (type == DataType.FLOAT32)
        {
            reduceFloats(kind, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, d2Base, d2Addr, count, segments,
                views);
        }
        else
        {
            reduceDoubles(kind, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, d2Base, d2Addr, count, segments,
                views);
        }
    }

    /**
     * Index of {@code addr} in {@code base} if it is a {@code float[]} and the address falls on an element,
     * else -1 (stage it).
     */
    private static int floatIndex(final Object base, final long addr)
    {
        if (base instanceof float[])
        {
            final long offset = addr - FLOAT_ARRAY_BASE;
            if ((offset & 3) == 0)
            {
                return (int)(offset >> 2);
            }
        }
        return -1;
    }

    private static int doubleIndex(final Object base, final long addr)
    {
        if (base instanceof double[])
        {
            final long offset = addr - DOUBLE_ARRAY_BASE;
            if ((offset & 7) == 0)
            {
                return (int)(offset >> 3);
            }
        }
        return -1;
    }

    private static void reduceFloats(
        final int kind,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count,
        final boolean segments,
        final boolean views)
    {
        final int aIndex = floatIndex(aBase, aAddr);
        final int bIndex = floatIndex(bBase, bAddr);
        final int dIndex = floatIndex(dBase, dAddr);
        final boolean second = null != d2Base || 0 != d2Addr;
        // off-heap operands in place where the JVM allows it (JDK 22+: segments, JDK 16-18: views), else staged
        if (segments && SegmentKernels.takes(aBase, bIndex, bBase, dIndex, dBase, (long)count << 2))
        {
            SegmentKernels.reduce(DataType.FLOAT32, kind, divisor, aAddr, bBase, bIndex, bAddr, dBase, dIndex, dAddr,
                d2Base, d2Addr, count);
            return;
        }
        if (views && ViewKernels.takes(aBase, bIndex, bBase, dIndex, dBase, second, d2Base, (long)count << 2))
        {
            ViewKernels.reduce(DataType.FLOAT32, kind, divisor, aAddr, bBase, bIndex, bAddr, dBase, dIndex, dAddr,
                second ? d2Addr : 0, count);
            return;
        }
        final boolean staged = aIndex < 0 || bIndex < 0 || dIndex < 0;
        final float[] aArray = aIndex < 0 ? null : (float[])aBase;
        final float[] bArray = bIndex < 0 ? null : (float[])bBase;
        final float[] dArray = dIndex < 0 ? null : (float[])dBase;
        final Scratch scratch = staged ? SCRATCH.get() : null;
        // all on heap: one pass over the whole range; otherwise block by block so staged data stays in L1
        final int block = staged || second ? FLOAT_BLOCK : count;

        for (int done = 0; done < count; done += block)
        {
            final int length = Math.min(block, count - done);
            final long offset = (long)done << 2;
            final long bytes = (long)length << 2;

            final float[] x;
            final int xi;
            if (null != aArray)
            {
                x = aArray;
                xi = aIndex + done;
            }
            else
            {
                x = scratch.floatA;
                xi = 0;
                UnsafeApi.copyMemory(aBase, aAddr + offset, x, FLOAT_ARRAY_BASE, bytes);
            }

            final float[] y;
            final int yi;
            if (null != bArray)
            {
                y = bArray;
                yi = bIndex + done;
            }
            else
            {
                y = scratch.floatB;
                yi = 0;
                UnsafeApi.copyMemory(bBase, bAddr + offset, y, FLOAT_ARRAY_BASE, bytes);
            }

            final float[] z;
            final int zi;
            if (null != dArray)
            {
                z = dArray;
                zi = dIndex + done;
            }
            else
            {
                z = scratch.floatD;
                zi = 0;
            }

            switch (kind)
            {
                case ScalarKernels.SUM:
                    sumFloats(x, xi, y, yi, z, zi, length);
                    break;
                case ScalarKernels.MIN:
                    minFloats(x, xi, y, yi, z, zi, length);
                    break;
                case ScalarKernels.MAX:
                    maxFloats(x, xi, y, yi, z, zi, length);
                    break;
                default:
                    sumDivideFloats(x, xi, y, yi, z, zi, (float)divisor, length);
                    break;
            }

            final long zAddr = FLOAT_ARRAY_BASE + ((long)zi << 2);
            if (null == dArray)
            {
                UnsafeApi.copyMemory(z, zAddr, dBase, dAddr + offset, bytes);
            }
            if (second)
            {
                UnsafeApi.copyMemory(z, zAddr, d2Base, d2Addr + offset, bytes);
            }
        }
    }

    private static void reduceDoubles(
        final int kind,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count,
        final boolean segments,
        final boolean views)
    {
        final int aIndex = doubleIndex(aBase, aAddr);
        final int bIndex = doubleIndex(bBase, bAddr);
        final int dIndex = doubleIndex(dBase, dAddr);
        final boolean second = null != d2Base || 0 != d2Addr;
        // off-heap operands in place where the JVM allows it (JDK 22+: segments, JDK 16-18: views), else staged
        if (segments && SegmentKernels.takes(aBase, bIndex, bBase, dIndex, dBase, (long)count << 3))
        {
            SegmentKernels.reduce(DataType.FLOAT64, kind, divisor, aAddr, bBase, bIndex, bAddr, dBase, dIndex, dAddr,
                d2Base, d2Addr, count);
            return;
        }
        if (views && ViewKernels.takes(aBase, bIndex, bBase, dIndex, dBase, second, d2Base, (long)count << 3))
        {
            ViewKernels.reduce(DataType.FLOAT64, kind, divisor, aAddr, bBase, bIndex, bAddr, dBase, dIndex, dAddr,
                second ? d2Addr : 0, count);
            return;
        }
        if (aIndex < 0 && bIndex < 0 && dIndex < 0)
        {
            // three staging copies cost more than vectors save on doubles: 0.63-0.77x the scalar loop (JDK 17)
            ScalarKernels.doubles(kind, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
            if (second)
            {
                UnsafeApi.copyMemory(dBase, dAddr, d2Base, d2Addr, (long)count << 3);
            }
            return;
        }
        final boolean staged = aIndex < 0 || bIndex < 0 || dIndex < 0;
        final double[] aArray = aIndex < 0 ? null : (double[])aBase;
        final double[] bArray = bIndex < 0 ? null : (double[])bBase;
        final double[] dArray = dIndex < 0 ? null : (double[])dBase;
        final Scratch scratch = staged ? SCRATCH.get() : null;
        final int block = staged || second ? DOUBLE_BLOCK : count;

        for (int done = 0; done < count; done += block)
        {
            final int length = Math.min(block, count - done);
            final long offset = (long)done << 3;
            final long bytes = (long)length << 3;

            final double[] x;
            final int xi;
            if (null != aArray)
            {
                x = aArray;
                xi = aIndex + done;
            }
            else
            {
                x = scratch.doubleA;
                xi = 0;
                UnsafeApi.copyMemory(aBase, aAddr + offset, x, DOUBLE_ARRAY_BASE, bytes);
            }

            final double[] y;
            final int yi;
            if (null != bArray)
            {
                y = bArray;
                yi = bIndex + done;
            }
            else
            {
                y = scratch.doubleB;
                yi = 0;
                UnsafeApi.copyMemory(bBase, bAddr + offset, y, DOUBLE_ARRAY_BASE, bytes);
            }

            final double[] z;
            final int zi;
            if (null != dArray)
            {
                z = dArray;
                zi = dIndex + done;
            }
            else
            {
                z = scratch.doubleD;
                zi = 0;
            }

            switch (kind)
            {
                case ScalarKernels.SUM:
                    sumDoubles(x, xi, y, yi, z, zi, length);
                    break;
                case ScalarKernels.MIN:
                    minDoubles(x, xi, y, yi, z, zi, length);
                    break;
                case ScalarKernels.MAX:
                    maxDoubles(x, xi, y, yi, z, zi, length);
                    break;
                default:
                    sumDivideDoubles(x, xi, y, yi, z, zi, divisor, length);
                    break;
            }

            final long zAddr = DOUBLE_ARRAY_BASE + ((long)zi << 3);
            if (null == dArray)
            {
                UnsafeApi.copyMemory(z, zAddr, dBase, dAddr + offset, bytes);
            }
            if (second)
            {
                UnsafeApi.copyMemory(z, zAddr, d2Base, d2Addr + offset, bytes);
            }
        }
    }

    private static void sumFloats(
        final float[] a, final int ai, final float[] b, final int bi, final float[] d, final int di, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FLOATS.length())
        {
            FloatVector.fromArray(FLOATS, a, ai + i)
                .add(FloatVector.fromArray(FLOATS, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = a[ai + i] + b[bi + i];
        }
    }

    private static void minFloats(
        final float[] a, final int ai, final float[] b, final int bi, final float[] d, final int di, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FLOATS.length())
        {
            FloatVector.fromArray(FLOATS, a, ai + i)
                .min(FloatVector.fromArray(FLOATS, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = Math.min(a[ai + i], b[bi + i]);
        }
    }

    private static void maxFloats(
        final float[] a, final int ai, final float[] b, final int bi, final float[] d, final int di, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        int i = 0;
        for (; i < bound; i += FLOATS.length())
        {
            FloatVector.fromArray(FLOATS, a, ai + i)
                .max(FloatVector.fromArray(FLOATS, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = Math.max(a[ai + i], b[bi + i]);
        }
    }

    private static void sumDivideFloats(
        final float[] a, final int ai, final float[] b, final int bi, final float[] d, final int di,
        final float divisor, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        final FloatVector divisors = FloatVector.broadcast(FLOATS, divisor);
        int i = 0;
        for (; i < bound; i += FLOATS.length())
        {
            FloatVector.fromArray(FLOATS, a, ai + i)
                .add(FloatVector.fromArray(FLOATS, b, bi + i))
                .div(divisors)
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = (a[ai + i] + b[bi + i]) / divisor;
        }
    }

    private static void sumDoubles(
        final double[] a, final int ai, final double[] b, final int bi, final double[] d, final int di, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        int i = 0;
        for (; i < bound; i += DOUBLES.length())
        {
            DoubleVector.fromArray(DOUBLES, a, ai + i)
                .add(DoubleVector.fromArray(DOUBLES, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = a[ai + i] + b[bi + i];
        }
    }

    private static void minDoubles(
        final double[] a, final int ai, final double[] b, final int bi, final double[] d, final int di, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        int i = 0;
        for (; i < bound; i += DOUBLES.length())
        {
            DoubleVector.fromArray(DOUBLES, a, ai + i)
                .min(DoubleVector.fromArray(DOUBLES, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = Math.min(a[ai + i], b[bi + i]);
        }
    }

    private static void maxDoubles(
        final double[] a, final int ai, final double[] b, final int bi, final double[] d, final int di, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        int i = 0;
        for (; i < bound; i += DOUBLES.length())
        {
            DoubleVector.fromArray(DOUBLES, a, ai + i)
                .max(DoubleVector.fromArray(DOUBLES, b, bi + i))
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = Math.max(a[ai + i], b[bi + i]);
        }
    }

    private static void sumDivideDoubles(
        final double[] a, final int ai, final double[] b, final int bi, final double[] d, final int di,
        final double divisor, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        final DoubleVector divisors = DoubleVector.broadcast(DOUBLES, divisor);
        int i = 0;
        for (; i < bound; i += DOUBLES.length())
        {
            DoubleVector.fromArray(DOUBLES, a, ai + i)
                .add(DoubleVector.fromArray(DOUBLES, b, bi + i))
                .div(divisors)
                .intoArray(d, di + i);
        }
        for (; i < n; i++)
        {
            d[di + i] = (a[ai + i] + b[bi + i]) / divisor;
        }
    }

    /**
     * Per-thread staging blocks, one per operand, so concurrent communicators on different threads never share.
     */
    private static final class Scratch
    {
        final float[] floatA = new float[FLOAT_BLOCK];
        final float[] floatB = new float[FLOAT_BLOCK];
        final float[] floatD = new float[FLOAT_BLOCK];
        final double[] doubleA = new double[DOUBLE_BLOCK];
        final double[] doubleB = new double[DOUBLE_BLOCK];
        final double[] doubleD = new double[DOUBLE_BLOCK];
    }
}
