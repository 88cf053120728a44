package io.ringsync.cli;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.ringsync.cli.ExitPolicy.Decision.NONE;
import static io.ringsync.cli.ExitPolicy.Decision.RESTART;
import static io.ringsync.cli.ExitPolicy.Decision.STOP;
import static io.ringsync.cli.ExitPolicy.Decision.TOLERATE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the launcher does about each exit of a rank, without processes: the decisions, the counts and the messages.
 */
class ExitPolicyTest
{
    private final List<String> log = new ArrayList<>();

    @Test
    void restartsComeFirstThenToleratedLossesThenTheJobStops()
    {
        final ExitPolicy policy = new ExitPolicy(4, 2, 1, 5_000, log::add);

        assertEquals(NONE, policy.onExit(0, 0, 3, List::of));
        assertEquals(RESTART, policy.onExit(1, 3, 3, List::of));
        assertEquals(RESTART, policy.onExit(1, 3, 3, List::of));
        assertEquals(TOLERATE, policy.onExit(1, 3, 3, List::of));
        assertFalse(policy.stopped());
        assertEquals(STOP, policy.onExit(2, 137, 1, () -> List.of(3)));
        assertTrue(policy.stopped());
        assertEquals(2, policy.firstFailed());
        assertEquals(NONE, policy.onExit(3, 1, 0, List::of));

        assertEquals(2, policy.restarts());
        assertEquals(List.of(1), policy.lost());
        assertEquals(List.of(
            "ringsync: rank 1 exited with code 3; the others go on, and it is restarted to rejoin them " +
                "(restart 1 of at most 2)",
            "ringsync: rank 1 exited with code 3; the others go on, and it is restarted to rejoin them " +
                "(restart 2 of at most 2)",
            "ringsync: rank 1 exited with code 3; tolerated (1 of at most 1 ranks lost): the others go on",
            "ringsync: rank 2 exited with code 137; stopping rank 3 (5000 ms to exit on its own, then terminated)"),
            log);
    }

    @Test
    void theLastRankRunningIsNotRestarted()
    {
        final ExitPolicy policy = new ExitPolicy(3, 5, 0, 100, log::add);

        assertEquals(NONE, policy.onExit(0, 0, 2, List::of));
        assertEquals(NONE, policy.onExit(1, 0, 1, List::of));
        assertEquals(STOP, policy.onExit(2, 1, 0, List::of));
        assertEquals(0, policy.restarts());
        assertEquals(List.of("ringsync: rank 2 exited with code 1"), log);
    }

    @Test
    void toleranceNeverLosesEveryRank()
    {
        final ExitPolicy policy = new ExitPolicy(2, 0, 5, 100, log::add);

        assertEquals(TOLERATE, policy.onExit(0, 1, 1, List::of));
        assertEquals(STOP, policy.onExit(1, 1, 0, List::of));
        assertEquals(List.of(0), policy.lost());
        assertEquals(List.of(
            "ringsync: rank 0 exited with code 1; tolerated (1 of at most 5 ranks lost): the others go on",
            "ringsync: rank 1 exited with code 1"), log);
    }

    @Test
    void aRestartThatCouldNotStartTheRankStillCounts()
    {
        final ExitPolicy policy = new ExitPolicy(3, 1, 0, 100, log::add);

        assertEquals(RESTART, policy.onExit(2, 9, 2, List::of));
        assertEquals(STOP, policy.notRestarted(2, 9, () -> List.of(0, 1)));
        assertEquals(1, policy.restarts());
        assertEquals("ringsync: rank 2 exited with code 9; stopping ranks 0, 1 (100 ms to exit on their own, then " +
            "terminated)", log.get(1));
    }

    @Test
    void aJobThatWentOnWithoutRanksNamesThem()
    {
        final ExitPolicy policy = new ExitPolicy(4, 0, 2, 100, log::add);
        policy.onSucceeded(0x1234);
        assertTrue(log.isEmpty());

        assertEquals(TOLERATE, policy.onExit(3, 1, 3, List::of));
        assertEquals(TOLERATE, policy.onExit(0, 1, 2, List::of));
        policy.onSucceeded(0x1234);
        assertEquals("ringsync: job 0x0000000000001234 finished without ranks 3, 0 (tolerated); the 2 other ranks " +
            "exited with 0", log.get(2));
    }
}
