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
 * Off-heap vector loads and stores without staging, on JDK 22+: one {@code MemorySegment} spanning the whole
 * address space, so an absolute address is its own offset and nothing is allocated per call. The classes exist
 * only at run time (this code is compiled for release 17), hence the method handles; held in static finals
 * they are constants to C2 and inline completely.
 * <p>
 * Making that segment calls the restricted {@code MemorySegment.reinterpret}: it is done only when native
 * access is enabled for this code ({@code --enable-native-access=ALL-UNNAMED} on the class path), so the JVM
 * never prints its restricted-method warning; otherwise all-off-heap calls are staged like the rest. The
 * segment lends no more power than the {@link UnsafeApi} accesses of the scalar loops.
 */
final class SegmentKernels
{
    /**
     * True when the segment and the handles below could be made.
     */
    static final boolean AVAILABLE;

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
     * {@link VectorKernels#reduce} with every operand off heap (the second output may be anywhere). Without a
     * second output the whole range is one pass; with one, each block is copied out while it is still in L1.
     */
    static void reduce(
        final DataType type,
        final int kind,
        final double divisor,
        final long aAddr,
        final long bAddr,
        final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count)
    {
        final boolean second = null != d2Base || 0 != d2Addr;
        final int shift = type.shift();
        final int block = second ? VectorKernels.BLOCK_BYTES >> shift : count;
        try
        {
            for (int done = 0; done < count; done += block)
            {
                final int length = Math.min(block, count - done);
                final long offset = (long)done << shift;
                if (type == DataType.FLOAT32)
                {
                    floats(kind, divisor, aAddr + offset, bAddr + offset, dAddr + offset, length);
                }
                else
                {
                    doubles(kind, divisor, aAddr + offset, bAddr + offset, dAddr + offset, length);
                }
                if (second)
                {
                    UnsafeApi.copyMemory(null, dAddr + offset, d2Base, d2Addr + offset, (long)length << shift);
                }
            }
        }
        catch (final Throwable ex)
        {
            LangUtil.rethrowUnchecked(ex);
        }
    }

    private static void floats(
        final int kind, final double divisor, final long a, final long b, final long d, final int n) throws Throwable
    {
        final int bound = VectorKernels.FLOATS.loopBound(n);
        final int step = VectorKernels.FLOATS.length();
        int i = 0;
        switch (kind)
        {
            case ScalarKernels.SUM:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 2;
                    final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
                    final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
                    STORE_FLOAT.invokeExact(x.add(y), d + at);
                }
                break;

            case ScalarKernels.MIN:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 2;
                    final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
                    final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
                    STORE_FLOAT.invokeExact(x.min(y), d + at);
                }
                break;

            case ScalarKernels.MAX:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 2;
                    final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
                    final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
                    STORE_FLOAT.invokeExact(x.max(y), d + at);
                }
                break;

            default:
                final FloatVector divisors = FloatVector.broadcast(VectorKernels.FLOATS, (float)divisor);
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 2;
                    final FloatVector x = (FloatVector)LOAD_FLOAT.invokeExact(a + at);
                    final FloatVector y = (FloatVector)LOAD_FLOAT.invokeExact(b + at);
                    STORE_FLOAT.invokeExact(x.add(y).div(divisors), d + at);
                }
                break;
        }
        if (i < n)
        {
            final long at = (long)i << 2;
            ScalarKernels.floats(kind, divisor, null, a + at, null, b + at, null, d + at, n - i);
        }
    }

    private static void doubles(
        final int kind, final double divisor, final long a, final long b, final long d, final int n) throws Throwable
    {
        final int bound = VectorKernels.DOUBLES.loopBound(n);
        final int step = VectorKernels.DOUBLES.length();
        int i = 0;
        switch (kind)
        {
            case ScalarKernels.SUM:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 3;
                    final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
                    final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
                    STORE_DOUBLE.invokeExact(x.add(y), d + at);
                }
                break;

            case ScalarKernels.MIN:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 3;
                    final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
                    final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
                    STORE_DOUBLE.invokeExact(x.min(y), d + at);
                }
                break;

            case ScalarKernels.MAX:
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 3;
                    final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
                    final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
                    STORE_DOUBLE.invokeExact(x.max(y), d + at);
                }
                break;

            default:
                final DoubleVector divisors = DoubleVector.broadcast(VectorKernels.DOUBLES, (double)divisor);
                for (; i < bound; i += step)
                {
                    final long at = (long)i << 3;
                    final DoubleVector x = (DoubleVector)LOAD_DOUBLE.invokeExact(a + at);
                    final DoubleVector y = (DoubleVector)LOAD_DOUBLE.invokeExact(b + at);
                    STORE_DOUBLE.invokeExact(x.add(y).div(divisors), d + at);
                }
                break;
        }
        if (i < n)
        {
            final long at = (long)i << 3;
            ScalarKernels.doubles(kind, divisor, null, a + at, null, b + at, null, d + at, n - i);
        }
    }
}
