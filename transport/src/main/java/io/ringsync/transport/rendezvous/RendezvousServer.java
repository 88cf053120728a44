package io.ringsync.transport.rendezvous;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.rendezvous.RendezvousProtocol.FAILED;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.FLAG_SECRET;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.JOIN;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.MAGIC;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.MAX_SMALL_FRAME;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.NONCE_LENGTH;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.REFUSED;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.TABLE;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.VERSION;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.WAITING;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.WELCOME;

/**
 * Rank 0's side of the rendezvous: a listening socket, a thread that accepts, and a thread per connection that reads
 * the join, checks it, and then waits for the outcome (the table, or a failure) to send it, with a WAITING frame
 * about every second meanwhile. The caller's thread waits until every rank has joined or the deadline passes, then
 * gives the connections a bounded time to deliver the outcome and closes everything.
 */
final class RendezvousServer implements AutoCloseable
{
    private static final long POLL_MS = 100;
    private static final long HEARTBEAT_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long DELIVERY_GRACE_MS = 10_000;
    private static final int REFUSALS_KEPT = 5;

    private final Rendezvous.Context ctx;
    private final ServerSocket server;
    private final SecureRandom random = new SecureRandom();
    private final long deadlineNs;
    private final Connection[] joined;
    private final boolean[] everJoined;
    private final List<Connection> connections = new ArrayList<>();
    private final List<String> refusals = new ArrayList<>();
    private int joinedCount = 1;
    private int refusedCount;
    private String failure;
    private byte[] tableBody;
    private RendezvousTable table;
    private boolean isClosed;

    private RendezvousServer(final Rendezvous.Context ctx, final ServerSocket server, final long deadlineNs)
    {
        this.ctx = ctx;
        this.server = server;
        this.deadlineNs = deadlineNs;
        this.joined = new Connection[ctx.worldSize()];
        this.everJoined = new boolean[ctx.worldSize()];
        this.everJoined[0] = true;
    }

    /**
     * Bind the rendezvous port; the deadline starts now.
     */
    static RendezvousServer bind(final Rendezvous.Context ctx)
    {
        final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
        ServerSocket socket = null;
        try
        {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            final InetSocketAddress address = null == ctx.bindHost() ? new InetSocketAddress(ctx.port()) :
                new InetSocketAddress(InetAddress.getByName(ctx.bindHost()), ctx.port());
            socket.bind(address, Math.max(128, Math.min(4096, ctx.worldSize())));
            socket.setSoTimeout((int)POLL_MS);
            return new RendezvousServer(ctx, socket, deadlineNs);
        }
        catch (final IOException ex)
        {
            closeQuietly(socket);
            throw new RendezvousException("rank 0 cannot serve the rendezvous on port " + ctx.port() +
                (null == ctx.bindHost() ? "" : " of " + ctx.bindHost()) + " (" + ctx.addressSource() + "): " + ex +
                ". Is another job, or another rank 0, serving there? Choose another port.", ex);
        }
    }

    /**
     * @return the port it listens on.
     */
    int port()
    {
        return server.getLocalPort();
    }

