package io.ringsync.collectives;

import org.agrona.UnsafeApi;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeCopyTest
{
    private static final long BYTES_BASE = UnsafeApi.arrayBaseOffset(byte[].class);
    private static final long FLOATS_BASE = UnsafeApi.arrayBaseOffset(float[].class);

    /**
     * Where the build could make the library (Linux with gcc, the profile's condition), it is in the package and
     * loads under the test flags: a build that silently stopped making it fails here.
     */
    @Test
    void libraryIsBuiltAndLoadedOnLinuxWithGcc()
    {
        final boolean buildable =
            System.getProperty("os.name", "").startsWith("Linux") && Files.exists(Path.of("/usr/bin/gcc"));
        final boolean present = null != NativeCopy.class.getResource(NativeCopy.LIBRARY);
        if (buildable)
        {
            assertTrue(present, NativeCopy.LIBRARY + " missing: the native-copy profile did not run");
        }
        assertEquals(present, Kernels.NATIVE_COPY, "library present: " + present);
    }

    /**
     * Only off-heap memory and primitive arrays go to JNI, which pins arrays of primitives only.
     */
    @Test
    void onlyPrimitiveArraysAreTaken()
    {
        assertTrue(NativeCopy.takes(new float[1], null));
        assertTrue(NativeCopy.takes(null, new byte[1]));
        assertTrue(NativeCopy.takes(null, null));
        assertFalse(NativeCopy.takes(new Object[1], null));
        assertFalse(NativeCopy.takes(null, new float[1][1]));
        assertFalse(NativeCopy.takes(null, "not an array"));
    }

    /**
     * Every pairing of array and off-heap memory, at unaligned offsets, below and above the native floor and
     * across the critical-region cut: Kernels.copy leaves exactly the bytes Unsafe.copyMemory leaves, and nothing
     * outside the destination range changes.
     */
    @Test
    void copiesMatchUnsafeForEveryLayout()
    {
        final long critical = NativeCopy.MAX_CRITICAL_BYTES;
        final long[] lengths = { 1, NativeCopy.MIN_BYTES - 1, NativeCopy.MIN_BYTES, 65_537, critical, critical + 13,
            2 * critical + 4099 };
        final Random random = new Random(42);
        for (final long length : lengths)
        {
            final int n = (int)length;
            final byte[] source = new byte[n + 7];
            random.nextBytes(source);
            for (final boolean srcOnHeap : new boolean[]{ true, false })
            {
                for (final boolean dstOnHeap : new boolean[]{ true, false })
                {
                    final byte[] expected = new byte[n + 11];
                    random.nextBytes(expected);
                    final byte[] before = expected.clone();
                    final Memory src = new Memory(srcOnHeap, source.length);
                    final Memory dst = new Memory(dstOnHeap, expected.length);
                    try
                    {
                        src.write(source);
                        dst.write(before);
                        Kernels.copy(src.base, src.address + 5, dst.base, dst.address + 3, length);
                        System.arraycopy(source, 5, expected, 3, n);
                        assertArrayEquals(expected, dst.read(), "length " + length + ", source on heap " +
                            srcOnHeap + ", destination on heap " + dstOnHeap);
                    }
                    finally
                    {
                        src.free();
                        dst.free();
                    }
                }
            }
        }
    }

    /**
     * Arrays of other element types, each addressed from its own base offset: a double[] into a long[] keeps the
     * bits.
     */
    @Test
    void otherPrimitiveArraysKeepTheirBits()
    {
        final int n = 5000;
        final double[] from = new double[n];
        for (int i = 0; i < n; i++)
        {
            from[i] = i * 1.5 - 7;
        }
        final long[] to = new long[n + 2];
        Kernels.copy(from, UnsafeApi.arrayBaseOffset(double[].class) + 8, to,
            UnsafeApi.arrayBaseOffset(long[].class) + 16, (long)(n - 1) << 3);
        for (int i = 0; i < n - 1; i++)
        {
            assertEquals(Double.doubleToRawLongBits(from[i + 1]), to[i + 2], "element " + i);
        }
        assertEquals(0, to[0]);
        assertEquals(0, to[1]);
    }

    /**
     * Overlapping ranges in one array, forwards and backwards, longer than one critical region: memmove semantics,
     * as Unsafe.copyMemory has.
     */
    @Test
    void overlappingCopiesKeepTheSourceBytes()
    {
        final int n = 1 << 19;
        final float[] original = new float[n];
        for (int i = 0; i < n; i++)
        {
            original[i] = i;
        }
        final long bytes = (long)(n - 1000) << 2;
        for (final int shift : new int[]{ 1000, -1000 })
        {
            final float[] vector = original.clone();
            final int from = shift > 0 ? 0 : 1000;
            Kernels.copy(vector, FLOATS_BASE + ((long)from << 2), vector, FLOATS_BASE + ((long)(from + shift) << 2),
                bytes);
            final float[] expected = original.clone();
            System.arraycopy(original, from, expected, from + shift, n - 1000);
            assertArrayEquals(expected, vector, "shift " + shift);
        }
    }

    /**
     * A byte range on the heap (a byte[]) or off heap, addressed as Unsafe addresses it.
     */
    private static final class Memory
    {
        final byte[] base;
        final long address;
        final int length;

        Memory(final boolean onHeap, final int length)
        {
            this.length = length;
            this.base = onHeap ? new byte[length] : null;
            this.address = onHeap ? BYTES_BASE : UnsafeApi.allocateMemory(length);
        }

        void write(final byte[] bytes)
        {
            UnsafeApi.copyMemory(bytes, BYTES_BASE, base, address, length);
        }

        byte[] read()
        {
            final byte[] bytes = new byte[length];
            UnsafeApi.copyMemory(base, address, bytes, BYTES_BASE, length);
            return bytes;
        }

        void free()
        {
            if (null == base)
            {
                UnsafeApi.freeMemory(address);
            }
        }
    }
}
