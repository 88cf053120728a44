package io.ringsync.transport.aeron;

import org.agrona.collections.Hashing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free udp ports for the endpoints of media drivers that are about to start, found outside the kernel's ephemeral
 * range. A port found free is bound by its driver only a moment later; in that moment the drivers starting beside it
 * bind their publications to ephemeral ports, and one of them could take a free ephemeral port that was chosen for
 * an endpoint ("Address already in use", seen in CI when a grown group's drivers started together). Below the
 * ephemeral range only a process that asks for that very port can take it.
 */
public final class UdpPorts
{
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    private static final int EPHEMERAL_LOW_DEFAULT = 32768;
    private static final int EPHEMERAL_HIGH_DEFAULT = 60999;
    private static final int LOWEST = 10_000;
    private static final int ATTEMPTS_PER_PORT = 64;

    private UdpPorts()
    {
    }

    /**
     * Find distinct ports free on {@code address}, outside the ephemeral range where there is room (else, on a host
     * whose ephemeral range covers everything, ephemeral ones).
     *
     * @param address the address the endpoints will have.
     * @param count   ports wanted.
     * @return the ports, free when this returns.
     * @throws IOException when that many free ports cannot be found.
     */
    public static int[] free(final InetAddress address, final int count) throws IOException
    {
        final int[] range = nonEphemeralRange();
        final DatagramSocket[] sockets = new DatagramSocket[count];
        final int[] ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = bind(address, range);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        }
        finally
        {
            for (final DatagramSocket socket : sockets)
            {
                if (null != socket)
                {
                    socket.close();
                }
            }
        }
    }

    /**
     * Endpoints for ranks of one machine, as tests and benchmarks start them.
     *
     * @param count endpoints wanted.
     * @return {@code 127.0.0.1:<port>} on distinct ports, free when this returns.
     * @throws IOException when that many free ports cannot be found.
     */
    public static String[] loopbackEndpoints(final int count) throws IOException
    {
        final int[] ports = free(InetAddress.getByAddress(new byte[]{ 127, 0, 0, 1 }), count);
        final String[] endpoints = new String[count];
        for (int i = 0; i < count; i++)
        {
            endpoints[i] = "127.0.0.1:" + ports[i];
        }
        return endpoints;
    }

    /**
     * A free port for one rank of a group whose ranks look for their ports each on its own, at the same time, before
     * they know each other's (the ranks of a grown group, {@code GrownEndpoints}). Two such ranks on one address must
     * not both find the same port free (each binds it only for the test, so both would find it free, and the second
     * driver to bind it fails): rank {@code r} of {@code size} tries only ports {@code low + k * size + r}, starting
     * at a {@code k} chosen from {@code groupSeed}, so ranks of one group never meet, and ranks of groups with
     * different seeds start apart.
     *
     * @param address   the address the endpoint will have.
     * @param groupSeed a value every rank of the group holds alike (its mesh id).
     * @param rank      of this rank in the group.
     * @param size      of the group.
     * @return a port free when this returns, distinct from every other rank's of the group.
     * @throws IOException when no free port is found.
     */
    public static int forRank(final InetAddress address, final long groupSeed, final int rank, final int size)
        throws IOException
    {
        if (rank < 0 || size < 1 || rank >= size)
        {
            throw new IllegalArgumentException("rank " + rank + " of a group of " + size);
        }
        final int[] range = nonEphemeralRange();
        final int slots = null == range ? 0 : (range[1] - range[0] + 1) / size;
        if (slots < 1)
        {
            try (DatagramSocket socket = bind(address, null))
            {
                return socket.getLocalPort();
            }
        }
        // Agrona's 64-bit mix: nearby seeds (mesh ids differ in a few bits) start far apart
        final int first = Math.floorMod(Hashing.hash(groupSeed), slots);
        SocketException last = null;
        for (int attempt = 0; attempt < Math.min(slots, ATTEMPTS_PER_PORT); attempt++)
        {
            final int port = range[0] + ((first + attempt) % slots) * size + rank;
            try (DatagramSocket ignore = new DatagramSocket(new InetSocketAddress(address, port)))
            {
                return port;
            }
            catch (final SocketException taken)
            {
                last = taken;
            }
        }
        throw new IOException("no free udp port on " + address.getHostAddress() + " for rank " + rank + " of " +
            size + " from " + range[0] + " to " + range[1] + " after " + Math.min(slots, ATTEMPTS_PER_PORT) +
            " tries: " + last, last);
    }

    /**
     * @return the lowest and highest port to try, or null when only the kernel's choice is left.
     */
    static int[] nonEphemeralRange()
    {
        int low = EPHEMERAL_LOW_DEFAULT;
        int high = EPHEMERAL_HIGH_DEFAULT;
        try
        {
            // readAllLines, not readString: JDK 17's readString returns the first byte alone of this procfs file
            final String[] fields = Files.readAllLines(EPHEMERAL_RANGE, StandardCharsets.US_ASCII).get(0).trim()
                .split("\\s+");
            low = Integer.parseInt(fields[0]);
            high = Integer.parseInt(fields[1]);
        }
        catch (final IOException | RuntimeException ignore)
        {
            // not Linux, or no procfs: assume the kernel's default range
        }
        if (low - 1 - LOWEST >= 1_000)
        {
            return new int[]{ LOWEST, low - 1 };
        }
        if (65_535 - (high + 1) >= 1_000)
        {
            return new int[]{ high + 1, 65_535 };
        }
        return null;
    }

    private static DatagramSocket bind(final InetAddress address, final int[] range) throws IOException
    {
        if (null == range)
        {
            return new DatagramSocket(new InetSocketAddress(address, 0));
        }
        SocketException last = null;
        for (int attempt = 0; attempt < ATTEMPTS_PER_PORT; attempt++)
        {
            final int port = ThreadLocalRandom.current().nextInt(range[0], range[1] + 1);
            try
            {
                return new DatagramSocket(new InetSocketAddress(address, port));
            }
            catch (final SocketException taken)
            {
                last = taken;
            }
        }
        throw new IOException("no free udp port on " + address.getHostAddress() + " from " + range[0] + " to " +
            range[1] + " after " + ATTEMPTS_PER_PORT + " tries: " + last, last);
    }
}
