package io.ringsync.collectives;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every knob in one place: the one size grammar, the getters that read the environment, and one
 * {@link Context#conclude()} that checks every setting, transport knobs included, naming the variable.
 */
class ConfigurationTest
{
    @Test
    void sizesShareOneGrammar()
    {
        assertEquals(4096, Configuration.parseSize("X", "4096"));
        assertEquals(4096, Configuration.parseSize("X", "4k"));
        assertEquals(4096, Configuration.parseSize("X", "4K"));
        assertEquals(4096, Configuration.parseSize("X", "4KiB"));
        assertEquals(4096, Configuration.parseSize("X", " 4 kib "));
        assertEquals(1 << 20, Configuration.parseSize("X", "1m"));
        assertEquals(1 << 20, Configuration.parseSize("X", "1MiB"));
        assertEquals(1L << 30, Configuration.parseSize("X", "1g"));
        assertEquals(3L << 30, Configuration.parseSize("X", "3GiB"));
        assertEquals(512, Configuration.parseSize("X", "512B"));
        assertEquals(512, Configuration.parseSize("X", "512b"));
        assertEquals(0, Configuration.parseSize("X", "0"));
        assertNull(Configuration.sizeProblem("64KiB"));
    }

    @Test
    void decimalUnitsAreRefusedAsAmbiguousAndJunkWithTheAcceptedForms()
    {
        for (final String ambiguous : new String[]{ "1MB", "1mb", "4KB", "2GB" })
        {
            final ConfigurationException ex = assertThrows(ConfigurationException.class,
                () -> Configuration.parseSize("RINGSYNC_CHUNK_BYTES", ambiguous));
            assertTrue(ex.getMessage().startsWith("RINGSYNC_CHUNK_BYTES=" + ambiguous + " is ambiguous"),
                ex.getMessage());
            assertTrue(ex.getMessage().contains("KiB") && ex.getMessage().contains("1m"), ex.getMessage());
        }
        for (final String junk : new String[]{ "", "lots", "-4", "1.5MiB", "4 x", "KiB", "4kk", "4i" })
        {
            final ConfigurationException ex = assertThrows(ConfigurationException.class,
                () -> Configuration.parseSize("RINGSYNC_CHUNK_BYTES", junk), junk);
            assertTrue(ex.getMessage().contains("is not a size: write"), ex.getMessage());
        }
        assertTrue(assertThrows(ConfigurationException.class,
            () -> Configuration.parseSize("X", "99999999999999999999")).getMessage().contains("too large"));
        assertTrue(assertThrows(ConfigurationException.class,
            () -> Configuration.parseSize("X", "9000000000g")).getMessage().contains("too large"));
    }

    @Test
    void gettersReadTheEnvironmentAndSystemPropertiesOverrideIt()
    {
        final Map<String, String> env = new HashMap<>();
        assertEquals(Configuration.CHUNK_BYTES_DEFAULT, Configuration.chunkBytes(env));
        assertEquals(Configuration.TIMEOUT_MS_DEFAULT, Configuration.timeoutMs(env));
        assertEquals(Configuration.SHM_DIRECT_MIN_BYTES_DEFAULT, Configuration.shmDirectMinBytes(env));
        env.put(Configuration.CHUNK_BYTES_ENV, "16k");
        env.put(Configuration.SHM_DIRECT_MIN_BYTES_ENV, "-1");
        env.put(Configuration.JOB_ID_ENV, "0x2a");
        env.put(Configuration.TERM_LENGTH_ENV, "4MiB");
        assertEquals(16 * 1024, Configuration.chunkBytes(env));
        assertEquals(-1, Configuration.shmDirectMinBytes(env));
        assertEquals(42, Configuration.jobId(env));
        assertEquals(4 << 20, Configuration.termLength(env));
        final String property = Configuration.propertyName(Configuration.CHUNK_BYTES_ENV);
        assertEquals("ringsync.chunk.bytes", property);
        System.setProperty(property, "8KiB");
        try
        {
            assertEquals(8 * 1024, Configuration.chunkBytes(env));
        }
        finally
        {
            System.clearProperty(property);
        }
    }

    @Test
    void badValuesNameTheirVariable()
    {
        assertRefused(Configuration.TIMEOUT_MS_ENV, "-5", "RINGSYNC_TIMEOUT_MS=-5 must be from 1 to ");
        assertRefused(Configuration.TIMEOUT_MS_ENV, "soon", "RINGSYNC_TIMEOUT_MS=soon is not a whole number");
        assertRefused(Configuration.CHUNK_BYTES_ENV, "2GiB", "RINGSYNC_CHUNK_BYTES=2GiB is too large");
        assertRefused(Configuration.CHUNK_BYTES_ENV, "32", "RINGSYNC_CHUNK_BYTES=32 must be from 64 to");
        assertRefused(Configuration.CHUNK_BYTES_ENV, "1MB", "RINGSYNC_CHUNK_BYTES=1MB is ambiguous");
        assertRefused(Configuration.SHM_SLOT_COUNT_ENV, "0", "RINGSYNC_SHM_SLOT_COUNT=0 must be at least 2");
        assertRefused(Configuration.SHM_SLOT_COUNT_ENV, "1", "RINGSYNC_SHM_SLOT_COUNT=1 must be at least 2");
        assertRefused(Configuration.SHM_SLOT_LENGTH_ENV, "100", "RINGSYNC_SHM_SLOT_LENGTH=100 must be a multiple");
        assertRefused(Configuration.SHM_WINDOW_BYTES_ENV, "1k", "RINGSYNC_SHM_WINDOW_BYTES=1024 must be a multiple");
        assertRefused(Configuration.SMALL_MAX_BYTES_ENV, "2m", "RINGSYNC_SMALL_MAX_BYTES=2097152 must be from 0");
        assertRefused(Configuration.RING_RESERVE_ENV, "1.5", "RINGSYNC_RING_RESERVE=1.5 must be at least 0");
        assertRefused(Configuration.RING_RESERVE_ENV, "half", "RINGSYNC_RING_RESERVE=half is not a number");
        assertRefused(Configuration.IDLE_ENV, "nap", "RINGSYNC_IDLE=nap is not one of backoff, yield, spin");
        assertRefused(Configuration.TRANSPORT_ENV, "carrier-pigeon", "RINGSYNC_TRANSPORT=carrier-pigeon is not a");
        assertRefused(Configuration.UDP_MTU_ENV, "1500", "RINGSYNC_UDP_MTU=1500 must be a multiple of 32");
        assertRefused(Configuration.TERM_LENGTH_ENV, "3m", "RINGSYNC_TERM_LENGTH=3145728 must be a power of two");
        assertRefused(Configuration.SHM_DIRECT_MIN_BYTES_ENV, "-2", "RINGSYNC_SHM_DIRECT_MIN_BYTES=-2 is not a size");
    }

    @Test
    void theUdpEndpointsMustNameEveryRank()
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.WORLD_SIZE_ENV, "3");
        env.put(Configuration.UDP_ENDPOINTS_ENV, "a:1,b:2");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Context.fromEnvironment(env).conclude());
        assertTrue(ex.getMessage().startsWith("RINGSYNC_UDP_ENDPOINTS=2 endpoints must have one host:port per rank"),
            ex.getMessage());
    }

    @Test
    void concludeFillsTheShmSlotFromTheChunkAndKeepsTheDefaults()
    {
        final Context ctx = new Context().chunkBytes(8192).conclude();
        assertEquals(8192 + Configuration.SHM_SLOT_OVERHEAD, ctx.shmSlotLength());
        assertEquals(Configuration.SHM_SLOT_COUNT_DEFAULT, ctx.shmSlotCount());
        assertEquals(32, ctx.shmSlotCountFor(4));
        assertEquals(ctx, ctx.conclude(), "concluding twice is harmless");
    }

    private static void assertRefused(final String variable, final String value, final String expected)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(variable, value);
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Context.fromEnvironment(env).conclude(), variable + "=" + value);
        assertTrue(ex.getMessage().startsWith(expected), ex.getMessage());
    }
}
