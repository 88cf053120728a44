package io.ringsync.collectives;

/**
 * A blocking call did not complete within its deadline.
 */
public class CollectiveTimeoutException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     */
    public CollectiveTimeoutException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public CollectiveTimeoutException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, suspectRank, cause);
    }
}
