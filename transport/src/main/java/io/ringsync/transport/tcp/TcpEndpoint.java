package io.ringsync.transport.tcp;

import jdk.net.ExtendedSocketOptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
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
    private static final long STOP_JOIN_MS = 5_000;

    private final TcpTransport.Context ctx;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final InetSocketAddress listenAddress;
    private final Thread thread;
    private final ConcurrentHashMap<Long, TcpTransport> meshes = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<OutboundDial> newDials = new ConcurrentLinkedQueue<>();
    private final ArrayList<OutboundDial> dials = new ArrayList<>();
    private final ArrayList<AcceptedConnection> accepted = new ArrayList<>();
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
        newDials.add(new OutboundDial(this, link, meshId, fromRank, windowLength, nowNs + ctx.connectTimeoutNs()));
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
                OutboundDial fresh;
                while (null != (fresh = newDials.poll()))
                {
                    dials.add(fresh);
                }
                final long nowNs = System.nanoTime();
                long nextNs = nowNs + TimeUnit.MILLISECONDS.toNanos(SELECT_MAX_MS);
                for (int i = dials.size() - 1; i >= 0; i--)
                {
                    final OutboundDial dial = dials.get(i);
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
                    final AcceptedConnection connection = accepted.get(i);
                    if (connection.isDone)
                    {
                        accepted.remove(i);
                    }
                    else if (nowNs - connection.deadlineNs >= 0)
                    {
                        connection.reject(connection.timeoutReason());
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
            for (final OutboundDial dial : dials)
            {
                dial.abandon();
            }
            OutboundDial fresh;
            while (null != (fresh = newDials.poll()))
            {
                fresh.abandon();
            }
            for (final AcceptedConnection connection : accepted)
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
        else if (attachment instanceof AcceptedConnection)
        {
            ((AcceptedConnection)attachment).onReadable();
        }
        else if (attachment instanceof OutboundDial)
        {
            ((OutboundDial)attachment).onReady(key);
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
                final AcceptedConnection connection = new AcceptedConnection(this, channel, System.nanoTime() + ctx.handshakeTimeoutNs());
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

    /**
     * @return the settings of the rank this endpoint listens for.
     */
    TcpTransport.Context context()
    {
        return ctx;
    }

    /**
     * @return the selector of the endpoint's thread, where handshakes wait.
     */
    Selector selector()
    {
        return selector;
    }

    /**
     * @param meshId a mesh id from a preamble.
     * @return that mesh of this rank, or null when none of that id is open.
     */
    TcpTransport mesh(final long meshId)
    {
        return meshes.get(meshId);
    }

    /**
     * Count a refused connection and keep why.
     *
     * @param remote where it came from, or null when unknown.
     * @param reason why it was refused.
     */
    void countRejection(final SocketAddress remote, final String reason)
    {
        // the reason first: a reader who sees the count also sees why
        lastRejection = "connection from " + remote + " refused: " + reason;
        rejected.incrementAndGet();
    }
}
