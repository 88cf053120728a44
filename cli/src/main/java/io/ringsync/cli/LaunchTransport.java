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
    UDP("udp", AeronMedia.UDP);

    private final String envName;
    private final AeronMedia media;

    LaunchTransport(final String envName, final AeronMedia media)
    {
        this.envName = envName;
        this.media = media;
    }

    /**
     * @return the Aeron media a driver for this transport is configured for.
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
     * @throws IllegalArgumentException when the name is not ipc or udp.
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
        if ("shm".equals(value))
        {
            // named in the design, reserved so scripts written for it fail clearly rather than oddly
            throw new IllegalArgumentException("transport 'shm' is not available yet; use ipc (Aeron IPC, one " +
                "shared media driver on this host) or udp (Aeron UDP)");
        }
        throw new IllegalArgumentException("unknown transport '" + name + "'; use ipc or udp");
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return envName;
    }
}
