package io.ringsync.transport.aeron;

import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link UdpPorts}: distinct ports, each free to bind when found, all outside the kernel's ephemeral range, where
 * the publications of media drivers starting beside them cannot take them.
 */
class UdpPortsTest
{
    @Test
    void distinctFreePortsBelowTheEphemeralRange() throws Exception
    {
        final int[] range = UdpPorts.nonEphemeralRange();
        assertNotNull(range, "this Linux host leaves room outside its ephemeral range");
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final int[] ports = UdpPorts.free(loopback, 8);
        assertEquals(8, Arrays.stream(ports).distinct().count(), Arrays.toString(ports));
        for (final int port : ports)
        {
            assertTrue(port >= range[0] && port <= range[1], port + " outside " + Arrays.toString(range));
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, port)))
            {
                assertEquals(port, socket.getLocalPort());
            }
        }
        final String[] ephemeral = java.nio.file.Files.readAllLines(
            java.nio.file.Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim().split("\\s+");
        assertTrue(range[1] < Integer.parseInt(ephemeral[0]) || range[0] > Integer.parseInt(ephemeral[1]),
            Arrays.toString(range) + " overlaps the ephemeral range " + String.join("-", ephemeral));
    }

    @Test
    void ranksOfOneGroupLookingEachOnItsOwnNeverFindTheSamePort() throws Exception
    {
        final int[] range = UdpPorts.nonEphemeralRange();
        assertNotNull(range, "this Linux host leaves room outside its ephemeral range");
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final int size = 6;
        for (long seed = 0; seed < 200; seed++)
        {
            final int[] ports = new int[size];
            for (int rank = 0; rank < size; rank++)
            {
                ports[rank] = UdpPorts.forRank(loopback, seed, rank, size);
                assertTrue(ports[rank] >= range[0] && ports[rank] <= range[1], ports[rank] + " outside " +
                    Arrays.toString(range));
                assertEquals(rank, (ports[rank] - range[0]) % size, "rank " + rank + " took port " + ports[rank] +
                    ", outside its share");
            }
            assertEquals(size, Arrays.stream(ports).distinct().count(), "seed " + seed + ": " + Arrays.toString(ports));
        }
        assertTrue(UdpPorts.forRank(loopback, 1, 2, size) != UdpPorts.forRank(loopback, 2, 2, size),
            "groups with different seeds start at different ports");
    }

    @Test
    void aRankWhosePortIsTakenMovesOnWithinItsShare() throws Exception
    {
        final int[] range = UdpPorts.nonEphemeralRange();
        assertNotNull(range, "this Linux host leaves room outside its ephemeral range");
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final int first = UdpPorts.forRank(loopback, 42, 3, 4);
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(loopback, first)))
        {
            final int next = UdpPorts.forRank(loopback, 42, 3, 4);
            assertTrue(next != first, "port " + first + " is held, yet it was chosen again");
            assertEquals(3, (next - range[0]) % 4, next + " is outside rank 3's share");
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(loopback, next)))
            {
                assertEquals(next, socket.getLocalPort());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> UdpPorts.forRank(loopback, 42, 4, 4));
    }
}
