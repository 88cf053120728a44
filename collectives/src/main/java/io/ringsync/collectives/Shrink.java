package io.ringsync.collectives;

import io.ringsync.transport.agreement.AgreementClient;
import io.ringsync.transport.agreement.AgreementStore;
import org.agrona.CloseHelper;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link Communicator#shrink()}: the survivors of a failed communicator agree on who they are, then connect a new
 * communicator of exactly those ranks. They agree through an {@link AgreementStore}: on one host the files of the
 * communicator's status directory ({@link DirectoryStore}: the job directory under {@code /dev/shm}, or a
 * sub-communicator's directory inside it), which every rank of the job sees whatever transport carries its data;
 * across hosts the job's agreement server ({@link AgreementClient}, at {@link Configuration#AGREEMENT_ENV}, which
 * {@code ringsync launch --hosts} serves and which outlives any rank).
 * <p>
 * The agreement, one attempt (an <em>epoch</em>) at a time, under {@code shrink-<mesh id>-<pids hash>-<epoch>/}:
 * <ol>
 *     <li>Each survivor puts {@code join-<rank>}, holding its pid (complete or absent).</li>
 *     <li>It waits until every other rank of the communicator has joined or is not to be waited for: its process
 *     has exited (the process of every rank of this host is known from the handshake; one of another host has
 *     dropped its lease at the agreement server), or it is the rank this survivor's own
 *     failure named (the dead or stalled peer; still taken if it has joined by the time of the decision). A rank
 *     that is alive but has not joined is waited for until the deadline ({@link Context#timeoutNs(long)},
 *     counted from this survivor's entry): a slow rank inside the deadline is kept, a stopped one is left out
 *     when it passes. A rank that joined and then exited is left out.</li>
 *     <li>Then it decides: the joined ranks, ascending, put as {@code decision} with
 *     {@link AgreementStore#putOnce} (a hard link on files, which fails when the name exists; an atomic put-if-absent
 *     on the server). So exactly one decision is ever published, complete when it appears; a survivor whose put
 *     fails, and every survivor that sees a decision before deciding itself, takes the published one. A decider
 *     that dies before its put has published nothing: the others decide after their own wait.</li>
 *     <li>A survivor missing from the decision (it joined after it was made) gets a {@link RankExcludedException};
 *     the members open a new mesh from the parent's transport, with a mesh id derived from the parent's and the
 *     epoch ({@link SubGroups#meshId}), and connect it: the handshake needs a hello from every member, so
 *     differing views could not connect. When a member dies before it connects (the handshake names it), the
 *     survivors run the next epoch without it.</li>
 *     <li>The members agree whether each of them connected ({@link ShrinkCommit}): all keep the new communicator,
 *     or all close it and run the next epoch (a member that died between two of its hellos leaves some members
 *     connected and others not).</li>
 * </ol>
 * Every survivor thus ends with the same members, the decision's, even if another rank fails during the shrink;
 * they are renumbered in their old order. The entries stay until the job directory (or the server) goes: a rank
 * that comes back late must still find the decision that left it out. Their names carry a hash of the members'
 * pids, so entries left by an earlier job in the same directory are never taken for this one's.
 * <p>
 * Across hosts a survivor cannot watch another host's processes; it asks the agreement server whether the rank
 * still holds its lease ({@link AgreementLease}: the server drops it when the rank's process exits), so a rank
 * that dies during the shrink is left out at once there too. A host that loses power closes no connection: its
 * ranks are waited for until the deadline. The survivors of a host-aware communicator connect a flat one (its ranks
 * do not look for their hosts again).
 */
final class Shrink
{
    static final String DIRECTORY_PREFIX = "shrink-";

    private static final String DECISION = "decision";
    private static final String JOIN_PREFIX = "join-";
    private static final long FILE_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SERVER_POLL_NS = TimeUnit.MILLISECONDS.toNanos(5);

    /**
     * Connects the members the survivors agreed on.
     */
    @FunctionalInterface
    interface Connector
    {
        /**
         * @param members ranks of the failed communicator, ascending; this rank is one of them.
         * @param meshId  of the new communicator, the same on every member.
         * @return the connected communicator.
         */
        Communicator connect(int[] members, long meshId);
    }

    private final Membership membership;
    private final Group group;
    private final Context ctx;
    private final long pidsHash;
    private int epoch;
    private boolean shrunk;

    /**
     * @param membership the communicator's ranks, settings and processes, as its handshake found them.
     */
    Shrink(final Membership membership)
    {
        this.membership = membership;
        this.group = membership.group;
        this.ctx = membership.ctx;
        long hash = 0x9E3779B97F4A7C15L;
        for (int rank = 0; rank < group.size; rank++)
        {
            hash = (hash ^ membership.pid(rank)) * 0xBF58476D1CE4E5B9L;
            hash ^= hash >>> 31;
        }
        this.pidsHash = hash;
    }

    /**
     * Agree with the other survivors and connect the communicator of those agreed on.
     *
     * @param failure   what failed the communicator, or null when it did not fail.
     * @param open      whether the communicator still works.
     * @param closed    whether it was closed.
     * @param connector connects the agreed members.
     * @return the new communicator.
     */
    synchronized Communicator run(
        final RuntimeException failure, final boolean open, final boolean closed, final Connector connector)
    {
        final int rank = group.rank;
        if (shrunk)
        {
            throw new IllegalStateException("rank " + rank + ": this communicator was shrunk already; shrink the " +
                "communicator that shrink() returned");
        }
        if (closed)
        {
            throw new IllegalStateException("rank " + rank + ": shrink() on a closed communicator: shrink it after " +
                "its failure, then close it");
        }
        if (open)
        {
            throw new IllegalStateException("rank " + rank + ": shrink() is for a communicator that failed (a " +
                "PeerFailedException or CollectiveTimeoutException); this one has not, keep using it");
        }
        try (AgreementStore store = openStore())
        {
            return agreeAndConnect(failure, store, connector);
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("rank " + rank + ": shrink cannot reach the store where the survivors " +
                "agree: " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * @return the job directory's store when every rank shares it, else the agreement server's.
     * @throws UnsupportedOperationException when there is neither.
     * @throws IOException when the agreement server cannot be reached.
     */
    private AgreementStore openStore() throws IOException
    {
        final int rank = group.rank;
        if (membership.oneHost && null != ctx.statusDirectory())
        {
            return new DirectoryStore(ctx.statusDirectory().toPath(), Integer.toString(rank));
        }
        if (null != ctx.agreement())
        {
            return AgreementClient.connect(ctx.agreement(), ctx.jobSecret(), ctx.timeoutNs());
        }
        throw new UnsupportedOperationException(null == ctx.statusDirectory() ? "rank " + rank + ": shrink " +
            "needs a job directory where the survivors agree (" + Configuration.JOB_DIR_ENV + ", which ringsync " +
            "launch sets, or the shm transport's), or an agreement server (" + Configuration.AGREEMENT_ENV +
            "); this communicator has neither" : "rank " + rank + ": shrink across hosts needs the job's " +
            "agreement server (" + Configuration.AGREEMENT_ENV + ", with " + Configuration.JOB_SECRET_ENV +
            "; ringsync launch --hosts with --tolerate or --restart serves one): this communicator spans several " +
            "hosts or job directories, so its survivors cannot agree through files");
    }

    private Communicator agreeAndConnect(
        final RuntimeException failure, final AgreementStore store, final Connector connector)
    {
        final int rank = group.rank;
        // ranks not to wait for: the suspect of the failure, then those found gone or left out by an earlier epoch
        final boolean[] out = new boolean[group.size];
        if (failure instanceof PeerFailedException || failure instanceof CollectiveTimeoutException)
        {
            final int suspect = ((RingsyncException)failure).suspectRank();
            if (suspect >= 0 && suspect < group.size && suspect != rank)
            {
                out[suspect] = true;
            }
        }
        String lastReason = null;
        int lastSuspect = -1;
        for (int attempt = 0; attempt < group.size; attempt++)
        {
            epoch++;
            final String directory = epochDirectory(epoch);
            final int[] members = agree(store, directory, epoch, out);
            Communicator connected = null;
            RingsyncException connectFailure = null;
            try
            {
                connected = connector.connect(members, SubGroups.meshId(membership.meshId, -epoch, 0));
            }
            catch (final PeerFailedException | ConfigurationException ex)
            {
                // a member that died or left its handshake (another saw a death this one could not): settle, and
                // run the next epoch without the members then found gone
                connectFailure = ex;
            }
            // all members keep the communicator, or all drop it: none goes on over one the others never joined
            final int[] missing = settle(store, directory, members, null != connected);
            if (0 == missing.length)
            {
                shrunk = true;
                return connected;
            }
            CloseHelper.quietClose(connected);
            // the next epoch runs without the ranks this one left out, so a rank excluded here is not waited for
            // again, and without those learnt gone; a member that failed to connect but runs is waited for again
            for (int peer = 0; peer < group.size; peer++)
            {
                out[peer] |= Arrays.binarySearch(members, peer) < 0;
            }
            boolean learnt = false;
            if (null != connectFailure)
            {
                final int suspect = connectFailure.suspectRank();
                if (suspect >= 0 && suspect < members.length && members[suspect] != rank && !out[members[suspect]])
                {
                    out[members[suspect]] = true;
                    learnt = true;
                }
                lastReason = connectFailure.getMessage();
                lastSuspect = suspect >= 0 && suspect < members.length ? members[suspect] : -1;
            }
            else
            {
                lastReason = ShrinkCommit.describe(missing, ctx.timeoutNs());
                lastSuspect = missing[0];
            }
            for (final int member : members)
            {
                if (!out[member] && !isAliveOrUnknown(store, member))
                {
                    out[member] = true;
                    learnt = true;
                }
            }
            if (!learnt && null != connectFailure)
            {
                throw connectFailure;
            }
        }
        throw new PeerFailedException("rank " + rank + ": shrink gave up after " + group.size + " attempts, a " +
            "member dying or failing to connect in each; the last: " + lastReason, lastSuspect);
    }

    /**
     * Agree with the other members of this epoch whether each connected the new communicator.
     *
     * @return the members that did not: empty when all did.
     */
    private int[] settle(final AgreementStore store, final String directory, final int[] members,
        final boolean isConnected)
    {
        try
        {
            return ShrinkCommit.settle(store, directory, membership, members, isConnected, ctx.timeoutNs(),
                store instanceof DirectoryStore ? FILE_POLL_NS : SERVER_POLL_NS);
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("rank " + group.rank + ": shrink cannot agree with the other survivors " +
                "through " + store + " whether all connected: " + ex, -1, ex);
        }
    }

    private String epochDirectory(final int attempt)
    {
        return String.format("%s%016x-%016x-%d/", DIRECTORY_PREFIX, membership.meshId, pidsHash, attempt);
    }

    /**
     * One epoch of the agreement.
     *
     * @param store   where the survivors agree.
     * @param directory the epoch's directory in the store.
     * @param attempt the epoch.
     * @param out     ranks not to wait for; updated with those found gone.
     * @return the members agreed on, ascending.
     * @throws RankExcludedException when they were agreed on without this rank.
     */
    private int[] agree(final AgreementStore store, final String directory, final int attempt, final boolean[] out)
    {
        final int rank = group.rank;
        final long timeoutNs = ctx.timeoutNs();
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final long pollNs = store instanceof DirectoryStore ? FILE_POLL_NS : SERVER_POLL_NS;
        final String decision = directory + DECISION;
        try
        {
            int[] members = read(store, decision);
            if (null == members)
            {
                store.put(directory + JOIN_PREFIX + rank, Long.toString(membership.pid(rank)));
            }
            final boolean[] joined = new boolean[group.size];
            joined[rank] = true;
            while (null == members)
            {
                boolean pending = false;
                for (int peer = 0; peer < group.size; peer++)
                {
                    if (peer == rank)
                    {
                        continue;
                    }
                    if (!joined[peer])
                    {
                        joined[peer] = hasJoined(store, directory, peer);
                    }
                    if (!membership.isAlive(store, peer))
                    {
                        out[peer] = true;
                    }
                    else if (!joined[peer] && !out[peer])
                    {
                        pending = true;
                    }
                }
                if (!pending || System.nanoTime() - deadlineNs >= 0)
                {
                    publish(store, decision, joined);
                }
                else
                {
                    LockSupport.parkNanos(pollNs);
                }
                members = read(store, decision);
            }
            if (Arrays.binarySearch(members, rank) < 0)
            {
                throw new RankExcludedException("rank " + rank + ": the other survivors agreed on ranks " +
                    Arrays.toString(members) + " without this rank (shrink epoch " + attempt + "): it joined after " +
                    "they decided (stopped, slower than the deadline of " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                    " ms, or named as the rank that failed), so it cannot take part in the shrunk communicator",
                    members);
            }
            return members;
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("rank " + rank + ": shrink cannot agree with the other survivors through " +
                store + ": " + ex, -1, ex);
        }
    }

    private boolean isAliveOrUnknown(final AgreementStore store, final int peer)
    {
        try
        {
            return membership.isAlive(store, peer);
        }
        catch (final IOException ex)
        {
            return true; // cannot tell: the next epoch's wait will
        }
    }

    private boolean hasJoined(final AgreementStore store, final String directory, final int peer) throws IOException
    {
        return Long.toString(membership.pid(peer)).equals(store.get(directory + JOIN_PREFIX + peer));
    }

    /**
     * Propose the ranks that joined and still run; the first proposal linked wins.
     */
    private void publish(final AgreementStore store, final String decision, final boolean[] joined)
        throws IOException
    {
        final StringBuilder sb = new StringBuilder();
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer == group.rank || (joined[peer] && membership.isAlive(store, peer)))
            {
                sb.append(sb.length() == 0 ? "" : ",").append(peer);
            }
        }
        // false: another survivor decided first, and its decision stands
        store.putOnce(decision, sb.toString());
    }

    /**
     * @return the published decision, or null when there is none yet.
     */
    private static int[] read(final AgreementStore store, final String decision) throws IOException
    {
        final String text = store.get(decision);
        return null == text ? null : ranks(text);
    }

    /**
     * @param text ranks, comma separated, as the agreement's entries hold them.
     * @return them.
     */
    static int[] ranks(final String text)
    {
        final String[] fields = text.split(",");
        final int[] ranks = new int[fields.length];
        for (int i = 0; i < fields.length; i++)
        {
            ranks[i] = Integer.parseInt(fields[i]);
        }
        return ranks;
    }
}
