package io.ringsync.cli;

import io.ringsync.transport.aeron.AeronMedia;

import java.util.Locale;

/**
 * Transports the launcher can set a job up for, by their {@code RINGSYNC_TRANSPORT} names.
 */
public enum LaunchTransport
{
    /**
     * Aeron IPC through one media driver that the launcher hosts in its own JVM.
     */
    IPC("ipc", AeronMedia.IPC),

    /**
     * Aeron UDP on loopback; each rank embeds its own media driver.
     */
    UDP("udp", AeronMedia.UDP),

    /**
     * Driverless shared memory: slot rings in files of the job directory, no media driver.
     */
    SHM("shm", null),

    /**
     * TCP, the transport between hosts: rank 0 serves the rendezvous (on 127.0.0.1 for a job on this host), where
     * every rank learns the port its peers listen on.
     */
    TCP("tcp", null);

    private final String envName;
    private final AeronMedia media;

    LaunchTransport(final String envName, final AeronMedia media)
    {
        this.envName = envName;
        this.media = media;
    }

    /**
     * @return the Aeron media a driver for this transport is configured for, null for shm and tcp (no driver).
     */
    public AeronMedia media()
    {
        return media;
    }

    /**
     * @return the name as {@code RINGSYNC_TRANSPORT} spells it.
     */
    public String envName()
    {
        return envName;
    }

    /**
     * Parse a transport name, with a message that says what to use instead when it is not one the launcher
     * can set up.
     *
     * @param name as given on the command line, any case.
     * @return the transport.
     * @throws IllegalArgumentException when the name is not shm, tcp, ipc or udp.
     */
    public static LaunchTransport parse(final String name)
    {
        final String value = null == name ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (final LaunchTransport transport : values())
        {
            if (transport.envName.equals(value))
            {
                return transport;
            }
        }
        throw new IllegalArgumentException("unknown transport '" + name + "'; use shm (driverless shared memory, " +
            "one host), tcp (the transport between hosts), ipc (Aeron IPC, one shared media driver on this host) or " +
            "udp (Aeron UDP)");
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return envName;
    }
}
