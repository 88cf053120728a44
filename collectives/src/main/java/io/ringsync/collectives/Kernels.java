package io.ringsync.collectives;

import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * Element-wise loops over memory given as (base object, address) pairs: {@code base} is a heap array with
 * {@code address} its offset, or null with {@code address} an absolute off-heap address. One kernel thus
 * serves {@code float[]}, user off-heap buffers and the transport's own memory (Aeron terms, ring buffers),
 * which it reads in place.
 * <p>
 * Two implementations, chosen once at class initialisation. The choice is by measurement ({@code KernelBenchmark},
 * {@code perf-results/kernels/README.md}: 2 vCPU AMD EPYC Zen 4 with AVX-512, JDK 17 and 25, GB/s of one input
 * vector, "in cache" = 64 KiB and 1 MiB vectors, "16 MiB" = memory bound):
 * <ul>
 *     <li>Without {@code --add-modules jdk.incubator.vector}: the scalar loops here, over {@link UnsafeApi} (no
 *     bounds checks: callers check lengths once per call). C2 does not vectorise them, since an off-heap address
 *     may alias anything: ~13 GB/s float32 and ~25 GB/s float64 in cache, and only 7-8 / 13-15 GB/s when heap and
 *     off-heap operands are mixed in one call.</li>
 *     <li>With it, {@link VectorKernels} ({@code SPECIES_PREFERRED}; 256- and 512-bit species measured the same):
 *     <ul>
 *         <li>{@code float[]}/{@code double[]} operands are loaded in place: 3.3-4.5x (float32) and 1.7-2.3x
 *         (float64) the scalar loop in cache, 1.1-1.6x at 16 MiB;</li>
 *         <li>off-heap operands next to an array (a received piece added into a user's array; a partial sum
 *         written to the outgoing claim) were staged through L1-sized blocks: 1.4-4.0x in cache. On JDK 17 they
 *         are now read and written in place through {@link ViewKernels} from 16 KiB on, 1.2-1.7x the staged kernel
 *         at 64 KiB and 1 MiB ({@code perf-results/2026-12-07-view-kernels}); on JDK 19+ (no buffer loads) and
 *         below 16 KiB still staged.
 *         At 16 MiB staging two operands broke even for float32 and lost 19-28 % for float64;</li>
 *         <li>all three operands off heap, JDK 22+ with native access: a segment over the whole address space,
 *         no staging: 2.4-3.0x float32 and 1.3-1.6x float64 in cache, 1.1-1.8x at 16 MiB;</li>
 *         <li>all three off heap otherwise: on JDK 17 through {@link ViewKernels} too, 1.2-1.5x what ran before
 *         (float32 staged, float64 the scalar loop, which three staging copies made 0.63-0.77x slower); on JDK 19-21
 *         float32 is staged (1.3-1.6x in cache, 0.86-1.09x at 16 MiB) and float64 runs the scalar loop.</li>
 *     </ul></li>
 * </ul>
 * The vector path allocates nothing per call once a thread has its staging blocks ({@code -prof gc}: ~0 B/op).
 * Until C2 has compiled it the Vector API runs boxed and slowly, as any warm-up does.
 * <p>
 * Determinism: each output element depends only on the two inputs at that index, in a fixed order, and both
 * implementations do the same single IEEE 754 operation per element (see {@link VectorKernels}), so every rank
 * computes the same bits from the same inputs whichever implementation its JVM runs. The only latitude is the
 * payload of a NaN made from two NaN inputs, which Java leaves open (the scalar loop's own varies between the
 * interpreter, C1 and C2); each final element is computed by one rank and copied to the others, so ranks still
 * agree on it.
 */
final class Kernels
{
    static
    {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
        {
            throw new ExceptionInInitializerError("ringsync's wire format is little-endian; this CPU is not");
        }
    }

    /**
     * System property: {@code false} keeps the scalar loops even on a JVM that offers the Vector API.
     */
    static final String VECTOR_PROPERTY = "ringsync.kernels.vector";

    /**
     * System property: {@code false} stages off-heap operands as before {@link ViewKernels}, for comparing the two.
     */
    static final String VIEWS_PROPERTY = "ringsync.kernels.views";

    /**
     * System property: {@code false} keeps every copy on {@code Unsafe.copyMemory} ({@link NativeCopy} is then never
     * loaded), for comparisons.
     */
    static final String NATIVE_PROPERTY = "ringsync.kernels.native";

    /**
     * Whether {@link #reduce} runs {@link VectorKernels}: the incubator module was resolved at start-up
     * ({@code --add-modules jdk.incubator.vector}), the property does not veto it, and the species are real
     * vectors. Checked before {@link VectorKernels} is first touched, so a JVM without the module never loads
     * it and never sees a {@link NoClassDefFoundError}.
     */
    static final boolean VECTORIZED = vectorKernelsUsable();

