package io.ringsync.collectives;

import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.rendezvous.HostAddresses;
import io.ringsync.transport.rendezvous.Rendezvous;
import io.ringsync.transport.rendezvous.RendezvousException;
import io.ringsync.transport.rendezvous.RendezvousTable;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A rank's part in the rendezvous, for {@link Transports}: choose the address to listen on, bind (tcp) or pick (udp)
 * the port, join, and put what the table says into the {@link Context}: the job id, the local rank, the session id,
 * the peers' endpoints and, for udp, the smallest mtu of the job's interfaces.
 */
final class RendezvousSetup implements AutoCloseable
{
    private static final String MTU_PREFIX = "mtu=";

    private final Context ctx;
    private ServerSocketChannel listener;
    private RendezvousTable table;

    private RendezvousSetup(final Context ctx)
    {
        this.ctx = ctx;
    }

    /**
     * @param ctx concluded settings.
     * @return whether this rank joins a rendezvous before opening its transport: always for tcp, for udp when no
     * endpoints were given, for shm and ipc when a rendezvous is known and no job id was given (it draws one).
     */
    static boolean isNeeded(final Context ctx)
    {
        if (null == ctx.rendezvous())
        {
            return false;
        }
        switch (ctx.transport())
        {
            case "tcp":
                return true;
            case "udp":
                return null == ctx.udpEndpoints();
            default:
                return !ctx.isJobIdSet();
        }
    }

    /**
     * Join the rendezvous.
     *
     * @param ctx concluded settings with rank and world size; updated from the table.
     * @return the setup, holding the tcp listener until the transport takes it.
     * @throws ConfigurationException saying why the rendezvous failed, on every rank involved.
     */
    static RendezvousSetup join(final Context ctx)
    {
        final RendezvousSetup setup = new RendezvousSetup(ctx);
        try
        {
            setup.run();
            return setup;
        }
        catch (final RuntimeException ex)
        {
            setup.close();
            throw ex;
        }
    }

