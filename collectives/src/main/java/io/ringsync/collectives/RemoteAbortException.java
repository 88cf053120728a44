package io.ringsync.collectives;

/**
 * Another rank failed a collective and told this rank to fail it too; the message carries its reason.
 */
public class RemoteAbortException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     */
    public RemoteAbortException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }

    /**
     * @param message     what happened, and what to do about it.
     * @param suspectRank the rank to blame, or -1.
     * @param cause       underlying failure.
     */
    public RemoteAbortException(final String message, final int suspectRank, final Throwable cause)
    {
        super(message, suspectRank, cause);
    }
}
