package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.InboundWaiter;
import io.ringsync.transport.Ranks;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import io.ringsync.transport.security.FrameAuthenticator;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A full mesh of TCP links between the ranks of a job, across hosts: the default between hosts. Every rank listens on
 * its own {@code host:port} ({@link Context#endpoints(String...)}, one per rank in rank order) and every directed link
 * is one TCP connection, opened by the sender (layout and handshake: {@link TcpProtocol}).
 * <p>
 * Why TCP and not Aeron UDP between hosts: the kernel segments, checksums and acknowledges TCP in large batches
 * (segmentation offload), so a 32 KiB message costs one system call, while Aeron's Java driver makes one per
 * 1408-byte datagram. On simulated hosts (network namespaces over veth, MTU 1500) a 1 MiB AllReduce of 2 ranks took
 * 7.6-13 ms over Aeron UDP and a fraction of a millisecond over plain TCP.
 * <p>
 * Why one connection per directed link rather than one per pair of ranks: each connection then has one sender and one
 * receiver, both directions end independently (closing a rank's sending end does not touch what it receives), the
 * preamble alone says where a connection belongs, no tie-break is needed between two ranks dialling each other at
 * once, and nothing is lost: in a ring the reverse direction would carry no data anyway, only the receiver's credits,
 * which do travel back on the same connection.
 * <p>
 * Sending is claim, write in place, commit, into an off-heap ring the socket is written from; receiving reads the
 * socket into an off-heap ring and hands each frame to the handler in place, so the kernel's copies are the only
 * ones. Both rings are {@code windowLength} bytes, and the sender lays frames out exactly where they will sit in the
 * receiver's ring (padding at the end of the ring), so neither side ever copies or splits a frame.
 * <p>
 * Flow control is end to end: the receiver returns credits (bytes its handlers consumed, in batches of an eighth of
 * the ring), and a sender never has more than the ring's length committed beyond the last credit, so
 * {@link OutboundLink#availableWindow()} counts everything not yet consumed by the receiver's handlers, in either
 * kernel or either ring, as the ring AllReduce's deadlock freedom requires. The receiver's ring holds a whole window,
 * so it always drains the socket; a declined message only stops it from handing messages up.
 * <p>
 * {@link #connect(Context)} binds the listening socket and does not wait for peers: links report
 * {@link OutboundLink#NOT_CONNECTED} until up. A thread of the rank's endpoint dials peers (retrying while a peer
 * does not listen yet or its name does not resolve yet) and accepts their connections; after the connect timeout a
 * link that is still down reports {@link OutboundLink#CLOSED} or lost, and {@link #linkStatus(int)} says why.
 * {@link #openMesh(long, int[])} opens more meshes on the same listener, told apart by the preamble's mesh id.
 * <p>
 * A reset or end of stream makes the inbound link lost once everything received whole before it was delivered, and
 * the outbound link CLOSED. The hot path ({@code tryClaim}, {@code commit}, {@code poll}, {@code availableWindow},
 * {@link #doWork()}) allocates nothing and throws nothing but {@link IllegalArgumentException} for a message longer
 * than {@link #maxMessageLength()}. A {@link io.ringsync.transport.MessageHandler} that throws makes {@code poll}
 * throw, and its message stays at the head of the link, as if declined. Each mesh is used by one thread at a time;
 * different meshes may be used from different threads at once.
 * <p>
 * When ranks outnumber cores, a waiting rank should block in the kernel rather than spin or yield:
 * {@code capability(InboundWaiter.class)} returns this transport's {@link InboundWaiter}, an epoll wait on all its
 * links.
 */
public final class TcpTransport implements Transport
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * Name in {@code RINGSYNC_TRANSPORT}.
     */
    public static final String NAME = "tcp";

    /**
     * The mesh id of the mesh {@link #connect(Context)} opens, unless {@link Context#meshId(long)} says otherwise.
     */
    public static final long MESH_ID_DEFAULT = 0;

    /**
     * Largest default window: 4 MiB per directed link, in each of the sender's and receiver's rings.
     */
    public static final int WINDOW_LENGTH_DEFAULT = 4 << 20;

    /**
     * Smallest default window: 256 KiB.
     */
    public static final int WINDOW_LENGTH_DEFAULT_MIN = 256 << 10;

    /**
     * Smallest window: 4 KiB.
     */
    public static final int WINDOW_LENGTH_MIN = 4 << 10;

    /**
     * Largest window: 1 GiB.
     */
    public static final int WINDOW_LENGTH_MAX = 1 << 30;

    /**
     * Bytes of ring memory the default window lets one rank's links take, 64 MiB: 2 (n - 1) rings of the window
     * length, so jobs of up to 9 ranks get {@link #WINDOW_LENGTH_DEFAULT}, larger ones less.
     */
    public static final long RINGS_BUDGET_DEFAULT = 64L << 20;

    /**
     * {@link Context#windowLength(int)} value meaning "derive it from the world size".
     */
    public static final int WINDOW_LENGTH_FROM_WORLD_SIZE = 0;

    /**
     * Default time a link waits to connect: the communicator's default deadline.
     */
    public static final long CONNECT_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(30);

    /**
     * Default first pause between connection attempts; it doubles per failed attempt up to 250 ms.
     */
    public static final long CONNECT_RETRY_INTERVAL_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * Default time for one attempt's TCP connect plus preamble and answer, and for an accepted connection to send its
     * preamble: a host that drops packets or a client that says nothing is given up on after it.
     */
    public static final long HANDSHAKE_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(5);

    /**
     * Default idle time before the first keepalive probe (TCP_KEEPIDLE), seconds.
     */
    public static final int KEEPALIVE_IDLE_SECONDS_DEFAULT = 10;

    /**
     * Default time between keepalive probes (TCP_KEEPINTVL), seconds.
     */
    public static final int KEEPALIVE_INTERVAL_SECONDS_DEFAULT = 2;

    /**
     * Default unanswered probes before the kernel resets an idle connection (TCP_KEEPCNT): with the two above, a
     * silent peer host is noticed after about 20 s of silence.
     */
    public static final int KEEPALIVE_COUNT_DEFAULT = 5;

    /**
     * Default SO_SNDBUF and SO_RCVBUF: 0, the kernel's autotuning (an explicit SO_RCVBUF turns autotuning off).
     */
    public static final int SOCKET_BUFFER_LENGTH_DEFAULT = 0;

    /**
     * Default backlog of the listening socket.
     */
    public static final int ACCEPT_BACKLOG_DEFAULT = 128;

    /**
     * The frame tag's algorithm with a job secret: HMAC-SHA256, measured against AES-GMAC through the JDK's
     * {@code AES/GCM} cipher (perf-results/2026-12-06-frame-mac): it allocates nothing per frame, where the JDK 17
     * GCM cipher allocates about the frame's size per frame.
     */
    public static final FrameAuthenticator.Algorithm FRAME_MAC_DEFAULT = FrameAuthenticator.Algorithm.HMAC_SHA256;

    private static final java.security.SecureRandom NONCES = new java.security.SecureRandom();

    private final Context ctx;
    private final TcpEndpoint endpoint;
    private final long meshId;
    private final int rank;
    private final int worldSize;
    private final int[] jobRanks;
    private final int windowLength;
    private final int maxMessageLength;
    private final int tagLength;
    private final TcpOutboundLink[] outbound;
    private final TcpInboundLink[] inbound;
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private final Waiter waiter = new Waiter();

    private TcpTransport(final Context ctx, final TcpEndpoint endpoint, final long meshId, final int[] jobRanks)
    {
        this.ctx = ctx;
        this.endpoint = endpoint;
        this.meshId = meshId;
        this.jobRanks = jobRanks;
        this.worldSize = jobRanks.length;
        this.rank = indexOf(jobRanks, ctx.rank());
        this.windowLength = ctx.windowLength();
        this.tagLength = ctx.tagsFrames() ? FrameAuthenticator.TAG_LENGTH : 0;
        this.maxMessageLength = maxMessageLength(windowLength) - tagLength;
        this.outbound = new TcpOutboundLink[worldSize];
        this.inbound = new TcpInboundLink[worldSize];

        final long nowNs = System.nanoTime();
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                final int peerRank = jobRanks[peer];
                final String peerEndpoint = ctx.endpoints()[peerRank];
                inbound[peer] = new TcpInboundLink(
                    peer, peerRank, peerEndpoint, windowLength, maxMessageLength, ctx.connectTimeoutNs(), nowNs,
                    tagLength);
                final byte[] nonce = ctx.hasJobSecret() ? newNonce() : null;
                outbound[peer] = new TcpOutboundLink(peer, peerRank, peerEndpoint, windowLength, maxMessageLength,
                    nowNs + ctx.connectTimeoutNs() + ctx.handshakeTimeoutNs() + TimeUnit.SECONDS.toNanos(1),
                    nonce, authenticator(ctx.rank(), peerRank, nonce));
            }
        }
        endpoint.register(this);
        for (final TcpOutboundLink link : outbound)
        {
            if (null != link)
            {
                endpoint.dial(link, meshId, ctx.rank(), windowLength, nowNs);
            }
        }
    }

    /**
     * Bind this rank's listening socket (or take over {@link Context#listener()}) and start connecting to every
     * peer. Does not wait for peers.
     *
     * @param ctx settings; concluded here.
     * @return the transport, the job's mesh of id {@link Context#meshId()}.
     * @throws IllegalArgumentException for a bad setting (the message names it).
     * @throws IllegalStateException    when the listening socket cannot be bound (address in use, not local).
     */
    public static TcpTransport connect(final Context ctx)
    {
        try
        {
            ctx.conclude();
        }
        catch (final RuntimeException ex)
        {
            TcpEndpoint.closeQuietly(ctx.listener());
            throw ex;
        }
        final TcpEndpoint endpoint = TcpEndpoint.open(ctx);
        final int[] all = new int[ctx.worldSize()];
        Arrays.setAll(all, i -> i);
        final TcpTransport transport;
        try
        {
            transport = new TcpTransport(ctx, endpoint, ctx.meshId(), all);
        }
        catch (final RuntimeException ex)
        {
            endpoint.release();
            throw ex;
        }
        endpoint.start();
        return transport;
    }

    /**
     * Bind a listening socket the way a rank's endpoint wants it (address reuse; the receive buffer, when given, set
     * before binding so that accepted connections get a window scale to match), for
     * {@link Context#listener(ServerSocketChannel)}: a rank that must tell its peers its port before it connects (a
     * rendezvous) binds first, on any free port, and hands the socket over.
     *
     * @param address                   to bind, port 0 for any free one.
     * @param socketReceiveBufferLength SO_RCVBUF, 0 for the kernel's autotuning; the same as the Context's.
     * @return the bound socket, blocking; the caller closes it unless a transport took it.
     * @throws IOException when it cannot be bound.
     */
    public static ServerSocketChannel bindListener(final InetSocketAddress address, final int socketReceiveBufferLength)
        throws IOException
    {
        return TcpEndpoint.bindListener(address, socketReceiveBufferLength, ACCEPT_BACKLOG_DEFAULT);
    }

    /**
     * The window a job of {@code worldSize} ranks gets by default: {@link #WINDOW_LENGTH_DEFAULT}, unless the
     * 2 (n - 1) rings of a rank would then take more than {@link #RINGS_BUDGET_DEFAULT}; never less than
     * {@link #WINDOW_LENGTH_DEFAULT_MIN}.
     *
     * @param worldSize ranks in the job.
     * @return a power of two.
     */
    public static int defaultWindowLength(final int worldSize)
    {
        final long rings = Math.max(1L, 2L * (worldSize - 1));
        final long affordable = Long.highestOneBit(Math.max(1L, RINGS_BUDGET_DEFAULT / rings));
        return (int)Math.max(WINDOW_LENGTH_DEFAULT_MIN, Math.min(WINDOW_LENGTH_DEFAULT, affordable));
    }

    /**
     * The largest message a link of {@code windowLength} takes: an eighth of the window less the frame header, so
     * that a window always holds several messages plus the padding of a wrap.
     *
     * @param windowLength of the links.
     * @return bytes.
     */
    public static int maxMessageLength(final int windowLength)
    {
        return windowLength / 8 - TcpProtocol.FRAME_HEADER_LENGTH;
    }

    /**
     * {@inheritDoc}
     */
    public int rank()
    {
        return rank;
    }

    /**
     * {@inheritDoc}
     */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * @return {@code tcp}.
     */
    public String name()
    {
        return NAME;
    }

    /**
     * {@inheritDoc}
     */
    public OutboundLink outbound(final int peer)
    {
        return Objects.requireNonNull(outbound[peer], "no link to self");
    }

    /**
     * {@inheritDoc}
     */
    public InboundLink inbound(final int peer)
    {
        return Objects.requireNonNull(inbound[peer], "no link to self");
    }

    /**
     * @return {@link #maxMessageLength(int)} of the window.
     */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * Write what the kernel did not take at commit time (a full socket buffer). Must be called while waiting, as the
     * communicator does: a rank that only polls would otherwise hold back bytes its neighbour waits for.
     *
     * @return the number of links that wrote something.
     */
    public int doWork()
    {
        int work = 0;
        for (final TcpOutboundLink link : outbound)
        {
            if (null != link)
            {
                work += link.doWork();
            }
        }
        return work;
    }

    /**
     * Open a mesh of its own among some ranks of this one, on the same listening socket: its connections carry its
     * mesh id in their preambles. The listening socket closes with the last open mesh.
     *
     * @param meshId  identical on every member, unique among the open meshes of the job.
     * @param members ranks of this mesh in the new mesh's order; this rank is one of them.
     * @return the new mesh.
     * @throws IllegalArgumentException for bad members.
     * @throws IllegalStateException    when a mesh of that id is open, or this mesh is closed.
     */
    public TcpTransport openMesh(final long meshId, final int[] members)
    {
        if (isClosed.get())
        {
            throw new IllegalStateException("cannot open mesh " + meshId + " from a closed tcp transport");
        }
        final int[] ranks = checkMembers(members);
        if (endpoint.hasMesh(meshId))
        {
            throw new IllegalStateException("rank " + ctx.rank() + " already has an open tcp mesh with meshId=" +
                meshId + ": mesh ids must be unique among the open meshes of a job");
        }
        endpoint.acquire();
        try
        {
            return new TcpTransport(ctx, endpoint, meshId, ranks);
        }
        catch (final RuntimeException ex)
        {
            endpoint.release();
            throw ex;
        }
    }

    /**
     * {@link InboundWaiter}: an epoll wait on every link of this mesh.
     *
     * @param type of the feature.
     * @param <T>  the feature.
     * @return the waiter for {@code InboundWaiter.class}, else null.
     */
    public <T> T capability(final Class<T> type)
    {
        return InboundWaiter.class == type ? type.cast(waiter) : null;
    }

    /**
     * @return the id of this mesh.
     */
    public long meshId()
    {
        return meshId;
    }

    /**
     * @param peer a rank of this mesh.
     * @return its rank in the job (the index of its endpoint).
     */
    public int jobRank(final int peer)
    {
        return jobRanks[peer];
    }

    /**
     * @return bytes of each link's window (and of each of its two rings).
     */
    public int windowLength()
    {
        return windowLength;
    }

    /**
     * Whether both links with {@code peer} are up. For tests and diagnostics; the collectives handshake instead.
     *
     * @param peer another rank of this mesh.
     * @return true when both directions are connected and neither has ended.
     */
    public boolean isConnected(final int peer)
    {
        final TcpOutboundLink out = outbound[peer];
        final TcpInboundLink in = inbound[peer];
        return !isClosed.get() && null != out && null != in && out.isConnected() && in.isConnected() &&
            !out.isEnded() && !in.isLost();
    }

    /**
     * Describe both links with {@code peer}: connected, still connecting and why the last attempt failed, or why a
     * link ended. Meant for the message of a connect timeout.
     *
     * @param peer another rank of this mesh.
     * @return one line on each direction.
     */
    public String linkStatus(final int peer)
    {
        if (peer == rank || peer < 0 || peer >= worldSize)
        {
            return "rank " + rank + " has no link to rank " + peer;
        }
        final String endpointFailure = endpoint.failure();
        return "rank " + rank + " tcp link " + outbound[peer].describe() + "; link " + inbound[peer].describe() +
            (null != endpointFailure ? "; " + endpointFailure : "");
    }

    /**
     * @return connections the listener refused so far (bad magic, version, job, mesh or rank, duplicates, silence),
     * over all meshes of this rank.
     */
    public long rejectedConnections()
    {
        return endpoint.rejectedConnections();
    }

    /**
     * @return frames of this mesh's inbound links whose authentication tag failed (each ended its link), 0 without
     * a job secret.
     */
    public long authenticationFailures()
    {
        long total = 0;
        for (final TcpInboundLink link : inbound)
        {
            if (null != link)
            {
                total += link.authenticationFailures();
            }
        }
        return total;
    }

    /**
     * The authenticator of one end of a link with {@code peer}, or null without a job secret.
     *
     * @param fromJobRank sending rank.
     * @param toJobRank   receiving rank.
     * @param nonce       the connection's nonce.
     */
    FrameAuthenticator authenticator(final int fromJobRank, final int toJobRank, final byte[] nonce)
    {
        return ctx.tagsFrames() ? FrameAuthenticator.forLink(ctx.frameMac(), ctx.jobSecret(), ctx.sessionId(),
            ctx.jobId(), meshId, fromJobRank, toJobRank, nonce) : null;
    }

    /**
     * @return why the last refused connection was refused, with its address, or null.
     */
    public String lastRejection()
    {
        return endpoint.lastRejection();
    }

    /**
     * @return the address the listener is bound to.
     */
    public InetSocketAddress listenAddress()
    {
        return endpoint.listenAddress();
    }

    /**
     * @return the concluded settings (shared by every mesh of this rank).
     */
    public Context context()
    {
        return ctx;
    }

    /**
     * Close this mesh's links: outbound ones write what the socket takes at once and end their stream (peers see
     * their inbound links lost once drained), inbound ones close (peers' claims return CLOSED). The listener closes
     * with the last mesh. Never throws; safe to call more than once.
     */
    public void close()
    {
        if (isClosed.compareAndSet(false, true))
        {
            endpoint.unregister(this);
            for (final TcpOutboundLink link : outbound)
            {
                if (null != link)
                {
                    link.close();
                }
            }
            for (final TcpInboundLink link : inbound)
            {
                if (null != link)
                {
                    link.close();
                }
            }
            waiter.close();
            endpoint.release();
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "TcpTransport{rank=" + rank + "/" + worldSize + ", jobRank=" + ctx.rank() + ", meshId=" + meshId +
            ", jobId=0x" + Long.toHexString(ctx.jobId()) + ", listen=" + endpoint.listenAddress() +
            ", windowLength=" + windowLength + "}";
    }

    /**
     * Called by the endpoint's thread for a preamble of this mesh.
     */
    int acceptInbound(final int fromRank, final LinkIo channel, final byte[] nonce)
    {
        if (isClosed.get())
        {
            return TcpProtocol.STATUS_CLOSED;
        }
        final int peer = indexOf(jobRanks, fromRank);
        if (peer < 0 || peer == rank)
        {
            return TcpProtocol.STATUS_WRONG_RANK;
        }
        return inbound[peer].offer(channel, authenticator(fromRank, ctx.rank(), nonce));
    }

    private static byte[] newNonce()
    {
        final byte[] nonce = new byte[FrameAuthenticator.NONCE_LENGTH];
        NONCES.nextBytes(nonce);
        return nonce;
    }

    private int[] checkMembers(final int[] members)
    {
        if (null == members)
        {
            throw new IllegalArgumentException("members of a new mesh must name at least this rank, got null");
        }
        Transport.rankInMesh(members, rank, worldSize);
        final int[] ranks = new int[members.length];
        for (int i = 0; i < members.length; i++)
        {
            ranks[i] = jobRanks[members[i]];
        }
        return ranks;
    }

    private static int indexOf(final int[] values, final int value)
    {
        for (int i = 0; i < values.length; i++)
        {
            if (values[i] == value)
            {
                return i;
            }
        }
        return -1;
    }

    /**
     * An epoll wait on the links of this mesh: inbound sockets for data or end of stream, outbound sockets for
     * credits while bytes are in flight and for room while the kernel did not take everything. Whatever is ready is
     * read or written in the callback, so the caller's next poll finds it in the ring. The selector is made on first
     * use; channels are registered as their links connect.
     */
    private final class Waiter implements InboundWaiter
    {
        private final Consumer<SelectionKey> onReady = this::onReady;
        private Selector selector;
        private boolean isBroken;

        public void awaitInbound(final long maxNanos)
        {
            if (isClosed.get())
            {
                return;
            }
            if (isBroken || (null == selector && !open()))
            {
                LockSupport.parkNanos(Math.max(0, maxNanos));
                return;
            }
            for (final TcpInboundLink link : inbound)
            {
                if (null != link)
                {
                    link.prepareWait(selector);
                }
            }
            for (final TcpOutboundLink link : outbound)
            {
                if (null != link)
                {
                    link.prepareWait(selector);
                }
            }
            try
            {
                if (maxNanos <= 0)
                {
                    selector.selectNow(onReady);
                }
                else
                {
                    // select(0) would wait for ever: at least a millisecond, the selector's granularity
                    selector.select(onReady, Math.max(1, TimeUnit.NANOSECONDS.toMillis(maxNanos)));
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                isBroken = true;
            }
        }

        private void onReady(final SelectionKey key)
        {
            final Object link = key.attachment();
            if (link instanceof TcpInboundLink)
            {
                ((TcpInboundLink)link).onReady(key.readyOps());
            }
            else if (link instanceof TcpOutboundLink)
            {
                ((TcpOutboundLink)link).onReady(key.readyOps());
            }
        }

        private boolean open()
        {
            try
            {
                selector = Selector.open();
                return true;
            }
            catch (final IOException ex)
            {
                isBroken = true;
                return false;
            }
        }

        void close()
        {
            TcpEndpoint.closeQuietly(selector);
        }
    }

    /**
     * Settings of a {@link TcpTransport}: fluent, Aeron style ({@code ctx.rank(1)} / {@code ctx.rank()}), checked
     * and completed once by {@link #conclude()}.
     */
    public static final class Context
    {
        private final AtomicBoolean isConcluded = new AtomicBoolean();
        private int rank = -1;
        private int worldSize;
        private long jobId;
        private long meshId = MESH_ID_DEFAULT;
        private String[] endpoints;
        private String[] hosts;
        private int[] ports;
        private String listenHost;
        private ServerSocketChannel listener;
        private int windowLength = WINDOW_LENGTH_FROM_WORLD_SIZE;
        private long connectTimeoutNs = CONNECT_TIMEOUT_NS_DEFAULT;
        private long connectRetryIntervalNs = CONNECT_RETRY_INTERVAL_NS_DEFAULT;
        private long handshakeTimeoutNs = HANDSHAKE_TIMEOUT_NS_DEFAULT;
        private int socketSendBufferLength = SOCKET_BUFFER_LENGTH_DEFAULT;
        private int socketReceiveBufferLength = SOCKET_BUFFER_LENGTH_DEFAULT;
        private int keepAliveIdleSeconds = KEEPALIVE_IDLE_SECONDS_DEFAULT;
        private int keepAliveIntervalSeconds = KEEPALIVE_INTERVAL_SECONDS_DEFAULT;
        private int keepAliveCount = KEEPALIVE_COUNT_DEFAULT;
        private int acceptBacklog = ACCEPT_BACKLOG_DEFAULT;
        private byte[] jobSecret;
        private byte[] sessionId;
        private FrameAuthenticator.Algorithm frameMac = FRAME_MAC_DEFAULT;
        private boolean frameTags = true;
        private boolean tls;

        /**
         * Check every setting and fill in the derived ones (window length, parsed endpoints). Called by
         * {@link TcpTransport#connect(Context)}; may be called once.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting and what to set.
         * @throws IllegalStateException    when called a second time.
         */
        public Context conclude()
        {
            if (!isConcluded.compareAndSet(false, true))
            {
                throw new IllegalStateException("TcpTransport.Context already concluded: use a new Context");
            }

            Ranks.check(rank, worldSize);

            if (null == endpoints)
            {
                throw new IllegalArgumentException("endpoints is not set: tcp needs one host:port per rank in rank " +
                    "order, identical on every rank; set endpoints(String...)");
            }

            if (endpoints.length != worldSize)
            {
                throw new IllegalArgumentException("endpoints has " + endpoints.length + " entries but worldSize=" +
                    worldSize + ": set endpoints(String...) with one host:port per rank");
            }

            endpoints = endpoints.clone();
            hosts = new String[worldSize];
            ports = new int[worldSize];
            for (int i = 0; i < worldSize; i++)
            {
                parseEndpoint(i);
            }

            if (null != listenHost && listenHost.isBlank())
            {
                listenHost = null;
            }

            if (tls && null == jobSecret)
            {
                throw new IllegalArgumentException("tls needs a job secret: each rank's certificate is its own, " +
                    "made when it starts, and the secret proves over each connection that the peer is a rank of " +
                    "this job; set jobSecret(byte[]) (RINGSYNC_JOB_SECRET) on every rank");
            }

            if (null != listener)
            {
                final int listenerPort = listener.socket().getLocalPort();
                if (!listener.isOpen() || listenerPort <= 0)
                {
                    throw new IllegalArgumentException("listener is " + (listener.isOpen() ? "not bound" : "closed") +
                        ": give a bound listener (TcpTransport.bindListener), or none");
                }
                if (listenerPort != ports[rank])
                {
                    throw new IllegalArgumentException("listener is bound to port " + listenerPort + " but this " +
                        "rank's endpoint is " + endpoints[rank] + ": give every rank the port its listener has");
                }
            }

            if (WINDOW_LENGTH_FROM_WORLD_SIZE == windowLength)
            {
                windowLength = defaultWindowLength(worldSize);
            }
            if (windowLength < WINDOW_LENGTH_MIN || windowLength > WINDOW_LENGTH_MAX ||
                Integer.bitCount(windowLength) != 1)
            {
                throw new IllegalArgumentException("windowLength=" + windowLength + " must be a power of two from " +
                    WINDOW_LENGTH_MIN + " to " + WINDOW_LENGTH_MAX + ": set windowLength(int), e.g. " +
                    WINDOW_LENGTH_DEFAULT + ", or " + WINDOW_LENGTH_FROM_WORLD_SIZE + " to derive it");
            }

            checkPositive("connectTimeoutNs", connectTimeoutNs, CONNECT_TIMEOUT_NS_DEFAULT);
            checkPositive("connectRetryIntervalNs", connectRetryIntervalNs, CONNECT_RETRY_INTERVAL_NS_DEFAULT);
            checkPositive("handshakeTimeoutNs", handshakeTimeoutNs, HANDSHAKE_TIMEOUT_NS_DEFAULT);
            checkPositive("keepAliveIdleSeconds", keepAliveIdleSeconds, KEEPALIVE_IDLE_SECONDS_DEFAULT);
            checkPositive("keepAliveIntervalSeconds", keepAliveIntervalSeconds, KEEPALIVE_INTERVAL_SECONDS_DEFAULT);
            checkPositive("keepAliveCount", keepAliveCount, KEEPALIVE_COUNT_DEFAULT);
            checkPositive("acceptBacklog", acceptBacklog, ACCEPT_BACKLOG_DEFAULT);

            if (socketSendBufferLength < 0 || socketReceiveBufferLength < 0)
            {
                throw new IllegalArgumentException("socketSendBufferLength=" + socketSendBufferLength +
                    " and socketReceiveBufferLength=" + socketReceiveBufferLength + " must be >= 0 (0: the kernel " +
                    "autotunes): set socketSendBufferLength(int) / socketReceiveBufferLength(int)");
            }

            return this;
        }

        private void parseEndpoint(final int index)
        {
            final String endpoint = endpoints[index];
            final String value = null == endpoint ? "" : endpoint.trim();
            final int colon = value.lastIndexOf(':');
            int port = -1;
            String host = colon > 0 ? value.substring(0, colon) : "";
            if (colon > 0 && colon < value.length() - 1)
            {
                try
                {
                    port = Integer.parseInt(value.substring(colon + 1));
                }
                catch (final NumberFormatException ignore)
                {
                    port = -1;
                }
            }
            if (host.startsWith("[") && host.endsWith("]"))
            {
                host = host.substring(1, host.length() - 1);
            }
            if (port < 1 || port > 65535 || host.isEmpty() || (host.indexOf(':') >= 0 && !value.startsWith("[")))
            {
                throw new IllegalArgumentException("endpoints[" + index + "]='" + endpoint + "' is not host:port " +
                    "with a port from 1 to 65535 (IPv6 as [address]:port): set endpoints(String...)");
            }
            endpoints[index] = value;
            hosts[index] = host;
            ports[index] = port;
        }

        private static void checkPositive(final String name, final long value, final long example)
        {
            if (value <= 0)
            {
                throw new IllegalArgumentException(name + "=" + value + " must be > 0: set " + name + "(...), e.g. " +
                    example);
            }
        }

        /**
         * @param rank this process' rank, 0 to {@code worldSize - 1}.
         * @return this.
         */
        public Context rank(final int rank)
        {
            this.rank = rank;
            return this;
        }

        /**
         * @return this process' rank.
         */
        public int rank()
        {
            return rank;
        }

        /**
         * @param worldSize number of ranks in the job.
         * @return this.
         */
        public Context worldSize(final int worldSize)
        {
            this.worldSize = worldSize;
            return this;
        }

        /**
         * @return number of ranks in the job.
         */
        public int worldSize()
        {
            return worldSize;
        }

        /**
         * @param jobId identical on every rank; sent in every preamble, and a listener refuses other jobs'.
         * @return this.
         */
        public Context jobId(final long jobId)
        {
            this.jobId = jobId;
            return this;
        }

        /**
         * @return the job id.
         */
        public long jobId()
        {
            return jobId;
        }

        /**
         * @param meshId id of the mesh {@link TcpTransport#connect(Context)} opens, identical on every rank;
         *               default {@link TcpTransport#MESH_ID_DEFAULT}.
         * @return this.
         */
        public Context meshId(final long meshId)
        {
            this.meshId = meshId;
            return this;
        }

        /**
         * @return id of the first mesh.
         */
        public long meshId()
        {
            return meshId;
        }

        /**
         * @param endpoints one {@code host:port} per rank in rank order ({@code [v6 address]:port} for IPv6): rank r
         *                  listens on the r-th, bound to that host's address only, and its peers connect there.
         * @return this.
         */
        public Context endpoints(final String... endpoints)
        {
            this.endpoints = endpoints;
            return this;
        }

        /**
         * @return the endpoints.
         */
        public String[] endpoints()
        {
            return endpoints;
        }

        /**
         * @param rank a rank.
         * @return host part of its endpoint, once concluded.
         */
        public String host(final int rank)
        {
            return hosts[rank];
        }

        /**
         * @param rank a rank.
         * @return port of its endpoint, once concluded.
         */
        public int port(final int rank)
        {
            return ports[rank];
        }

        /**
         * @param listenHost address or name to bind this rank's listener to instead of the host of its own endpoint,
         *                   e.g. {@code 0.0.0.0} behind a NAT; null (default) binds the endpoint's own address, so
         *                   that no other interface accepts the job's connections.
         * @return this.
         */
        public Context listenHost(final String listenHost)
        {
            this.listenHost = listenHost;
            return this;
        }

        /**
         * @return the listen host override, or null.
         */
        public String listenHost()
        {
            return listenHost;
        }

        /**
         * @param listener a listening socket bound already ({@link TcpTransport#bindListener}), on this rank's
         *                 endpoint port, for {@link TcpTransport#connect(Context)} to take over instead of binding one:
         *                 a rank whose port is chosen before its peers know it (the rendezvous) binds first. The
         *                 transport closes it with its last mesh, or when connect fails. Null (default): connect binds.
         * @return this.
         */
        public Context listener(final ServerSocketChannel listener)
        {
            this.listener = listener;
            return this;
        }

        /**
         * @return the pre-bound listener, or null.
         */
        public ServerSocketChannel listener()
        {
            return listener;
        }

        /**
         * @param windowLength bytes a link lets a sender have in flight (and the length of each of its two rings), a
         *                     power of two from 4 KiB to 1 GiB, the same on every rank;
         *                     {@link TcpTransport#WINDOW_LENGTH_FROM_WORLD_SIZE} (the default) for
         *                     {@link TcpTransport#defaultWindowLength(int)}. Messages are limited to an eighth of it.
         * @return this.
         */
        public Context windowLength(final int windowLength)
        {
            this.windowLength = windowLength;
            return this;
        }

        /**
         * @return the window length (derived once concluded, unless set).
         */
        public int windowLength()
        {
            return windowLength;
        }

        /**
         * @param connectTimeoutNs how long links try to connect from {@link TcpTransport#connect(Context)} (or
         *                         {@code openMesh}); then a link still down reports CLOSED / lost. Set it to the
         *                         caller's own deadline.
         * @return this.
         */
        public Context connectTimeoutNs(final long connectTimeoutNs)
        {
            this.connectTimeoutNs = connectTimeoutNs;
            return this;
        }

        /**
         * @return the connect timeout in nanoseconds.
         */
        public long connectTimeoutNs()
        {
            return connectTimeoutNs;
        }

        /**
         * @param connectRetryIntervalNs first pause after a failed attempt (refused, unresolved, refused preamble);
         *                               it doubles up to 250 ms.
         * @return this.
         */
        public Context connectRetryIntervalNs(final long connectRetryIntervalNs)
        {
            this.connectRetryIntervalNs = connectRetryIntervalNs;
            return this;
        }

        /**
         * @return the first retry pause in nanoseconds.
         */
        public long connectRetryIntervalNs()
        {
            return connectRetryIntervalNs;
        }

        /**
         * @param handshakeTimeoutNs longest time for one attempt (TCP connect, preamble, answer), and for an
         *                           accepted connection to send its preamble.
         * @return this.
         */
        public Context handshakeTimeoutNs(final long handshakeTimeoutNs)
        {
            this.handshakeTimeoutNs = handshakeTimeoutNs;
            return this;
        }

        /**
         * @return the handshake timeout in nanoseconds.
         */
        public long handshakeTimeoutNs()
        {
            return handshakeTimeoutNs;
        }

        /**
         * @param socketSendBufferLength SO_SNDBUF of every link socket, 0 (default) for the kernel's autotuning.
         *                               The kernel caps it at {@code net.core.wmem_max}.
         * @return this.
         */
        public Context socketSendBufferLength(final int socketSendBufferLength)
        {
            this.socketSendBufferLength = socketSendBufferLength;
            return this;
        }

        /**
         * @return SO_SNDBUF, 0 for the kernel's choice.
         */
        public int socketSendBufferLength()
        {
            return socketSendBufferLength;
        }

        /**
         * @param socketReceiveBufferLength SO_RCVBUF of every link socket, 0 (default) for the kernel's autotuning,
         *                                  which an explicit value turns off. Capped at {@code net.core.rmem_max}.
         * @return this.
         */
        public Context socketReceiveBufferLength(final int socketReceiveBufferLength)
        {
            this.socketReceiveBufferLength = socketReceiveBufferLength;
            return this;
        }

        /**
         * @return SO_RCVBUF, 0 for the kernel's choice.
         */
        public int socketReceiveBufferLength()
        {
            return socketReceiveBufferLength;
        }

        /**
         * @param seconds idle time before the first keepalive probe (TCP_KEEPIDLE where the JDK supports it).
         * @return this.
         */
        public Context keepAliveIdleSeconds(final int seconds)
        {
            this.keepAliveIdleSeconds = seconds;
            return this;
        }

        /**
         * @return TCP_KEEPIDLE in seconds.
         */
        public int keepAliveIdleSeconds()
        {
            return keepAliveIdleSeconds;
        }

        /**
         * @param seconds time between keepalive probes (TCP_KEEPINTVL).
         * @return this.
         */
        public Context keepAliveIntervalSeconds(final int seconds)
        {
            this.keepAliveIntervalSeconds = seconds;
            return this;
        }

        /**
         * @return TCP_KEEPINTVL in seconds.
         */
        public int keepAliveIntervalSeconds()
        {
            return keepAliveIntervalSeconds;
        }

        /**
         * @param count unanswered probes before an idle connection is reset (TCP_KEEPCNT).
         * @return this.
         */
        public Context keepAliveCount(final int count)
        {
            this.keepAliveCount = count;
            return this;
        }

        /**
         * @return TCP_KEEPCNT.
         */
        public int keepAliveCount()
        {
            return keepAliveCount;
        }

        /**
         * @param acceptBacklog backlog of the listening socket.
         * @return this.
         */
        public Context acceptBacklog(final int acceptBacklog)
        {
            this.acceptBacklog = acceptBacklog;
            return this;
        }

        /**
         * @return the listen backlog.
         */
        public int acceptBacklog()
        {
            return acceptBacklog;
        }

        /**
         * A job secret turns on frame authentication: every frame carries a tag under a key of its link and
         * connection derived from the secret and {@link #sessionId(byte[])}; a frame whose tag fails ends the link
         * naming the peer. Every rank must have the same secret (a connection from a rank without one is refused).
         *
         * @param jobSecret the secret, or null for none (no tags, no cost).
         * @return this.
         */
        public Context jobSecret(final byte[] jobSecret)
        {
            if (null != jobSecret && 0 == jobSecret.length)
            {
                throw new IllegalArgumentException("jobSecret is empty: give a non-empty one, or null for none");
            }
            this.jobSecret = null == jobSecret ? null : jobSecret.clone();
            return this;
        }

        /**
         * @return whether frames are authenticated (a job secret is set).
         */
        public boolean hasJobSecret()
        {
            return null != jobSecret;
        }

        byte[] jobSecret()
        {
            return jobSecret;
        }

        /**
         * The session id salts the frame keys, so no key of this job is a key of another job with the same secret.
         * Without one (ranks joined without a rendezvous) keys still differ per connection (the sender's nonce),
         * but a whole connection recorded from an earlier job with the same secret, job id and mesh id could be
         * replayed into a link before its real sender connects: give the session id whenever there is one.
         *
         * @param sessionId the session id the rendezvous agreed, or null.
         * @return this.
         */
        public Context sessionId(final byte[] sessionId)
        {
            this.sessionId = null == sessionId ? null : sessionId.clone();
            return this;
        }

        byte[] sessionId()
        {
            return sessionId;
        }

        /**
         * @param frameMac the frame tag's algorithm with a job secret, the same on every rank;
         *                 {@link #FRAME_MAC_DEFAULT} unless measuring.
         * @return this.
         */
        public Context frameMac(final FrameAuthenticator.Algorithm frameMac)
        {
            this.frameMac = java.util.Objects.requireNonNull(frameMac, "frameMac");
            return this;
        }

        /**
         * @return the frame tag's algorithm (used only with a job secret).
         */
        public FrameAuthenticator.Algorithm frameMac()
        {
            return frameMac;
        }

        /**
         * Whether frames carry tags when the job has a secret (the default), or only the connections prove it
         * ({@link io.ringsync.transport.security.ConnectionProof}, once per connection, free on the data path): a
         * secret that guards the job without the per-byte cost of tags. The same on every rank.
         *
         * @param frameTags false to leave frames untagged.
         * @return this.
         */
        public Context frameTags(final boolean frameTags)
        {
            this.frameTags = frameTags;
            return this;
        }

        /**
         * @return whether every frame carries a tag: a job secret is set and {@link #frameTags(boolean)} is on.
         */
        public boolean tagsFrames()
        {
            return null != jobSecret && frameTags && !tls;
        }

        /**
         * TLS 1.3 on every connection, for a network that is itself hostile: what crosses it is encrypted, and
         * TLS's own record checks take the place of the frame tags ({@link #tagsFrames()} is then false). Each
         * process makes its own key and self-signed certificate ({@link TlsIdentity}); who the peer is comes from
         * the job secret, proven over each connection bound to its TLS handshake, so a job secret is required. The
         * same on every rank (a connection from a rank without it fails its TLS handshake, named). It costs a copy
         * and AES-GCM over every byte each way, and the JDK's engine allocates a little per record.
         *
         * @param tls true to run every connection over TLS.
         * @return this.
         */
        public Context tls(final boolean tls)
        {
            this.tls = tls;
            return this;
        }

        /**
         * @return whether every connection runs over TLS.
         */
        public boolean tls()
        {
            return tls;
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return "TcpTransport.Context{" +
                "rank=" + rank +
                ", worldSize=" + worldSize +
                ", jobId=0x" + Long.toHexString(jobId) +
                ", meshId=" + meshId +
                ", endpoints=" + (null == endpoints ? "null" : String.join(",", endpoints)) +
                ", listenHost=" + listenHost +
                ", windowLength=" + windowLength +
                ", connectTimeoutNs=" + connectTimeoutNs +
                ", socketSendBufferLength=" + socketSendBufferLength +
                ", socketReceiveBufferLength=" + socketReceiveBufferLength +
                ", keepAlive=" + keepAliveIdleSeconds + "/" + keepAliveIntervalSeconds + "/" + keepAliveCount +
                ", frameAuthentication=" + (tls ? "tls" : tagsFrames() ? frameMac : null != jobSecret ?
                "connection proof only" : "none") +
                '}';
        }
    }
}
