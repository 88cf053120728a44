package io.ringsync.transport.rendezvous;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.InterfaceAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Which address of this host a rank listens on, and on which port: the interface a setting names (an interface name
 * such as {@code eth0}, or a CIDR block such as {@code 10.0.0.0/8}), else the one that routes to the rendezvous host
 * (the local address of a UDP socket connected to it: no packet is sent). Also the UDP mtu that interface carries.
 */
public final class HostAddresses
{
    /**
     * Largest Aeron mtu: its largest datagram.
     */
    public static final int UDP_MTU_MAX = 65504;

    private static final int IPV4_UDP_HEADERS = 20 + 8;
    private static final int IPV6_UDP_HEADERS = 40 + 8;
    private static final int MTU_ALIGNMENT = 32;

    private HostAddresses()
    {
    }

    /**
     * An address chosen to listen on, and why.
     */
    public static final class Choice
    {
        private final InetAddress address;
        private final NetworkInterface networkInterface;
        private final String reason;

        Choice(final InetAddress address, final NetworkInterface networkInterface, final String reason)
        {
            this.address = address;
            this.networkInterface = networkInterface;
            this.reason = reason;
        }

        /**
         * @return the address.
         */
        public InetAddress address()
        {
            return address;
        }

        /**
         * @return the interface's name, or {@code ?} when it cannot be found.
         */
        public String interfaceName()
        {
            return null == networkInterface ? "?" : networkInterface.getName();
        }

        /**
         * @return the interface's MTU, or -1 when unknown.
         */
        public int interfaceMtu()
        {
            try
            {
                return null == networkInterface ? -1 : networkInterface.getMTU();
            }
            catch (final SocketException ex)
            {
                return -1;
            }
        }

        /**
         * @return how it was chosen, e.g. {@code RINGSYNC_INTERFACE=eth0} or {@code the route to node01}.
         */
        public String reason()
        {
            return reason;
        }

        /**
         * @param port a port.
         * @return {@code address:port}, an IPv6 address in brackets.
         */
        public String endpoint(final int port)
        {
            return HostAddresses.endpoint(address, port);
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return address.getHostAddress() + " on " + interfaceName() + " (" + reason + ")";
        }
    }

    /**
     * Choose the address to listen on.
     *
     * @param interfaceSpec  an interface name or a CIDR block, or null to follow the route to the rendezvous host.
     * @param specName       the setting it came from, for messages ({@code RINGSYNC_INTERFACE}).
     * @param rendezvousHost host of the rendezvous, or null for none (then the loopback address).
     * @param deadlineNs     {@link System#nanoTime()} until which an unresolvable rendezvous host is retried.
     * @return the choice.
     * @throws IllegalArgumentException when the spec matches nothing here (the message lists this host's
     *                                  interfaces) or the rendezvous host does not resolve by the deadline.
     */
    public static Choice choose(
        final String interfaceSpec, final String specName, final String rendezvousHost, final long deadlineNs)
    {
        if (null != interfaceSpec && !interfaceSpec.isBlank())
        {
            final String spec = interfaceSpec.trim();
            return spec.indexOf('/') >= 0 ? byCidr(spec, specName) : byName(spec, specName);
        }
        if (null == rendezvousHost)
        {
            final InetAddress loopback = InetAddress.getLoopbackAddress();
            return new Choice(loopback, interfaceOf(loopback), "no rendezvous: loopback");
        }
        final InetAddress target = resolve(rendezvousHost, deadlineNs);
        try (DatagramSocket probe = new DatagramSocket())
        {
            probe.connect(new InetSocketAddress(target, 9));
            final InetAddress local = probe.getLocalAddress();
            if (null == local || local.isAnyLocalAddress())
            {
                throw new IllegalArgumentException("no route from this host to the rendezvous host " + rendezvousHost +
                    " (" + target.getHostAddress() + "): set " + specName + " to the interface to use; this host " +
                    "has " + describeInterfaces());
            }
            return new Choice(local, interfaceOf(local), "the route to " + rendezvousHost);
        }
        catch (final SocketException ex)
        {
            throw new IllegalArgumentException("cannot find the route to the rendezvous host " + rendezvousHost + " (" +
                target.getHostAddress() + "): " + ex.getMessage() + "; set " + specName + " to the interface to use",
                ex);
        }
    }