    private void run()
    {
        final long deadlineNs = System.nanoTime() + ctx.rendezvousTimeoutNs();
        final Rendezvous.Context rendezvous = new Rendezvous.Context()
            .rank(ctx.rank())
            .worldSize(ctx.worldSize())
            .address(ctx.rendezvous())
            .addressSource(ctx.rendezvousSource())
            .timeoutNs(ctx.rendezvousTimeoutNs())
            .secret(ctx.jobSecret())
            .jobId(ctx.isJobIdSet() ? ctx.jobId() : 0)
            .abortCheck(this::exitedRank)
            .log(line ->
            {
                System.err.println(line);
                System.err.flush();
            });
        try
        {
            rendezvous.conclude();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": " + ex.getMessage(), -1, ex);
        }
        final String transport = ctx.transport();
        if ("tcp".equals(transport) || "udp".equals(transport))
        {
            rendezvous.endpoints(listen(rendezvous.host(), deadlineNs));
        }
        try
        {
            table = Rendezvous.join(rendezvous.timeoutNs(Math.max(1, deadlineNs - System.nanoTime())));
        }
        catch (final RendezvousException ex)
        {
            throw new ConfigurationException(ex.getMessage(), -1, ex);
        }
        apply();
    }

    /**
     * @return this rank's endpoints: its tcp listener's, or its UDP port's and its interface's mtu.
     */
    private String[] listen(final String rendezvousHost, final long deadlineNs)
    {
        final HostAddresses.Choice choice;
        try
        {
            choice = HostAddresses.choose(ctx.interfaceSpec(), Configuration.INTERFACE_ENV, rendezvousHost,
                deadlineNs);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": " + ex.getMessage(), -1, ex);
        }
        try
        {
            if ("tcp".equals(ctx.transport()))
            {
                listener = HostAddresses.bindFirstFree(choice.address(), ctx.ports(),
                    address -> TcpTransport.bindListener(address, TcpTransport.SOCKET_BUFFER_LENGTH_DEFAULT),
                    "the tcp listener");
                return new String[]{ choice.endpoint(((InetSocketAddress)listener.getLocalAddress()).getPort()) };
            }
            final int port = HostAddresses.freeUdpPort(choice.address(), ctx.ports());
            final int mtu = ctx.isUdpMtuSet() ? ctx.udpMtu() : HostAddresses.udpMtu(choice);
            return new String[]{ choice.endpoint(port), MTU_PREFIX + mtu };
        }
        catch (final IllegalStateException | java.io.IOException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": " + ex.getMessage() + " (" +
                Configuration.PORTS_ENV + "=" + ctx.ports() + ", address from " + choice.reason() + ")", -1, ex);
        }
    }

    private void apply()
    {
        final int size = table.worldSize();
        if (table.hostCount() > 1)
        {
            if ("shm".equals(ctx.transport()) || "ipc".equals(ctx.transport()))
            {
                throw new ConfigurationException("rank " + ctx.rank() + ": " + ctx.transport() + " works on one host " +
                    "but the rendezvous found the job's ranks on " + table.hostCount() + " hosts (" + hostsOf() +
                    "): use " + Configuration.TRANSPORT_ENV + "=tcp", -1);
            }
            for (int r = 0; r < size; r++)
            {
                final String[] endpoints = table.endpoints(r);
                if (endpoints.length > 0 && HostAddresses.isLoopbackEndpoint(endpoints[0]))
                {
                    throw new ConfigurationException("rank " + ctx.rank() + ": rank " + r + " listens on " +
                        endpoints[0] + ", a loopback address, but the job spans " + table.hostCount() + " hosts: " +
                        "its host name resolves to a loopback address there; set " + Configuration.INTERFACE_ENV +
                        " (e.g. eth0 or 10.0.0.0/8) on every rank", r);
                }
            }
        }
        if (!ctx.isJobIdSet())
        {
            ctx.jobId(table.jobId());
        }
        if (ctx.localRank() < 0)
        {
            ctx.localRank(table.localRank());
        }
        ctx.sessionId(table.sessionId());
        if ("udp".equals(ctx.transport()))
        {
            ctx.udpEndpoints(table.endpointColumn(0));
            if (!ctx.isUdpMtuSet())
            {
                int mtu = Integer.MAX_VALUE;
                for (final String entry : table.endpointColumn(1))
                {
                    final int rankMtu = entry.startsWith(MTU_PREFIX) ? Integer.parseInt(entry.substring(4)) : -1;
                    mtu = Math.min(mtu, rankMtu > 0 ? rankMtu : Configuration.UDP_MTU_DEFAULT);
                }
                ctx.udpMtu(mtu);
            }
        }
    }

    /**
     * A rank that exited before the rendezvous completed, as the launcher reports it in the job directory (the first
     * to exit is the cause): waiting for it until the deadline would be pointless.
     */
    private RuntimeException exitedRank()
    {
        final File directory = ctx.jobDirectory();
        if (null == directory)
        {
            return null;
        }
        int first = -1;
        long firstMs = Long.MAX_VALUE;
        for (int r = 0; r < ctx.worldSize(); r++)
        {
            final File report = new File(directory, StatusDescriptor.exitFileName(r));
            final long modifiedMs = report.lastModified();
            if (r != ctx.rank() && modifiedMs > 0 && modifiedMs < firstMs)
            {
                first = r;
                firstMs = modifiedMs;
            }
        }
        if (first < 0)
        {
            return null;
        }
        String code = "?";
        try
        {
            code = Files.readString(new File(directory, StatusDescriptor.exitFileName(first)).toPath()).trim();
        }
        catch (final IOException ex)
        {
            // reported all the same
        }
        return new PeerFailedException("rank " + ctx.rank() + ": rank " + first + " exited with code " + code +
            " before the rendezvous completed (reported by the launcher); see its own output for why", first);
    }

    private String hostsOf()
    {
        final List<String> hosts = new ArrayList<>();
        for (int r = 0; r < table.worldSize(); r++)
        {
            final String host = io.ringsync.transport.HostIdentity.hostNameOf(table.host(r));
            if (!hosts.contains(host))
            {
                hosts.add(host);
            }
        }
        return String.join(", ", hosts);
    }

    /**
     * @return the table, once joined.
     */
    RendezvousTable table()
    {
        return table;
    }

    /**
     * @return the tcp listener, handed over: the transport owns it from now on.
     */
    ServerSocketChannel takeListener()
    {
        final ServerSocketChannel taken = listener;
        listener = null;
        return taken;
    }

    /**
     * @return the deadline for connecting the mesh after the rendezvous.
     */
    long connectTimeoutNs()
    {
        return Math.max(ctx.timeoutNs(), TimeUnit.SECONDS.toNanos(10));
    }

    /**
     * Close the listener unless the transport took it.
     */
    public void close()
    {
        if (null != listener)
        {
            try
            {
                listener.close();
            }
            catch (final java.io.IOException ignore)
            {
                // nothing more to release
            }
            listener = null;
        }
    }
}
