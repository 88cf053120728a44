package io.ringsync.transport.aeron;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.LogBufferDescriptor;
import io.aeron.driver.ThreadingMode;
import io.aeron.protocol.DataHeaderFlyweight;
import io.ringsync.transport.CallStarts;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Ranks;
import io.ringsync.transport.Transport;
import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.BitUtil;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A full mesh of Aeron links between the ranks of a job: for every peer one {@link ExclusivePublication} to it and
 * one {@link Subscription} from it, over IPC (one media driver shared by the job's ranks) or UDP (one endpoint per
 * rank).
 * <p>
 * The directed link from rank {@code f} to rank {@code t} uses stream id {@code streamIdBase + f * worldSize + t}.
 * IPC publications run on {@code aeron:ipc?term-length=T|mtu=65504|pub-wnd=T/2}; over UDP rank {@code r}
 * subscribes on its own endpoint {@code aeron:udp?endpoint=<udpEndpoints[r]>} (all its inbound links share the
 * socket) and publishes to peer {@code p} on {@code aeron:udp?endpoint=<udpEndpoints[p]>|mtu=M|term-length=T}.
 * <p>
 * Over UDP every link is bound to one Aeron session ({@code session-id=} on both its channels, the id from
 * {@link LinkSessionIds}): the publication uses it and the subscription's driver makes an image of that session
 * only, so SETUP and DATA frames of any other session, a stranger's included, are ignored by the driver and can
 * neither add an image nor, when one expires, make the link look lost.
 * <p>
 * Over UDP with a job secret ({@link Context#jobSecret(byte[])}) every message also carries a
 * {@link AeronMessageAuthenticator#TAG_LENGTH}-byte tag after its payload, under a key of its directed link, covering
 * the message's number on the link, the stream position it ends at and its frame ({@link AeronMessageAuthenticator});
 * {@link #maxMessageLength()} and {@link OutboundLink#framedLength(int)} account for it and handlers never see it. A
 * message whose tag fails is dropped, counted ({@link InboundLink#authenticationFailures()}) and ends its link, with a
 * reason naming the peer. IPC messages carry no tag: they never leave the host.
 * <p>
 * {@link #connect(Context)} does not wait for peers: {@link OutboundLink#tryClaim(int)} returns
 * {@link OutboundLink#NOT_CONNECTED} until the peer's subscription is there, and the layer above handshakes with a
 * deadline. Messages never exceed {@link #maxMessageLength()}, so none is fragmented and the receiver reads each
 * one in place in the Aeron term. A {@link MessageHandler} that throws makes {@link InboundLink#poll} throw too
 * (Aeron's default would log and carry on), and the message it was handed counts as consumed.
 * <p>
 * The Aeron client runs its own conductor thread that sleeps when idle (a spinning one steals a core from the
 * ranks on a small host). Its errors, including a media driver timeout, are kept for {@link #lastError()}; unlike
 * Aeron's default handler, nothing here exits the JVM. After a driver timeout every link reports
 * {@link OutboundLink#CLOSED} and the inbound links report lost.
 */
public final class AeronTransport implements Transport
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * IPC mtu: Aeron's largest frame, so one claim holds up to 65472 bytes.
     */
    public static final int IPC_MTU_LENGTH = MediaDriverHost.IPC_MTU_LENGTH;

    /**
     * Default UDP mtu: fits a 1500-byte Ethernet frame without IP fragmentation (Aeron's default).
     */
    public static final int UDP_MTU_LENGTH_DEFAULT = 1408;

    /**
     * Default term length of every link: 1 MiB, a 512 KiB publisher window.
     */
    public static final int TERM_LENGTH_DEFAULT = 1024 * 1024;

    /**
     * Default UDP SO_SNDBUF / SO_RCVBUF and receiver window: 2 MiB gave 4x the loopback rate of the defaults.
     */
    public static final int SOCKET_BUFFER_LENGTH_DEFAULT = MediaDriverHost.SOCKET_BUFFER_LENGTH_DEFAULT;

    /**
     * Default time without a media driver heartbeat after which the client gives up (Aeron's default).
     */
    public static final long DRIVER_TIMEOUT_MS_DEFAULT = 10_000;

    /**
     * Default threading mode of an embedded (UDP) media driver: its duty cycle runs on the rank's thread while the
     * rank waits in a collective. On 2 cores, with the driver on a thread of its own (SHARED), every hop waited for
     * that thread to get a core the ranks kept busy: 4 KiB np 2 took 55-75 us p50 and 2-4 ms p99.
     */
    public static final ThreadingMode EMBEDDED_DRIVER_THREADING_MODE_DEFAULT = ThreadingMode.INVOKER;

    /**
     * {@link Context#streamIdBase()} value meaning "derive it from the job id".
     */
    public static final int STREAM_ID_BASE_FROM_JOB_ID = Integer.MIN_VALUE;

    /**
     * Bytes of Aeron's data frame header in front of every message.
     */
    public static final int FRAME_HEADER_LENGTH = DataHeaderFlyweight.HEADER_LENGTH;

    /**
     * The tag UDP messages carry with a job secret unless another is set: the one tcp frames carry.
     */
    public static final FrameAuthenticator.Algorithm FRAME_MAC_DEFAULT = FrameAuthenticator.Algorithm.HMAC_SHA256;

    private final Context ctx;
    private final int rank;
    private final int worldSize;
    private final String name;
    private final int maxMessageLength;
    private final AeronOutboundLink[] outbound;
    private final AeronInboundLink[] inbound;
    private final AeronConnection connection;
    private final TailProbe tailProbe;
    private final AtomicBoolean isClosed = new AtomicBoolean();

    private AeronTransport(final Context ctx, final AeronConnection shared)
    {
        this.ctx = ctx;
        this.rank = ctx.rank();
        this.worldSize = ctx.worldSize();
        this.name = ctx.media().transportName();
        this.maxMessageLength = computeMaxMessageLength(ctx.mtuLength(), ctx.termLength()) -
            (ctx.isFrameAuthenticated() ? AeronMessageAuthenticator.TAG_LENGTH : 0);
        this.outbound = new AeronOutboundLink[worldSize];
        this.inbound = new AeronInboundLink[worldSize];
        this.connection = null != shared ? shared : AeronConnection.open(ctx, rank);
        try
        {
            AeronLinks.open(ctx, connection, outbound, inbound);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            AeronLinks.close(ctx, connection, outbound, inbound);
            connection.release();
            throw AeronConnection.connectFailure(ctx, ex);
        }
        this.tailProbe = AeronMedia.UDP == ctx.media() ? new TailProbe(AeronLinks.publications(outbound)) : null;
    }

    /**
     * Create this rank's links: connect an Aeron client (launching an embedded UDP driver if no Aeron directory is
     * given), add a subscription from and a publication to every peer. Does not wait for peers.
     *
     * @param ctx settings; concluded here.
     * @return the transport.
     * @throws IllegalArgumentException for a bad setting (the message names it).
     * @throws IllegalStateException    when the media driver cannot be reached or a channel cannot be added.
     */
    public static AeronTransport connect(final Context ctx)
    {
        return new AeronTransport(ctx.conclude(), null);
    }

    /**
     * A mesh of its own among some ranks of this one, for a sub-communicator: new publications and subscriptions
     * through the same Aeron client and media driver (released with the last mesh that uses them), on a block of
     * stream ids derived from the job and {@code meshId}; over UDP on the members' own endpoints.
     *
     * @param meshId  identical on every member.
     * @param members ranks of this transport in the new mesh's order; this rank is one of them.
     * @return the new mesh.
     */
    public Transport openMesh(final long meshId, final int[] members)
    {
        final int newRank = Transport.rankInMesh(members, rank, worldSize);
        final String[] endpoints = null == ctx.udpEndpoints() ? null : new String[members.length];
        for (int i = 0; null != endpoints && i < members.length; i++)
        {
            endpoints[i] = ctx.udpEndpoints()[members[i]];
        }
        final Context meshCtx = new Context()
            .rank(newRank)
            .worldSize(members.length)
            .jobId(ctx.jobId())
            .media(ctx.media())
            .aeronDirectoryName(connection.aeronDirectoryName)
            .jobDirectory(ctx.jobDirectory())
            .udpEndpoints(endpoints)
            .termLength(ctx.termLength())
            .socketBufferLength(ctx.socketBufferLength())
            .driverTimeoutMs(ctx.driverTimeoutMs())
            .streamIdBase(Context.defaultStreamIdBase(ctx.jobId() ^ Long.rotateLeft(meshId, 17)))
            .linkSessionIds(ctx.linkSessionIds())
            .jobSecret(ctx.jobSecret())
            .rendezvousSessionId(ctx.rendezvousSessionId())
            .frameMac(ctx.frameMac())
            .meshId(meshId)
            .errorHandler(ctx.errorHandler());
        if (AeronMedia.UDP == ctx.media())
        {
            meshCtx.mtuLength(ctx.mtuLength());
        }
        return new AeronTransport(meshCtx.conclude(), connection.retain());
    }

    /**
     * The largest message one claim holds unfragmented: the mtu less the 32-byte data header, capped by Aeron's
     * max message length of term / 8.
     *
     * @param mtuLength  of the publication.
     * @param termLength of the publication.
     * @return the largest message length.
     */
    public static int computeMaxMessageLength(final int mtuLength, final int termLength)
    {
        return Math.min(mtuLength - FRAME_HEADER_LENGTH, FrameDescriptor.computeMaxMessageLength(termLength));
    }

    /**
     * The rule a UDP mtu must follow, for every layer that takes one from a user.
     *
     * @param mtuLength bytes of the largest datagram.
     * @return null when it is valid, else what is wrong ("must be a multiple of 32 from ...").
     */
    public static String mtuLengthProblem(final int mtuLength)
    {
        if (mtuLength <= FRAME_HEADER_LENGTH || mtuLength > IPC_MTU_LENGTH ||
            0 != (mtuLength & (FrameDescriptor.FRAME_ALIGNMENT - 1)))
        {
            return "must be a multiple of " + FrameDescriptor.FRAME_ALIGNMENT + " from " + (2 * FRAME_HEADER_LENGTH) +
                " to " + IPC_MTU_LENGTH;
        }
        return null;
    }

    /**
     * The rule a term length must follow, for every layer that takes one from a user.
     *
     * @param termLength bytes of each term of a link's log.
     * @param mtuLength  of the link, which a message of the term must hold.
     * @return null when it is valid, else what is wrong.
     */
    public static String termLengthProblem(final int termLength, final int mtuLength)
    {
        if (!BitUtil.isPowerOfTwo(termLength) ||
            termLength < LogBufferDescriptor.TERM_MIN_LENGTH || termLength > LogBufferDescriptor.TERM_MAX_LENGTH)
        {
            return "must be a power of two from " + LogBufferDescriptor.TERM_MIN_LENGTH + " to " +
                LogBufferDescriptor.TERM_MAX_LENGTH;
        }
        if (FrameDescriptor.computeMaxMessageLength(termLength) < mtuLength)
        {
            return "is too small for mtuLength=" + mtuLength + ": Aeron caps a message at term/8, so it must be at " +
                "least " + BitUtil.findNextPositivePowerOfTwo(8 * mtuLength);
        }
        return null;
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
     * @return {@code ipc} or {@code udp}.
     */
    public String name()
    {
        return name;
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
     * {@inheritDoc}
     */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * Runs a duty cycle of the embedded media driver when it is an {@link ThreadingMode#INVOKER} one (the UDP
     * default), so that a rank waiting in a collective sends and receives its own datagrams; on udp also probes the
     * links that fell quiet ({@link TailProbe}), so that a lost last frame is NAKed without waiting for Aeron's
     * heartbeat.
     *
     * @return the driver's work count and probes sent, 0 when there was nothing to do.
     */
    public int doWork()
    {
        final int work = connection.doWork();
        return null == tailProbe ? work : work + tailProbe.doWork(System.nanoTime());
    }

    /**
     * {@link CallStarts} on udp, for the {@link TailProbe}'s quiet time; else null.
     */
    @Override
    public <T> T capability(final Class<T> type)
    {
        return CallStarts.class == type && null != tailProbe ? type.cast(tailProbe) : null;
    }

    /**
     * @return padding frames sent to reveal a lost tail ({@link TailProbe}); 0 on ipc.
     */
    public long tailProbeCount()
    {
        return null == tailProbe ? 0 : tailProbe.probeCount();
    }

    /**
     * @return the media driver this rank embeds (UDP without an external driver), or null.
     */
    public MediaDriverHost embeddedDriver()
    {
        return connection.driver;
    }

    /**
     * Whether both directions with {@code peer} are up: our publication has seen its subscription and its
     * publication's image has reached ours. For tests and diagnostics; the collectives handshake instead.
     *
     * @param peer another rank.
     * @return true when both links with {@code peer} are connected.
     */
    public boolean isConnected(final int peer)
    {
        final AeronOutboundLink out = outbound[peer];
        final AeronInboundLink in = inbound[peer];
        return null != out && null != in && out.publication.isConnected() && in.subscription.isConnected();
    }

    /**
     * @return the media of the links.
     */
    public AeronMedia media()
    {
        return ctx.media();
    }

    /**
     * @return the concluded settings.
     */
    public Context context()
    {
        return ctx;
    }

    /**
     * @return the Aeron directory of the media driver the client uses (the embedded one if it was launched).
     */
    public String aeronDirectoryName()
    {
        return connection.aeronDirectoryName;
    }

    /**
     * @return the most recent error reported by the Aeron client's conductor or the embedded driver (e.g. a
     * {@code DriverTimeoutException}), or null. Check it when links turn {@link OutboundLink#CLOSED}.
     */
    public Throwable lastError()
    {
        return connection.errors.lastError();
    }

    /**
     * @return frames the embedded UDP driver dropped because no link of the job has their stream and session: what
     * strangers sent ({@link SessionGuard}); -1 without an embedded UDP driver (IPC, or an external driver, which
     * ignores strangers' sessions too but does not count their frames).
     */
    public long foreignFrameCount()
    {
        return null == connection.guard ? -1 : connection.guard.foreignFrameCount();
    }

    /**
     * @return messages of this mesh's UDP links dropped because their authentication tag failed (each one ends its
     * link), 0 without frame authentication.
     */
    public long authenticationFailures()
    {
        long total = 0;
        for (final AeronInboundLink link : inbound)
        {
            if (null != link)
            {
                total += link.authenticationFailures();
            }
        }
        return total;
    }

    /**
     * @return links of this rank's meshes whose frames the embedded UDP driver's guard lets through now; -1 without
     * a guard.
     */
    int admittedLinkCount()
    {
        return null == connection.guard ? -1 : connection.guard.admittedCount();
    }

    /**
     * @return how many errors the client and embedded driver have reported.
     */
    public long errorCount()
    {
        return connection.errors.errorCount();
    }

    /**
     * Close the publications, subscriptions, the client, then the embedded driver (deleting its directory).
     * Never throws, whatever state the peers or the driver are in; safe to call more than once.
     */
    public void close()
    {
        if (isClosed.compareAndSet(false, true))
        {
            AeronLinks.close(ctx, connection, outbound, inbound);
            connection.release();
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "AeronTransport{" + name + ", rank=" + rank + "/" + worldSize +
            ", jobId=0x" + Long.toHexString(ctx.jobId()) + ", dir=" + aeronDirectoryName() + "}";
    }

    /**
     * Settings of an {@link AeronTransport}: fluent, Aeron style ({@code ctx.rank(1)} / {@code ctx.rank()}),
     * checked and completed once by {@link #conclude()}.
     */
    public static final class Context
    {
        private final AtomicBoolean isConcluded = new AtomicBoolean();
        private int rank = -1;
        private int worldSize;
        private long jobId;
        private AeronMedia media = AeronMedia.IPC;
        private String aeronDirectoryName;
        private File jobDirectory;
        private String[] udpEndpoints;
        private int mtuLength;
        private int termLength = TERM_LENGTH_DEFAULT;
        private int socketBufferLength = SOCKET_BUFFER_LENGTH_DEFAULT;
        private long driverTimeoutMs = DRIVER_TIMEOUT_MS_DEFAULT;
        private int streamIdBase = STREAM_ID_BASE_FROM_JOB_ID;
        private byte[] sessionSecret;
        private LinkSessionIds linkSessionIds;
        private byte[] jobSecret;
        private byte[] rendezvousSessionId;
        private FrameAuthenticator.Algorithm frameMac = FRAME_MAC_DEFAULT;
        private long meshId;
        private java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> embeddedDriverCustomizer;
        private Supplier<IdleStrategy> embeddedDriverIdleStrategySupplier = MediaDriverHost::defaultIdleStrategy;
        private ThreadingMode embeddedDriverThreadingMode = EMBEDDED_DRIVER_THREADING_MODE_DEFAULT;
        private ErrorHandler errorHandler;

        /**
         * Check every setting and fill in the derived ones (mtu, stream id base). Called by
         * {@link AeronTransport#connect(Context)}; may be called once.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting and what to set.
         * @throws IllegalStateException    when called a second time.
         */
        public Context conclude()
        {
            if (!isConcluded.compareAndSet(false, true))
            {
                throw new IllegalStateException("AeronTransport.Context already concluded: use a new Context");
            }

            Ranks.check(rank, worldSize);
            AeronSettingRules.checkMedia(media);
            if (null != aeronDirectoryName && aeronDirectoryName.isBlank())
            {
                aeronDirectoryName = null;
            }

            if (AeronMedia.IPC == media)
            {
                AeronSettingRules.checkIpcDriver(aeronDirectoryName);
                mtuLength = IPC_MTU_LENGTH;
            }
            else
            {
                udpEndpoints = AeronSettingRules.udpEndpoints(udpEndpoints, worldSize);
                mtuLength = AeronSettingRules.udpMtuLength(mtuLength);
                AeronSettingRules.checkSocketBufferLength(socketBufferLength, mtuLength);
                AeronSettingRules.checkUdpDriver(aeronDirectoryName, jobDirectory);
            }

            AeronSettingRules.checkTermLength(termLength, mtuLength);
            AeronSettingRules.checkDriverTimeoutMs(driverTimeoutMs);
            streamIdBase = AeronSettingRules.streamIdBase(streamIdBase, jobId, worldSize);

            if (AeronMedia.UDP == media && null == linkSessionIds)
            {
                linkSessionIds = LinkSessionIds.of(jobId, sessionSecret);
            }
            if (null != sessionSecret)
            {
                java.util.Arrays.fill(sessionSecret, (byte)0);
                sessionSecret = null;
            }
            if (AeronMedia.UDP != media && null != jobSecret)
            {
                // IPC frames never leave the host: its log buffers are files only this user can open
                java.util.Arrays.fill(jobSecret, (byte)0);
                jobSecret = null;
            }

            AeronSettingRules.checkEmbeddedDriver(embeddedDriverThreadingMode, embeddedDriverIdleStrategySupplier);

            return this;
        }

        /**
         * The stream id base a job id maps to: a multiple of 4096 from 4096 to 2^30, spread by a 64-bit mix so that
         * jobs sharing a driver collide with a chance of 1 in 2^18 (blocks of 4096 ids fit 64 ranks).
         *
         * @param jobId of the job.
         * @return its stream id base.
         */
        public static int defaultStreamIdBase(final long jobId)
        {
            long z = jobId + 0x9E3779B97F4A7C15L;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);

            return ((int)(z & 0x3FFFF) + 1) << 12;
        }

        /**
         * @param from sending rank.
         * @param to   receiving rank.
         * @return the stream id of the directed link, once concluded.
         */
        public int streamId(final int from, final int to)
        {
            return streamIdBase + from * worldSize + to;
        }

        /**
         * Whether each link is bound to one Aeron session: over UDP its publication uses a fixed session id and
         * its subscription accepts only that session; over IPC the driver chooses and any session is accepted.
         *
         * @return true for UDP, once concluded.
         */
        public boolean isSessionBound()
        {
            return null != linkSessionIds;
        }

        /**
         * @param from sending rank.
         * @param to   receiving rank.
         * @return the Aeron session id of the directed link once concluded ({@link LinkSessionIds}), or
         * {@link io.aeron.Aeron#NULL_VALUE} when links are not bound to a session (IPC).
         */
        public int sessionId(final int from, final int to)
        {
            return null == linkSessionIds ? io.aeron.Aeron.NULL_VALUE : linkSessionIds.sessionId(streamId(from, to));
        }

        /**
         * @return the Aeron directory an embedded driver gets: {@code <jobDirectory>/aeron-rank-<rank>}.
         */
        public File embeddedDriverDirectory()
        {
            return null == jobDirectory ? null : new File(jobDirectory, "aeron-rank-" + rank);
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
         * @param jobId identical on every rank of a job; the default stream ids derive from it.
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
         * @param media IPC (default) or UDP.
         * @return this.
         */
        public Context media(final AeronMedia media)
        {
            this.media = media;
            return this;
        }

        /**
         * @return the media.
         */
        public AeronMedia media()
        {
            return media;
        }

        /**
         * @param aeronDirectoryName the Aeron directory of an external media driver: required for IPC (the
         *                           launcher's driver, shared by the job's ranks); for UDP, null embeds a driver
         *                           in this process under {@link #jobDirectory()}.
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @return the external driver's Aeron directory, or null.
         */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param jobDirectory the job's directory; an embedded UDP driver lives in
         *                     {@code <jobDirectory>/aeron-rank-<rank>} and is deleted on close.
         * @return this.
         */
        public Context jobDirectory(final File jobDirectory)
        {
            this.jobDirectory = jobDirectory;
            return this;
        }

        /**
         * @return the job's directory, or null.
         */
        public File jobDirectory()
        {
            return jobDirectory;
        }

        /**
         * @param udpEndpoints one {@code host:port} per rank in rank order (UDP only): rank r binds and receives on
         *                     the r-th; its peers send there.
         * @return this.
         */
        public Context udpEndpoints(final String... udpEndpoints)
        {
            this.udpEndpoints = udpEndpoints;
            return this;
        }

        /**
         * @return the UDP endpoints, or null.
         */
        public String[] udpEndpoints()
        {
            return udpEndpoints;
        }

        /**
         * @param mtuLength UDP datagram length, a multiple of 32 up to 65504; 0 means
         *                  {@link #UDP_MTU_LENGTH_DEFAULT}. Ignored for IPC, which always uses {@link #IPC_MTU_LENGTH}.
         * @return this.
         */
        public Context mtuLength(final int mtuLength)
        {
            this.mtuLength = mtuLength;
            return this;
        }

        /**
         * @return the mtu (after {@link #conclude()}, the one in use).
         */
        public int mtuLength()
        {
            return mtuLength;
        }

        /**
         * @param termLength term length of every link, a power of two with term/8 >= mtu (so at least 512 KiB for
         *                   mtu 65504); the publisher window is half of it.
         * @return this.
         */
        public Context termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /**
         * @return the term length.
         */
        public int termLength()
        {
            return termLength;
        }

        /**
         * @param socketBufferLength UDP only: SO_SNDBUF, SO_RCVBUF and the receiver window, set on each channel
         *                           (so an external driver gets them too). The OS caps buffers at
         *                           {@code net.core.rmem_max} / {@code wmem_max}.
         * @return this.
         */
        public Context socketBufferLength(final int socketBufferLength)
        {
            this.socketBufferLength = socketBufferLength;
            return this;
        }

        /**
         * @return the UDP socket buffer and receiver window length.
         */
        public int socketBufferLength()
        {
            return socketBufferLength;
        }

        /**
         * @param driverTimeoutMs time without a media driver heartbeat after which the client reports a
         *                        {@code DriverTimeoutException} (see {@link AeronTransport#lastError()}) and closes its
         *                        links; also bounds waiting for the driver in {@link AeronTransport#connect(Context)}.
         * @return this.
         */
        public Context driverTimeoutMs(final long driverTimeoutMs)
        {
            this.driverTimeoutMs = driverTimeoutMs;
            return this;
        }

        /**
         * @return the driver timeout in milliseconds.
         */
        public long driverTimeoutMs()
        {
            return driverTimeoutMs;
        }

        /**
         * @param streamIdBase first stream id of the job's links (it uses worldSize^2 ids from there); the default,
         *                     {@link #STREAM_ID_BASE_FROM_JOB_ID}, derives it from the job id so that jobs sharing a
         *                     driver do not collide.
         * @return this.
         */
        public Context streamIdBase(final int streamIdBase)
        {
            this.streamIdBase = streamIdBase;
            return this;
        }

        /**
         * @return the stream id base (derived once concluded).
         */
        public int streamIdBase()
        {
            return streamIdBase;
        }

        /**
         * @param sessionSecret UDP: random bytes every rank of the job shares and no stranger knows, the rendezvous
         *                      session id and/or the job secret. The links' Aeron session ids derive from it
         *                      ({@link LinkSessionIds}), so a stranger cannot make frames the job's subscriptions
         *                      accept without seeing the traffic. Null (default) derives them from the job id only:
         *                      that keeps jobs apart by accident, not attackers out. Copied, and wiped once
         *                      concluded.
         * @return this.
         */
        public Context sessionSecret(final byte[] sessionSecret)
        {
            this.sessionSecret = null == sessionSecret ? null : sessionSecret.clone();
            return this;
        }

        /**
         * @return whether the links' session ids derive from a shared secret (once concluded; before, whether one
         * is set).
         */
        public boolean hasSessionSecret()
        {
            return null != linkSessionIds ? linkSessionIds.isSecret() : null != sessionSecret;
        }

        /**
         * @param customizer for experiments and tests: given the embedded driver's Aeron context after every other
         *                   setting (NAK and retransmit timings, Aeron's loss-simulating debug endpoints); null
         *                   (default) for none. Ignored with an external driver.
         * @return this.
         */
        public Context embeddedDriverCustomizer(
            final java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> customizer)
        {
            this.embeddedDriverCustomizer = customizer;
            return this;
        }

        /**
         * @return the customizer of the embedded driver's Aeron context, or null.
         */
        public java.util.function.Consumer<io.aeron.driver.MediaDriver.Context> embeddedDriverCustomizer()
        {
            return embeddedDriverCustomizer;
        }

        /**
         * @param jobSecret UDP: the job secret. With one, every message carries a
         *                  {@link AeronMessageAuthenticator#TAG_LENGTH}-byte tag after its payload under a key of its
         *                  link ({@link AeronMessageAuthenticator}); a message whose tag fails is dropped, counted
         *                  ({@link InboundLink#authenticationFailures()}) and ends its link. Null (default): no tag.
         *                  Ignored for IPC, whose frames never leave the host. Copied; the same on every rank.
         * @return this.
         */
        public Context jobSecret(final byte[] jobSecret)
        {
            if (null != jobSecret && 0 == jobSecret.length)
            {
                throw new IllegalArgumentException("jobSecret is empty: give null for none");
            }
            this.jobSecret = null == jobSecret ? null : jobSecret.clone();
            return this;
        }

        /**
         * @return a copy of the job secret the tags are keyed with, or null when messages carry none.
         */
        public byte[] jobSecret()
        {
            return null == jobSecret ? null : jobSecret.clone();
        }

        /**
         * @param rendezvousSessionId the random session id the rendezvous agreed, which salts the tags' keys, or null
         *                            when the job has no rendezvous. Copied.
         * @return this.
         */
        public Context rendezvousSessionId(final byte[] rendezvousSessionId)
        {
            this.rendezvousSessionId = null == rendezvousSessionId ? null : rendezvousSessionId.clone();
            return this;
        }

        /**
         * @return a copy of the rendezvous session id, or null.
         */
        public byte[] rendezvousSessionId()
        {
            return null == rendezvousSessionId ? null : rendezvousSessionId.clone();
        }

        /**
         * @param frameMac the tag's algorithm with a job secret, the same on every rank; {@link #FRAME_MAC_DEFAULT}
         *                 unless measuring.
         * @return this.
         */
        public Context frameMac(final FrameAuthenticator.Algorithm frameMac)
        {
            this.frameMac = Objects.requireNonNull(frameMac, "frameMac");
            return this;
        }

        /**
         * @return the tag's algorithm.
         */
        public FrameAuthenticator.Algorithm frameMac()
        {
            return frameMac;
        }

        /**
         * @return whether every message carries a tag: UDP with a job secret, once concluded.
         */
        public boolean isFrameAuthenticated()
        {
            return AeronMedia.UDP == media && null != jobSecret;
        }

        Context meshId(final long meshId)
        {
            this.meshId = meshId;
            return this;
        }

        /**
         * @return the mesh these settings are of: 0 for the job's own, the id given to
         * {@link AeronTransport#openMesh(long, int[])} for a sub-mesh.
         */
        public long meshId()
        {
            return meshId;
        }

        Context linkSessionIds(final LinkSessionIds linkSessionIds)
        {
            this.linkSessionIds = linkSessionIds;
            return this;
        }

        LinkSessionIds linkSessionIds()
        {
            return linkSessionIds;
        }

        /**
         * @param supplier of idle strategies for the embedded driver's threads (not INVOKER); default parks of at most
         *                 50 us ({@link MediaDriverHost}).
         *                 Never spin or noop on a host with few cores.
         * @return this.
         */
        public Context embeddedDriverIdleStrategySupplier(final Supplier<IdleStrategy> supplier)
        {
            this.embeddedDriverIdleStrategySupplier = supplier;
            return this;
        }

        /**
         * @return the supplier of the embedded driver's idle strategies.
         */
        public Supplier<IdleStrategy> embeddedDriverIdleStrategySupplier()
        {
            return embeddedDriverIdleStrategySupplier;
        }

        /**
         * @param threadingMode of the embedded driver: {@link ThreadingMode#INVOKER} (default: its duty cycle runs
         *                      on the rank's thread while it waits in a collective, see {@link #doWork()}), or
         *                      SHARED, SHARED_NETWORK, DEDICATED for threads of its own.
         * @return this.
         */
        public Context embeddedDriverThreadingMode(final ThreadingMode threadingMode)
        {
            this.embeddedDriverThreadingMode = threadingMode;
            return this;
        }

        /**
         * @return the embedded driver's threading mode.
         */
        public ThreadingMode embeddedDriverThreadingMode()
        {
            return embeddedDriverThreadingMode;
        }

        /**
         * @param errorHandler also told of every error of the client conductor and embedded driver (e.g. to log
         *                     it), may be null. Errors are always kept for {@link AeronTransport#lastError()}.
         * @return this.
         */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        /**
         * @return the extra error handler, or null.
         */
        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return "AeronTransport.Context{" +
                "rank=" + rank +
                ", worldSize=" + worldSize +
                ", jobId=0x" + Long.toHexString(jobId) +
                ", media=" + media +
                ", aeronDirectoryName=" + aeronDirectoryName +
                ", jobDirectory=" + jobDirectory +
                ", udpEndpoints=" + (null == udpEndpoints ? "null" : String.join(",", udpEndpoints)) +
                ", mtuLength=" + mtuLength +
                ", termLength=" + termLength +
                ", socketBufferLength=" + socketBufferLength +
                ", driverTimeoutMs=" + driverTimeoutMs +
                ", streamIdBase=" + streamIdBase +
                ", sessions=" + (null == linkSessionIds ? (null == sessionSecret ? "any" : "secret set") :
                linkSessionIds.isSecret() ? "bound, from a secret" : "bound, from the job id") +
                ", frameAuthentication=" + (isFrameAuthenticated() ? frameMac : "none") +
                ", meshId=" + meshId +
                ", embeddedDriverThreadingMode=" + embeddedDriverThreadingMode +
                '}';
        }
    }
}
