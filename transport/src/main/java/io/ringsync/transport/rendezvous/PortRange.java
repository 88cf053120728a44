package io.ringsync.transport.rendezvous;

/**
 * The ports a rank may listen on: {@code lo-hi} (a firewall's opening; the first free one is taken), one port, or
 * {@link #EPHEMERAL} (any free port the kernel picks).
 */
public final class PortRange
{
    /**
     * Any free port: the kernel's choice.
     */
    public static final PortRange EPHEMERAL = new PortRange(0, 0);

    private final int from;
    private final int to;

    private PortRange(final int from, final int to)
    {
        this.from = from;
        this.to = to;
    }

    /**
     * @param from first port, 1 to 65535.
     * @param to   last port, from {@code from} to 65535.
     * @return the range.
     * @throws IllegalArgumentException when the bounds are not ports or not in order.
     */
    public static PortRange of(final int from, final int to)
    {
        if (from < 1 || to > 65535 || from > to)
        {
            throw new IllegalArgumentException("is not a port range: write lo-hi with 1 <= lo <= hi <= 65535, or one " +
                "port (" + from + "-" + to + ")");
        }
        return new PortRange(from, to);
    }

    /**
     * @param value {@code lo-hi}, one port, or {@code 0} for any free one.
     * @return the range.
     * @throws IllegalArgumentException saying what is accepted (the caller adds the variable's name).
     */
    public static PortRange parse(final String value)
    {
        final String text = value.trim();
        if ("0".equals(text))
        {
            return EPHEMERAL;
        }
        final int dash = text.indexOf('-');
        try
        {
            if (dash < 0)
            {
                final int port = Integer.parseInt(text);
                return of(port, port);
            }
            return of(Integer.parseInt(text.substring(0, dash).trim()), Integer.parseInt(text.substring(dash + 1).trim()));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("is not a port range: write lo-hi with 1 <= lo <= hi <= 65535 (e.g. " +
                "40000-40100), one port, or 0 for any free port");
        }
    }

    /**
     * @return whether any free port will do.
     */
    public boolean isEphemeral()
    {
        return 0 == from;
    }

    /**
     * @return the first port (0 when ephemeral).
     */
    public int from()
    {
        return from;
    }

    /**
     * @return the last port (0 when ephemeral).
     */
    public int to()
    {
        return to;
    }

    /**
     * @return ports in the range (1 when ephemeral: the one attempt).
     */
    public int size()
    {
        return to - from + 1;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return isEphemeral() ? "any free port" : from == to ? Integer.toString(from) : from + "-" + to;
    }
}
