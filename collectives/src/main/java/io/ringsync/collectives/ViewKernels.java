package io.ringsync.collectives;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.agrona.UnsafeApi;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The vector loops of the reduction step that every transport runs most, with its off-heap operands read and written
 * in place on JDK 17: the first input off heap (a received chunk, a peer's window or shared vector), the second the
 * caller's {@code float[]}/{@code double[]} or off heap (a vector from {@code Communicator.allocate}), the output an
 * array or off heap (the caller's vector, an outgoing claim, this rank's window), and an optional second output off
 * heap (the window the final segment is published in).
 * <p>
 * The JDK 17 Vector API reaches off-heap memory only through a {@link ByteBuffer}, so {@link VectorKernels} copies
 * such operands through L1-sized blocks. Here each thread keeps four direct buffers that are pointed, for the span
 * of one call, at the operands' addresses (their {@code address}, {@code capacity} and {@code limit} fields set, as
 * the JDK itself sets them for a buffer over a mapped file), and the loops load and store through them. Against the
 * staged kernel ({@code KernelBenchmark}, 64 KiB and 1 MiB operands, 2 vCPU AMD EPYC family 26, JDK 17): float32
 * 1.4-1.7x, float64 1.2-1.5x ({@code perf-results/2026-12-07-view-kernels}). Nothing is allocated per call.
 * <p>
 * Each loop loads each operand one way only: a vector that could come from an array or from a buffer is a merge of
 * two boxes that C2 (JDK 17) does not eliminate: that loop allocated 1.5 bytes per byte reduced and ran 2.5x slower.
 * Hence two loops per operation, the second input from an array or from a buffer; stores may go either way (a
 * stored vector is no merge). Layouts with a heap first input keep {@link VectorKernels}' staging.
 * <p>
 * {@link #AVAILABLE} only where the Vector API still has {@code ByteBuffer} loads (JDK 16 to 18; later ones replaced
 * them with {@code MemorySegment} loads, which {@link SegmentKernels} uses), the buffer fields are found, and a
 * pointed buffer reads back what was written at its address. Results are {@link ScalarKernels}' bit for bit, with
 * the same latitude for the payload of a NaN made from two NaNs; tails run the scalar loops.
 */
final class ViewKernels
{
    static final boolean AVAILABLE;

    private static final VectorSpecies<Float> FLOATS = VectorKernels.FLOATS;
    private static final VectorSpecies<Double> DOUBLES = VectorKernels.DOUBLES;
    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    /**
     * Operands shorter than this stay staged: a peer's 4 KiB piece just written by the other core is fetched
     * faster by the copy stub than by the vector loop's loads (np 2 over shm, small-vector path, slow host state:
     * 4 KiB calls 1.06x slower through views, 16 KiB ones 0.97x; {@code perf-results/2026-12-07-view-kernels}).
     */
    static final int MIN_BYTES = 16 * 1024;

    /**
     * Longest stretch one pointing of a view covers: its capacity is an int.
     */
    private static final int SLICE_BYTES = 1 << 30;

    private static final long ADDRESS_OFFSET;
    private static final long CAPACITY_OFFSET;
    private static final long LIMIT_OFFSET;
    private static final ThreadLocal<Views> VIEWS = ThreadLocal.withInitial(Views::new);

