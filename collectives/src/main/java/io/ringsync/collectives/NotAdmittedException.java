package io.ringsync.collectives;

/**
 * {@link Communicator#join(Context)} gave up: no member of the running job admitted this process within the
 * deadline ({@link Context#timeoutNs(long)}); its request is withdrawn, so no member will count it later. The
 * members admit joiners in {@link Communicator#admit()}, which an elastic {@link ModelAverager} calls at its sync
 * points; a job whose members never call it, or that has finished, admits nobody.
 */
public class NotAdmittedException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what happened, naming the job.
     */
    public NotAdmittedException(final String message)
    {
        super(message, -1);
    }
}
