package io.ringsync.collectives;

import org.agrona.UnsafeApi;

/**
 * float32 values carried as bfloat16 ({@code RINGSYNC_WIRE=bf16}): the top 16 bits of a float32 (sign, the 8-bit
 * exponent, 7 bits of mantissa), rounded to nearest, ties to even. Half the bytes on the wire for a relative error
 * of at most 2^-8 per rounding; the range of float32 is kept, so nothing overflows that did not before. Values are
 * widened to float32 and reduced there; only what crosses a link is narrowed.
 * <p>
 * Operands are (base object, address) pairs as in {@link Kernels}: bfloat16 ones hold 2 bytes per element, float32
 * ones 4. Scalar loops over {@link UnsafeApi}: the wire is the bottleneck whenever narrowing pays.
 */
final class Bf16Kernels
{
    private Bf16Kernels()
    {
    }

    /**
     * @param value a float32.
     * @return its bfloat16 bits: rounded to nearest even; a NaN stays a (quiet) NaN of the same sign.
     */
    static short narrow(final float value)
    {
        final int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return (short)((bits >>> 16) | 0x0040);
        }
        return (short)((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /**
     * @param bits a bfloat16.
     * @return the float32 it stands for, exactly.
     */
    static float widen(final short bits)
    {
        return Float.intBitsToFloat(bits << 16);
    }

    /**
     * Narrow {@code count} float32 values into bfloat16.
     */
    static void narrow(final Object srcBase, final long srcAddr, final Object dstBase, final long dstAddr,
        final int count)
    {
        for (int i = 0; i < count; i++)
        {
            UnsafeApi.putShort(dstBase, dstAddr + ((long)i << 1), narrow(UnsafeApi.getFloat(srcBase, srcAddr +
                ((long)i << 2))));
        }
    }

    /**
     * Widen {@code count} bfloat16 values into float32.
     */
    static void widen(final Object srcBase, final long srcAddr, final Object dstBase, final long dstAddr,
        final int count)
    {
        for (int i = 0; i < count; i++)
        {
            UnsafeApi.putFloat(dstBase, dstAddr + ((long)i << 2), widen(UnsafeApi.getShort(srcBase, srcAddr +
                ((long)i << 1))));
        }
    }

    /**
     * A partial reduction on its way round a ring: {@code out = narrow(op(widen(in), local))}.
     *
     * @param kind {@link ScalarKernels#SUM}, {@link ScalarKernels#MIN} or {@link ScalarKernels#MAX}.
     */
    static void reduce(
        final int kind, final Object inBase, final long inAddr, final Object localBase, final long localAddr,
        final Object outBase, final long outAddr, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final float value = apply(kind, 1, widen(UnsafeApi.getShort(inBase, inAddr + ((long)i << 1))),
                UnsafeApi.getFloat(localBase, localAddr + ((long)i << 2)));
            UnsafeApi.putShort(outBase, outAddr + ((long)i << 1), narrow(value));
        }
    }

    /**
     * The owner's last step: {@code r = narrow(op(widen(in), local))} (divided by {@code divisor} first for
     * {@link ScalarKernels#SUM_DIVIDE}); the result, in place of {@code local}, becomes {@code widen(r)}, and
     * {@code r} goes on to the others, so every rank holds the same bits.
     *
     * @param outBase base of the outgoing bfloat16 copy, or null with {@code outAddr} 0 for none.
     */
    static void finish(
        final int kind, final double divisor, final Object inBase, final long inAddr, final Object localBase,
        final long localAddr, final Object outBase, final long outAddr, final int count)
    {
        final boolean forward = null != outBase || 0 != outAddr;
        final float d = (float)divisor;
        for (int i = 0; i < count; i++)
        {
            final long local = localAddr + ((long)i << 2);
            final short r = narrow(apply(kind, d, widen(UnsafeApi.getShort(inBase, inAddr + ((long)i << 1))),
                UnsafeApi.getFloat(localBase, local)));
            UnsafeApi.putFloat(localBase, local, widen(r));
            if (forward)
            {
                UnsafeApi.putShort(outBase, outAddr + ((long)i << 1), r);
            }
        }
    }

    private static float apply(final int kind, final float divisor, final float received, final float local)
    {
        switch (kind)
        {
            case ScalarKernels.MIN:
                return Math.min(received, local);
            case ScalarKernels.MAX:
                return Math.max(received, local);
            case ScalarKernels.SUM_DIVIDE:
                return (received + local) / divisor;
            default:
                return received + local;
        }
    }
}
