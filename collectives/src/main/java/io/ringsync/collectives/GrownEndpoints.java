package io.ringsync.collectives;

import io.ringsync.transport.aeron.UdpPorts;
import io.ringsync.transport.agreement.AgreementStore;
import io.ringsync.transport.rendezvous.HostAddresses;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The endpoints of a tcp or udp group grown by rejoining ({@link Rejoin}). Members and joiners share no mesh yet,
 * and a joiner has no port the others know, so every rank of the grown group, old member or joiner alike, takes a
 * fresh port on its own address (tcp: it binds a listener and keeps it for its transport; udp: it finds a free one
 * for its Aeron endpoint), publishes {@code host:port} as {@code endpoint-<mesh id>-<rank>} where the two sides
 * meet ({@link Rejoin#openStore}), and reads the others' until it has all of them. A rank whose process exits
 * before it publishes is named at once ({@link PeerLiveness}: its process on one host, its lease at the agreement
 * server across hosts); one that stays silent is named at the deadline.
 * <p>
 * A udp port is free when this rank looks and is bound by its media driver a moment later; it is taken outside the
 * kernel's ephemeral range, where the drivers starting beside it do not bind, and from this rank's own share of that
 * range ({@link UdpPorts#forRank}), so two ranks of the grown group on one address, each looking at the same time,
 * never both find the same port free. Should another process still take it in between, the grown group's connect
 * fails; the members' communicator still works, and the next {@link Communicator#admit()} tries again with new
 * ports.
 */
final class GrownEndpoints
{
    private static final long POLL_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    private final ServerSocketChannel listener;
    private final String[] endpoints;

    private GrownEndpoints(final ServerSocketChannel listener, final String[] endpoints)
    {
        this.listener = listener;
        this.endpoints = endpoints;
    }

    /**
     * Bind, publish this rank's endpoint, and wait for every other rank's.
     *
     * @param ctx        this rank's settings in the grown group: its rank, size and deadline.
     * @param store      where the two sides of rejoining meet ({@link Rejoin#openStore}).
     * @param meshId     of the grown group.
     * @param listenHost the address to listen on (this rank's own: a member's endpoint's, a joiner's toward the job).
     * @param liveness   whether the other ranks still run.
     * @param tcp        whether to bind a tcp listener (kept) rather than find a free udp port.
     * @return the bound tcp listener (for the transport to take; null for udp) and every rank's endpoint.
     * @throws PeerFailedException        naming a rank that exited before it published its endpoint.
     * @throws CollectiveTimeoutException naming one still silent at the deadline.
     */
    static GrownEndpoints exchange(
        final Context ctx, final AgreementStore store, final long meshId, final String listenHost,
        final PeerLiveness liveness, final boolean tcp)
    {
        final int rank = ctx.rank();
        final int size = ctx.worldSize();
        ServerSocketChannel listener = null;
        try
        {
            final InetAddress address = InetAddress.getByName(listenHost);
            final int port;
            if (tcp)
            {
                listener = TcpTransport.bindListener(new InetSocketAddress(address, 0), 0);
                port = listener.socket().getLocalPort();
            }
            else
            {
                port = UdpPorts.forRank(address, meshId, rank, size);
            }
            final String own = HostAddresses.endpoint(address, port);
            store.put(name(meshId, rank), own);
            final String[] endpoints = new String[size];
            endpoints[rank] = own;
            final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
            int missing = size - 1;
            while (missing > 0)
            {
                for (int peer = 0; peer < size; peer++)
                {
                    if (null != endpoints[peer])
                    {
                        continue;
                    }
                    endpoints[peer] = store.get(name(meshId, peer));
                    if (null != endpoints[peer])
                    {
                        missing--;
                        continue;
                    }
                    final String gone = liveness.gone(peer);
                    if (null != gone)
                    {
                        throw new PeerFailedException(String.format(Locale.ROOT, "rank %d: rank %d of the grown " +
                            "group is gone before it published its endpoint: %s", rank, peer, gone), peer);
                    }
                    else if (System.nanoTime() - deadlineNs >= 0)
                    {
                        throw new CollectiveTimeoutException(String.format(Locale.ROOT, "rank %d: rank %d of the " +
                            "grown group did not publish its endpoint (%s) within %d ms", rank, peer,
                            name(meshId, peer) + " in " + store, TimeUnit.NANOSECONDS.toMillis(ctx.timeoutNs())),
                            peer);
                    }
                }
                if (missing > 0)
                {
                    LockSupport.parkNanos(POLL_PARK_NS);
                }
            }
            return new GrownEndpoints(listener, endpoints);
        }
        catch (final IOException ex)
        {
            closeQuietly(listener);
            throw new RingsyncException(String.format(Locale.ROOT, "rank %d: cannot listen on %s or publish the " +
                "endpoint for the grown group in %s: %s", rank, listenHost, store, ex), -1, ex);
        }
        catch (final RuntimeException ex)
        {
            closeQuietly(listener);
            throw ex;
        }
    }

    /**
     * @param address a listening socket's address.
     * @return its host as the endpoints name it: the numeric address.
     */
    static String host(final InetSocketAddress address)
    {
        return address.getAddress().getHostAddress();
    }

    /**
     * @return the bound tcp listener, for {@link TcpTransport.Context#listener(ServerSocketChannel)}; null over udp.
     */
    ServerSocketChannel listener()
    {
        return listener;
    }

    /**
     * @return every rank's {@code host:port}, by rank of the grown group.
     */
    String[] endpoints()
    {
        return endpoints.clone();
    }

    private static String name(final long meshId, final int rank)
    {
        return String.format("endpoint-%016x-%d", meshId, rank);
    }

    private static void closeQuietly(final ServerSocketChannel listener)
    {
        if (null != listener)
        {
            try
            {
                listener.close();
            }
            catch (final IOException ignore)
            {
                // the bind or the exchange failed already; that is what the caller reports
            }
        }
    }
}
