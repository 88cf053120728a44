package io.ringsync.cli;

import io.ringsync.transport.agreement.AgreementServer;
import io.ringsync.transport.rendezvous.HostAddresses;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The agreement server of a job across hosts, served by its launcher for as long as the job runs (so it outlives
 * any rank): where the survivors of a lost rank agree who they are ({@code Communicator.shrink()}). It listens on
 * this host's address toward the job's first host (the rendezvous host; the route the ranks take back), on an
 * ephemeral port, and serves only ranks that prove the job secret. The ranks must be able to reach the launcher's
 * host there: true when it runs on the first host or on a host of the cluster's network.
 */
final class JobAgreement implements AutoCloseable
{
    private final AgreementServer server;
    private final String endpoint;

    private JobAgreement(final AgreementServer server, final String endpoint)
    {
        this.server = server;
        this.endpoint = endpoint;
    }

    /**
     * @param firstHost the host rank 0 runs on (name or address).
     * @param secret    the job secret.
     * @param log       where the server reports refused connections.
     * @return the running server.
     * @throws LaunchException when it cannot listen.
     */
    static JobAgreement start(final String firstHost, final String secret, final Consumer<String> log)
        throws LaunchException
    {
        final InetAddress address = addressToward(firstHost);
        try
        {
            final AgreementServer server = AgreementServer.start(new InetSocketAddress(address, 0),
                secret.getBytes(StandardCharsets.UTF_8), log);
            return new JobAgreement(server, HostAddresses.endpoint(address, server.port()));
        }
        catch (final IOException ex)
        {
            throw new LaunchException("cannot serve the job's agreement server on " + address.getHostAddress() +
                ": " + ex.getMessage());
        }
    }

    /**
     * @return {@code host:port} the ranks reach it at.
     */
    String endpoint()
    {
        return endpoint;
    }

    @Override
    public void close()
    {
        server.close();
    }

    /**
     * This host's address that packets to {@code host} leave from: the host's own address when it is this host,
     * else the source the routing table picks (a connected UDP socket sends nothing).
     */
    private static InetAddress addressToward(final String host) throws LaunchException
    {
        final InetAddress target;
        try
        {
            target = InetAddress.getByName(host);
        }
        catch (final IOException ex)
        {
            throw new LaunchException("cannot resolve the first host '" + host + "' to serve the job's agreement " +
                "server toward it: " + ex.getMessage());
        }
        try
        {
            if (target.isLoopbackAddress() || null != NetworkInterface.getByInetAddress(target))
            {
                return target;
            }
            try (DatagramSocket probe = new DatagramSocket())
            {
                probe.connect(target, 9);
                final InetAddress local = probe.getLocalAddress();
                if (local.isAnyLocalAddress())
                {
                    throw new LaunchException("no route from this host to the first host " + host + " (" +
                        target.getHostAddress() + ") to serve the job's agreement server on");
                }
                return local;
            }
        }
        catch (final IOException ex)
        {
            throw new LaunchException("cannot find this host's address toward the first host " + host + ": " +
                ex.getMessage());
        }
    }
}
