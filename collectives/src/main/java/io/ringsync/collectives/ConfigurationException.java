package io.ringsync.collectives;

/**
 * A communicator could not be configured or connected: a missing or bad setting, or a driver that cannot be reached. The message says what to set.
 */
public class ConfigurationException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     */
    public ConfigurationException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public ConfigurationException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, suspectRank, cause);
    }
}