    /**
     * Fewer elements than this reduce in the scalar loops even where {@link #VECTORIZED}: the vector kernels' set-up
     * (choosing a layout, pointing views at off-heap operands, the masked tail) costs more than a few elements of
     * work. Measured with {@code KernelBenchmark -p type=FLOAT32 -p bytes=32,56,88,128,256,1024} (AMD EPYC family 26
     * model 2, JDK 17, perf-results/2026-12-07-small-and-np4): the scalar loop did 2.1-4.9x the calls per second at 8
     * and 14 elements, 0.97-2.0x at 22, 0.9-1.9x at 32 (by layout), and lost from 64 on heap and mixed layouts. Both
     * give the same bits (KernelsTest).
     */
    static final int VECTOR_MIN_ELEMENTS = 32;

    /**
     * Whether a peer's off-heap data is read, and off-heap outputs written, in place through {@link SegmentKernels}
     * instead of staged: JDK 22+ with native access enabled (next to an array operand only from 16 KiB).
     */
    static final boolean SEGMENTS = VECTORIZED && segmentsUsable();

    /**
     * Whether a peer's off-heap data (from 16 KiB) is read, and off-heap outputs written, in place through
     * {@link ViewKernels} instead of staged: JDK 16-18, whose Vector API loads from a {@code ByteBuffer}.
     */
    static final boolean VIEWS = VECTORIZED && viewsUsable();

    /**
     * Whether {@link #copy} moves 16 KiB and more through the C library's {@code memmove} ({@link NativeCopy}):
     * Linux where the build made the library, unless {@link #NATIVE_PROPERTY} is {@code false}.
     */
    static final boolean NATIVE_COPY = nativeCopyUsable();


    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    private Kernels()
    {
    }

    private static boolean vectorKernelsUsable()
    {
        if (!Boolean.parseBoolean(System.getProperty(VECTOR_PROPERTY, "true")) ||
            !ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent())
        {
            return false;
        }

        try
        {
            return VectorKernels.isUsable();
        }
        catch (final LinkageError ex)
        {
            return false;
        }
    }

    private static boolean segmentsUsable()
    {
        try
        {
            return SegmentKernels.AVAILABLE;
        }
        catch (final LinkageError ex)
        {
            return false;
        }
    }

    private static boolean nativeCopyUsable()
    {
        return Boolean.parseBoolean(System.getProperty(NATIVE_PROPERTY, "true")) && NativeCopy.AVAILABLE;
    }

    private static boolean viewsUsable()
    {
        if (!Boolean.parseBoolean(System.getProperty(VIEWS_PROPERTY, "true")))
        {
            return false;
        }
        try
        {
            return ViewKernels.AVAILABLE;
        }
        catch (final LinkageError ex)
        {
            return false;
        }
    }

    /**
     * Which loops {@link #reduce} runs, for logs and benchmark reports.
     *
     * @return "scalar", or "vector" with the species in use and how off-heap operands are served.
     */
    static String implementation()
    {
        return VECTORIZED ?
            "vector (" + VectorKernels.describe() + (SEGMENTS ?
            ", an off-heap first input via segments, from 16 KiB next to an array, else staged)" :
            VIEWS ? ", an off-heap first input via buffer views from 16 KiB, else staged)" : ", off-heap staged)") :
            "scalar";
    }

