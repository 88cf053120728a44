package io.ringsync.collectives;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.agrona.LangUtil;
import org.agrona.UnsafeApi;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteOrder;

/**
 * The reduction step with its off-heap operands read and written in place on JDK 22+, the twin of
 * {@link ViewKernels} (JDK 16-18) for the JVMs whose Vector API loads from a {@code MemorySegment} instead of a
 * {@code ByteBuffer}: the first input off heap (a received chunk, a peer's window or shared vector), the second the
 * caller's {@code float[]}/{@code double[]} or off heap, the output an array or off heap, and the second output
 * anywhere. Off-heap memory is reached through one segment spanning the whole address space, so an absolute address
 * is its own offset and nothing is allocated per call. The classes exist only at run time (this code is compiled for
 * release 17), hence the method handles; held in static finals they are constants to C2 and inline completely.
 * Arrays are loaded and stored as arrays; as in {@link ViewKernels}, each loop loads each operand one way only.
 * <p>
 * Making that segment calls the restricted {@code MemorySegment.reinterpret}: it is done only when native
 * access is enabled for this code ({@code --enable-native-access=ALL-UNNAMED} on the class path), so the JVM
 * never prints its restricted-method warning; otherwise off-heap operands are staged by {@link VectorKernels}. The
 * segment lends no more power than the {@link UnsafeApi} accesses of the scalar loops. Results are
 * {@link ScalarKernels}' bit for bit, with the same latitude for the payload of a NaN made from two NaNs; tails run
 * the scalar loops.
 */
final class SegmentKernels
{
    /**
     * True when the segment and the handles below could be made.
     */
    static final boolean AVAILABLE;

    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    private static final MethodHandle LOAD_FLOAT;
    private static final MethodHandle STORE_FLOAT;
    private static final MethodHandle LOAD_DOUBLE;
    private static final MethodHandle STORE_DOUBLE;

    static
    {
        MethodHandle loadFloat = null;
        MethodHandle storeFloat = null;
        MethodHandle loadDouble = null;
        MethodHandle storeDouble = null;
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            final Class<?> segmentClass = Class.forName("java.lang.foreign.MemorySegment");
            final boolean nativeAccess = (boolean)lookup
                .findVirtual(Module.class, "isNativeAccessEnabled", MethodType.methodType(boolean.class))
                .invokeExact(SegmentKernels.class.getModule());
            if (nativeAccess)
            {
                final Object nullSegment = lookup.findStaticGetter(segmentClass, "NULL", segmentClass).invoke();
                final Object everything = lookup
                    .findVirtual(segmentClass, "reinterpret", MethodType.methodType(segmentClass, long.class))
                    .invoke(nullSegment, Long.MAX_VALUE);

                loadFloat = loader(lookup, FloatVector.class, VectorKernels.FLOATS, segmentClass, everything);
                storeFloat = storer(lookup, FloatVector.class, segmentClass, everything);
                loadDouble = loader(lookup, DoubleVector.class, VectorKernels.DOUBLES, segmentClass, everything);
                storeDouble = storer(lookup, DoubleVector.class, segmentClass, everything);
            }
        }
        catch (final Throwable ignore)
        {
            // before JDK 22 (no MemorySegment, no Module.isNativeAccessEnabled) or a Vector API without
            // segment loads: staging it is
            loadFloat = null;
        }