    /**
     * The UDP mtu an interface of {@code interfaceMtu} bytes carries unfragmented: less the IP and UDP headers,
     * rounded down to a multiple of 32, at most {@link #UDP_MTU_MAX}.
     *
     * @param interfaceMtu the interface's MTU.
     * @param ipv6         whether the address is IPv6 (a 40-byte header instead of 20).
     * @return the mtu, or -1 when the interface MTU is unknown or too small.
     */
    public static int udpMtu(final int interfaceMtu, final boolean ipv6)
    {
        if (interfaceMtu <= 0)
        {
            return -1;
        }
        final int payload = interfaceMtu - (ipv6 ? IPV6_UDP_HEADERS : IPV4_UDP_HEADERS);
        final int aligned = Math.min(UDP_MTU_MAX, payload - payload % MTU_ALIGNMENT);
        return aligned >= 2 * MTU_ALIGNMENT ? aligned : -1;
    }

    /**
     * @param choice an address chosen by {@link #choose}.
     * @return the UDP mtu of its interface, or -1 when unknown.
     */
    public static int udpMtu(final Choice choice)
    {
        return udpMtu(choice.interfaceMtu(), choice.address() instanceof Inet6Address);
    }

    /**
     * Something that binds a socket to one address and port.
     */
    @FunctionalInterface
    public interface Binder<T>
    {
        /**
         * @param address to bind.
         * @return the bound socket.
         * @throws IOException when it cannot be bound (e.g. the port is in use).
         */
        T bind(InetSocketAddress address) throws IOException;
    }

    /**
     * Bind on the first free port of a range.
     *
     * @param address the address to bind.
     * @param ports   the range, or {@link PortRange#EPHEMERAL}.
     * @param binder  binds one port.
     * @param what    what is bound, for the message (e.g. {@code the tcp listener}).
     * @param <T>     the socket.
     * @return the bound socket.
     * @throws IllegalStateException when no port of the range could be bound, with the last reason.
     */
    public static <T> T bindFirstFree(
        final InetAddress address, final PortRange ports, final Binder<T> binder, final String what)
    {
        IOException last = null;
        for (int port = ports.from(); port <= ports.to(); port++)
        {
            try
            {
                return binder.bind(new InetSocketAddress(address, port));
            }
            catch (final IOException ex)
            {
                last = ex;
            }
        }
        throw new IllegalStateException("cannot bind " + what + " on " + address.getHostAddress() + ", " +
            (ports.isEphemeral() ? "any port" : "ports " + ports + " (" + ports.size() + " tried)") + ": " + last, last);
    }

    /**
     * A free UDP port on the address: bound, then released for the transport to bind (another process could take it
     * in between; the transport then fails to bind, naming it).
     *
     * @param address the address.
     * @param ports   the range to take it from.
     * @return the port.
     */
    public static int freeUdpPort(final InetAddress address, final PortRange ports)
    {
        final DatagramSocket socket = bindFirstFree(address, ports, DatagramSocket::new, "a UDP port");
        final int port = socket.getLocalPort();
        socket.close();
        return port;
    }

