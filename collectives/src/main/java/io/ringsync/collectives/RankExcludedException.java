package io.ringsync.collectives;

/**
 * {@link Communicator#shrink()} on a rank that the other survivors agreed to leave out: it reached the agreement
 * after they had decided without it (it was stopped, or slower than the deadline, or they named it as the rank
 * that failed). It is not a member of the shrunk communicator and cannot join it; {@link #members()} says who is.
 */
public class RankExcludedException extends RingsyncException
{
    private static final long serialVersionUID = 1L;

    private final int[] members;

    /**
     * @param message what happened.
     * @param members the ranks of the failed communicator the survivors agreed on.
     */
    public RankExcludedException(final String message, final int[] members)
    {
        super(message, -1);
        this.members = members.clone();
    }

    /**
     * @return the ranks (of the communicator that was shrunk) that make up the shrunk communicator, ascending.
     */
    public int[] members()
    {
        return members.clone();
    }
}
