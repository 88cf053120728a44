package io.ringsync.transport.tcp;

import io.ringsync.transport.security.FrameAuthenticator;
import jdk.net.ExtendedSocketOptions;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.ringsync.transport.tcp.TcpProtocol.ACK_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.ACK_MAGIC;
import static io.ringsync.transport.tcp.TcpProtocol.ACK_STATUS_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_NONE;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_TAG_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_TYPE_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.FROM_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.JOB_ID_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.MAGIC_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.MESH_ID_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.PREAMBLE_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.PREAMBLE_MAGIC;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_BAD_AUTH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_BAD_VERSION;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_NO_SUCH_MESH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_OK;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WINDOW_MISMATCH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WRONG_JOB;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WRONG_RANK;
import static io.ringsync.transport.tcp.TcpProtocol.TO_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.VERSION;
import static io.ringsync.transport.tcp.TcpProtocol.VERSION_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.WINDOW_LENGTH_OFFSET;

/**
 * One rank's listening socket and the thread that sets up its connections, shared by every mesh the rank opens.
 * <p>
 * The thread waits in a selector and does only connection work, never data: it accepts, reads and checks each
 * preamble and routes the connection to the mesh and inbound link it names, answering with a status; and it dials
 * the peers for outbound links (resolving the host name on every attempt, retrying with a growing pause until the
 * connect timeout), sends the preamble, reads the answer and hands the connection to the link. Links take their
 * connection over through a volatile field on their own thread. Once every link is up the thread sleeps in the
 * selector and costs nothing.
 * <p>
 * Anything that is not a well-formed preamble of this job for this rank and an open mesh, or that names a link
 * that is already connected, is answered with a refusal (no answer at all without the magic), closed and counted
 * ({@link #rejectedConnections()}). The endpoint is closed with the last mesh that uses it.
 */
final class TcpEndpoint implements Runnable
{
    private static final long SELECT_MAX_MS = 100;
    private static final long RETRY_INTERVAL_MAX_NS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long STOP_JOIN_MS = 5_000;

    private final TcpTransport.Context ctx;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final InetSocketAddress listenAddress;
    private final Thread thread;
    private final ConcurrentHashMap<Long, TcpTransport> meshes = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Dial> newDials = new ConcurrentLinkedQueue<>();
    private final ArrayList<Dial> dials = new ArrayList<>();
    private final ArrayList<Accepted> accepted = new ArrayList<>();
    private final AtomicLong rejected = new AtomicLong();
    private volatile String lastRejection;
    private volatile String failure;
    private volatile boolean isRunning = true;
    private int references = 1;

    private TcpEndpoint(
        final TcpTransport.Context ctx,
        final ServerSocketChannel server,
        final Selector selector,
        final InetSocketAddress listenAddress)
    {
        this.ctx = ctx;
        this.server = server;
        this.selector = selector;
        this.listenAddress = listenAddress;
        this.thread = new Thread(this, "ringsync-tcp-" + ctx.rank());
        this.thread.setDaemon(true);
    }

    /**
     * Bind the listening socket of this rank (to the host of its own endpoint, or {@code listenHost}); the caller
     * registers its first mesh, then {@link #start()}s the thread, so that no early peer is refused for a mesh that
     * is about to open.
     *
     * @param ctx concluded settings.
     * @return the endpoint, with one reference (the first mesh's).
     * @throws IllegalStateException when the address cannot be resolved or bound.
     */
    static TcpEndpoint open(final TcpTransport.Context ctx)
    {
        final String host = null != ctx.listenHost() ? ctx.listenHost() : ctx.host(ctx.rank());
        final int port = ctx.port(ctx.rank());
        ServerSocketChannel server = ctx.listener();
        Selector selector = null;
        try
        {
            if (null == server)
            {
                server = bindListener(new InetSocketAddress(InetAddress.getByName(host), port),
                    ctx.socketReceiveBufferLength(), ctx.acceptBacklog());
            }
            server.configureBlocking(false);
            selector = Selector.open();
            server.register(selector, SelectionKey.OP_ACCEPT, null);
            return new TcpEndpoint(ctx, server, selector, (InetSocketAddress)server.getLocalAddress());
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(selector);
            closeQuietly(server);
            throw new IllegalStateException("rank " + ctx.rank() + " cannot listen on " + host + ":" + port +
                " (its entry in endpoints" + (null != ctx.listenHost() ? ", host overridden by listenHost" : "") +
                (null != ctx.listener() ? ", listener given" : "") + "): " + ex, ex);
        }
    }

