package io.ringsync.collectives;

/**
 * A peer process died or its link went away during a collective.
 */
public class PeerFailedException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     */
    public PeerFailedException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public PeerFailedException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, suspectRank, cause);
    }
}
