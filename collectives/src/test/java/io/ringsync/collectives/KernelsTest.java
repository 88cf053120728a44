package io.ringsync.collectives;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class KernelsTest
{
    private static final long FLOATS = BufferUtil.ARRAY_BASE_OFFSET;
    private static final long DOUBLES = org.agrona.UnsafeApi.arrayBaseOffset(double[].class);

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void floatOpsOnHeapMatchScalarReference(final ReduceOp op)
    {
        final Random random = new Random(7);
        for (final int count : new int[]{ 0, 1, 3, 17, 1000 })
        {
            final float[] a = new float[count];
            final float[] b = new float[count];
            for (int i = 0; i < count; i++)
            {
                a[i] = random.nextFloat() * 200 - 100;
                b[i] = random.nextFloat() * 200 - 100;
            }
            final float[] out = new float[count];
            Kernels.reduce(DataType.FLOAT32, op, true, 3, a, FLOATS, b, FLOATS, out, FLOATS, null, 0, count);
            for (int i = 0; i < count; i++)
            {
                final float expected = op == ReduceOp.SUM ? a[i] + b[i] : op == ReduceOp.MIN ? Math.min(a[i], b[i]) :
                    op == ReduceOp.MAX ? Math.max(a[i], b[i]) : (a[i] + b[i]) / 3f;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[i]), op + " at " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ReduceOp.class)
    void doubleOpsOffHeapWithSecondOutputMatchReference(final ReduceOp op)
    {
        final int count = 257;
        final UnsafeBuffer a = new UnsafeBuffer(BufferUtil.allocateDirectAligned(count * 8, 64));
        final double[] b = new double[count];
        final UnsafeBuffer out = new UnsafeBuffer(BufferUtil.allocateDirectAligned(count * 8, 64));
        final double[] out2 = new double[count];
        final Random random = new Random(11);
        for (int i = 0; i < count; i++)
        {
            a.putDouble(i * 8, random.nextGaussian());
            b[i] = random.nextGaussian();
        }
        Kernels.reduce(DataType.FLOAT64, op, false, 4, null, a.addressOffset(), b, DOUBLES,
            null, out.addressOffset(), out2, DOUBLES, count);
        for (int i = 0; i < count; i++)
        {
            final double x = a.getDouble(i * 8);
            // not the finishing step: AVG only sums here
            final double expected = op == ReduceOp.MIN ? Math.min(x, b[i]) : op == ReduceOp.MAX ? Math.max(x, b[i]) :
                x + b[i];
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(out.getDouble(i * 8)));
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(out2[i]));
        }
    }

    @Test
    void minAndMaxPropagateNaNAndOrderSignedZeros()
    {
        final float[] a = { Float.NaN, -0.0f, 1f };
        final float[] b = { 1f, 0.0f, Float.NaN };
        final float[] min = new float[3];
        final float[] max = new float[3];
        Kernels.reduce(DataType.FLOAT32, ReduceOp.MIN, true, 2, a, FLOATS, b, FLOATS, min, FLOATS, null, 0, 3);
        Kernels.reduce(DataType.FLOAT32, ReduceOp.MAX, true, 2, b, FLOATS, a, FLOATS, max, FLOATS, null, 0, 3);
        assertArrayEquals(new float[]{ Float.NaN, -0.0f, Float.NaN }, min);
        assertArrayEquals(new float[]{ Float.NaN, 0.0f, Float.NaN }, max);
    }

    @Test
    void reduceInPlaceWhereOutputIsAnInput()
    {
        final double[] a = { 1, 2, 3 };
        final double[] b = { 10, 20, 30 };
        Kernels.reduce(DataType.FLOAT64, ReduceOp.SUM, true, 2, a, DOUBLES, b, DOUBLES, b, DOUBLES, null, 0, 3);
        assertArrayEquals(new double[]{ 11, 22, 33 }, b);
    }
}
