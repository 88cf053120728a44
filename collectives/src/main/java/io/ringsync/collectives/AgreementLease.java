package io.ringsync.collectives;

import io.ringsync.transport.HostIdentity;
import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * This process' lease at the job's agreement server ({@link Configuration#AGREEMENT_ENV}): a name held on a
 * connection of its own, {@code alive-<host hash>-<pid>}, which the server removes when the connection ends. The
 * kernel closes it when the process exits, however it exits, so a rank of another host can ask whether this one
 * still runs ({@link #isAlive}) as a rank of this host asks its process table. Taken before the first communicator's
 * hello, so every rank that said hello holds one; kept until the process exits. A host that loses power closes
 * nothing: its ranks are named at the deadline, as without a server.
 */
final class AgreementLease
{
    private static AgreementClient lease;
    private static String leaseAt;

    private AgreementLease()
    {
    }

    /**
     * Take this process' lease at the agreement server of {@code ctx}, unless it has one there.
     *
     * @param ctx concluded settings; nothing to do without an agreement server.
     * @throws ConfigurationException when the server cannot be reached: the job could not shrink or rejoin later.
     */
    static synchronized void hold(final Context ctx)
    {
        if (null == ctx.agreement() || ctx.agreement().equals(leaseAt))
        {
            return;
        }
        try
        {
            final AgreementClient client = AgreementClient.connect(ctx.agreement(), ctx.jobSecret(), ctx.timeoutNs());
            client.hold(name(HostIdentity.current(), ProcessHandle.current().pid()), "alive");
            org.agrona.CloseHelper.quietClose(lease);
            lease = client;
            leaseAt = ctx.agreement();
        }
        catch (final IOException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": cannot reach the job's agreement server (" +
                Configuration.AGREEMENT_ENV + "=" + ctx.agreement() + "), where a lost rank's survivors agree: " +
                ex.getMessage(), -1, ex);
        }
    }

    /**
     * @param store a store at the agreement server.
     * @param name  a lease's name ({@link #name}).
     * @return whether its process still holds it.
     * @throws IOException when the server cannot be asked.
     */
    static boolean isAlive(final AgreementStore store, final String name) throws IOException
    {
        return store.contains(name);
    }

    /**
     * @return the name of the lease of process {@code pid} of host {@code host}.
     */
    static String name(final String host, final long pid)
    {
        long hash = 0xCBF29CE484222325L;
        for (final byte b : host.getBytes(StandardCharsets.UTF_8))
        {
            hash = (hash ^ (b & 0xFF)) * 0x100000001B3L;
        }
        return "alive-" + Long.toHexString(hash) + "-" + pid;
    }
}
