package io.ringsync.collectives;

/**
 * Ranks called different collectives, or the same one with different lengths, types, operations or roots.
 */
public class CollectiveMismatchException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     */
    public CollectiveMismatchException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public CollectiveMismatchException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, suspectRank, cause);
    }
}
