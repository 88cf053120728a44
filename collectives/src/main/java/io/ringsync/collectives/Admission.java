package io.ringsync.collectives;

import io.ringsync.transport.Transport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.agreement.AgreementStore;
import io.ringsync.transport.rendezvous.HostAddresses;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.StringJoiner;

/**
 * {@link Communicator#admit()}: the members of a working communicator take in the processes waiting to join
 * ({@link Joiner}), and go on as a grown communicator. The entries are described in {@link Rejoin}: files of the job
 * directory on one host, the job's agreement server across hosts.
 * <p>
 * The agreement has a single decider: the members' rank 0. It looks for requests from the first ticket it has not
 * seen decided ({@code cursor}): when nobody waits that costs one {@code stat} of {@code request-<cursor>} on one
 * host, one round trip to the agreement server across hosts (on a connection rank 0 keeps until the communicator
 * closes). For each request found it publishes the verdict once ({@link AgreementStore#putOnce}): {@code admitted}
 * when the requester has not withdrawn (a joiner that gave up put {@code withdrawn} first, and is then skipped) and,
 * on one host, still runs; {@code gone} when its process has exited. It then puts the round for the joiners and
 * broadcasts the admitted tickets, job ranks and pids to the members in one small broadcast, the same on every
 * member: the members never read the requests, so they cannot see different sets, whenever a joiner appears. A
 * joiner that arrives after rank 0 looked is taken at the next {@code admit()}.
 * <p>
 * When somebody was admitted every member and joiner opens the grown group's mesh ({@link Rejoin#connect}): the
 * old members keep their ranks, the joiners follow in ticket order. A joiner that dies before it connects makes
 * the connect fail on the members (its process is known from its request, so they learn it at once); this
 * communicator still works then, and {@code admit()} may be called on it again.
 */
final class Admission implements AutoCloseable
{
    /**
     * Joiners taken in by one call at most; the others wait for the next.
     */
    static final int MAX_PER_ROUND = 16;

    private final Membership membership;
    private final Group group;
    private final Context ctx;
    private final double[] table = new double[1 + 3 * MAX_PER_ROUND];
    private AgreementStore store;
    private long cursor;
    // the name of request-<cursor>, made once per ticket: asking for it at every admit() allocates nothing
    private String nextRequest = Rejoin.request(0);
    private boolean grown;

    /**
     * @param membership the communicator's ranks, settings and processes, as its handshake found them.
     */
    Admission(final Membership membership)
    {
        this.membership = membership;
        this.group = membership.group;
        this.ctx = membership.ctx;
    }

    /**
     * @param hostAware whether the communicator runs the host-aware path.
     * @return why this communicator cannot admit, or null when it can.
     */
    String problem(final boolean hostAware)
    {
        if (null == ctx.statusDirectory())
        {
            return "rank " + group.rank + ": admit needs a job directory where joiners ask (" +
                Configuration.JOB_DIR_ENV + ", which ringsync launch sets, or the shm transport's); this " +
                "communicator has none";
        }
        final boolean atServer = Rejoin.atServer(ctx);
        if (!atServer && (hostAware || !membership.oneHost))
        {
            return "rank " + group.rank + ": rejoining across hosts needs the job's agreement server (" +
                Configuration.AGREEMENT_ENV + ", with " + Configuration.JOB_SECRET_ENV + "; ringsync launch --hosts " +
                "with --tolerate or --restart serves one): this communicator spans several hosts or job directories" +
                (hostAware ? ", on the host-aware path" : "") + ", so joiners cannot ask through files";
        }
        final String transport = Rejoin.transportProblem(group.transport().name());
        if (null == transport && atServer && !"tcp".equals(group.transport().name()))
        {
            return "rank " + group.rank + ": rejoin at an agreement server (" + Configuration.AGREEMENT_ENV +
                ", across hosts) runs over tcp, not " + group.transport().name();
        }
        return null == transport ? null : "rank " + group.rank + ": " + transport;
    }

