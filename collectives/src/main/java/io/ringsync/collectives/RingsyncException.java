package io.ringsync.collectives;

/**
 * Base of every failure ringsync reports. Unchecked, like the rest of the API. When the failure can be
 * blamed on one rank (it died, stalled, or disagreed), {@link #suspectRank()} names it.
 */
public class RingsyncException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int suspectRank;

    /**
     * @param message     what happened, on which rank, with which values, and what to do.
     * @param suspectRank the rank to blame, or -1.
     */
    public RingsyncException(final String message, final int suspectRank)
    {
        super(message);
        this.suspectRank = suspectRank;
    }

    /**
     * @param message     what happened.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public RingsyncException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, cause);
        this.suspectRank = suspectRank;
    }

    /**
     * @return the rank this failure is blamed on, or -1 when none is known.
     */
    public int suspectRank()
    {
        return suspectRank;
    }
}
