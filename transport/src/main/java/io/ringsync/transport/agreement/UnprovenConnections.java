package io.ringsync.transport.agreement;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * The agreement server's count of connections that have not proven the job secret yet, per remote address and in
 * all, and its limits on them: a stranger who opens connections and sends nothing holds each for
 * {@link AgreementServer#HANDSHAKE_TIMEOUT_MS}, and without these limits could fill every slot the ranks need. A
 * connection over a limit is told the server is busy and its client tries again until its deadline; a proven
 * connection no longer counts.
 */
final class UnprovenConnections
{
    private final int maxPerAddress;
    private final int maxTotal;
    private final Map<InetAddress, Integer> perAddress = new HashMap<>();
    private int total;

    /**
     * @param maxPerAddress most unproven connections from one address at once: a host starting all its ranks at
     *                      once opens one each.
     * @param maxTotal      most in all.
     */
    UnprovenConnections(final int maxPerAddress, final int maxTotal)
    {
        if (maxPerAddress < 1 || maxTotal < maxPerAddress)
        {
            throw new IllegalArgumentException("limits per address " + maxPerAddress + " and in all " + maxTotal +
                ": need 1 <= per address <= in all");
        }
        this.maxPerAddress = maxPerAddress;
        this.maxTotal = maxTotal;
    }

    /**
     * Count a new connection from {@code address}, unless a limit is reached.
     *
     * @param address the remote address.
     * @return null when it was counted (then {@link #release} it once), else why not.
     */
    synchronized String admit(final InetAddress address)
    {
        if (total >= maxTotal)
        {
            return maxTotal + " connections have not proven the job secret yet";
        }
        final int fromAddress = perAddress.getOrDefault(address, 0);
        if (fromAddress >= maxPerAddress)
        {
            return maxPerAddress + " connections from " + address.getHostAddress() +
                " have not proven the job secret yet";
        }
        perAddress.put(address, fromAddress + 1);
        total++;
        return null;
    }

    /**
     * A connection counted by {@link #admit} proved the secret or ended.
     *
     * @param address its remote address.
     */
    synchronized void release(final InetAddress address)
    {
        final Integer fromAddress = perAddress.get(address);
        if (null == fromAddress)
        {
            throw new IllegalStateException("no unproven connection from " + address + " to release");
        }
        if (fromAddress == 1)
        {
            perAddress.remove(address);
        }
        else
        {
            perAddress.put(address, fromAddress - 1);
        }
        total--;
    }

    /**
     * @return unproven connections in all.
     */
    synchronized int total()
    {
        return total;
    }
}
