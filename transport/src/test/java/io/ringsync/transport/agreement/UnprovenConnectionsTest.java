package io.ringsync.transport.agreement;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class UnprovenConnectionsTest
{
    @Test
    void limitsEachAddressAndTheTotalAndFreesOnRelease() throws Exception
    {
        final InetAddress a = InetAddress.getByName("10.0.0.1");
        final InetAddress b = InetAddress.getByName("10.0.0.2");
        final InetAddress c = InetAddress.getByName("10.0.0.3");
        final UnprovenConnections unproven = new UnprovenConnections(2, 3);
        assertNull(unproven.admit(a));
        assertNull(unproven.admit(a));
        assertEquals("2 connections from 10.0.0.1 have not proven the job secret yet", unproven.admit(a));
        assertNull(unproven.admit(b));
        assertEquals("3 connections have not proven the job secret yet", unproven.admit(c));
        assertEquals(3, unproven.total());

        unproven.release(a);
        assertNull(unproven.admit(c));
        unproven.release(a);
        unproven.release(b);
        unproven.release(c);
        assertEquals(0, unproven.total());
        assertThrows(IllegalStateException.class, () -> unproven.release(b));
        assertThrows(IllegalArgumentException.class, () -> new UnprovenConnections(3, 2));
    }
}
