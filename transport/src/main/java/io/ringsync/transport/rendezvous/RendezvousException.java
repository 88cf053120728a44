package io.ringsync.transport.rendezvous;

/**
 * The rendezvous failed: it was refused (another world size, a duplicate rank, a wrong or missing job secret), a
 * rank never arrived before the deadline, or the rendezvous could not be reached or served. The message says which,
 * with the values involved, and what to do.
 */
public class RendezvousException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what went wrong and what to do.
     */
    public RendezvousException(final String message)
    {
        super(message);
    }

    /**
     * @param message what went wrong and what to do.
     * @param cause   the underlying failure.
     */
    public RendezvousException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
