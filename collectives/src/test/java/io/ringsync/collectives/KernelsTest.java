package io.ringsync.collectives;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void vectorKernelsAreActiveUnderTheTestFlags()
    {
        // the surefire argLine adds the module: without it the comparisons below would compare scalar with scalar
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(),
            "tests must run with --add-modules jdk.incubator.vector");
        assertTrue(Kernels.VECTORIZED, Kernels.implementation());
        if (Runtime.version().feature() >= 22)
        {
            // the argLine also enables native access: all-off-heap calls must take the segment path
            assertTrue(Kernels.SEGMENTS, Kernels.implementation());
        }
        if (Runtime.version().feature() <= 18)
        {
            // JDK 17's Vector API loads from buffers: a peer's data next to an array must not be staged
            assertTrue(Kernels.VIEWS, Kernels.implementation());
        }
    }

    /**
     * Every layout of every operand, every op, both types, lengths around the vector width, the staging block and
     * the shortest operand {@link ViewKernels} takes:
     * the vector kernels (as {@link Kernels#reduce} runs them, and with staging forced) leave every operand with
     * exactly the bits the scalar loops leave.
     */
    @ParameterizedTest
    @EnumSource(DataType.class)
    void vectorKernelsMatchScalarBitForBit(final DataType type)
    {
        // 15-17: the vector width, through the staged kernel (Kernels.reduce keeps so few elements scalar); 47-49: the
        // same just above Kernels.VECTOR_MIN_ELEMENTS; 2049 and 4099: just above ViewKernels.MIN_BYTES (doubles,
        // floats), with a tail after the last vector
        final int[] counts = { 0, 1, 15, 16, 17, 47, 48, 49, 1000, 2049, 4099, 65537 };
        final Place[] places = Place.values();
        int cases = 0;
        for (final int count : counts)
        {
            final long[] aBits = randomBits(type, count, 31L * count + 1);
            final long[] bBits = randomBits(type, count, 31L * count + 2);
            for (final ReduceOp op : ReduceOp.values())
            {
                for (final boolean finish : new boolean[]{ false, true })
                {
                    if (op != ReduceOp.AVG && !finish)
                    {
                        continue;
                    }
                    for (final Place aPlace : places)
                    {
                        for (final Place bPlace : places)
                        {
                            for (final Place dPlace : places)
                            {
                                for (final Output output : Output.values())
                                {
                                    final boolean misaligned = (cases & 1) == 1;
                                    compare(type, op, finish, count, aBits, bBits, aPlace, bPlace, dPlace, output,
                                        misaligned);
                                    cases++;
                                }
                            }
                        }
                    }
                }
            }
        }
        assertTrue(cases > 1000);
    }

    @Test
    void minAndMaxOfSpecialValuesAcrossWholeVectors()
    {
        final float[] specials =
            { Float.NaN, -0.0f, 0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, Float.MIN_VALUE };
        final int count = specials.length * specials.length * 4;
        final float[] a = new float[count];
        final float[] b = new float[count];
        for (int i = 0; i < count; i++)
        {
            a[i] = specials[(i / specials.length) % specials.length];
            b[i] = specials[i % specials.length];
        }
        final float[] min = new float[count];
        final float[] max = new float[count];
        final float[] avg = new float[count];
        Kernels.reduce(DataType.FLOAT32, ReduceOp.MIN, true, 2, a, FLOATS, b, FLOATS, min, FLOATS, null, 0, count);
        Kernels.reduce(DataType.FLOAT32, ReduceOp.MAX, true, 2, a, FLOATS, b, FLOATS, max, FLOATS, null, 0, count);
        Kernels.reduce(DataType.FLOAT32, ReduceOp.AVG, true, 3, a, FLOATS, b, FLOATS, avg, FLOATS, null, 0, count);
        for (int i = 0; i < count; i++)
        {
            final String at = a[i] + ", " + b[i];
            assertEquals(Float.floatToRawIntBits(Math.min(a[i], b[i])), Float.floatToRawIntBits(min[i]), "min " + at);
            assertEquals(Float.floatToRawIntBits(Math.max(a[i], b[i])), Float.floatToRawIntBits(max[i]), "max " + at);
            assertEquals(Float.floatToRawIntBits((a[i] + b[i]) / 3f), Float.floatToRawIntBits(avg[i]), "avg " + at);
        }
    }

    /**
     * A JVM started without {@code --add-modules jdk.incubator.vector} runs the scalar loops and never trips over
     * the vector classes.
     */
    @Tag("process") // starts a JVM without the vector module
    @Test
    void scalarFallbackWithoutTheVectorModule() throws Exception
    {
        final String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        final Process process = new ProcessBuilder(
            java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), WithoutVectorModule.class.getName())
            .redirectErrorStream(true)
            .start();
        final String output;
        try
        {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        }
        finally
        {
            process.destroyForcibly();
        }
        assertEquals(0, process.exitValue(), output);
        assertEquals("scalar 11.0 22.0 33.0", output);
    }

    /**
     * Entry point of the child JVM of {@link #scalarFallbackWithoutTheVectorModule()}.
     */
    static final class WithoutVectorModule
    {
        public static void main(final String[] args)
        {
            final float[] a = { 1, 2, 3 };
            final float[] b = { 10, 20, 30 };
            Kernels.reduce(DataType.FLOAT32, ReduceOp.SUM, true, 2, a, FLOATS, b, FLOATS, b, FLOATS, null, 0, 3);
            System.out.println(Kernels.implementation() + " " + b[0] + " " + b[1] + " " + b[2]);
        }
    }

    private enum Place
    {
        ARRAY, BYTES, OFF_HEAP
    }

    /**
     * Where the output goes: its own memory, over the second input, or its own memory plus a second output.
     */
    private enum Output
    {
        SEPARATE, OVER_B, WITH_SECOND_OFF_HEAP, WITH_SECOND_ARRAY
    }

    private static void compare(
        final DataType type,
        final ReduceOp op,
        final boolean finish,
        final int count,
        final long[] aBits,
        final long[] bBits,
        final Place aPlace,
        final Place bPlace,
        final Place dPlace,
        final Output output,
        final boolean misaligned)
    {
        final Operand a = new Operand(type, aPlace, count, misaligned);
        final Operand b = new Operand(type, bPlace, count, misaligned);
        final Operand d = output == Output.OVER_B ? b : new Operand(type, dPlace, count, misaligned);
        final Operand d2 = output == Output.WITH_SECOND_OFF_HEAP ?
            new Operand(type, Place.OFF_HEAP, count, misaligned) :
            output == Output.WITH_SECOND_ARRAY ? new Operand(type, Place.ARRAY, count, misaligned) : null;
        final Operand[] all = null == d2 ? new Operand[]{ a, b, d } : new Operand[]{ a, b, d, d2 };
        final String label = type + " " + op + (finish ? " finishing" : "") + " count " + count + " a " + aPlace +
            " b " + bPlace + " d " + (output == Output.OVER_B ? "= b" : dPlace) + " " + output +
            (misaligned ? " misaligned" : "");

        final long[][] expected = run(all, aBits, bBits, () -> Kernels.scalarReduce(type, op, finish, 3,
            a.base, a.addr, b.base, b.addr, d.base, d.addr, null == d2 ? null : d2.base, null == d2 ? 0 : d2.addr,
            count));
        final long[][] viaReduce = run(all, aBits, bBits, () -> Kernels.reduce(type, op, finish, 3,
            a.base, a.addr, b.base, b.addr, d.base, d.addr, null == d2 ? null : d2.base, null == d2 ? 0 : d2.addr,
            count));
        final long[][] staged = run(all, aBits, bBits, () -> VectorKernels.reduce(type, op, finish, 3,
            a.base, a.addr, b.base, b.addr, d.base, d.addr, null == d2 ? null : d2.base, null == d2 ? 0 : d2.addr,
            count, false, false));
        for (int i = 0; i < all.length; i++)
        {
            assertBitsEqual(type, aBits, bBits, expected[i], viaReduce[i], label + ", Kernels.reduce, operand " + i);
            assertBitsEqual(type, aBits, bBits, expected[i], staged[i], label + ", staged, operand " + i);
        }
    }

    private static long[][] run(final Operand[] all, final long[] aBits, final long[] bBits, final Runnable kernel)
    {
        for (final Operand operand : all)
        {
            operand.fill(0x5A5A5A5A5A5A5A5AL);
        }
        all[0].write(aBits);
        all[1].write(bBits);
        kernel.run();
        final long[][] result = new long[all.length][];
        for (int i = 0; i < all.length; i++)
        {
            result[i] = all[i].read();
        }
        return result;
    }

    /**
     * Bit-for-bit equality, except that where both inputs are NaN the result need only be a NaN: Java leaves that
     * NaN's payload open, and the scalar loop itself returns the first or the second input's payload depending on
     * whether the interpreter, C1 or C2 runs it (and on the operand order C2 picks for a commutative add).
     */
    private static void assertBitsEqual(
        final DataType type,
        final long[] aBits,
        final long[] bBits,
        final long[] expected,
        final long[] actual,
        final String label)
    {
        if (!Arrays.equals(expected, actual))
        {
            for (int i = 0; i < expected.length; i++)
            {
                if (expected[i] != actual[i] &&
                    !(isNaN(type, aBits[i]) && isNaN(type, bBits[i]) && isNaN(type, expected[i]) &&
                    isNaN(type, actual[i])))
                {
                    assertEquals(Long.toHexString(expected[i]), Long.toHexString(actual[i]), label + " at " + i +
                        " (inputs " + Long.toHexString(aBits[i]) + ", " + Long.toHexString(bBits[i]) + ")");
                }
            }
        }
    }

    private static boolean isNaN(final DataType type, final long bits)
    {
        return type == DataType.FLOAT32 ? Float.isNaN(Float.intBitsToFloat((int)bits)) :
            Double.isNaN(Double.longBitsToDouble(bits));
    }

    /**
     * Raw bit patterns: mostly ordinary values of mixed sign and magnitude, one in five a special (NaNs with
     * several payloads, infinities, signed zeros, subnormals, extremes), so pairs of specials meet too.
     */
    private static long[] randomBits(final DataType type, final int count, final long seed)
    {
        final boolean f32 = type == DataType.FLOAT32;
        final long[] specials = f32 ?
            new long[]{ Float.floatToRawIntBits(Float.NaN), 0x7FC00001L, 0xFFC00000L, 0x7FA00000L,
                Float.floatToRawIntBits(Float.POSITIVE_INFINITY), Float.floatToRawIntBits(Float.NEGATIVE_INFINITY),
                Float.floatToRawIntBits(0.0f), Float.floatToRawIntBits(-0.0f),
                Float.floatToRawIntBits(Float.MIN_VALUE), Float.floatToRawIntBits(-Float.MIN_NORMAL / 3), Float.floatToRawIntBits(Float.MAX_VALUE),
                Float.floatToRawIntBits(-Float.MAX_VALUE), Float.floatToRawIntBits(1f) } :
            new long[]{ Double.doubleToRawLongBits(Double.NaN), 0x7FF8000000000001L, 0xFFF8000000000000L,
                0x7FF4000000000000L, Double.doubleToRawLongBits(Double.POSITIVE_INFINITY),
                Double.doubleToRawLongBits(Double.NEGATIVE_INFINITY), Double.doubleToRawLongBits(0.0),
                Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(Double.MIN_VALUE),
                Double.doubleToRawLongBits(-Double.MIN_NORMAL / 3), Double.doubleToRawLongBits(Double.MAX_VALUE),
                Double.doubleToRawLongBits(-Double.MAX_VALUE), Double.doubleToRawLongBits(1.0) };
        final SplittableRandom random = new SplittableRandom(seed);
        final long[] bits = new long[count];
        for (int i = 0; i < count; i++)
        {
            if (random.nextInt(5) == 0)
            {
                bits[i] = specials[random.nextInt(specials.length)];
            }
            else
            {
                final double value = random.nextGaussian() * Math.pow(10, random.nextInt(-6, 7));
                bits[i] = f32 ? Float.floatToRawIntBits((float)value) & 0xFFFF_FFFFL : Double.doubleToRawLongBits(value);
            }
        }
        return bits;
    }

    /**
     * One operand's memory: a typed array (misaligned: starting at element 1), a {@code byte[]} (at byte 3 or 1)
     * or a direct buffer (at byte 0, or 4: not even element-aligned for doubles).
     */
    private static final class Operand
    {
        final DataType type;
        final int count;
        final Object base;
        final long addr;
        // the direct buffer behind an off-heap operand, held so it outlives every access through its address
        final ByteBuffer buffer;

        Operand(final DataType type, final Place place, final int count, final boolean misaligned)
        {
            this.type = type;
            this.count = count;
            final int size = type.byteSize();
            switch (place)
            {
                case ARRAY:
                {
                    final int first = misaligned ? 1 : 0;
                    base = type == DataType.FLOAT32 ? new float[count + first] : new double[count + first];
                    addr = (type == DataType.FLOAT32 ? FLOATS : DOUBLES) + (long)first * size;
                    buffer = null;
                    break;
                }

                case BYTES:
                {
                    final int first = misaligned ? 3 : 1;
                    base = new byte[count * size + first];
                    addr = BufferUtil.ARRAY_BASE_OFFSET + first;
                    buffer = null;
                    break;
                }

                default:
                {
                    buffer = BufferUtil.allocateDirectAligned(count * size + 64, 64);
                    base = null;
                    addr = BufferUtil.address(buffer) + (misaligned ? 4 : 0);
                    break;
                }
            }
        }

        void fill(final long pattern)
        {
            for (int i = 0; i < count; i++)
            {
                put(i, pattern);
            }
        }

        void write(final long[] bits)
        {
            for (int i = 0; i < count; i++)
            {
                put(i, bits[i]);
            }
        }

        long[] read()
        {
            final long[] bits = new long[count];
            for (int i = 0; i < count; i++)
            {
                bits[i] = type == DataType.FLOAT32 ?
                    UnsafeApi.getInt(base, addr + ((long)i << 2)) & 0xFFFF_FFFFL :
                    UnsafeApi.getLong(base, addr + ((long)i << 3));
            }
            return bits;
        }

        private void put(final int i, final long bits)
        {
            if (type == DataType.FLOAT32)
            {
                UnsafeApi.putInt(base, addr + ((long)i << 2), (int)bits);
            }
            else
            {
                UnsafeApi.putLong(base, addr + ((long)i << 3), bits);
            }
        }
    }
}
