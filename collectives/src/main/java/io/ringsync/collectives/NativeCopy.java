package io.ringsync.collectives;

import org.agrona.UnsafeApi;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Copies of 16 KiB and more through the C library's {@code memmove} (JNI, {@code src/main/c/ringsync_copy.c}),
 * where the JIT's copy stubs run vector loops. The two differ most where a copy pulls lines the other core has just
 * written, which is what staging a vector into a shared window, fetching a peer's final segment or filling and
 * draining a message does: np 2 over shm in the host's slow state, the same jar with and without this class, 64 KiB
 * to 16 MiB calls took 0.68-0.92x the time ({@code perf-results/2026-12-07-floor}, AMD EPYC family 26, JDK 17).
 * <p>
 * The library is built by the collectives module's {@code native-copy} Maven profile (Linux with gcc) into this
 * package as {@code libringsync-copy-linux-<os.arch>.so}; at class initialisation it is copied into a fresh private
 * directory (mode 700), loaded, and deleted again (the mapping stays), and a copy through it must return what was
 * written. {@link #AVAILABLE} is false, and {@link Kernels#copy} keeps {@code Unsafe.copyMemory}, when the library is
 * missing for this platform, fails to load or to copy, or on JDK 22+ native access is not enabled for this code ({@code --enable-native-access=ALL-UNNAMED}, which the launcher
 * and the Maven test runs pass), so the JVM never prints a restricted-method warning for it.
 * <p>
 * A heap operand (an array) is held in a JNI critical region for one native call; calls are cut at
 * {@link #MAX_CRITICAL_BYTES} so the collector never waits for more than that much copying.
 */
final class NativeCopy
{
    /**
     * Shortest copy worth a native call: below it the JNI transition and the critical regions are a visible share
     * of the copy, and the small-vector path's 4 KiB pieces stay with the copy stub.
     */
    static final long MIN_BYTES = 16 * 1024;

    /**
     * Longest stretch one native call copies while it holds an array in a critical region.
     */
    static final long MAX_CRITICAL_BYTES = 1024 * 1024;

    /**
     * The library's file name in this package: one per operating system and architecture.
     */
    static final String LIBRARY = "libringsync-copy-linux-" + System.getProperty("os.arch") + ".so";

    private static final long FLOAT_BASE = UnsafeApi.arrayBaseOffset(float[].class);
    private static final long DOUBLE_BASE = UnsafeApi.arrayBaseOffset(double[].class);
    private static final long BYTE_BASE = UnsafeApi.arrayBaseOffset(byte[].class);

    static final boolean AVAILABLE = load();

    private NativeCopy()
    {
    }

    /**
     * {@code memmove} of {@code bytes} from {@code srcBase/srcAddr} to {@code dstBase/dstAddr}, addressed as by
     * {@code Unsafe} (a null base and an absolute address, or a primitive array and an offset from its start).
     * Only when {@link #AVAILABLE}.
     */
    static void copy(
        final Object srcBase, final long srcAddr, final Object dstBase, final long dstAddr, final long bytes)
    {
        final long srcOffset = null == srcBase ? srcAddr : srcAddr - baseOffset(srcBase);
        final long dstOffset = null == dstBase ? dstAddr : dstAddr - baseOffset(dstBase);
        if (null == srcBase && null == dstBase)
        {
            copy0(null, srcOffset, null, dstOffset, bytes);
        }
        else if (srcBase == dstBase && dstOffset > srcOffset)
        {
            // one array, the destination above the source: cut from the end, so no piece overwrites source bytes
            // a later piece still reads
            for (long left = bytes; left > 0; left -= MAX_CRITICAL_BYTES)
            {
                final long piece = Math.min(MAX_CRITICAL_BYTES, left);
                copy0(srcBase, srcOffset + left - piece, dstBase, dstOffset + left - piece, piece);
            }
        }
        else
        {
            for (long done = 0; done < bytes; done += MAX_CRITICAL_BYTES)
            {
                copy0(srcBase, srcOffset + done, dstBase, dstOffset + done, Math.min(MAX_CRITICAL_BYTES, bytes - done));
            }
        }
    }

    /**
     * Whether {@link #copy} takes these bases: off heap (null) or primitive arrays, which JNI can pin; any other
     * object base stays with {@code Unsafe}.
     */
    static boolean takes(final Object srcBase, final Object dstBase)
    {
        return (null == srcBase || primitiveArray(srcBase)) && (null == dstBase || primitiveArray(dstBase));
    }

    /**
     * {@code Unsafe.arrayBaseOffset} of the array's class, the vector types' without a call into the VM.
     */
    private static long baseOffset(final Object array)
    {
        return array instanceof float[] ? FLOAT_BASE : array instanceof double[] ? DOUBLE_BASE :
            array instanceof byte[] ? BYTE_BASE : UnsafeApi.arrayBaseOffset(array.getClass());
    }

    private static boolean primitiveArray(final Object base)
    {
        final Class<?> component = base.getClass().getComponentType();
        return null != component && component.isPrimitive();
    }

    private static native void copy0(Object srcArray, long src, Object dstArray, long dst, long bytes);

    private static native int version0();

    private static boolean load()
    {
        if (!System.getProperty("os.name", "").startsWith("Linux") || !nativeAccessAllowed())
        {
            return false;
        }
        try (InputStream library = NativeCopy.class.getResourceAsStream(LIBRARY))
        {
            if (null == library)
            {
                return false;
            }
            final Path directory = Files.createTempDirectory("ringsync-native-");
            final Path file = directory.resolve(LIBRARY);
            try
            {
                Files.copy(library, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toString());
            }
            finally
            {
                Files.deleteIfExists(file);
                Files.deleteIfExists(directory);
            }
            return 1 == version0() && copiesBack();
        }
        catch (final IOException | LinkageError | SecurityException ex)
        {
            return false;
        }
    }

    /**
     * JDK 22+ warns about {@code System.load} from a module without native access: load only where it is enabled
     * ({@code Module.isNativeAccessEnabled}, absent before JDK 22, where loading needs no permission).
     */
    private static boolean nativeAccessAllowed()
    {
        try
        {
            return (boolean)MethodHandles.lookup()
                .findVirtual(Module.class, "isNativeAccessEnabled", MethodType.methodType(boolean.class))
                .invokeExact(NativeCopy.class.getModule());
        }
        catch (final NoSuchMethodException ex)
        {
            return true;
        }
        catch (final Throwable ex)
        {
            return false;
        }
    }

    /**
     * Array to off heap to array, unaligned: the bytes come back as written.
     */
    private static boolean copiesBack()
    {
        final byte[] from = new byte[1027];
        for (int i = 0; i < from.length; i++)
        {
            from[i] = (byte)(i * 31 + 7);
        }
        final byte[] to = new byte[from.length + 3];
        final long memory = UnsafeApi.allocateMemory(from.length);
        try
        {
            copy0(from, 0, null, memory, from.length);
            copy0(null, memory, to, 3, from.length);
            for (int i = 0; i < from.length; i++)
            {
                if (to[i + 3] != from[i] || UnsafeApi.getByte(null, memory + i) != from[i])
                {
                    return false;
                }
            }
            return 0 == to[0] && 0 == to[1] && 0 == to[2];
        }
        finally
        {
            UnsafeApi.freeMemory(memory);
        }
    }
}
