package io.ringsync.collectives;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.agrona.UnsafeApi;

/**
 * The vector loop of {@link FiniteCheck}: in blocks of {@link #BLOCK} elements it adds up {@code x * 0}, which is
 * 0 for every finite x and NaN for NaN and both infinities, and only in a block whose sum is NaN looks for the
 * first such element one by one. {@code float[]}/{@code double[]} are read in place, anything else is staged
 * through an L1-sized block as {@link VectorKernels} does. Loaded only where {@link Kernels#VECTORIZED}.
 */
final class VectorFiniteScan
{
    private static final int BLOCK_BYTES = VectorKernels.BLOCK_BYTES;
    private static final int FLOAT_BLOCK = BLOCK_BYTES >> 2;
    private static final int DOUBLE_BLOCK = BLOCK_BYTES >> 3;
    private static final long FLOAT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private VectorFiniteScan()
    {
    }

    /**
     * @return the index of the first NaN or infinity among {@code count} elements, or -1.
     */
    static long first(final DataType type, final Object base, final long address, final int count)
    {
        if (type == DataType.FLOAT64)
        {
            final long offset = address - DOUBLE_ARRAY_BASE;
            if (base instanceof double[] && (offset & 7) == 0)
            {
                return doubles((double[])base, (int)(offset >> 3), count);
            }
            final double[] block = SCRATCH.get().doubles;
            for (int done = 0; done < count; done += DOUBLE_BLOCK)
            {
                final int length = Math.min(DOUBLE_BLOCK, count - done);
                UnsafeApi.copyMemory(base, address + ((long)done << 3), block, DOUBLE_ARRAY_BASE, (long)length << 3);
                final int index = doubles(block, 0, length);
                if (index >= 0)
                {
                    return done + index;
                }
            }
            return -1;
        }
        final long offset = address - FLOAT_ARRAY_BASE;
        if (base instanceof float[] && (offset & 3) == 0)
        {
            return floats((float[])base, (int)(offset >> 2), count);
        }
        final float[] block = SCRATCH.get().floats;
        for (int done = 0; done < count; done += FLOAT_BLOCK)
        {
            final int length = Math.min(FLOAT_BLOCK, count - done);
            UnsafeApi.copyMemory(base, address + ((long)done << 2), block, FLOAT_ARRAY_BASE, (long)length << 2);
            final int index = floats(block, 0, length);
            if (index >= 0)
            {
                return done + index;
            }
        }
        return -1;
    }

    private static int floats(final float[] a, final int from, final int count)
    {
        final int lanes = VectorKernels.FLOATS.length();
        for (int start = 0; start < count; start += FLOAT_BLOCK)
        {
            final int end = Math.min(count, start + FLOAT_BLOCK);
            final int upper = start + VectorKernels.FLOATS.loopBound(end - start);
            FloatVector sum = FloatVector.zero(VectorKernels.FLOATS);
            int i = start;
            for (; i < upper; i += lanes)
            {
                sum = sum.add(FloatVector.fromArray(VectorKernels.FLOATS, a, from + i).mul(0f));
            }
            float tail = sum.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++)
            {
                tail += a[from + i] * 0f;
            }
            if (tail != 0f)
            {
                for (int j = start; j < end; j++)
                {
                    if (!Float.isFinite(a[from + j]))
                    {
                        return j;
                    }
                }
            }
        }
        return -1;
    }

    private static int doubles(final double[] a, final int from, final int count)
    {
        final int lanes = VectorKernels.DOUBLES.length();
        for (int start = 0; start < count; start += DOUBLE_BLOCK)
        {
            final int end = Math.min(count, start + DOUBLE_BLOCK);
            final int upper = start + VectorKernels.DOUBLES.loopBound(end - start);
            DoubleVector sum = DoubleVector.zero(VectorKernels.DOUBLES);
            int i = start;
            for (; i < upper; i += lanes)
            {
                sum = sum.add(DoubleVector.fromArray(VectorKernels.DOUBLES, a, from + i).mul(0d));
            }
            double tail = sum.reduceLanes(VectorOperators.ADD);
            for (; i < end; i++)
            {
                tail += a[from + i] * 0d;
            }
            if (tail != 0d)
            {
                for (int j = start; j < end; j++)
                {
                    if (!Double.isFinite(a[from + j]))
                    {
                        return j;
                    }
                }
            }
        }
        return -1;
    }

    private static final class Scratch
    {
        final float[] floats = new float[FLOAT_BLOCK];
        final double[] doubles = new double[DOUBLE_BLOCK];
    }
}
