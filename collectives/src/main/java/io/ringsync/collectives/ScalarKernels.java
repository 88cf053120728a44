package io.ringsync.collectives;

import org.agrona.UnsafeApi;

/**
 * The scalar element loops over (base object, address) operands, one per element operation: what
 * {@link Kernels#reduce} runs without the Vector API, the tails the vector kernels leave, and the reference
 * they must match bit for bit. No bounds checks: callers check lengths once per call.
 */
final class ScalarKernels
{
    static final int SUM = 0;
    static final int MIN = 1;
    static final int MAX = 2;
    static final int SUM_DIVIDE = 3;

    private ScalarKernels()
    {
    }

    /**
     * The element operation a reduction step performs.
     *
     * @param op     reduction.
     * @param finish true on the step that produces final values.
     * @return {@link #SUM}, {@link #MIN}, {@link #MAX} or {@link #SUM_DIVIDE} (AVG's finishing step only).
     */
    static int kind(final ReduceOp op, final boolean finish)
    {
        switch (op)
        {
            case SUM:
                return SUM;
            case MIN:
                return MIN;
            case MAX:
                return MAX;
            case AVG:
                return finish ? SUM_DIVIDE : SUM;
            default:
                throw new IllegalArgumentException("op " + op);
        }
    }

    /**
     * Scalar float32 loop for one {@link #kind}; also the vector kernels' tail.
     */
    static void floats(
        final int kind,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final int count)
    {
        switch (kind)
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
            default:
                sumDivideFloat(aBase, aAddr, bBase, bAddr, dBase, dAddr, (float)divisor, count);
                break;
        }
    }

    /**
     * Scalar float64 loop for one {@link #kind}; also the vector kernels' tail.
     */
    static void doubles(
        final int kind,
        final double divisor,
        final Object aBase, final long aAddr,
        final Object bBase, final long bAddr,
        final Object dBase, final long dAddr,
        final int count)
    {
        switch (kind)
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
            default:
                sumDivideDouble(aBase, aAddr, bBase, bAddr, dBase, dAddr, divisor, count);
                break;
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
