package io.ringsync.collectives;

import io.ringsync.transport.HostIdentity;
import io.ringsync.transport.agreement.AgreementStore;
import io.ringsync.transport.rendezvous.HostAddresses;

import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link Communicator#join(Context)}: a process that was not among a running job's ranks (a restarted rank, or a
 * new one) asks to join it and waits until the members admit it ({@link Admission}). The entries are described in
 * {@link Rejoin}: files of the job directory on one host, the job's agreement server across hosts. It takes the
 * lowest free ticket by putting its request there once, then polls for its verdict; when the deadline passes first
 * it puts {@code withdrawn} as the verdict, unless the members' rank 0 put {@code admitted} before, in which case it
 * joins after all. Admitted, it reads the round (mesh id, job ranks, pids, the tickets in rank order) and connects
 * its rank of the grown group.
 */
final class Joiner
{
    private static final long FILE_POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long SERVER_POLL_NS = TimeUnit.MILLISECONDS.toNanos(5);

    private Joiner()
    {
    }

    /**
     * @param ctx concluded settings of the job: its id, transport and job directory (and the media driver's
     *            directory for ipc; the agreement server and the rendezvous across hosts); the rank, when set, is
     *            this process' job rank (a restarted rank keeps its own).
     * @return the grown communicator, in which this process has a rank after the old members'.
     * @throws NotAdmittedException          when no member admitted it within the deadline.
     * @throws UnsupportedOperationException over a transport rejoining does not support.
     */
    static Communicator join(final Context ctx)
    {
        final String problem = Rejoin.problem(ctx);
        if (null != problem)
        {
            throw new UnsupportedOperationException("join: " + problem);
        }
        final boolean atServer = Rejoin.atServer(ctx);
        final String job = String.format("job 0x%016x (%s)", ctx.jobId(), atServer ? "agreement server " +
            ctx.agreement() : Transports.jobDirectory(ctx).toString());
        if (!atServer && !Transports.jobDirectory(ctx).isDirectory())
        {
            throw new NotAdmittedException("join: no " + job + " runs on this host: its job directory does not " +
                "exist (" + Configuration.JOB_ID_ENV + " and " + Configuration.JOB_DIR_ENV + " must name a running " +
                "job; ringsync launch --restart sets them)");
        }
        // the job directory is this user's and private, or refused (across hosts: this host's, for status files)
        Transports.privateJobDirectory(ctx);
        final long pid = ProcessHandle.current().pid();
        final long timeoutNs = ctx.timeoutNs();
        final long pollNs = atServer ? SERVER_POLL_NS : FILE_POLL_NS;
        // across hosts the members' rank 0 learns whether this process still runs from its lease
        AgreementLease.hold(ctx);
        try (AgreementStore store = Rejoin.openStore(ctx, "joiner-" + pid))
        {
            // across hosts the request names this process' lease, for rank 0 to ask whether it still runs
            final long ticket = request(store, pid + " " + ctx.rank() + (atServer ? " " +
                AgreementLease.name(HostIdentity.current(), pid) : ""));
            final String verdict = awaitVerdict(store, ticket, timeoutNs, pollNs);
            if (null == verdict || !verdict.startsWith(Rejoin.VERDICT_ADMITTED + " "))
            {
                throw new NotAdmittedException("join: this process (pid " + pid + ") was not admitted to " + job +
                    " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms: no member called admit() while " +
                    "its request " + Rejoin.request(ticket) + " waited in " + store + " (an elastic ModelAverager " +
                    "calls it at its sync points; is the job still running?); the request is withdrawn");
            }
            final long first = Long.parseLong(verdict.substring(verdict.indexOf(' ') + 1).trim());
            final String[] round = awaitRound(store, Rejoin.round(first), timeoutNs, pollNs, job);
            return connect(ctx, store, round, ticket, job, atServer);
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("join: cannot ask to join " + job + ": " + ex.getMessage(), -1, ex);
        }
    }

