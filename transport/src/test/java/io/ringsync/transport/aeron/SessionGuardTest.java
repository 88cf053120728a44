package io.ringsync.transport.aeron;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class SessionGuardTest
{
    @Test
    void letsThroughTheAgreedSessionOfEachAdmittedStreamAndCountsOtherSessionsOnIt()
    {
        final SessionGuard guard = new SessionGuard();
        assertFalse(guard.check(4097, 5), "nothing admitted yet: dropped");
        assertEquals(0, guard.foreignFrameCount(), "a stream the rank does not use is not counted");

        guard.admit(4097, 5);
        guard.admit(4098, -1);
        assertTrue(guard.check(4097, 5));
        assertTrue(guard.check(4098, -1), "any int is a session id, Aeron's NULL_VALUE included");

        assertFalse(guard.check(4097, 6));
        assertFalse(guard.check(4098, 5));
        assertFalse(guard.check(4099, 5));
        assertEquals(2, guard.foreignFrameCount(), "other sessions on the job's streams");
    }

    @Test
    void aRevokedLinkIsDroppedUncountedAndARevokeOfAnotherSessionChangesNothing()
    {
        final SessionGuard guard = new SessionGuard();
        guard.admit(4097, 5);
        guard.admit(4098, 6);
        guard.revoke(4098, 7);
        assertTrue(guard.check(4098, 6), "revoking a session the stream was not admitted with changes nothing");
        guard.revoke(4098, 6);
        assertEquals(1, guard.admittedCount());
        assertFalse(guard.check(4098, 6));
        assertEquals(0, guard.foreignFrameCount(), "a stream no longer the job's is not counted");
        assertTrue(guard.check(4097, 5));
    }
}