    /**
     * {@code dst[i] = op(a[i], b[i])}, then for AVG {@code dst[i] /= divisor}; optionally also into dst2.
     * The output may be the very memory of an input, but must not partially overlap one; the second output must
     * not overlap anything.
     *
     * @param type    element type.
     * @param op      reduction; AVG sums and then divides by {@code divisor} when {@code finish} is set.
     * @param finish  true on the step that produces final values (AVG divides only there).
     * @param divisor number of ranks for AVG, the sum of the weights for a weighted average (a float32 kernel
     *                divides by its float value).
     * @param aBase   first input base.
     * @param aAddr   first input address.
     * @param bBase   second input base.
     * @param bAddr   second input address.
     * @param dBase   output base.
     * @param dAddr   output address (may equal an input).
     * @param d2Base  second output base, used when {@code d2Addr != 0 || d2Base != null}.
     * @param d2Addr  second output address, 0 with a null base for none.
     * @param count   elements.
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
        final int count)
    {
        if (VECTORIZED && count >= VECTOR_MIN_ELEMENTS)
        {
            VectorKernels.reduce(
                type, op, finish, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, d2Base, d2Addr, count, SEGMENTS,
                VIEWS);
        }
        else
        {
            scalarReduce(
                type, op, finish, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, d2Base, d2Addr, count);
        }
    }

    /**
     * The scalar loops behind {@link #reduce}, whatever the JVM offers: the fallback, and the reference the vector
     * kernels must match bit for bit. Same parameters as {@link #reduce}.
     */
    static void scalarReduce(
        final DataType type,
        final ReduceOp op,
        final boolean finish,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count)
    {
        final int kind = ScalarKernels.kind(op, finish);
        if (type == DataType.FLOAT32)
        {
            ScalarKernels.floats(kind, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
        }
        else
        {
            ScalarKernels.doubles(kind, divisor, aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
        }
        if (null != d2Base || 0 != d2Addr)
        {
            copy(dBase, dAddr, d2Base, d2Addr, (long)count * type.byteSize());
        }
    }

    /**
     * Copy bytes; regions must not overlap. From {@link NativeCopy#MIN_BYTES} on, and where {@link #NATIVE_COPY},
     * through the C library's {@code memmove}, else {@code Unsafe.copyMemory}.
     *
     * @param srcBase source base.
     * @param srcAddr source address.
     * @param dstBase destination base.
     * @param dstAddr destination address.
     * @param bytes   to copy.
     */
    static void copy(
        final Object srcBase, final long srcAddr, final Object dstBase, final long dstAddr, final long bytes)
    {
        if (NATIVE_COPY && bytes >= NativeCopy.MIN_BYTES && NativeCopy.takes(srcBase, dstBase))
        {
            NativeCopy.copy(srcBase, srcAddr, dstBase, dstAddr, bytes);
        }
        else if (bytes > 0)
        {
            UnsafeApi.copyMemory(srcBase, srcAddr, dstBase, dstAddr, bytes);
        }
    }

    /**
     * {@code v[i] /= divisor} in place: the last operation of an average, done by the element's owner (a float32
     * element is divided by the divisor rounded to float, as the reduction kernels do).
     *
     * @param type    element type.
     * @param base    vector base, or null for off-heap memory.
     * @param addr    address of the first element.
     * @param count   elements.
     * @param divisor of every element.
     */
    static void divide(final DataType type, final Object base, final long addr, final int count, final double divisor)
    {
        if (type == DataType.FLOAT32)
        {
            final float d = (float)divisor;
            for (int i = 0; i < count; i++)
            {
                final long at = addr + ((long)i << 2);
                UnsafeApi.putFloat(base, at, UnsafeApi.getFloat(base, at) / d);
            }
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                final long at = addr + ((long)i << 3);
                UnsafeApi.putDouble(base, at, UnsafeApi.getDouble(base, at) / divisor);
            }
        }
    }

    /**
     * {@code v[i] *= weight} in place, or zeros when the weight is 0 (so a rank without data may pass anything,
     * NaN included). The float32 product uses the weight rounded to float, as the rest of a float32 call does.
     *
     * @param type   element type.
     * @param base   vector base: a float[] or double[] (a loop the JIT vectorises) or null for off-heap memory.
     * @param addr   address of the first element.
     * @param count  elements.
     * @param weight finite, >= 0.
     */
    static void scale(final DataType type, final Object base, final long addr, final int count, final double weight)
    {
        final long bytes = (long)count * type.byteSize();
        if (weight == 0)
        {
            if (bytes > 0)
            {
                UnsafeApi.setMemory(base, addr, bytes, (byte)0);
            }
            return;
        }
        if (weight == 1)
        {
            return;
        }
        if (type == DataType.FLOAT32)
        {
            final float w = (float)weight;
            if (base instanceof float[])
            {
                final float[] v = (float[])base;
                final int from = (int)((addr - FLOAT_ARRAY_BASE) >> 2);
                for (int i = from, end = from + count; i < end; i++)
                {
                    v[i] *= w;
                }
            }
            else
            {
                for (long i = 0; i < bytes; i += 4)
                {
                    UnsafeApi.putFloat(base, addr + i, UnsafeApi.getFloat(base, addr + i) * w);
                }
            }
        }
        else
        {
            if (base instanceof double[])
            {
                final double[] v = (double[])base;
                final int from = (int)((addr - DOUBLE_ARRAY_BASE) >> 3);
                for (int i = from, end = from + count; i < end; i++)
                {
                    v[i] *= weight;
                }
            }
            else
            {
                for (long i = 0; i < bytes; i += 8)
                {
                    UnsafeApi.putDouble(base, addr + i, UnsafeApi.getDouble(base, addr + i) * weight);
                }
            }
        }
    }
}
