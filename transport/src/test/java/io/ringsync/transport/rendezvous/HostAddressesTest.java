package io.ringsync.transport.rendezvous;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Choosing the address and port a rank listens on, and the UDP mtu of its interface.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostAddressesTest
{
    private static final long SOON_NS = TimeUnit.SECONDS.toNanos(2);

    @Test
    void anInterfaceNameACidrBlockOrTheRouteToTheRendezvousChoosesTheAddress() throws Exception
    {
        final HostAddresses.Choice byName = HostAddresses.choose("lo", "RINGSYNC_INTERFACE", null, deadline());
        assertEquals("127.0.0.1", byName.address().getHostAddress());
        assertEquals("lo", byName.interfaceName());
        assertEquals("RINGSYNC_INTERFACE=lo", byName.reason());

        final HostAddresses.Choice byBlock = HostAddresses.choose("127.0.0.0/8", "RINGSYNC_INTERFACE", "ignored",
            deadline());
        assertTrue(byBlock.address().isLoopbackAddress(), byBlock::toString);

        final HostAddresses.Choice byRoute = HostAddresses.choose(null, "RINGSYNC_INTERFACE", "127.0.0.1", deadline());
        assertEquals("127.0.0.1", byRoute.address().getHostAddress());
        assertEquals("the route to 127.0.0.1", byRoute.reason());
        assertEquals("127.0.0.1:4242", byRoute.endpoint(4242));
        assertEquals("[0:0:0:0:0:0:0:1]:7", HostAddresses.endpoint(InetAddress.getByName("::1"), 7));
    }

    @Test
    void aSpecThatMatchesNothingListsThisHostsInterfaces()
    {
        final IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
            () -> HostAddresses.choose("eth-none", "RINGSYNC_INTERFACE", null, deadline()));
        assertTrue(name.getMessage().startsWith("RINGSYNC_INTERFACE=eth-none is neither an interface of this host " +
            "nor a CIDR block") && name.getMessage().contains("lo 127.0.0.1/8"), name.getMessage());

        final IllegalArgumentException block = assertThrows(IllegalArgumentException.class,
            () -> HostAddresses.choose("203.0.113.0/24", "RINGSYNC_INTERFACE", null, deadline()));
        assertTrue(block.getMessage().startsWith("RINGSYNC_INTERFACE=203.0.113.0/24 matches no address of this host"),
            block.getMessage());

        final IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
            () -> HostAddresses.choose("10.0.0.0/40", "RINGSYNC_INTERFACE", null, deadline()));
        assertTrue(bad.getMessage().contains("prefix length must be from 0 to 32"), bad.getMessage());

        final IllegalArgumentException unresolved = assertThrows(IllegalArgumentException.class,
            () -> HostAddresses.choose(null, "RINGSYNC_INTERFACE", "rank0.not-yet.invalid",
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300)));
        assertTrue(unresolved.getMessage().contains("rank0.not-yet.invalid did not resolve"),
            unresolved.getMessage());
    }

    @Test
    void cidrBlocksMatchByPrefix() throws Exception
    {
        assertTrue(HostAddresses.inBlock(InetAddress.getByName("10.1.2.3"), "10.0.0.0/8"));
        assertFalse(HostAddresses.inBlock(InetAddress.getByName("11.1.2.3"), "10.0.0.0/8"));
        assertTrue(HostAddresses.inBlock(InetAddress.getByName("192.168.7.200"), "192.168.7.128/25"));
        assertFalse(HostAddresses.inBlock(InetAddress.getByName("192.168.7.100"), "192.168.7.128/25"));
        assertTrue(HostAddresses.inBlock(InetAddress.getByName("1.2.3.4"), "0.0.0.0/0"));
        assertFalse(HostAddresses.inBlock(InetAddress.getByName("::1"), "0.0.0.0/0"));
        assertTrue(HostAddresses.inBlock(InetAddress.getByName("fd00::5"), "fd00::/8"));
    }

    @Test
    void theUdpMtuIsTheInterfaceMtuLessHeadersInWholeMultiplesOf32()
    {
        assertEquals(1472, HostAddresses.udpMtu(1500, false));
        assertEquals(1440, HostAddresses.udpMtu(1500, true));
        assertEquals(8960, HostAddresses.udpMtu(9000, false));
        assertEquals(65504, HostAddresses.udpMtu(65536, false));
        assertEquals(-1, HostAddresses.udpMtu(-1, false));
        assertEquals(-1, HostAddresses.udpMtu(68, false));
        assertEquals(65504, HostAddresses.udpMtu(HostAddresses.choose("lo", "RINGSYNC_INTERFACE", null, deadline())));
    }

    @Test
    void theFirstFreePortOfARangeIsTaken() throws Exception
    {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket taken = new ServerSocket(0, 1, loopback))
        {
            final int first = taken.getLocalPort();
            final PortRange range = PortRange.of(first, Math.min(65535, first + 20));
            try (ServerSocket next = HostAddresses.bindFirstFree(loopback, range,
                address -> new ServerSocket(address.getPort(), 1, address.getAddress()), "a test listener"))
            {
                assertTrue(next.getLocalPort() > first && next.getLocalPort() <= range.to(), "" + next.getLocalPort());
            }
            final IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> HostAddresses.bindFirstFree(loopback, PortRange.of(first, first),
                    address -> new ServerSocket(address.getPort(), 1, address.getAddress()), "a test listener"));
            assertTrue(none.getMessage().contains("cannot bind a test listener on 127.0.0.1, ports " + first +
                " (1 tried)"), none.getMessage());
        }
        try (DatagramSocket taken = new DatagramSocket(0, loopback))
        {
            final int port = HostAddresses.freeUdpPort(loopback, PortRange.of(taken.getLocalPort(),
                Math.min(65535, taken.getLocalPort() + 20)));
            assertTrue(port > taken.getLocalPort(), "" + port);
        }
        assertTrue(HostAddresses.freeUdpPort(loopback, PortRange.EPHEMERAL) > 0);
    }

    @Test
    void portRangesParse()
    {
        assertEquals("40000-40100", PortRange.parse("40000-40100").toString());
        assertEquals(101, PortRange.parse(" 40000 - 40100 ").size());
        assertEquals(29500, PortRange.parse("29500").from());
        assertTrue(PortRange.parse("0").isEphemeral());
        for (final String bad : new String[]{ "x", "40100-40000", "0-5", "1-70000", "-", "40000-" })
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> PortRange.parse(bad), bad);
            assertTrue(ex.getMessage().contains("is not a port range"), ex.getMessage());
        }
    }

    @Test
    void loopbackEndpointsAreRecognised()
    {
        assertTrue(HostAddresses.isLoopbackEndpoint("127.0.1.1:4000"));
        assertTrue(HostAddresses.isLoopbackEndpoint("[::1]:4000"));
        assertTrue(HostAddresses.isLoopbackEndpoint("localhost:4000"));
        assertFalse(HostAddresses.isLoopbackEndpoint("10.0.0.5:4000"));
        assertFalse(HostAddresses.isLoopbackEndpoint("node01:4000"));
    }

    private static long deadline()
    {
        return System.nanoTime() + SOON_NS;
    }
}