    /**
     * @param address an address.
     * @param port    a port.
     * @return {@code address:port}, an IPv6 address in brackets.
     */
    public static String endpoint(final InetAddress address, final int port)
    {
        final String host = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + stripScope(host) + "]" : host) + ":" + port;
    }

    /**
     * @param endpoint {@code host:port}, an IPv6 address in brackets.
     * @return its host, without the brackets.
     */
    public static String host(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        final String host = colon > 0 ? endpoint.substring(0, colon) : endpoint;
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * @param endpoint {@code host:port}.
     * @return whether its host is a loopback address literal (or {@code localhost}).
     */
    public static boolean isLoopbackEndpoint(final String endpoint)
    {
        final String host = host(endpoint);
        if ("localhost".equalsIgnoreCase(host))
        {
            return true;
        }
        if (host.isEmpty() || !(Character.isDigit(host.charAt(0)) || host.indexOf(':') >= 0))
        {
            return false; // a name: not resolved here
        }
        try
        {
            return InetAddress.getByName(host).isLoopbackAddress();
        }
        catch (final UnknownHostException ex)
        {
            return false;
        }
    }

    /**
     * @return every up interface of this host with its addresses, e.g. {@code lo 127.0.0.1/8, eth0 10.0.0.5/24}.
     */
    public static String describeInterfaces()
    {
        final List<String> parts = new ArrayList<>();
        for (final NetworkInterface nif : interfaces())
        {
            for (final InterfaceAddress address : nif.getInterfaceAddresses())
            {
                parts.add(nif.getName() + " " + stripScope(address.getAddress().getHostAddress()) + "/" +
                    address.getNetworkPrefixLength());
            }
        }
        return parts.isEmpty() ? "no interface that is up" : String.join(", ", parts);
    }

    /**
     * @param address an address.
     * @param cidr    {@code a.b.c.d/n} or an IPv6 block.
     * @return whether the address is in the block.
     * @throws IllegalArgumentException when the block is not one.
     */
    public static boolean inBlock(final InetAddress address, final String cidr)
    {
        final int slash = cidr.indexOf('/');
        final InetAddress network;
        final int prefix;
        try
        {
            network = InetAddress.getByName(cidr.substring(0, slash).trim());
            prefix = Integer.parseInt(cidr.substring(slash + 1).trim());
        }
        catch (final UnknownHostException | NumberFormatException | StringIndexOutOfBoundsException ex)
        {
            throw new IllegalArgumentException("is not a CIDR block such as 10.0.0.0/8");
        }
        final byte[] a = address.getAddress();
        final byte[] n = network.getAddress();
        if (prefix < 0 || prefix > n.length * 8)
        {
            throw new IllegalArgumentException("is not a CIDR block: the prefix length must be from 0 to " +
                n.length * 8);
        }
        if (a.length != n.length)
        {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++)
        {
            final int mask = 0x80 >>> (bit & 7);
            if ((a[bit >>> 3] & mask) != (n[bit >>> 3] & mask))
            {
                return false;
            }
        }
        return true;
    }

    private static Choice byCidr(final String cidr, final String specName)
    {
        inBlock(InetAddress.getLoopbackAddress(), cidr); // checks the syntax first
        for (final NetworkInterface nif : interfaces())
        {
            for (final InetAddress address : Collections.list(nif.getInetAddresses()))
            {
                if (inBlock(address, cidr))
                {
                    return new Choice(address, nif, specName + "=" + cidr);
                }
            }
        }
        throw new IllegalArgumentException(specName + "=" + cidr + " matches no address of this host; it has " +
            describeInterfaces());
    }

    private static Choice byName(final String name, final String specName)
    {
        NetworkInterface nif = null;
        try
        {
            nif = NetworkInterface.getByName(name);
            if (null != nif && !nif.isUp())
            {
                throw new IllegalArgumentException(specName + "=" + name + " names an interface that is down; up " +
                    "ones: " + describeInterfaces());
            }
        }
        catch (final SocketException ex)
        {
            nif = null;
        }
        if (null == nif)
        {
            throw new IllegalArgumentException(specName + "=" + name + " is neither an interface of this host nor a " +
                "CIDR block (such as 10.0.0.0/8); this host has " + describeInterfaces());
        }
        InetAddress best = null;
        for (final InetAddress address : Collections.list(nif.getInetAddresses()))
        {
            if (null == best || rank(address) < rank(best))
            {
                best = address;
            }
        }
        if (null == best)
        {
            throw new IllegalArgumentException(specName + "=" + name + " has no address; this host has " +
                describeInterfaces());
        }
        return new Choice(best, nif, specName + "=" + name);
    }

    /**
     * IPv4 first, then global IPv6, then link-local IPv6 (which needs a scope to be reached).
     */
    private static int rank(final InetAddress address)
    {
        if (address instanceof Inet4Address)
        {
            return 0;
        }
        return address.isLinkLocalAddress() ? 2 : 1;
    }

    private static InetAddress resolve(final String host, final long deadlineNs)
    {
        long pauseMs = 50;
        while (true)
        {
            try
            {
                return InetAddress.getByName(host);
            }
            catch (final UnknownHostException ex)
            {
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                if (remainingMs <= 0)
                {
                    throw new IllegalArgumentException("the rendezvous host " + host + " did not resolve before the " +
                        "deadline: " + ex.getMessage() + ". Check the name, or give its address", ex);
                }
                try
                {
                    Thread.sleep(Math.min(pauseMs, remainingMs));
                }
                catch (final InterruptedException ie)
                {
                    Thread.currentThread().interrupt();
                    throw new IllegalArgumentException("interrupted while resolving " + host, ie);
                }
                pauseMs = Math.min(1_000, pauseMs * 2);
            }
        }
    }

    private static NetworkInterface interfaceOf(final InetAddress address)
    {
        try
        {
            return NetworkInterface.getByInetAddress(address);
        }
        catch (final SocketException ex)
        {
            return null;
        }
    }

    private static List<NetworkInterface> interfaces()
    {
        final List<NetworkInterface> up = new ArrayList<>();
        try
        {
            for (final NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces()))
            {
                if (nif.isUp())
                {
                    up.add(nif);
                }
            }
        }
        catch (final SocketException ex)
        {
            // none to list
        }
        return up;
    }

    private static String stripScope(final String host)
    {
        final int percent = host.indexOf('%');
        return percent < 0 ? host : host.substring(0, percent);
    }
}
