package io.ringsync.collectives;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which idle strategy a waiting rank gets ({@link Context#idleStrategy}): backoff spins first only where the rank has
 * a core of its own to spin on and its waits are short (every peer on its host, no more ranks than cores).
 */
class IdleStrategyChoiceTest
{
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void backoffSpinsFirstOnOneHostWithACorePerRank()
    {
        assertEquals(100, maxSpins(new Context().idle("backoff").idleStrategy(1, false).toString()));
        assertEquals(100, maxSpins(new Context().idleStrategy(CORES, false).toString()));
    }

    @Test
    void backoffYieldsAtOnceWhenRanksOutnumberTheCores()
    {
        assertEquals(0, maxSpins(new Context().idle("backoff").idleStrategy(CORES + 1, false).toString()));
    }

    @Test
    void backoffYieldsAtOnceWhenTheCommunicatorSpansHosts()
    {
        assertEquals(0, maxSpins(new Context().idle("backoff").idleStrategy(1, true).toString()));
    }

    @Test
    void namedStrategiesAreTakenAsTheyAre()
    {
        assertTrue(new Context().idle("spin").idleStrategy(1, true).toString().contains("BusySpin"));
        assertTrue(new Context().idle("yield").idleStrategy(CORES + 1, false).toString().contains("Yield"));
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> new Context().idle("nap").idleStrategy(1, false));
        assertTrue(ex.getMessage().contains("RINGSYNC_IDLE=nap"), ex.getMessage());
    }

    private static long maxSpins(final String strategy)
    {
        assertTrue(strategy.startsWith("BackoffIdleStrategy{"), strategy);
        final int at = strategy.indexOf("maxSpins=") + "maxSpins=".length();
        return Long.parseLong(strategy.substring(at, strategy.indexOf(',', at)));
    }
}