    /**
     * Open a listening socket as a rank's endpoint wants it: address reuse, and the receive buffer set before
     * binding, so that accepted sockets get a window scale to match.
     */
    static ServerSocketChannel bindListener(
        final InetSocketAddress address, final int socketReceiveBufferLength, final int backlog) throws IOException
    {
        final ServerSocketChannel server = ServerSocketChannel.open();
        try
        {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            if (socketReceiveBufferLength > 0)
            {
                server.setOption(StandardSocketOptions.SO_RCVBUF, socketReceiveBufferLength);
            }
            server.bind(address, backlog);
            return server;
        }
        catch (final IOException | RuntimeException ex)
        {
            closeQuietly(server);
            throw ex;
        }
    }

    void start()
    {
        thread.start();
    }

    synchronized void acquire()
    {
        if (references <= 0)
        {
            throw new IllegalStateException("the tcp endpoint of rank " + ctx.rank() + " is closed");
        }
        references++;
    }

    /**
     * Drop one reference; the last one stops the thread and closes the listening socket. Never throws.
     */
    void release()
    {
        synchronized (this)
        {
            if (--references > 0)
            {
                return;
            }
        }
        isRunning = false;
        selector.wakeup();
        if (!thread.isAlive())
        {
            // never started: nothing else closes them
            closeQuietly(server);
            closeQuietly(selector);
        }
        else if (Thread.currentThread() != thread)
        {
            try
            {
                thread.join(STOP_JOIN_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    void register(final TcpTransport mesh)
    {
        final TcpTransport existing = meshes.putIfAbsent(mesh.meshId(), mesh);
        if (null != existing)
        {
            throw new IllegalStateException("rank " + ctx.rank() + " already has an open tcp mesh with meshId=" +
                mesh.meshId() + ": mesh ids must be unique among the open meshes of a job");
        }
    }

    void unregister(final TcpTransport mesh)
    {
        meshes.remove(mesh.meshId(), mesh);
    }

    boolean hasMesh(final long meshId)
    {
        return meshes.containsKey(meshId);
    }

    /**
     * Start connecting an outbound link; the endpoint's thread retries until the link's connect deadline.
     */
    void dial(
        final TcpOutboundLink link, final long meshId, final int fromRank, final long windowLength, final long nowNs)
    {
        newDials.add(new Dial(link, meshId, fromRank, windowLength, nowNs + ctx.connectTimeoutNs()));
        selector.wakeup();
    }

    long rejectedConnections()
    {
        return rejected.get();
    }

    String lastRejection()
    {
        return lastRejection;
    }

    InetSocketAddress listenAddress()
    {
        return listenAddress;
    }

    /**
     * @return why the endpoint's thread stopped early, or null.
     */
    String failure()
    {
        return failure;
    }

    public void run()
    {
        try
        {
            while (isRunning)
            {
                Dial fresh;
                while (null != (fresh = newDials.poll()))
                {
                    dials.add(fresh);
                }
                final long nowNs = System.nanoTime();
                long nextNs = nowNs + TimeUnit.MILLISECONDS.toNanos(SELECT_MAX_MS);
                for (int i = dials.size() - 1; i >= 0; i--)
                {
                    final Dial dial = dials.get(i);
                    final long dueNs = dial.onTimer(nowNs);
                    if (dial.isDone)
                    {
                        dials.remove(i);
                    }
                    else if (dueNs - nextNs < 0)
                    {
                        nextNs = dueNs;
                    }
                }
                for (int i = accepted.size() - 1; i >= 0; i--)
                {
                    final Accepted connection = accepted.get(i);
                    if (connection.isDone)
                    {
                        accepted.remove(i);
                    }
                    else if (nowNs - connection.deadlineNs >= 0)
                    {
                        connection.reject("no whole preamble within " +
                            TimeUnit.NANOSECONDS.toMillis(ctx.handshakeTimeoutNs()) + " ms");
                        accepted.remove(i);
                    }
                    else if (connection.deadlineNs - nextNs < 0)
                    {
                        nextNs = connection.deadlineNs;
                    }
                }
                final long waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextNs - nowNs + 999_999));
                selector.select(this::onReady, waitMs);
            }
        }
        catch (final Throwable ex)
        {
            failure = "the tcp endpoint thread of rank " + ctx.rank() + " failed: " + ex;
        }
        finally
        {
            for (final Dial dial : dials)
            {
                dial.abandon();
            }
            Dial fresh;
            while (null != (fresh = newDials.poll()))
            {
                fresh.abandon();
            }
            for (final Accepted connection : accepted)
            {
                closeQuietly(connection.channel);
            }
            closeQuietly(server);
            closeQuietly(selector);
        }
    }

    private void onReady(final SelectionKey key)
    {
        final Object attachment = key.attachment();
        if (null == attachment)
        {
            acceptAll();
        }
        else if (attachment instanceof Accepted)
        {
            ((Accepted)attachment).onReadable();
        }
        else if (attachment instanceof Dial)
        {
            ((Dial)attachment).onReady(key);
        }
    }

    private void acceptAll()
    {
        while (true)
        {
            final SocketChannel channel;
            try
            {
                channel = server.accept();
            }
            catch (final IOException ex)
            {
                // e.g. out of file descriptors: the peer will retry
                lastRejection = "accept failed: " + ex;
                return;
            }
            if (null == channel)
            {
                return;
            }
            try
            {
                channel.configureBlocking(false);
                configure(channel, ctx);
                final Accepted connection = new Accepted(channel, System.nanoTime() + ctx.handshakeTimeoutNs());
                channel.register(selector, SelectionKey.OP_READ, connection);
                accepted.add(connection);
            }
            catch (final IOException | RuntimeException ex)
            {
                closeQuietly(channel);
            }
        }
    }

    /**
     * Options every link socket gets: no Nagle delay (a frame leaves when committed), keepalive probes so that a
     * silent dead peer is noticed on an idle link, and the configured buffer sizes (none: the kernel autotunes).
     */
    static void configure(final SocketChannel channel, final TcpTransport.Context ctx) throws IOException
    {
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
        setIfSupported(channel, ExtendedSocketOptions.TCP_KEEPIDLE, ctx.keepAliveIdleSeconds());
        setIfSupported(channel, ExtendedSocketOptions.TCP_KEEPINTERVAL, ctx.keepAliveIntervalSeconds());
        setIfSupported(channel, ExtendedSocketOptions.TCP_KEEPCOUNT, ctx.keepAliveCount());
        if (ctx.socketSendBufferLength() > 0)
        {
            channel.setOption(StandardSocketOptions.SO_SNDBUF, ctx.socketSendBufferLength());
        }
        if (ctx.socketReceiveBufferLength() > 0)
        {
            channel.setOption(StandardSocketOptions.SO_RCVBUF, ctx.socketReceiveBufferLength());
        }
    }

    private static <T> void setIfSupported(final NetworkChannel channel, final SocketOption<T> option, final T value)
        throws IOException
    {
        if (channel.supportedOptions().contains(option))
        {
            channel.setOption(option, value);
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
                // closing what is broken already
            }
        }
    }

    private void countRejection(final SocketAddress remote, final String reason)
    {
        // the reason first: a reader who sees the count also sees why
        lastRejection = "connection from " + remote + " refused: " + reason;
        rejected.incrementAndGet();
    }

    /**
     * A connection accepted by the listener, until its preamble has been read and answered.
     */
    private final class Accepted
    {
        final SocketChannel channel;
        final long deadlineNs;
        final ByteBuffer in = ByteBuffer.allocateDirect(PREAMBLE_LENGTH).order(ORDER);
        boolean isDone;

        Accepted(final SocketChannel channel, final long deadlineNs)
        {
            this.channel = channel;
            this.deadlineNs = deadlineNs;
        }

        void onReadable()
        {
            final int count;
            try
            {
                count = channel.read(in);
            }
            catch (final IOException ex)
            {
                reject("broke before its preamble: " + ex);
                return;
            }
            if (count < 0)
            {
                reject("closed before a whole preamble");
                return;
            }
            if (in.position() >= 8 && in.getLong(MAGIC_OFFSET) != PREAMBLE_MAGIC)
            {
                reject("not a ringsync tcp preamble (magic 0x" + Long.toHexString(in.getLong(MAGIC_OFFSET)) + ")");
                return;
            }
            if (in.hasRemaining())
            {
                return;
            }

            final int version = in.getInt(VERSION_OFFSET);
            final int length = in.getInt(LENGTH_OFFSET);
            final long jobId = in.getLong(JOB_ID_OFFSET);
            final long meshId = in.getLong(MESH_ID_OFFSET);
            final int from = in.getInt(FROM_OFFSET);
            final int to = in.getInt(TO_OFFSET);
            final long windowLength = in.getLong(WINDOW_LENGTH_OFFSET);
            final int authType = in.getInt(AUTH_TYPE_OFFSET);
            final int authLength = in.getInt(AUTH_LENGTH_OFFSET);
            int status = STATUS_OK;
            String reason = null;
            TcpTransport mesh = null;
            if (VERSION != version || PREAMBLE_LENGTH != length)
            {
                status = STATUS_BAD_VERSION;
                reason = "protocol version " + version + " / preamble length " + length + ", this is " + VERSION +
                    " / " + PREAMBLE_LENGTH;
            }
            else if (ctx.jobId() != jobId)
            {
                status = STATUS_WRONG_JOB;
                reason = "job id 0x" + Long.toHexString(jobId) + ", this job is 0x" + Long.toHexString(ctx.jobId());
            }
            else if (ctx.rank() != to)
            {
                status = STATUS_WRONG_RANK;
                reason = "addressed to rank " + to + ", this is rank " + ctx.rank();
            }
            else if (ctx.hasJobSecret() ?
                ctx.frameMac().code() != authType || FrameAuthenticator.NONCE_LENGTH != authLength :
                AUTH_NONE != authType || 0 != authLength)
            {
                status = STATUS_BAD_AUTH;
                reason = "frame authentication " + (AUTH_NONE == authType ? "none" : "type " + authType) +
                    ", this rank " + (ctx.hasJobSecret() ? "authenticates frames with " + ctx.frameMac() +
                    " (a job secret is set)" : "has no job secret");
            }
            else if (null == (mesh = meshes.get(meshId)))
            {
                status = STATUS_NO_SUCH_MESH;
                reason = "no open mesh " + meshId;
            }
            else if (mesh.windowLength() != windowLength)
            {
                status = STATUS_WINDOW_MISMATCH;
                reason = "windowLength " + windowLength + ", mesh " + meshId + " uses " + mesh.windowLength();
            }

            isDone = true;
            final SelectionKey key = channel.keyFor(selector);
            if (null != key)
            {
                key.cancel();
            }
            if (STATUS_OK == status)
            {
                byte[] nonce = null;
                if (AUTH_NONE != authType)
                {
                    nonce = new byte[FrameAuthenticator.NONCE_LENGTH];
                    in.get(AUTH_TAG_OFFSET, nonce);
                }
                status = mesh.acceptInbound(from, channel, nonce);
                if (STATUS_OK != status)
                {
                    reason = "mesh " + meshId + " cannot take a link from rank " + from + ": " +
                        TcpProtocol.statusText(status);
                }
            }

            final ByteBuffer ack = ByteBuffer.allocateDirect(ACK_LENGTH);
            TcpProtocol.encodeAck(new UnsafeBuffer(ack), status);
            try
            {
                channel.write(ack);
            }
            catch (final IOException ex)
            {
                // an accepted link then sees the connection broken; a refused one is closed anyway
            }
            if (STATUS_OK != status)
            {
                countRejection(remote(), reason);
                closeQuietly(channel);
            }
        }

        void reject(final String reason)
        {
            isDone = true;
            countRejection(remote(), reason);
            closeQuietly(channel);
        }

        private SocketAddress remote()
        {
            try
            {
                return channel.getRemoteAddress();
            }
            catch (final IOException | RuntimeException ex)
            {
                return null;
            }
        }
    }

    /**
     * Connecting one outbound link: resolve, connect, send the preamble, read the answer; on any failure wait and
     * start over, until the link's connect deadline.
     */
    private final class Dial
    {
        private static final int WAITING = 0;
        private static final int CONNECTING = 1;
        private static final int SENDING = 2;
        private static final int AWAITING_ACK = 3;

        final TcpOutboundLink link;
        final long deadlineNs;
        final String host;
        final int port;
        final ByteBuffer out = BufferUtil.allocateDirectAligned(PREAMBLE_LENGTH, 64);
        final ByteBuffer in = ByteBuffer.allocateDirect(ACK_LENGTH).order(ORDER);
        int phase = WAITING;
        long nextAttemptNs;
        long phaseDeadlineNs;
        long retryIntervalNs;
        SocketChannel channel;
        String lastProblem = "no attempt yet";
        boolean isDone;

        Dial(final TcpOutboundLink link, final long meshId, final int fromRank, final long windowLength,
            final long deadlineNs)
        {
            this.link = link;
            this.deadlineNs = deadlineNs;
            this.host = ctx.host(link.peerRank());
            this.port = ctx.port(link.peerRank());
            this.retryIntervalNs = ctx.connectRetryIntervalNs();
            this.nextAttemptNs = System.nanoTime();
            TcpProtocol.encodePreamble(new UnsafeBuffer(out), ctx.jobId(), meshId, fromRank, link.peerRank(),
                windowLength, null != link.nonce() ? ctx.frameMac().code() : AUTH_NONE, link.nonce());
        }

        /**
         * @return when this dial wants to be looked at again.
         */
        long onTimer(final long nowNs)
        {
            if (link.isClosed())
            {
                abandon();
                return Long.MAX_VALUE;
            }
            if (WAITING == phase)
            {
                if (nowNs - nextAttemptNs >= 0)
                {
                    if (nowNs - deadlineNs >= 0)
                    {
                        giveUp();
                        return Long.MAX_VALUE;
                    }
                    attempt(nowNs);
                }
            }
            else if (nowNs - phaseDeadlineNs >= 0)
            {
                retry(nowNs, "no answer within " + TimeUnit.NANOSECONDS.toMillis(ctx.handshakeTimeoutNs()) + " ms");
            }
            if (isDone)
            {
                return Long.MAX_VALUE;
            }
            return WAITING == phase ? nextAttemptNs : Math.min(phaseDeadlineNs, deadlineNs);
        }

        void onReady(final SelectionKey key)
        {
            final long nowNs = System.nanoTime();
            try
            {
                if (CONNECTING == phase && key.isConnectable())
                {
                    if (channel.finishConnect())
                    {
                        send(key);
                    }
                }
                else if (SENDING == phase && key.isWritable())
                {
                    send(key);
                }
                else if (AWAITING_ACK == phase && key.isReadable())
                {
                    readAck(key, nowNs);
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                retry(nowNs, phaseName() + ": " + ex);
            }
        }

        private void attempt(final long nowNs)
        {
            final InetAddress address;
            try
            {
                // resolved afresh on each attempt: a peer's name may appear only once cluster DNS has it
                address = InetAddress.getByName(host);
            }
            catch (final IOException | RuntimeException ex)
            {
                retry(nowNs, "cannot resolve " + host + ": " + ex);
                return;
            }
            try
            {
                channel = SocketChannel.open();
                channel.configureBlocking(false);
                configure(channel, ctx);
                phaseDeadlineNs = nowNs + ctx.handshakeTimeoutNs();
                out.clear();
                in.clear();
                final SelectionKey key = channel.register(selector, 0, this);
                if (channel.connect(new InetSocketAddress(address, port)))
                {
                    send(key);
                }
                else
                {
                    phase = CONNECTING;
                    key.interestOps(SelectionKey.OP_CONNECT);
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                retry(nowNs, "connect to " + address + ":" + port + ": " + ex);
            }
        }

        private void send(final SelectionKey key) throws IOException
        {
            phase = SENDING;
            channel.write(out);
            if (out.hasRemaining())
            {
                key.interestOps(SelectionKey.OP_WRITE);
            }
            else
            {
                phase = AWAITING_ACK;
                key.interestOps(SelectionKey.OP_READ);
            }
        }

        private void readAck(final SelectionKey key, final long nowNs) throws IOException
        {
            if (channel.read(in) < 0)
            {
                retry(nowNs, "closed by " + host + ":" + port + " without an answer: not a ringsync tcp " +
                    "listener, or it did not take the preamble");
                return;
            }
            if (in.hasRemaining())
            {
                return;
            }
            if (in.getLong(MAGIC_OFFSET) != ACK_MAGIC)
            {
                retry(nowNs, host + ":" + port + " answered with something other than a ringsync acknowledgement");
                return;
            }
            final int status = in.getInt(ACK_STATUS_OFFSET);
            if (STATUS_OK != status)
            {
                retry(nowNs, host + ":" + port + " " + TcpProtocol.statusText(status));
                return;
            }
            key.cancel();
            final SocketChannel connected = channel;
            channel = null;
            isDone = true;
            link.dialStatus("connected");
            if (!link.offer(connected))
            {
                closeQuietly(connected);
            }
        }

        private void retry(final long nowNs, final String problem)
        {
            closeQuietly(channel);
            channel = null;
            lastProblem = problem;
            link.dialStatus(problem);
            phase = WAITING;
            nextAttemptNs = nowNs + retryIntervalNs;
            retryIntervalNs = Math.min(RETRY_INTERVAL_MAX_NS, 2 * retryIntervalNs);
        }

        private void giveUp()
        {
            link.fail("could not connect to rank " + link.peer() + " at " + host + ":" + port + " within " +
                TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()) + " ms; last attempt: " + lastProblem);
            abandon();
        }

        void abandon()
        {
            isDone = true;
            closeQuietly(channel);
            channel = null;
        }

        private String phaseName()
        {
            switch (phase)
            {
                case CONNECTING:
                    return "connect to " + host + ":" + port;
                case SENDING:
                    return "send preamble to " + host + ":" + port;
                default:
                    return "await answer from " + host + ":" + port;
            }
        }
    }
}
