package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finding 6 of issue 14: every bad value of a variable is a {@link ConfigurationException} whose message names the
 * variable and what it accepts, never a builder method alone, an overflow or a silent acceptance of a meaningless
 * zero.
 */
@Timeout(30)
class SettingsValidationTest
{
    private static Map<String, String> env(final String variable, final String value)
    {
        final Map<String, String> env = new HashMap<>();
        env.put(Configuration.RANK_ENV, "0");
        env.put(Configuration.WORLD_SIZE_ENV, "2");
        env.put(Configuration.TRANSPORT_ENV, "shm");
        env.put(Configuration.JOB_ID_ENV, "0x5e77");
        env.put(variable, value);
        return env;
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "RINGSYNC_TIMEOUT_MS|-5|must be from 1 to",
        "RINGSYNC_TIMEOUT_MS|0|must be from 1 to",
        "RINGSYNC_TIMEOUT_MS|9223372036854775807|must be from 1 to",
        "RINGSYNC_RENDEZVOUS_TIMEOUT_MS|-1|must be from 1 to",
        "RINGSYNC_RENDEZVOUS_TIMEOUT_MS|9223372036854775807|must be from 1 to",
        "RINGSYNC_CHUNK_BYTES|2GiB|too large",
        "RINGSYNC_CHUNK_BYTES|1GiB|must be from 64 to",
        "RINGSYNC_CHUNK_BYTES|0|must be from 64 to",
        "RINGSYNC_SHM_SLOT_COUNT|0|must be at least 2",
        "RINGSYNC_SHM_SLOT_COUNT|-3|must be at least 2",
        "RINGSYNC_SHM_WINDOW_BYTES|0|must be a multiple of 64 from",
        "RINGSYNC_TERM_LENGTH|0|must be a power of two from",
        "RINGSYNC_UDP_MTU|0|must be a multiple of 32 from",
        "RINGSYNC_RING_RESERVE|1|below 1",
        "RINGSYNC_SMALL_MAX_BYTES|-1|is not a size",
        "RINGSYNC_JOB_ID|0|must not be 0",
        "RINGSYNC_JOB_ID|0x0|must not be 0",
        "RINGSYNC_JOB_ID|lots|is not a whole number",
        "RINGSYNC_WIRE|fp8|is not one of",
        "RINGSYNC_AGREEMENT|node1|is not host:port",
        "RINGSYNC_AGREEMENT|node1:0|is not host:port",
        "RINGSYNC_AGREEMENT|node1:7000|needs RINGSYNC_JOB_SECRET",
    })
    void aBadValueIsRefusedNamingTheVariableAndWhatItAccepts(
        final String variable, final String value, final String rule)
    {
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Context.fromEnvironment(env(variable, value)).conclude());
        assertTrue(ex.getMessage().startsWith(variable + "="), ex.getMessage());
        assertTrue(ex.getMessage().contains(rule), ex.getMessage());
        assertFalse(ex.getMessage().contains("set ") && ex.getMessage().contains("(long)"), ex.getMessage());
    }

    @Test
    void aJobDirectoryThatDoesNotExistIsSaidToBeMissingNotFull()
    {
        final File missing = new File("/nonexistent-ringsync-" + ProcessHandle.current().pid(), "job");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Communicator.fromEnvironment(env(Configuration.JOB_DIR_ENV, missing.getPath())).close());
        assertTrue(ex.getMessage().contains(Configuration.JOB_DIR_ENV + "=" + missing), ex.getMessage());
        assertTrue(ex.getMessage().contains("does not exist"), ex.getMessage());
        assertFalse(ex.getMessage().contains("MiB free") || ex.getMessage().contains("--shm-size"), ex.getMessage());
        assertFalse(missing.getParentFile().exists(), "nothing may be created for a missing directory");
    }
}