    /**
     * Serve until every rank joined, the rendezvous failed, or the deadline passed.
     */
    RendezvousTable run()
    {
        final Thread acceptor = new Thread(this::acceptLoop, "ringsync-rendezvous-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        final String outcome;
        RuntimeException aborted = null;
        synchronized (this)
        {
            while (joinedCount < ctx.worldSize() && null == failure)
            {
                final long remainingNs = deadlineNs - System.nanoTime();
                if (remainingNs <= 0)
                {
                    failure = timeoutMessage();
                    break;
                }
                aborted = ctx.abortCheck().get();
                if (null != aborted)
                {
                    failure = aborted.getMessage();
                    break;
                }
                waitNs(remainingNs);
            }
            if (null == failure)
            {
                table = buildTable();
            }
            outcome = failure;
            notifyAll();
        }
        awaitDelivery(null == outcome ? DELIVERY_GRACE_MS : Math.min(DELIVERY_GRACE_MS, 3_000));
        close();
        joinQuietly(acceptor);
        if (null != aborted)
        {
            throw aborted;
        }
        if (null != outcome)
        {
            throw new RendezvousException("rank 0: " + outcome);
        }
        return table;
    }

    /**
     * @return joins refused so far (wrong or missing secret, duplicate rank, broken or foreign connections).
     */
    synchronized int refusedCount()
    {
        return refusedCount;
    }

    public void close()
    {
        final List<Connection> all;
        synchronized (this)
        {
            isClosed = true;
            all = new ArrayList<>(connections);
            notifyAll();
        }
        closeQuietly(server);
        for (final Connection connection : all)
        {
            closeQuietly(connection.socket);
        }
    }

    private void acceptLoop()
    {
        while (true)
        {
            synchronized (this)
            {
                if (isClosed || null != table || null != failure)
                {
                    return;
                }
            }
            final Socket socket;
            try
            {
                socket = server.accept();
            }
            catch (final SocketTimeoutException ex)
            {
                continue;
            }
            catch (final IOException ex)
            {
                if (server.isClosed())
                {
                    return;
                }
                sleepMs(POLL_MS); // e.g. out of file descriptors: the rank retries
                continue;
            }
            final Connection connection = new Connection(socket);
            synchronized (this)
            {
                if (isClosed)
                {
                    closeQuietly(socket);
                    return;
                }
                connections.add(connection);
            }
            final Thread thread = new Thread(connection, "ringsync-rendezvous-" + socket.getRemoteSocketAddress());
            thread.setDaemon(true);
            connection.thread = thread;
            thread.start();
        }
    }

    private RendezvousTable buildTable()
    {
        long jobId = ctx.jobId();
        while (0 == jobId)
        {
            jobId = random.nextLong();
        }
        final byte[] sessionId = new byte[RendezvousProtocol.SESSION_ID_LENGTH];
        random.nextBytes(sessionId);
        final String[] hosts = new String[ctx.worldSize()];
        final String[][] endpoints = new String[ctx.worldSize()][];
        hosts[0] = ctx.hostIdentity();
        endpoints[0] = ctx.endpoints();
        for (int r = 1; r < hosts.length; r++)
        {
            hosts[r] = joined[r].join.host;
            endpoints[r] = joined[r].join.endpoints;
        }
        try
        {
            tableBody = RendezvousProtocol.encodeTable(jobId, sessionId, hosts, endpoints);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
        return new RendezvousTable(0, jobId, sessionId, hosts, endpoints);
    }

    private String timeoutMessage()
    {
        final int[] never = ranks(false);
        final int[] left = ranks(true);
        final StringBuilder sb = new StringBuilder("the rendezvous on port ").append(ctx.port()).append(" (")
            .append(ctx.addressSource()).append(") timed out after ")
            .append(TimeUnit.NANOSECONDS.toMillis(ctx.timeoutNs())).append(" ms: ");
        if (never.length > 0)
        {
            sb.append(Rendezvous.rankList(never, never.length)).append(" never arrived (")
                .append(ctx.worldSize() - never.length).append(" of ").append(ctx.worldSize()).append(" joined");
            if (left.length > 0)
            {
                sb.append("; ").append(Rendezvous.rankList(left, left.length)).append(" left again before the table");
            }
            sb.append(')');
        }
        else
        {
            sb.append(Rendezvous.rankList(left, left.length)).append(" joined but left again before the table " +
                "(their own deadline passed, or they failed)");
        }
        if (refusedCount > 0)
        {
            sb.append("; ").append(refusedCount).append(refusedCount == 1 ? " join was" : " joins were")
                .append(" refused: ").append(String.join("; ", refusals));
        }
        sb.append(". Check that every rank was started with ").append(ctx.addressSource())
            .append(" and the same world size, and can reach this host");
        return sb.toString();
    }

    /**
     * @param hasJoined false: the ranks that never joined; true: those that joined and left again.
     */
    private int[] ranks(final boolean hasJoined)
    {
        final List<Integer> ranks = new ArrayList<>();
        for (int r = 1; r < joined.length; r++)
        {
            if (null == joined[r] && everJoined[r] == hasJoined)
            {
                ranks.add(r);
            }
        }
        return ranks.stream().mapToInt(Integer::intValue).toArray();
    }

    private int[] missing()
    {
        final int[] missing = new int[ctx.worldSize() - joinedCount];
        int count = 0;
        for (int r = 1; r < joined.length && count < missing.length; r++)
        {
            if (null == joined[r])
            {
                missing[count++] = r;
            }
        }
        return missing;
    }

    private void awaitDelivery(final long graceMs)
    {
        final long endNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        final List<Connection> all;
        synchronized (this)
        {
            all = new ArrayList<>(connections);
        }
        for (final Connection connection : all)
        {
            final long remainingMs = TimeUnit.NANOSECONDS.toMillis(endNs - System.nanoTime());
            if (remainingMs <= 0)
            {
                return;
            }
            final Thread thread = connection.thread;
            if (null != thread)
            {
                try
                {
                    thread.join(remainingMs);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private void waitNs(final long ns)
    {
        try
        {
            TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, Math.min(ns, TimeUnit.MILLISECONDS.toNanos(POLL_MS))));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            failure = "interrupted while waiting for the ranks to join";
        }
    }

    private synchronized void countRefusal(final String reason)
    {
        refusedCount++;
        if (refusals.size() < REFUSALS_KEPT)
        {
            refusals.add(reason);
        }
        ctx.log().accept("ringsync: rendezvous (rank 0): refused " + reason + " (" + refusedCount + " refused so " +
            "far)");
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void joinQuietly(final Thread thread)
    {
        try
        {
            thread.join(1_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    static void closeQuietly(final AutoCloseable closeable)
    {
        if (null != closeable)
        {
            try
            {
                closeable.close();
            }
            catch (final Exception ignore)
            {
                // closing what may be broken already
            }
        }
    }

    /**
     * One rank's connection, on a thread of its own.
     */
    private final class Connection implements Runnable
    {
        final Socket socket;
        final SocketAddress remote;
        final byte[] serverNonce = new byte[NONCE_LENGTH];
        volatile Thread thread;
        RendezvousProtocol.Join join;

        Connection(final Socket socket)
        {
            this.socket = socket;
            this.remote = socket.getRemoteSocketAddress();
            random.nextBytes(serverNonce);
        }

        public void run()
        {
            try
            {
                serve();
            }
            catch (final IOException | RuntimeException ex)
            {
                onBroken(ex);
            }
            finally
            {
                closeQuietly(socket);
            }
        }

        private void serve() throws IOException
        {
            socket.setTcpNoDelay(true);
            final long connectionDeadlineNs = Math.min(deadlineNs,
                System.nanoTime() + ctx.connectionTimeoutNs());
            socket.setSoTimeout(timeoutMs(connectionDeadlineNs));
            final DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));

            final java.io.ByteArrayOutputStream welcome = new java.io.ByteArrayOutputStream();
            final DataOutputStream w = new DataOutputStream(welcome);
            w.writeLong(MAGIC);
            w.writeInt(VERSION);
            w.writeInt(ctx.hasSecret() ? FLAG_SECRET : 0);
            w.write(serverNonce);
            RendezvousProtocol.write(out, WELCOME, welcome.toByteArray());

            final RendezvousProtocol.Frame frame = RendezvousProtocol.read(in, MAX_SMALL_FRAME);
            if (JOIN != frame.type)
            {
                throw new IOException("sent frame type " + frame.type + " instead of a join");
            }
            final byte[][] signed = RendezvousProtocol.unsign(frame);
            final RendezvousProtocol.Join request = RendezvousProtocol.Join.decode(signed[0]);
            final String who = "a join from " + remote + " claiming rank " + request.rank + " (host " +
                request.host + ")";

            final byte[] secret = ctx.secret();
            if (null != secret && !request.hasSecret)
            {
                refuse(out, who + ": this job needs RINGSYNC_JOB_SECRET and that process has none",
                    "rank 0 requires RINGSYNC_JOB_SECRET and this process has none: set the job's secret on every rank");
                return;
            }
            if (null != secret && !RendezvousProtocol.tagsMatch(
                RendezvousProtocol.joinTag(secret, serverNonce, request.nonce, signed[0]), signed[1]))
            {
                refuse(out, who + ": wrong RINGSYNC_JOB_SECRET",
                    "rank 0 refused this process' RINGSYNC_JOB_SECRET: it is not the job's secret (the secret never " +
                    "crosses the wire; check that every rank has the same value)");
                return;
            }
            if (null == secret && request.hasSecret)
            {
                refuse(out, who + ": that process has RINGSYNC_JOB_SECRET set but rank 0 has none",
                    "this process has RINGSYNC_JOB_SECRET set but rank 0 has none, so the job is not protected by " +
                    "it: set the same secret on every rank (rank 0 included), or on none");
                return;
            }

            String outcomeFailure;
            synchronized (RendezvousServer.this)
            {
                if (null == failure && null == table && request.worldSize != ctx.worldSize())
                {
                    failure = "rank " + request.rank + " (host " + request.host + ", " + remote + ") was started " +
                        "with world size " + request.worldSize + " but rank 0 with world size " + ctx.worldSize() +
                        ": start every rank with the same world size";
                    RendezvousServer.this.notifyAll();
                    RendezvousProtocol.write(out, REFUSED, RendezvousProtocol.text(failure));
                    return;
                }
                outcomeFailure = failure;
                if (null == outcomeFailure && null == table)
                {
                    final String problem = rankProblem(request);
                    if (null != problem)
                    {
                        refusedCount++;
                        if (refusals.size() < REFUSALS_KEPT)
                        {
                            refusals.add(who + ": " + problem);
                        }
                        ctx.log().accept("ringsync: rendezvous (rank 0): refused " + who + ": " + problem + " (" +
                            refusedCount + " refused so far)");
                        RendezvousProtocol.write(out, REFUSED, RendezvousProtocol.text(problem));
                        return;
                    }
                    join = request;
                    joined[request.rank] = this;
                    everJoined[request.rank] = true;
                    joinedCount++;
                    RendezvousServer.this.notifyAll();
                }
            }
            if (null != outcomeFailure)
            {
                RendezvousProtocol.write(out, FAILED, RendezvousProtocol.text(outcomeFailure));
                return;
            }
            if (null == join)
            {
                RendezvousProtocol.write(out, REFUSED, RendezvousProtocol.text("the rendezvous is complete: " +
                    "every rank of the job has joined already"));
                return;
            }
            awaitOutcome(in, out);
        }

        /**
         * Joined: tell the rank how far the rendezvous is, about every second, until the outcome is known; meanwhile
         * read, with a short timeout, to notice a rank that went away (its slot is freed for a restart).
         */
        private void awaitOutcome(final DataInputStream in, final DataOutputStream out) throws IOException
        {
            long nextHeartbeatNs = System.nanoTime();
            while (true)
            {
                final byte[] body;
                final String outcomeFailure;
                final int[] missing;
                final int joinedNow;
                synchronized (RendezvousServer.this)
                {
                    body = tableBody;
                    outcomeFailure = failure;
                    missing = null == body && null == outcomeFailure ? missing() : null;
                    joinedNow = joinedCount;
                    if (isClosed && null == body && null == outcomeFailure)
                    {
                        return;
                    }
                }
                if (null != body)
                {
                    final byte[] tag = RendezvousProtocol.tableTag(ctx.secret(), serverNonce, join.nonce, body);
                    RendezvousProtocol.write(out, TABLE, RendezvousProtocol.signed(body, tag));
                    return;
                }
                if (null != outcomeFailure)
                {
                    RendezvousProtocol.write(out, FAILED, RendezvousProtocol.text(outcomeFailure));
                    return;
                }
                if (System.nanoTime() - nextHeartbeatNs >= 0)
                {
                    RendezvousProtocol.write(out, WAITING,
                        RendezvousProtocol.encodeWaiting(joinedNow, ctx.worldSize(), missing));
                    nextHeartbeatNs = System.nanoTime() + HEARTBEAT_NS;
                }
                socket.setSoTimeout((int)POLL_MS);
                try
                {
                    if (in.read() < 0)
                    {
                        throw new SocketException("closed by the rank");
                    }
                    // a rank sends nothing after its join: anything more is a protocol error
                    throw new IOException("sent bytes after its join");
                }
                catch (final SocketTimeoutException ex)
                {
                    // nothing to read, as expected: look at the outcome again
                }
            }
        }

        private String rankProblem(final RendezvousProtocol.Join request)
        {
            if (request.rank < 0 || request.rank >= ctx.worldSize())
            {
                return "rank " + request.rank + " is out of range: the job has ranks 0.." + (ctx.worldSize() - 1);
            }
            if (0 == request.rank)
            {
                return "rank 0 is this process (host " + ctx.hostIdentity() + "), which serves the rendezvous: " +
                    "was a second process started with rank 0?";
            }
            final Connection first = joined[request.rank];
            if (null != first)
            {
                return "rank " + request.rank + " has already joined (host " + first.join.host + ", " + first.remote +
                    "): was a second process started with rank " + request.rank + "?";
            }
            return null;
        }

        private void refuse(final DataOutputStream out, final String logged, final String told) throws IOException
        {
            countRefusal(logged);
            RendezvousProtocol.write(out, REFUSED, RendezvousProtocol.text(told));
        }

        private void onBroken(final Exception ex)
        {
            synchronized (RendezvousServer.this)
            {
                if (null != join && joined[join.rank] == this && null == table && null == failure)
                {
                    // the rank went away before the table: a restarted process may take its place
                    joined[join.rank] = null;
                    joinedCount--;
                    ctx.log().accept("ringsync: rendezvous (rank 0): rank " + join.rank + " (" + remote +
                        ") left before the table was complete: " + ex.getMessage() + "; waiting for it again");
                    return;
                }
                if (null == join && !isClosed)
                {
                    refusedCount++;
                    if (refusals.size() < REFUSALS_KEPT)
                    {
                        refusals.add("a connection from " + remote + " that did not join: " + ex);
                    }
                }
            }
        }

        private int timeoutMs(final long untilNs)
        {
            return (int)Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(
                untilNs - System.nanoTime())));
        }
    }

    /**
     * @return the joined ranks so far, for tests.
     */
    synchronized int[] joinedRanks()
    {
        final int[] ranks = new int[joinedCount];
        int count = 0;
        for (int r = 0; r < joined.length; r++)
        {
            if (0 == r || null != joined[r])
            {
                ranks[count++] = r;
            }
        }
        return Arrays.copyOf(ranks, count);
    }
}