    private static Communicator connect(
        final Context ctx, final AgreementStore store, final String[] round, final long ticket, final String job,
        final boolean atServer)
    {
        final int before = Integer.parseInt(round[0]);
        final long meshId = Long.parseUnsignedLong(round[1], 16);
        final int[] jobRanks = Arrays.stream(round[2].split(",")).mapToInt(Integer::parseInt).toArray();
        final long[] pids = Arrays.stream(round[3].split(",")).mapToLong(Long::parseLong).toArray();
        final long[] tickets = Arrays.stream(round[4].split(",")).mapToLong(Long::parseLong).toArray();
        int rank = -1;
        for (int i = 0; i < tickets.length; i++)
        {
            rank = tickets[i] == ticket ? before + i : rank;
        }
        if (rank < 0)
        {
            throw new RingsyncException("join: the round that admitted ticket " + ticket + " of " + job + " does " +
                "not list it: " + String.join(" ", round), -1);
        }
        // across hosts a pid names a process of another kernel, maybe an unrelated one of this host's: none is known
        final ProcessHandle[] known = new ProcessHandle[jobRanks.length];
        for (int member = 0; member < known.length && !atServer; member++)
        {
            known[member] = member == rank ? null : ProcessHandle.of(pids[member]).orElse(null);
        }
        final String membersHost = round.length > 5 && !"-".equals(round[5]) ? round[5] : null;
        final Context joining = ctx.copy();
        if (round.length > 6 && !"-".equals(round[6]))
        {
            // the members' session: the frame keys derive from it (with the job secret, which the joiner has)
            joining.sessionId(HexFormat.of().parseHex(round[6]));
        }
        if (("tcp".equals(ctx.transport()) || "udp".equals(ctx.transport())) && null == membersHost)
        {
            throw new RingsyncException("join: the members of " + job + " do not run over " + ctx.transport() +
                " (their round names no address: " + String.join(" ", round) + "), but this joiner does: give it " +
                "the job's transport", -1);
        }
        return Rejoin.connect(joining, store, meshId, rank, jobRanks, liveness(store, round, tickets, rank, known,
            atServer), true, atServer ? ownHost(ctx, membersHost) : membersHost);
    }

    /**
     * How this joiner tells whether the others of the grown group still run: on one host their processes; across
     * hosts their leases, the members' as the round lists them, the other joiners' from their requests.
     */
    private static PeerLiveness liveness(
        final AgreementStore store, final String[] round, final long[] tickets, final int rank,
        final ProcessHandle[] known, final boolean atServer)
    {
        if (!atServer)
        {
            return PeerLiveness.ofProcesses(known);
        }
        final int before = Integer.parseInt(round[0]);
        final String[] leases = new String[known.length];
        final String[] members = round.length > 7 ? round[7].split(",") : new String[0];
        for (int member = 0; member < before && member < members.length; member++)
        {
            leases[member] = "-".equals(members[member]) ? null : members[member];
        }
        for (int i = 0; i < tickets.length; i++)
        {
            if (before + i == rank)
            {
                continue;
            }
            try
            {
                leases[before + i] = Rejoin.leaseOfRequest(store, tickets[i]);
            }
            catch (final IOException ex)
            {
                // this joiner's fellow is then waited for until the deadline, as before leases
                leases[before + i] = null;
            }
        }
        return PeerLiveness.ofLeases(known, store, leases);
    }

    /**
     * Across hosts: the address this joiner listens on, chosen as the members chose theirs at the rendezvous
     * ({@link Configuration#INTERFACE_ENV}, else the interface that routes to the rendezvous host, else to rank
     * 0's).
     */
    private static String ownHost(final Context ctx, final String membersHost)
    {
        final String toward = null != ctx.rendezvous() ? HostAddresses.host(ctx.rendezvous()) : membersHost;
        try
        {
            return HostAddresses.choose(ctx.interfaceSpec(), Configuration.INTERFACE_ENV, toward,
                System.nanoTime() + ctx.timeoutNs()).address().getHostAddress();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("join: " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * Put this process' request under the lowest free ticket.
     *
     * @return the ticket.
     */
    private static long request(final AgreementStore store, final String request) throws IOException
    {
        long ticket = 0;
        while (true)
        {
            if (!store.contains(Rejoin.request(ticket)) && store.putOnce(Rejoin.request(ticket), request))
            {
                return ticket;
            }
            ticket++;
        }
    }

    /**
     * @return the verdict on {@code ticket}: the members', or {@code withdrawn} when this joiner's was put first
     * after the deadline.
     */
    private static String awaitVerdict(
        final AgreementStore store, final long ticket, final long timeoutNs, final long pollNs) throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final String verdict = Rejoin.verdict(ticket);
        while (true)
        {
            final String text = store.get(verdict);
            if (null != text)
            {
                return text;
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                // either this withdrawal or the members' verdict was put first: read whichever it was
                store.putOnce(verdict, Rejoin.VERDICT_WITHDRAWN);
                return store.get(verdict);
            }
            LockSupport.parkNanos(pollNs);
        }
    }

    /**
     * @return the fields of the round, which the members' rank 0 puts right after its verdicts.
     */
    private static String[] awaitRound(
        final AgreementStore store, final String round, final long timeoutNs, final long pollNs, final String job)
        throws IOException
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (true)
        {
            final String text = store.get(round);
            if (null != text)
            {
                return text.split(" ");
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new RingsyncException("join: admitted to " + job + ", but the members' rank 0 did not " +
                    "publish the grown group (" + round + ") within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) +
                    " ms: it failed while admitting", 0);
            }
            LockSupport.parkNanos(pollNs);
        }
    }
}