    /**
     * Agree with the other members on the joiners and connect the grown communicator.
     *
     * @param comm      the communicator, which runs the agreement's broadcast.
     * @param open      whether it works.
     * @param closed    whether it was closed.
     * @param hostAware whether it runs the host-aware path.
     * @return the grown communicator, or {@code comm} when nobody waits.
     */
    synchronized Communicator run(final Communicator comm, final boolean open, final boolean closed,
        final boolean hostAware)
    {
        final int rank = group.rank;
        if (grown)
        {
            throw new IllegalStateException("rank " + rank + ": this communicator grew already; call admit() on the " +
                "communicator that admit() returned");
        }
        if (closed || !open)
        {
            throw new IllegalStateException("rank " + rank + ": admit() on a " + (closed ? "closed" : "failed") +
                " communicator: " + (closed ? "admit on the one that replaced it" : "shrink it first, then admit " +
                "on the survivors' communicator"));
        }
        final String problem = problem(hostAware);
        if (null != problem)
        {
            throw new UnsupportedOperationException(problem);
        }
        IOException failure = null;
        if (rank == 0)
        {
            try
            {
                decide();
            }
            catch (final IOException | RuntimeException ex)
            {
                // the others must still leave the broadcast: tell them it failed
                java.util.Arrays.fill(table, 0);
                table[0] = -1;
                failure = ex instanceof IOException ? (IOException)ex : new IOException(ex);
            }
        }
        comm.broadcast(table, 0);
        final int count = (int)table[0];
        if (count < 0)
        {
            throw new RingsyncException("rank " + rank + ": admit failed: rank 0 could not read or write the join " +
                "requests" + (null == failure ? "" : ": " + failure), 0, failure);
        }
        if (0 == count)
        {
            return comm;
        }
        final int size = group.size + count;
        final int[] jobRanks = new int[size];
        final ProcessHandle[] known = new ProcessHandle[size];
        for (int member = 0; member < group.size; member++)
        {
            jobRanks[member] = group.jobRank(member);
            known[member] = member == rank ? null : membership.process(member);
        }
        final boolean atServer = Rejoin.atServer(ctx);
        for (int i = 0; i < count; i++)
        {
            jobRanks[group.size + i] = (int)table[2 + 3 * i];
            // a joiner that dies before its hello is then known as gone: the connect fails at once, not at the
            // deadline (on one host: across hosts its pid names a process of another kernel)
            known[group.size + i] = atServer ? null : ProcessHandle.of((long)table[3 + 3 * i]).orElse(null);
        }
        AgreementStore shared = store;
        try
        {
            if (null == shared)
            {
                shared = Rejoin.openStore(ctx, "member-" + rank);
            }
            final Communicator grownComm = Rejoin.connect(ctx, shared, Rejoin.meshId(membership.meshId,
                (long)table[1]), rank, jobRanks, liveness(known, shared, count, atServer), false, endpointHost());
            grown = true;
            return grownComm;
        }
        catch (final IOException ex)
        {
            throw new RingsyncException("rank " + rank + ": admit cannot reach where the grown group's ranks " +
                "publish their endpoints: " + ex.getMessage(), -1, ex);
        }
        finally
        {
            if (shared != store)
            {
                org.agrona.CloseHelper.quietClose(shared);
            }
        }
    }

    /**
     * How this member tells whether the others of the grown group still run: on one host their processes; across
     * hosts their leases, the members' from the handshake, the joiners' from their requests.
     */
    private PeerLiveness liveness(
        final ProcessHandle[] known, final AgreementStore shared, final int count, final boolean atServer)
        throws IOException
    {
        if (!atServer)
        {
            return PeerLiveness.ofProcesses(known);
        }
        final String[] leases = new String[known.length];
        for (int member = 0; member < group.size; member++)
        {
            leases[member] = member == group.rank ? null : membership.leaseName(member);
        }
        for (int i = 0; i < count; i++)
        {
            leases[group.size + i] = Rejoin.leaseOfRequest(shared, (long)table[1 + 3 * i]);
        }
        return PeerLiveness.ofLeases(known, shared, leases);
    }

    /**
     * Close rank 0's connection to the agreement server, if it has one.
     */
    @Override
    public synchronized void close()
    {
        org.agrona.CloseHelper.quietClose(store);
        store = null;
    }