        AVAILABLE = null != loadFloat;
        LOAD_FLOAT = loadFloat;
        STORE_FLOAT = storeFloat;
        LOAD_DOUBLE = loadDouble;
        STORE_DOUBLE = storeDouble;
    }

    private SegmentKernels()
    {
    }

    /**
     * {@code fromMemorySegment(species, everything, address, LITTLE_ENDIAN)} as {@code (long)V}.
     */
    private static MethodHandle loader(
        final MethodHandles.Lookup lookup,
        final Class<?> vectorClass,
        final VectorSpecies<?> species,
        final Class<?> segmentClass,
        final Object everything) throws ReflectiveOperationException
    {
        final MethodHandle load = lookup.findStatic(vectorClass, "fromMemorySegment", MethodType.methodType(
            vectorClass, VectorSpecies.class, segmentClass, long.class, ByteOrder.class));
        return MethodHandles.insertArguments(
            MethodHandles.insertArguments(load, 3, ByteOrder.LITTLE_ENDIAN), 0, species, everything);
    }

    /**
     * {@code vector.intoMemorySegment(everything, address, LITTLE_ENDIAN)} as {@code (V, long)void}.
     */
    private static MethodHandle storer(
        final MethodHandles.Lookup lookup,
        final Class<?> vectorClass,
        final Class<?> segmentClass,
        final Object everything) throws ReflectiveOperationException
    {
        final MethodHandle store = lookup.findVirtual(vectorClass, "intoMemorySegment", MethodType.methodType(
            void.class, segmentClass, long.class, ByteOrder.class));
        return MethodHandles.insertArguments(
            MethodHandles.insertArguments(store, 3, ByteOrder.LITTLE_ENDIAN), 1, everything);
    }

    /**
     * Whether {@link #reduce} takes this call's operands: the first input off heap, the second an array of the type
     * or off heap, the output an array of the type or off heap (the second output may be anywhere). A call with an
     * array operand is taken only from {@link ViewKernels#MIN_BYTES}, the floor measured for the same layouts on
     * JDK 17 (a peer's small piece comes faster through the copy stub); an all-off-heap call at any length.
     *
     * @param aBase  first input's base (null: off heap).
     * @param bIndex the second input's element index in its array, negative when it is not one.
     * @param bBase  second input's base (null: off heap).
     * @param dIndex the output's element index in its array, negative when it is not one.
     * @param dBase  output's base.
     * @param bytes  of one operand.
     * @return true to call this class.
     */
    static boolean takes(
        final Object aBase, final int bIndex, final Object bBase, final int dIndex, final Object dBase,
        final long bytes)
    {
        return AVAILABLE && null == aBase && (bIndex >= 0 || null == bBase) && (dIndex >= 0 || null == dBase) &&
            ((null == bBase && null == dBase) || bytes >= ViewKernels.MIN_BYTES);
    }

    /**
     * {@code d[i] = a[i] op b[i]} (then {@code / divisor} for {@link ScalarKernels#SUM_DIVIDE}), also into the second
     * output: in the loop when it is off heap, else copied out block by block while the block is still in L1.
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
     * @param d2Base  second output's base, used when {@code d2Addr != 0 || d2Base != null}.
     * @param d2Addr  second output's address, 0 with a null base for none.
     * @param count   elements.
     */
    static void reduce(
        final DataType type,
        final int kind,
        final double divisor,
        final long aAddr,
        final Object b, final int bIndex, final long bAddr,
        final Object d, final int dIndex, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count)
    {
        final boolean floats = type == DataType.FLOAT32;
        final int shift = type.shift();
        final long arrayBase = floats ? FLOAT_ARRAY_BASE : DOUBLE_ARRAY_BASE;
        final boolean copyOut = null != d2Base;
        final int block = copyOut ? VectorKernels.BLOCK_BYTES >> shift : count;
        try
        {
            for (int done = 0; done < count; done += block)
            {
                final int n = Math.min(block, count - done);
                final long offset = (long)done << shift;
                final long a = aAddr + offset;
                final int bi = bIndex + done;
                final long bo = bAddr + offset;
                final int di = dIndex + done;
                final long dd = dAddr + offset;
                final long d2 = copyOut || 0 == d2Addr ? 0 : d2Addr + offset;
                final int vectors = floats ?
                    floatLoop(kind, (float)divisor, a, (float[])b, bi, bo, (float[])d, di, dd, d2, n) :
                    doubleLoop(kind, divisor, a, (double[])b, bi, bo, (double[])d, di, dd, d2, n);
                if (vectors < n)
                {
                    final long tail = (long)vectors << shift;
                    final long bTail = null == b ? bo + tail : arrayBase + ((long)(bi + vectors) << shift);
                    final long dTail = null == d ? dd + tail : arrayBase + ((long)(di + vectors) << shift);
                    if (floats)
                    {
                        ScalarKernels.floats(kind, divisor, null, a + tail, b, bTail, d, dTail, n - vectors);
                    }
                    else
                    {
                        ScalarKernels.doubles(kind, divisor, null, a + tail, b, bTail, d, dTail, n - vectors);
                    }
                    if (0 != d2)
                    {
                        UnsafeApi.copyMemory(d, dTail, null, d2 + tail, (long)(n - vectors) << shift);
                    }
                }
                if (copyOut)
                {
                    UnsafeApi.copyMemory(d, null == d ? dd : arrayBase + ((long)di << shift), d2Base,
                        d2Addr + offset, (long)n << shift);
                }
            }
        }
        catch (final Throwable ex)
        {
            LangUtil.rethrowUnchecked(ex);
        }
    }

    /**
     * The float loop for {@code kind}, the second input from {@code b} or, when it is null, from {@code bAddr}.
     *
     * @return elements done; the rest is a tail shorter than a vector.
     */
    private static int floatLoop(
        final int kind, final float divisor, final long a, final float[] b, final int bi, final long bAddr,
        final float[] d, final int di, final long dAddr, final long d2, final int n) throws Throwable
    {
        if (null != b)
        {
            switch (kind)
            {
                case ScalarKernels.SUM:
                    return sumFloats(a, b, bi, d, di, dAddr, d2, n);
                case ScalarKernels.MIN:
                    return minFloats(a, b, bi, d, di, dAddr, d2, n);
                case ScalarKernels.MAX:
                    return maxFloats(a, b, bi, d, di, dAddr, d2, n);
                default:
                    return sumDivideFloats(a, b, bi, d, di, dAddr, d2, divisor, n);
            }
        }
        switch (kind)
        {
            case ScalarKernels.SUM:
                return sumFloats(a, bAddr, d, di, dAddr, d2, n);
            case ScalarKernels.MIN:
                return minFloats(a, bAddr, d, di, dAddr, d2, n);
            case ScalarKernels.MAX:
                return maxFloats(a, bAddr, d, di, dAddr, d2, n);
            default:
                return sumDivideFloats(a, bAddr, d, di, dAddr, d2, divisor, n);
        }
    }

    /**
     * As {@link #floatLoop}, for doubles.
     */
    private static int doubleLoop(
        final int kind, final double divisor, final long a, final double[] b, final int bi, final long bAddr,
        final double[] d, final int di, final long dAddr, final long d2, final int n) throws Throwable
    {
        if (null != b)
        {
            switch (kind)
            {
                case ScalarKernels.SUM:
                    return sumDoubles(a, b, bi, d, di, dAddr, d2, n);
                case ScalarKernels.MIN:
                    return minDoubles(a, b, bi, d, di, dAddr, d2, n);
                case ScalarKernels.MAX:
                    return maxDoubles(a, b, bi, d, di, dAddr, d2, n);
                default:
                    return sumDivideDoubles(a, b, bi, d, di, dAddr, d2, divisor, n);
            }
        }
        switch (kind)
        {
            case ScalarKernels.SUM:
                return sumDoubles(a, bAddr, d, di, dAddr, d2, n);
            case ScalarKernels.MIN:
                return minDoubles(a, bAddr, d, di, dAddr, d2, n);
            case ScalarKernels.MAX:
                return maxDoubles(a, bAddr, d, di, dAddr, d2, n);
            default:
                return sumDivideDoubles(a, bAddr, d, di, dAddr, d2, divisor, n);
        }
    }

    // One loop per operation and source of the second input (each operand loaded one way only, as ViewKernels
    // explains); the result is stored into the array or at the address, and at the second address if there is one.
    // Each returns the elements done.

    private static int sumFloats(
        final long a, final float[] b, final int bi, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = FloatVector.fromArray(VectorKernels.FLOATS, b, bi + i);
            store(x.add(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumFloats(
        final long a, final long b, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
            store(x.add(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int minFloats(
        final long a, final float[] b, final int bi, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = FloatVector.fromArray(VectorKernels.FLOATS, b, bi + i);
            store(x.min(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int minFloats(
        final long a, final long b, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
            store(x.min(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int maxFloats(
        final long a, final float[] b, final int bi, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = FloatVector.fromArray(VectorKernels.FLOATS, b, bi + i);
            store(x.max(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int maxFloats(
        final long a, final long b, final float[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
            store(x.max(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumDivideFloats(
        final long a, final float[] b, final int bi, final float[] d, final int di, final long dAddr, final long d2,
        final float divisor, final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        final FloatVector divisors = FloatVector.broadcast(VectorKernels.FLOATS, divisor);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = FloatVector.fromArray(VectorKernels.FLOATS, b, bi + i);
            store(x.add(y).div(divisors), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumDivideFloats(
        final long a, final long b, final float[] d, final int di, final long dAddr, final long d2, final float divisor,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        final FloatVector divisors = FloatVector.broadcast(VectorKernels.FLOATS, divisor);
        for (int i = 0; i < bound; i += VectorKernels.FLOATS.length())
        {
            final long at = (long)i << 2;
            final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
            final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
            store(x.add(y).div(divisors), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static void store(
        final FloatVector r, final float[] d, final int di, final long dAddr, final long d2,
        final long at) throws Throwable
    {
        if (null != d)
        {
            r.intoArray(d, di);
        }
        else
        {
            STORE_FLOAT.invokeExact(r, dAddr);
        }
        if (0 != d2)
        {
            STORE_FLOAT.invokeExact(r, d2 + at);
        }
    }

    private static int sumDoubles(
        final long a, final double[] b, final int bi, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = DoubleVector.fromArray(VectorKernels.DOUBLES, b, bi + i);
            store(x.add(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumDoubles(
        final long a, final long b, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
            store(x.add(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int minDoubles(
        final long a, final double[] b, final int bi, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = DoubleVector.fromArray(VectorKernels.DOUBLES, b, bi + i);
            store(x.min(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int minDoubles(
        final long a, final long b, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
            store(x.min(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int maxDoubles(
        final long a, final double[] b, final int bi, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = DoubleVector.fromArray(VectorKernels.DOUBLES, b, bi + i);
            store(x.max(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int maxDoubles(
        final long a, final long b, final double[] d, final int di, final long dAddr, final long d2,
        final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
            store(x.max(y), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumDivideDoubles(
        final long a, final double[] b, final int bi, final double[] d, final int di, final long dAddr, final long d2,
        final double divisor, final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        final DoubleVector divisors = DoubleVector.broadcast(VectorKernels.DOUBLES, divisor);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = DoubleVector.fromArray(VectorKernels.DOUBLES, b, bi + i);
            store(x.add(y).div(divisors), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static int sumDivideDoubles(
        final long a, final long b, final double[] d, final int di, final long dAddr, final long d2,
        final double divisor, final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        final DoubleVector divisors = DoubleVector.broadcast(VectorKernels.DOUBLES, divisor);
        for (int i = 0; i < bound; i += VectorKernels.DOUBLES.length())
        {
            final long at = (long)i << 3;
            final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
            final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
            store(x.add(y).div(divisors), d, di + i, dAddr + at, d2, at);
        }
        return bound;
    }

    private static void store(
        final DoubleVector r, final double[] d, final int di, final long dAddr, final long d2,
        final long at) throws Throwable
    {
        if (null != d)
        {
            r.intoArray(d, di);
        }
        else
        {
            STORE_DOUBLE.invokeExact(r, dAddr);
        }
        if (0 != d2)
        {
            STORE_DOUBLE.invokeExact(r, d2 + at);
        }
    }
}
