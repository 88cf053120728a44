package io.ringsync.collectives;

/**
 * A failure of one of the host-aware path's inner groups (the host's ranks, or those that hold the same share on
 * every host), told in the job's ranks before the job's communicator throws it: a sub-communicator names its own
 * ranks, and the job's communicator (and its {@link Shrink}) would otherwise take the inner rank 0 for its own
 * rank 0. The same exception class (for the failures an inner call can end with: a lost or stalled peer, an
 * abort, a mismatch, a closed group) and message, the suspect translated; the inner failure is its cause.
 */
final class JobRankFailures
{
    private JobRankFailures()
    {
    }

    /**
     * @param failure what the inner group's call failed with.
     * @param inner   the inner group's engine, which knows its ranks' job ranks.
     * @return the failure with its suspect a job rank; the same object when it names no rank.
     */
    static RuntimeException inJobRanks(final RuntimeException failure, final CallEngine inner)
    {
        if (!(failure instanceof RingsyncException) || ((RingsyncException)failure).suspectRank() < 0)
        {
            return failure;
        }
        final int suspect = inner.jobRank(((RingsyncException)failure).suspectRank());
        // the inner group's message already names the job rank beside its own ("rank 1 (job rank 2)")
        final String message = failure.getMessage();
        if (failure instanceof PeerFailedException)
        {
            return new PeerFailedException(message, suspect, failure);
        }
        if (failure instanceof CollectiveTimeoutException)
        {
            return new CollectiveTimeoutException(message, suspect, failure);
        }
        if (failure instanceof RemoteAbortException)
        {
            return new RemoteAbortException(message, suspect, failure);
        }
        if (failure instanceof CollectiveMismatchException)
        {
            return new CollectiveMismatchException(message, suspect, failure);
        }
        if (failure instanceof CommunicatorClosedException)
        {
            return new CommunicatorClosedException(message, suspect, failure);
        }
        // a refusal (checked by the job's communicator before any inner call) or another kind: as it came
        return failure;
    }
}