    /**
     * Rank 0: publish the verdicts of the requests waiting and fill {@link #table}: the count, then ticket, job
     * rank and pid of each joiner admitted.
     */
    private void decide() throws IOException
    {
        java.util.Arrays.fill(table, 0);
        if (null == store)
        {
            store = Rejoin.openStore(ctx, "decider-" + ProcessHandle.current().pid());
        }
        final boolean atServer = Rejoin.atServer(ctx);
        int count = 0;
        long first = -1;
        int nextJobRank = 0;
        for (int member = 0; member < group.size; member++)
        {
            nextJobRank = Math.max(nextJobRank, group.jobRank(member) + 1);
        }
        // nobody waiting costs this one question (a stat, or a round trip to the server): no next request
        while (count < MAX_PER_ROUND && store.contains(nextRequest))
        {
            final long ticket = cursor;
            if (null == store.get(Rejoin.verdict(ticket)))
            {
                final String[] request = store.get(Rejoin.request(ticket)).split(" ");
                final long pid = Long.parseLong(request[0]);
                final int asked = Integer.parseInt(request[1]);
                // across hosts the requester's process is not this kernel's: its lease at the server says
                final boolean alive = atServer ? request.length < 3 || AgreementLease.isAlive(store, request[2]) :
                    ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive)
                {
                    store.putOnce(Rejoin.verdict(ticket), Rejoin.VERDICT_GONE);
                }
                else if (store.putOnce(Rejoin.verdict(ticket), Rejoin.VERDICT_ADMITTED + " " +
                    (first < 0 ? ticket : first)))
                {
                    first = first < 0 ? ticket : first;
                    table[1 + 3 * count] = ticket;
                    table[2 + 3 * count] = asked >= 0 ? asked : nextJobRank++;
                    table[3 + 3 * count] = pid;
                    count++;
                }
                // else the joiner withdrew first: it is not admitted
            }
            cursor++;
            nextRequest = Rejoin.request(cursor);
        }
        if (count > 0)
        {
            writeRound(first, count);
        }
        table[0] = count;
    }

    /**
     * The round's file, for the joiners: members before, mesh id, job ranks, pids and joiners' tickets, the members'
     * address and session, and the members' leases at the agreement server ("-" where not known).
     */
    private void writeRound(final long first, final int count) throws IOException
    {
        final StringJoiner jobRanks = new StringJoiner(",");
        final StringJoiner allPids = new StringJoiner(",");
        final StringJoiner tickets = new StringJoiner(",");
        final StringJoiner leases = new StringJoiner(",");
        for (int member = 0; member < group.size; member++)
        {
            jobRanks.add(Integer.toString(group.jobRank(member)));
            allPids.add(Long.toString(membership.pid(member)));
            final String lease = membership.leaseName(member);
            leases.add(null == lease ? "-" : lease);
        }
        for (int i = 0; i < count; i++)
        {
            jobRanks.add(Long.toString((long)table[2 + 3 * i]));
            allPids.add(Long.toString((long)table[3 + 3 * i]));
            tickets.add(Long.toString((long)table[1 + 3 * i]));
        }
        final String host = endpointHost();
        final byte[] session = ctx.sessionId();
        store.put(Rejoin.round(first), String.format(Locale.ROOT,
            "%d %x %s %s %s %s %s %s", group.size, Rejoin.meshId(membership.meshId, first), jobRanks, allPids,
            tickets, null == host ? "-" : host, null == session ? "-" : HexFormat.of().formatHex(session), leases));
    }

    /**
     * @return over tcp or udp, the address this member's endpoint has, where it takes its port in the grown group
     * too (and where a joiner of rank 0's host does, on one host); else null.
     */
    private String endpointHost()
    {
        final Transport transport = group.transport();
        if (transport instanceof TcpTransport)
        {
            return GrownEndpoints.host(((TcpTransport)transport).listenAddress());
        }
        if (transport instanceof AeronTransport && AeronMedia.UDP == ((AeronTransport)transport).media())
        {
            final AeronTransport.Context udp = ((AeronTransport)transport).context();
            return HostAddresses.host(udp.udpEndpoints()[udp.rank()]);
        }
        return null;
    }
}
