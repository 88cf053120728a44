package io.ringsync.collectives;

/**
 * Another rank refused this call: it was given a bad argument (a null or too short vector, a range beyond it, a
 * root that is no rank, no op) or, with {@link Configuration#CHECK_FINITE_ENV}, its input held a NaN or an infinity.
 * That rank still took part in the call, so every rank fails this same call and the next call pairs as usual; the
 * refusing rank itself gets the argument's exception ({@link IllegalArgumentException} and the like).
 * {@link #suspectRank()} is the lowest rank that refused, the same on every rank.
 * <p>
 * The communicator remains usable. This rank's vector is unspecified: the call may have been under way.
 */
public class RefusedCallException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message     which rank refused which call, and why.
     * @param suspectRank the lowest rank that refused.
     */
    public RefusedCallException(final String message, final int suspectRank)
    {
        super(message, suspectRank);
    }
}