    static
    {
        long address = -1;
        long capacity = -1;
        long limit = -1;
        try
        {
            FloatVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class,
                ByteOrder.class);
            DoubleVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class,
                ByteOrder.class);
            address = UnsafeApi.objectFieldOffset(Buffer.class.getDeclaredField("address"));
            capacity = UnsafeApi.objectFieldOffset(Buffer.class.getDeclaredField("capacity"));
            limit = UnsafeApi.objectFieldOffset(Buffer.class.getDeclaredField("limit"));
        }
        catch (final NoSuchMethodException | NoSuchFieldException | RuntimeException | LinkageError ex)
        {
            address = -1;
        }
        ADDRESS_OFFSET = address;
        CAPACITY_OFFSET = capacity;
        LIMIT_OFFSET = limit;
        AVAILABLE = address >= 0 && readsBack();
    }

    private ViewKernels()
    {
    }

    /**
     * Whether a view pointed at freshly written memory loads exactly those values, so a JDK that moved or reused the
     * fields never runs the loops.
     */
    private static boolean readsBack()
    {
        final int bytes = Math.max(FLOATS.vectorByteSize(), DOUBLES.vectorByteSize());
        final long memory = UnsafeApi.allocateMemory(bytes);
        try
        {
            for (int i = 0; i < bytes; i += 4)
            {
                UnsafeApi.putFloat(memory + i, 1.5f + i);
            }
            final ByteBuffer view = ByteBuffer.allocateDirect(0);
            point(view, memory, bytes);
            final float[] loaded = FloatVector.fromByteBuffer(FLOATS, view, 0, ORDER).toArray();
            point(view, 0, 0);
            for (int i = 0; i < loaded.length; i++)
            {
                if (Float.floatToRawIntBits(loaded[i]) != Float.floatToRawIntBits(1.5f + 4 * i))
                {
                    return false;
                }
            }
            return true;
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return false;
        }
        finally
        {
            UnsafeApi.freeMemory(memory);
        }
    }

    private static void point(final ByteBuffer view, final long address, final int bytes)
    {
        UnsafeApi.putLong(view, ADDRESS_OFFSET, address);
        UnsafeApi.putInt(view, CAPACITY_OFFSET, bytes);
        UnsafeApi.putInt(view, LIMIT_OFFSET, bytes);
    }

    /**
     * Whether {@link #reduce} takes this call's operands: the first input off heap, the second an
     * array of the type or off heap, the output an array of the type or off heap, the second output off heap if any.
     *
     * @param aBase  first input's base (null: off heap).
     * @param bIndex the second input's element index in its array, negative when it is not one.
     * @param bBase  second input's base (null: off heap).
     * @param dIndex the output's element index in its array, negative when it is not one.
     * @param dBase  output's base.
     * @param second whether there is a second output.
     * @param d2Base its base.
     * @param bytes  of one operand.
     * @return true to call this class.
     */
    static boolean takes(
        final Object aBase, final int bIndex, final Object bBase, final int dIndex, final Object dBase,
        final boolean second, final Object d2Base, final long bytes)
    {
        return AVAILABLE && bytes >= MIN_BYTES && null == aBase && (bIndex >= 0 || null == bBase) &&
            (dIndex >= 0 || null == dBase) && (!second || null == d2Base);
    }

    /**
     * {@code d[i] = a[i] op b[i]} (then {@code / divisor} for {@link ScalarKernels#SUM_DIVIDE}), also into d2.
     *
     * @param type    element type.
     * @param kind    {@link ScalarKernels#kind}.
     * @param divisor of {@link ScalarKernels#SUM_DIVIDE} (a float32 kernel divides by its float value).
     * @param aAddr   first input, off heap.
     * @param b       second input, a {@code float[]}/{@code double[]} of the type, or null for off-heap
     *                {@code bAddr}.
     * @param bIndex  first element of {@code b}.
     * @param bAddr   off-heap second input when {@code b} is null.
     * @param d       output array of the type, or null for off-heap {@code dAddr}.
     * @param dIndex  first element of {@code d}.
     * @param dAddr   off-heap output when {@code d} is null.
     * @param d2Addr  off-heap second output, 0 for none.
     * @param count   elements.
     */
    static void reduce(
        final DataType type,
        final int kind,
        final double divisor,
        final long aAddr,
        final Object b, final int bIndex, final long bAddr,
        final Object d, final int dIndex, final long dAddr,
        final long d2Addr,
        final int count)
    {
        final boolean floats = type == DataType.FLOAT32;
        final int shift = type.shift();
        final long arrayBase = floats ? FLOAT_ARRAY_BASE : DOUBLE_ARRAY_BASE;
        final Views views = VIEWS.get();
        final int slice = SLICE_BYTES >> shift;
        for (int done = 0; done < count; done += slice)
        {
            final int n = Math.min(slice, count - done);
            final long offset = (long)done << shift;
            final int bytes = n << shift;
            point(views.a, aAddr + offset, bytes);
            if (null == b)
            {
                point(views.b, bAddr + offset, bytes);
            }
            final ByteBuffer z = null == d ? views.d : null;
            if (null == d)
            {
                point(views.d, dAddr + offset, bytes);
            }
            final ByteBuffer z2 = 0 != d2Addr ? views.d2 : null;
            if (0 != d2Addr)
            {
                point(views.d2, d2Addr + offset, bytes);
            }
            final int bi = bIndex + done;
            final int di = dIndex + done;
            final int vectors = floats ?
                floatLoop(kind, (float)divisor, views, (float[])b, bi, (float[])d, di, z, z2, n) :
                doubleLoop(kind, divisor, views, (double[])b, bi, (double[])d, di, z, z2, n);
            views.release();
            if (vectors < n)
            {
                final long tail = (long)vectors << shift;
                final long bTail = null == b ? bAddr + offset + tail : arrayBase + ((long)(bi + vectors) << shift);
                final long dTail = null == d ? dAddr + offset + tail : arrayBase + ((long)(di + vectors) << shift);
                if (floats)
                {
                    ScalarKernels.floats(kind, divisor, null, aAddr + offset + tail, b, bTail, d, dTail, n - vectors);
                }
                else
                {
                    ScalarKernels.doubles(kind, divisor, null, aAddr + offset + tail, b, bTail, d, dTail, n - vectors);
                }
                if (0 != d2Addr)
                {
                    UnsafeApi.copyMemory(d, dTail, null, d2Addr + offset + tail, (long)(n - vectors) << shift);
                }
            }
        }
    }

    /**
     * The float loop for {@code kind}, the second input from {@code b} or, when it is null, from {@code views.b}.
     *
     * @return elements done; the rest is a tail shorter than a vector.
     */
    private static int floatLoop(
        final int kind, final float divisor, final Views views, final float[] b, final int bi, final float[] d,
        final int di, final ByteBuffer z, final ByteBuffer z2, final int n)
    {
        if (null != b)
        {
            switch (kind)
            {
                case ScalarKernels.SUM:
                    return sumFloats(views.a, b, bi, d, di, z, z2, n);
                case ScalarKernels.MIN:
                    return minFloats(views.a, b, bi, d, di, z, z2, n);
                case ScalarKernels.MAX:
                    return maxFloats(views.a, b, bi, d, di, z, z2, n);
                default:
                    return sumDivideFloats(views.a, b, bi, d, di, z, z2, divisor, n);
            }
        }
        switch (kind)
        {
            case ScalarKernels.SUM:
                return sumFloats(views.a, views.b, d, di, z, z2, n);
            case ScalarKernels.MIN:
                return minFloats(views.a, views.b, d, di, z, z2, n);
            case ScalarKernels.MAX:
                return maxFloats(views.a, views.b, d, di, z, z2, n);
            default:
                return sumDivideFloats(views.a, views.b, d, di, z, z2, divisor, n);
        }
    }

    /**
     * As {@link #floatLoop}, for doubles.
     */
    private static int doubleLoop(
        final int kind, final double divisor, final Views views, final double[] b, final int bi, final double[] d,
        final int di, final ByteBuffer z, final ByteBuffer z2, final int n)
    {
        if (null != b)
        {
            switch (kind)
            {
                case ScalarKernels.SUM:
                    return sumDoubles(views.a, b, bi, d, di, z, z2, n);
                case ScalarKernels.MIN:
                    return minDoubles(views.a, b, bi, d, di, z, z2, n);
                case ScalarKernels.MAX:
                    return maxDoubles(views.a, b, bi, d, di, z, z2, n);
                default:
                    return sumDivideDoubles(views.a, b, bi, d, di, z, z2, divisor, n);
            }
        }
        switch (kind)
        {
            case ScalarKernels.SUM:
                return sumDoubles(views.a, views.b, d, di, z, z2, n);
            case ScalarKernels.MIN:
                return minDoubles(views.a, views.b, d, di, z, z2, n);
            case ScalarKernels.MAX:
                return maxDoubles(views.a, views.b, d, di, z, z2, n);
            default:
                return sumDivideDoubles(views.a, views.b, d, di, z, z2, divisor, n);
        }
    }

    // One loop per operation: the result is stored once into the array or the view, and once more into the second
    // view when there is one (tests on loop-invariant references, no merged vectors). Each returns the elements done.

    private static int sumFloats(
        final ByteBuffer a, final float[] b, final int bi, final float[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .add(FloatVector.fromArray(FLOATS, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int minFloats(
        final ByteBuffer a, final float[] b, final int bi, final float[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .min(FloatVector.fromArray(FLOATS, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int maxFloats(
        final ByteBuffer a, final float[] b, final int bi, final float[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .max(FloatVector.fromArray(FLOATS, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumDivideFloats(
        final ByteBuffer a, final float[] b, final int bi, final float[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final float divisor, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        final FloatVector divisors = FloatVector.broadcast(FLOATS, divisor);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .add(FloatVector.fromArray(FLOATS, b, bi + i))
                .div(divisors);
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumFloats(
        final ByteBuffer a, final ByteBuffer b, final float[] d, final int di, final ByteBuffer dv, final ByteBuffer d2,
        final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .add(FloatVector.fromByteBuffer(FLOATS, b, i << 2, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int minFloats(
        final ByteBuffer a, final ByteBuffer b, final float[] d, final int di, final ByteBuffer dv, final ByteBuffer d2,
        final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .min(FloatVector.fromByteBuffer(FLOATS, b, i << 2, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int maxFloats(
        final ByteBuffer a, final ByteBuffer b, final float[] d, final int di, final ByteBuffer dv, final ByteBuffer d2,
        final int n)
    {
        final int bound = FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .max(FloatVector.fromByteBuffer(FLOATS, b, i << 2, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumDivideFloats(
        final ByteBuffer a, final ByteBuffer b, final float[] d, final int di, final ByteBuffer dv, final ByteBuffer d2,
        final float divisor, final int n)
    {
        final int bound = FLOATS.loopBound(n);
        final FloatVector divisors = FloatVector.broadcast(FLOATS, divisor);
        for (int i = 0; i < bound; i += FLOATS.length())
        {
            final FloatVector r = FloatVector.fromByteBuffer(FLOATS, a, i << 2, ORDER)
                .add(FloatVector.fromByteBuffer(FLOATS, b, i << 2, ORDER))
                .div(divisors);
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static void store(
        final FloatVector r, final float[] d, final int di, final ByteBuffer dv, final ByteBuffer d2, final int i)
    {
        if (null != d)
        {
            r.intoArray(d, di + i);
        }
        else
        {
            r.intoByteBuffer(dv, i << 2, ORDER);
        }
        if (null != d2)
        {
            r.intoByteBuffer(d2, i << 2, ORDER);
        }
    }

    private static int sumDoubles(
        final ByteBuffer a, final double[] b, final int bi, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .add(DoubleVector.fromArray(DOUBLES, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int minDoubles(
        final ByteBuffer a, final double[] b, final int bi, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .min(DoubleVector.fromArray(DOUBLES, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int maxDoubles(
        final ByteBuffer a, final double[] b, final int bi, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .max(DoubleVector.fromArray(DOUBLES, b, bi + i));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumDivideDoubles(
        final ByteBuffer a, final double[] b, final int bi, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2, final double divisor, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        final DoubleVector divisors = DoubleVector.broadcast(DOUBLES, divisor);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .add(DoubleVector.fromArray(DOUBLES, b, bi + i))
                .div(divisors);
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumDoubles(
        final ByteBuffer a, final ByteBuffer b, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2,
        final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .add(DoubleVector.fromByteBuffer(DOUBLES, b, i << 3, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int minDoubles(
        final ByteBuffer a, final ByteBuffer b, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2,
        final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .min(DoubleVector.fromByteBuffer(DOUBLES, b, i << 3, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int maxDoubles(
        final ByteBuffer a, final ByteBuffer b, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2,
        final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .max(DoubleVector.fromByteBuffer(DOUBLES, b, i << 3, ORDER));
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static int sumDivideDoubles(
        final ByteBuffer a, final ByteBuffer b, final double[] d, final int di, final ByteBuffer dv,
        final ByteBuffer d2,
        final double divisor, final int n)
    {
        final int bound = DOUBLES.loopBound(n);
        final DoubleVector divisors = DoubleVector.broadcast(DOUBLES, divisor);
        for (int i = 0; i < bound; i += DOUBLES.length())
        {
            final DoubleVector r = DoubleVector.fromByteBuffer(DOUBLES, a, i << 3, ORDER)
                .add(DoubleVector.fromByteBuffer(DOUBLES, b, i << 3, ORDER))
                .div(divisors);
            store(r, d, di, dv, d2, i);
        }
        return bound;
    }

    private static void store(
        final DoubleVector r, final double[] d, final int di, final ByteBuffer dv, final ByteBuffer d2, final int i)
    {
        if (null != d)
        {
            r.intoArray(d, di + i);
        }
        else
        {
            r.intoByteBuffer(dv, i << 3, ORDER);
        }
        if (null != d2)
        {
            r.intoByteBuffer(d2, i << 3, ORDER);
        }
    }

    /**
     * A thread's four buffers: the two inputs, the output, the second output. Pointed at memory only for the span of
     * a call, so a buffer never outlives the memory it names.
     */
    private static final class Views
    {
        final ByteBuffer a = ByteBuffer.allocateDirect(0);
        final ByteBuffer b = ByteBuffer.allocateDirect(0);
        final ByteBuffer d = ByteBuffer.allocateDirect(0);
        final ByteBuffer d2 = ByteBuffer.allocateDirect(0);

        void release()
        {
            point(a, 0, 0);
            point(b, 0, 0);
            point(d, 0, 0);
            point(d2, 0, 0);
        }
    }
}
