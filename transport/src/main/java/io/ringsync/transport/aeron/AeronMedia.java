package io.ringsync.transport.aeron;

import java.util.Locale;

/**
 * The Aeron media the links of a job run over.
 */
public enum AeronMedia
{
    /**
     * Shared memory through one media driver that every rank of the job uses (one host).
     */
    IPC("ipc"),

    /**
     * UDP unicast, one endpoint per rank; each rank may embed its own media driver (one or many hosts).
     */
    UDP("udp");

    private final String transportName;

    AeronMedia(final String transportName)
    {
        this.transportName = transportName;
    }

    /**
     * @return the short name used for it in {@code RINGSYNC_TRANSPORT} and {@code Transport#name()}.
     */
    public String transportName()
    {
        return transportName;
    }

    /**
     * @param name {@code ipc} or {@code udp}, any case.
     * @return the media of that name.
     * @throws IllegalArgumentException for any other name.
     */
    public static AeronMedia fromTransportName(final String name)
    {
        if (null != name)
        {
            final String lower = name.trim().toLowerCase(Locale.ROOT);
            for (final AeronMedia media : values())
            {
                if (media.transportName.equals(lower))
                {
                    return media;
                }
            }
        }

        throw new IllegalArgumentException("unknown Aeron media '" + name + "': use ipc or udp");
    }
}
