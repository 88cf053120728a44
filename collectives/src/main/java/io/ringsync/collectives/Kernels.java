package io.ringsync.collectives;

import org.agrona.UnsafeApi;

import java.nio.ByteOrder;

/**
 * Element-wise loops over memory given as (base object, address) pairs: {@code base} is a heap array with
 * {@code address} its offset, or null with {@code address} an absolute off-heap address. One kernel thus
 * serves {@code float[]}, user off-heap buffers and the transport's own memory (Aeron terms, ring buffers),
 * which it reads in place.
 * <p>
 * Scalar loops over {@link UnsafeApi} (no bounds checks: callers check lengths once per call). C2 does not
 * vectorise them; the spikes measured ~11 GB/s of float32 input per core this way, against ~5 GB/s with
 * bounds-checked Agrona buffers. Vector API kernels are the planned next step.
 * <p>
 * Determinism: each output element depends only on the two inputs at that index, in a fixed order, so every
 * rank computes the same bits from the same inputs.
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

    private Kernels()
    {
    }

    /**
     * {@code dst[i] = op(a[i], b[i])}, then for AVG {@code dst[i] /= divisor}; optionally also into dst2.
     *
     * @param type    element type.
     * @param op      reduction; AVG sums and then divides by {@code divisor} when {@code finish} is set.
     * @param finish  true on the step that produces final values (AVG divides only there).
     * @param divisor number of ranks, for AVG.
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
        final int divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final Object d2Base, final long d2Addr,
        final int count)
    {
        if (type == DataType.FLOAT32)
        {
            switch (op)
            {
                case SUM:
                    sumFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case MIN:
                    minFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case MAX:
                    maxFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case AVG:
                    if (finish)
                    {
                        sumDivideFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, (float)divisor, count);
                    }
                    else
                    {
                        sumFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("op " + op);
            }
        }
        else
        {
            switch (op)
            {
                case SUM:
                    sumDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case MIN:
                    minDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case MAX:
                    maxDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    break;
                case AVG:
                    if (finish)
                    {
                        sumDivideDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, divisor, count);
                    }
                    else
                    {
                        sumDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, count);
                    }
                    break;
                default:
                    throw new IllegalArgumentException("op " + op);
            }
        }
        if (null != d2Base || 0 != d2Addr)
        {
            copy(dBase, dAddr, d2Base, d2Addr, (long)count * type.byteSize());
        }
    }

    /**
     * Copy bytes; regions must not overlap.
     *
     * @param srcBase source base.
     * @param srcAddr source address.
     * @param dstBase destination base.
     * @param dstAddr destination address.
     * @param bytes   to copy.
     */
    static void copy(final Object srcBase, final long srcAddr, final Object dstBase, final long dstAddr, final long bytes)
    {
        if (bytes > 0)
        {
            UnsafeApi.copyMemory(srcBase, srcAddr, dstBase, dstAddr, bytes);
        }
    }

    /**
     * Divide every element by {@code divisor} in place (AVG on a single rank is the identity, kept for
     * completeness of the contract).
     *
     * @param type    element type.
     * @param base    vector base.
     * @param addr    vector address.
     * @param divisor to divide by.
     * @param count   elements.
     */
    static void divide(final DataType type, final Object base, final long addr, final int divisor, final int count)
    {
        if (type == DataType.FLOAT32)
        {
            final float d = divisor;
            for (int i = 0; i < count; i++)
            {
                final long at = addr + ((long)i << 2);
                UnsafeApi.putFloat(base, at, UnsafeApi.getFloat(base, at) / d);
            }
        }
        else
        {
            final double d = divisor;
            for (int i = 0; i < count; i++)
            {
                final long at = addr + ((long)i << 3);
                UnsafeApi.putDouble(base, at, UnsafeApi.getDouble(base, at) / d);
            }
        }
    }

    private static void sumFloat(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 2;
            UnsafeApi.putFloat(dBase, dAddr + off, UnsafeApi.getFloat(aBase, aAddr + off) +
                UnsafeApi.getFloat(bBase, bAddr + off));
        }
    }

    private static void sumDivideFloat(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final float divisor, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 2;
            UnsafeApi.putFloat(dBase, dAddr + off, (UnsafeApi.getFloat(aBase, aAddr + off) +
                UnsafeApi.getFloat(bBase, bAddr + off)) / divisor);
        }
    }

    private static void minFloat(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 2;
            UnsafeApi.putFloat(dBase, dAddr + off, Math.min(UnsafeApi.getFloat(aBase, aAddr + off),
                UnsafeApi.getFloat(bBase, bAddr + off)));
        }
    }

    private static void maxFloat(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 2;
            UnsafeApi.putFloat(dBase, dAddr + off, Math.max(UnsafeApi.getFloat(aBase, aAddr + off),
                UnsafeApi.getFloat(bBase, bAddr + off)));
        }
    }

    private static void sumDouble(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 3;
            UnsafeApi.putDouble(dBase, dAddr + off, UnsafeApi.getDouble(aBase, aAddr + off) +
                UnsafeApi.getDouble(bBase, bAddr + off));
        }
    }

    private static void sumDivideDouble(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final double divisor, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 3;
            UnsafeApi.putDouble(dBase, dAddr + off, (UnsafeApi.getDouble(aBase, aAddr + off) +
                UnsafeApi.getDouble(bBase, bAddr + off)) / divisor);
        }
    }

    private static void minDouble(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 3;
            UnsafeApi.putDouble(dBase, dAddr + off, Math.min(UnsafeApi.getDouble(aBase, aAddr + off),
                UnsafeApi.getDouble(bBase, bAddr + off)));
        }
    }

    private static void maxDouble(
        final Object aBase, final long aAddr, final Object bBase, final long bAddr,
        final Object dBase, final long dAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long off = (long)i << 3;
            UnsafeApi.putDouble(dBase, dAddr + off, Math.max(UnsafeApi.getDouble(aBase, aAddr + off),
                UnsafeApi.getDouble(bBase, bAddr + off)));
        }
    }
}
