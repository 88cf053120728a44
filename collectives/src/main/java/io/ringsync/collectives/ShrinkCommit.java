package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementStore;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The last step of one epoch of a {@link Shrink}: the members it agreed on have each tried to connect the new
 * communicator, and they now agree whether all of them did, so that all keep it or all drop it. Without this step a
 * member that dies between its hellos can leave some members connected (they received its hello) and others not
 * (they did not): the first would go on over a communicator the others never join, the others would shrink again
 * without them, and each side would wait for the other until the deadline, then end alone.
 * <p>
 * In the epoch's directory of the store, each member that connected puts {@code connected-<rank>}; then the first
 * to see the outcome puts it with {@link AgreementStore#putOnce}, so exactly one stands: {@code all} once every
 * member has put its mark, else the members that have not, as soon as one of them failed to connect (it puts the
 * outcome itself), is found gone, or the deadline passes. Every member takes the outcome that stands: with
 * {@code all} it keeps the communicator it connected; otherwise it closes it and the survivors run the next epoch.
 */
final class ShrinkCommit
{
    private static final String CONNECTED_PREFIX = "connected-";
    private static final String OUTCOME = "outcome";
    private static final String ALL = "all";
    private static final int[] NONE_MISSING = new int[0];

    private ShrinkCommit()
    {
    }

    /**
     * @param store       where the survivors agree.
     * @param directory   the epoch's directory in the store, ending in {@code /}.
     * @param membership  the failed communicator's ranks and processes.
     * @param members     the members agreed on in this epoch, ascending.
     * @param isConnected whether this rank connected the new communicator.
     * @param timeoutNs   the most to wait for the others' marks.
     * @param pollNs      how long to pause between looks at the store.
     * @return the members that had not connected when the outcome was decided: empty when every member connected
     * (the communicator stands on every member), else the communicator must be dropped on every member.
     * @throws IOException when the store cannot be read or written.
     */
    static int[] settle(
        final AgreementStore store, final String directory, final Membership membership, final int[] members,
        final boolean isConnected, final long timeoutNs, final long pollNs) throws IOException
    {
        final int rank = membership.group.rank;
        final String outcomeName = directory + OUTCOME;
        final boolean[] connected = new boolean[members.length];
        if (isConnected)
        {
            store.put(directory + CONNECTED_PREFIX + rank, Long.toString(membership.pid(rank)));
        }
        else
        {
            store.putOnce(outcomeName, missing(store, directory, membership, members, connected));
        }
        final long deadlineNs = System.nanoTime() + timeoutNs;
        String outcome;
        while (null == (outcome = store.get(outcomeName)))
        {
            final String missing = missing(store, directory, membership, members, connected);
            if (missing.isEmpty())
            {
                store.putOnce(outcomeName, ALL);
            }
            else if (anyGone(store, membership, members, connected) || System.nanoTime() - deadlineNs >= 0)
            {
                store.putOnce(outcomeName, missing);
            }
            else
            {
                LockSupport.parkNanos(pollNs);
            }
        }
        return parse(outcome);
    }

    /**
     * @return the members without a mark yet, comma separated (empty when none); {@code connected} is updated.
     */
    private static String missing(
        final AgreementStore store, final String directory, final Membership membership, final int[] members,
        final boolean[] connected) throws IOException
    {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < members.length; i++)
        {
            if (!connected[i])
            {
                final String pid = Long.toString(membership.pid(members[i]));
                connected[i] = pid.equals(store.get(directory + CONNECTED_PREFIX + members[i]));
            }
            if (!connected[i])
            {
                sb.append(sb.length() == 0 ? "" : ",").append(members[i]);
            }
        }
        return sb.toString();
    }

    private static boolean anyGone(
        final AgreementStore store, final Membership membership, final int[] members, final boolean[] connected)
        throws IOException
    {
        for (int i = 0; i < members.length; i++)
        {
            if (!connected[i] && !membership.isAlive(store, members[i]))
            {
                return true;
            }
        }
        return false;
    }

    private static int[] parse(final String outcome)
    {
        return ALL.equals(outcome) ? NONE_MISSING : Shrink.ranks(outcome);
    }

    /**
     * @return a description of an outcome that dropped the communicator, for the exception of a shrink that gives up.
     */
    static String describe(final int[] missing, final long timeoutNs)
    {
        return "ranks " + java.util.Arrays.toString(missing) + " of the failed communicator did not connect the " +
            "survivors' communicator (they failed to, died, or took longer than " +
            TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms)";
    }
}
