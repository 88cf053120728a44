package io.ringsync.transport;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which kernel a process runs on: the host name plus the kernel's boot id, {@code host/boot-id}. Two processes with
 * the same identity share a kernel, so their pids are comparable and one can watch the other; the host name alone is
 * not enough (containers and cloned machines share names, a rebooted host is another kernel). Shared by the
 * communicator's hello and the rendezvous table.
 */
public final class HostIdentity
{
    /**
     * Longest identity: longer host names are cut.
     */
    public static final int MAX_LENGTH = 200;

    private static volatile String current;

    private HostIdentity()
    {
    }

    /**
     * @return this process' host identity, {@code host/boot-id}, at most {@link #MAX_LENGTH} characters.
     */
    public static String current()
    {
        String identity = current;
        if (null == identity)
        {
            identity = of(hostName(), readFirstLine("/proc/sys/kernel/random/boot_id"));
            current = identity;
        }
        return identity;
    }

    /**
     * @return the kernel's host name ({@code /proc/sys/kernel/hostname}, which never waits on DNS, unlike
     * {@code InetAddress.getLocalHost()}, the fallback where there is no /proc), or {@code unknown}.
     */
    public static String hostName()
    {
        String host = readFirstLine("/proc/sys/kernel/hostname");
        if (host.isEmpty())
        {
            try
            {
                host = InetAddress.getLocalHost().getHostName();
            }
            catch (final Exception ignore)
            {
                host = "unknown";
            }
        }
        return host;
    }

    /**
     * @param identity a host identity.
     * @return its host name part (all of it when it has no boot id).
     */
    public static String hostNameOf(final String identity)
    {
        final int slash = identity.lastIndexOf('/');
        return slash < 0 ? identity : identity.substring(0, slash);
    }

    static String of(final String host, final String bootId)
    {
        final String id = host + "/" + bootId;
        return id.length() > MAX_LENGTH ? id.substring(0, MAX_LENGTH) : id;
    }

    private static String readFirstLine(final String file)
    {
        try
        {
            return Files.readString(Path.of(file)).trim();
        }
        catch (final Exception ignore)
        {
            return "";
        }
    }
}
