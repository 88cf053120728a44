package io.ringsync.collectives;

import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.rendezvous.HostAddresses;
import io.ringsync.transport.rendezvous.PortRange;
import io.ringsync.transport.shm.ShmLinkDescriptor;
import io.ringsync.transport.shm.ShmTransport;
import org.agrona.BitUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Every setting of a communicator and of the transport {@link Communicator#fromEnvironment()} opens for it:
 * fluent, Aeron style ({@code ctx.timeoutNs(5_000_000_000L)} / {@code ctx.timeoutNs()}), filled from the
 * environment by {@link #fromEnvironment(Map)} and checked once, all of it, by {@link #conclude()}, whose
 * messages name the environment variable and the method of each bad value. Defaults and variables are in
 * {@link Configuration}.
 */
public final class Context
{
    private static final int BACKOFF_SPINS = 100;
    private static final int BACKOFF_YIELDS = 10_000;

    private boolean isConcluded;

    private long timeoutNs = TimeUnit.MILLISECONDS.toNanos(Configuration.TIMEOUT_MS_DEFAULT);
    private int chunkBytes = Configuration.CHUNK_BYTES_DEFAULT;
    private String idle = Configuration.IDLE_DEFAULT;
    private String hierarchy = Configuration.HIERARCHY_DEFAULT;
    private String wire = Configuration.WIRE_DEFAULT;
    private boolean checkFinite;
    private double ringReserve = Configuration.RING_RESERVE_DEFAULT;
    private int smallMaxBytes = Configuration.SMALL_MAX_BYTES_BY_GROUP;
    private long directMinBytes = Configuration.SHM_DIRECT_MIN_BYTES_DEFAULT;
    private long jobId = Configuration.JOB_ID_DEFAULT;
    private int epoch;
    private File statusDirectory;

    private String transport = Configuration.TRANSPORT_DEFAULT;
    private int rank = -1;
    private int worldSize;
    private File jobDirectory;
    private String aeronDirectory;
    private String[] udpEndpoints;
    private int udpMtu = Configuration.UDP_MTU_DEFAULT;
    private int termLength = Configuration.TERM_LENGTH_DEFAULT;
    private int shmSlotCount = Configuration.SHM_SLOT_COUNT_DEFAULT;
    private int shmSlotLength;
    private long shmWindowBytes = Configuration.SHM_WINDOW_BYTES_DEFAULT;
    private boolean isUdpMtuSet;

    // across hosts: the rendezvous, the interface and ports, the job secret
    private String rendezvous;
    private String rendezvousSource = Configuration.RENDEZVOUS_ENV;
    private long rendezvousTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Configuration.RENDEZVOUS_TIMEOUT_MS_DEFAULT);
    private int localRank = -1;
    private String interfaceSpec;
    private String agreement;
    private PortRange ports = PortRange.EPHEMERAL;
    private byte[] jobSecret;
    private String frameMac = "hmac-sha256";
    private boolean tls;
    private boolean isJobIdSet;
    private byte[] sessionId;
    private String rankSource = Configuration.RANK_ENV;
    private String worldSizeSource = Configuration.WORLD_SIZE_ENV;

    /**
     * Read every setting from the environment (and system properties), as {@code ringsync launch} sets it. Rank
     * and world size are read when set; opening a transport needs them.
     *
     * @param env variables, named as in {@link Configuration}.
     * @return a context, not yet concluded.
     * @throws ConfigurationException naming a variable whose value cannot be read.
     */
    public static Context fromEnvironment(final Map<String, String> env)
    {
        final Context ctx = new Context()
            .transport(Configuration.transport(env))
            .jobId(Configuration.jobId(env))
            .timeoutNs(TimeUnit.MILLISECONDS.toNanos(Configuration.timeoutMs(env)))
            .chunkBytes(Configuration.chunkBytes(env))
            .smallMaxBytes(Configuration.smallMaxBytes(env))
            .idle(Configuration.idle(env))
            .hierarchy(Configuration.hierarchy(env))
            .wire(Configuration.wire(env))
            .checkFinite(Configuration.checkFinite(env))
            .ringReserve(Configuration.ringReserve(env))
            .directMinBytes(Configuration.shmDirectMinBytes(env))
            .aeronDirectory(Configuration.aeronDirectory(env))
            .udpEndpoints(Configuration.udpEndpoints(env))
            .termLength(Configuration.termLength(env))
            .shmSlotCount(Configuration.shmSlotCount(env))
            .shmSlotLength(Configuration.shmSlotLength(env))
            .shmWindowBytes(Configuration.shmWindowBytes(env));
        if (Configuration.isUdpMtuSet(env))
        {
            ctx.udpMtu(Configuration.udpMtu(env));
        }
        ctx.isJobIdSet = null != Configuration.lookup(env, Configuration.JOB_ID_ENV);
        final String jobDir = Configuration.jobDirectory(env);
        if (null != jobDir)
        {
            ctx.jobDirectory(new File(jobDir));
        }
        final Setting<Integer> rank = Configuration.rankSetting(env);
        if (rank.isSet())
        {
            ctx.rank(rank.value());
            ctx.rankSource = rank.source();
        }
        final Setting<Integer> worldSize = Configuration.worldSizeSetting(env);
        if (worldSize.isSet())
        {
            ctx.worldSize(worldSize.value());
            ctx.worldSizeSource = worldSize.source();
        }
        final Setting<Integer> localRank = Configuration.localRankSetting(env);
        if (localRank.isSet())
        {
            ctx.localRank(localRank.value());
        }
        final Setting<String> rendezvous = Configuration.rendezvousSetting(env);
        if (rendezvous.isSet())
        {
            ctx.rendezvous(rendezvous.value()).rendezvousSource(rendezvous.source());
        }
        final String secret = Configuration.jobSecret(env);
        ctx.rendezvousTimeoutNs(TimeUnit.MILLISECONDS.toNanos(Configuration.rendezvousTimeoutMs(env)))
            .interfaceSpec(Configuration.interfaceSpec(env))
            .agreement(Configuration.agreement(env))
            .ports(Configuration.ports(env))
            .jobSecret(null == secret ? null : secret.getBytes(StandardCharsets.UTF_8));
        final String frameMac = Configuration.frameMac(env);
        if (null != frameMac)
        {
            ctx.frameMac(frameMac);
        }
        ctx.tls(Configuration.tls(env));
        return ctx;
    }

    /**
     * Check every setting and fill in the derived ones (the shm slot length from the chunk size). Called by
     * {@link Communicator#connect}; calling it again does nothing.
     *
     * @return this.
     * @throws ConfigurationException naming the first bad setting, its variable and its value.
     */
    public Context conclude()
    {
        if (isConcluded)
        {
            return this;
        }
        require(timeoutNs > 0 && timeoutNs <= TimeUnit.MILLISECONDS.toNanos(Configuration.TIMEOUT_MS_MAX),
            Configuration.TIMEOUT_MS_ENV, "timeoutNs", TimeUnit.NANOSECONDS.toMillis(timeoutNs),
            "must be from 1 to " + Configuration.TIMEOUT_MS_MAX + " (milliseconds)");
        require(chunkBytes >= 64 && chunkBytes <= Configuration.CHUNK_BYTES_MAX, Configuration.CHUNK_BYTES_ENV,
            "chunkBytes", chunkBytes, "must be from 64 to " + Configuration.CHUNK_BYTES_MAX);
        require(ringReserve >= 0 && ringReserve < 1, Configuration.RING_RESERVE_ENV, "ringReserve", ringReserve,
            "must be at least 0 and below 1");
        require(smallMaxBytes >= Configuration.SMALL_MAX_BYTES_BY_GROUP &&
            smallMaxBytes <= Configuration.SMALL_MAX_BYTES_LIMIT, Configuration.SMALL_MAX_BYTES_ENV, "smallMaxBytes",
            smallMaxBytes, "must be from 0 (never) to " + Configuration.SMALL_MAX_BYTES_LIMIT + ", or " +
            Configuration.SMALL_MAX_BYTES_BY_GROUP + " (by the group's size and transport)");
        require(directMinBytes >= -1, Configuration.SHM_DIRECT_MIN_BYTES_ENV, "directMinBytes", directMinBytes,
            "must be a size, or -1 for never");
        idleStrategy(1, false);
        require("auto".equals(hierarchy) || "flat".equals(hierarchy), Configuration.HIERARCHY_ENV, "hierarchy",
            hierarchy, "is not one of auto, flat");
        require("float32".equals(wire) || "bf16".equals(wire), Configuration.WIRE_ENV, "wire", wire,
            "is not one of float32, bf16");
        require("shm".equals(transport) || "ipc".equals(transport) || "udp".equals(transport) ||
            "tcp".equals(transport), Configuration.TRANSPORT_ENV, "transport", transport,
            "is not a transport of this version: use shm (one host, no driver, the default there), ipc (one host, " +
            "Aeron media driver), tcp (across hosts, the default there) or udp (Aeron UDP, across hosts)");
        concludeAcrossHosts();
        require(null == udpEndpoints || 0 == worldSize || udpEndpoints.length == worldSize,
            Configuration.UDP_ENDPOINTS_ENV, "udpEndpoints", null == udpEndpoints ? 0 : udpEndpoints.length +
            " endpoints", "must have one host:port per rank, " + worldSize + " in all");
        problem(AeronTransport.mtuLengthProblem(udpMtu), Configuration.UDP_MTU_ENV, "udpMtu", udpMtu);
        problem(AeronTransport.termLengthProblem(termLength, "udp".equals(transport) ? udpMtu :
            AeronTransport.IPC_MTU_LENGTH), Configuration.TERM_LENGTH_ENV, "termLength", termLength);
        if (0 == shmSlotLength)
        {
            shmSlotLength = (int)BitUtil.align(chunkBytes + (long)Configuration.SHM_SLOT_OVERHEAD, 64);
        }
        problem(ShmLinkDescriptor.slotLengthProblem(shmSlotLength), Configuration.SHM_SLOT_LENGTH_ENV,
            "shmSlotLength", shmSlotLength);
        if (Configuration.SHM_SLOT_COUNT_DEFAULT != shmSlotCount)
        {
            problem(ShmLinkDescriptor.slotCountProblem(shmSlotCount, shmSlotLength), Configuration.SHM_SLOT_COUNT_ENV,
                "shmSlotCount", shmSlotCount);
        }
        problem(ShmTransport.windowLengthProblem(shmWindowBytes), Configuration.SHM_WINDOW_BYTES_ENV,
            "shmWindowBytes", shmWindowBytes);
        isConcluded = true;
        return this;
    }

    private void concludeAcrossHosts()
    {
        require(!"tcp".equals(transport) || null != rendezvous, Configuration.TRANSPORT_ENV, "transport", transport,
            "needs a rendezvous: set " + Configuration.RENDEZVOUS_ENV + "=host:port (rank 0's host and a free port " +
            "there), or start the ranks with torchrun (MASTER_ADDR, MASTER_PORT), srun, or `bin/ringsync launch`");
        if (null != rendezvous)
        {
            problem(hostPortProblem(rendezvous), rendezvousSource, "rendezvous", rendezvous);
        }
        require(rendezvousTimeoutNs > 0 &&
            rendezvousTimeoutNs <= TimeUnit.MILLISECONDS.toNanos(Configuration.TIMEOUT_MS_MAX),
            Configuration.RENDEZVOUS_TIMEOUT_MS_ENV, "rendezvousTimeoutNs",
            TimeUnit.NANOSECONDS.toMillis(rendezvousTimeoutNs),
            "must be from 1 to " + Configuration.TIMEOUT_MS_MAX + " (milliseconds)");
        require(localRank >= -1, Configuration.LOCAL_RANK_ENV, "localRank", localRank, "must not be negative");
        if (null != interfaceSpec && interfaceSpec.indexOf('/') >= 0)
        {
            try
            {
                HostAddresses.inBlock(java.net.InetAddress.getLoopbackAddress(), interfaceSpec);
            }
            catch (final IllegalArgumentException ex)
            {
                problem(ex.getMessage(), Configuration.INTERFACE_ENV, "interfaceSpec", interfaceSpec);
            }
        }
        require(null == jobSecret || jobSecret.length > 0, Configuration.JOB_SECRET_ENV, "jobSecret", "(empty)",
            "must not be empty");
        require(null == agreement || isHostPort(agreement), Configuration.AGREEMENT_ENV, "agreement", agreement,
            "is not host:port (an IPv6 address in brackets)");
        require(null == agreement || null != jobSecret, Configuration.AGREEMENT_ENV, "agreement", agreement,
            "needs " + Configuration.JOB_SECRET_ENV + ": the agreement server serves only ranks that prove it");
        require("hmac-sha256".equals(frameMac) || "aes-gmac".equals(frameMac) || "off".equals(frameMac),
            Configuration.FRAME_MAC_ENV, "frameMac", frameMac, "is not one of hmac-sha256, aes-gmac, off");
        require(!tls || !"udp".equals(transport), Configuration.TLS_ENV, "tls", "1", "is for tcp: udp messages " +
            "are tagged under the job secret (" + Configuration.FRAME_MAC_ENV + "), not encrypted; use " +
            "--transport tcp where the network is hostile");
        require(!tls || null != jobSecret, Configuration.TLS_ENV, "tls", "1", "needs " +
            Configuration.JOB_SECRET_ENV + ": each rank's certificate is its own, and the secret proves the peer");
    }

    /**
     * @param address {@code host:port}.
     * @return null when it is one (an IPv6 address in brackets), else what is wrong.
     */
    static String hostPortProblem(final String address)
    {
        final int colon = address.lastIndexOf(':');
        final String host = colon > 0 ? address.substring(0, colon) : "";
        int port = -1;
        try
        {
            port = colon > 0 ? Integer.parseInt(address.substring(colon + 1).trim()) : -1;
        }
        catch (final NumberFormatException ignore)
        {
            port = -1;
        }
        final boolean bracketed = host.startsWith("[") && host.endsWith("]");
        if (host.isBlank() || port < 1 || port > 65535 || (!bracketed && host.indexOf(':') >= 0))
        {
            return "is not host:port with a port from 1 to 65535 (an IPv6 address as [address]:port)";
        }
        return null;
    }

    /**
     * A new context with the same settings, not concluded: what a sub-communicator starts from.
     *
     * @return the copy.
     */
    Context copy()
    {
        final Context copy = new Context()
            .timeoutNs(timeoutNs).chunkBytes(chunkBytes).idle(idle).hierarchy(hierarchy).wire(wire).ringReserve(ringReserve)
            .checkFinite(checkFinite)
            .smallMaxBytes(smallMaxBytes).directMinBytes(directMinBytes).jobId(jobId).epoch(epoch)
            .statusDirectory(statusDirectory).transport(transport).rank(rank).worldSize(worldSize)
            .jobDirectory(jobDirectory).aeronDirectory(aeronDirectory).udpEndpoints(udpEndpoints).udpMtu(udpMtu)
            .termLength(termLength).shmSlotCount(shmSlotCount).shmSlotLength(shmSlotLength)
            .shmWindowBytes(shmWindowBytes)
            .rendezvous(rendezvous).rendezvousSource(rendezvousSource).rendezvousTimeoutNs(rendezvousTimeoutNs)
            .localRank(localRank).interfaceSpec(interfaceSpec).agreement(agreement).ports(ports).jobSecret(jobSecret)
            .frameMac(frameMac).tls(tls);
        copy.isUdpMtuSet = isUdpMtuSet;
        copy.isJobIdSet = isJobIdSet;
        copy.sessionId = sessionId;
        copy.rankSource = rankSource;
        copy.worldSizeSource = worldSizeSource;
        return copy;
    }

    /**
     * @param timeoutNs deadline of every blocking call ({@link Configuration#TIMEOUT_MS_ENV}).
     * @return this.
     */
    public Context timeoutNs(final long timeoutNs)
    {
        this.timeoutNs = timeoutNs;
        return this;
    }

    /**
     * @return deadline of every blocking call in nanoseconds.
     */
    public long timeoutNs()
    {
        return timeoutNs;
    }

    /**
     * @param chunkBytes largest chunk payload ({@link Configuration#CHUNK_BYTES_ENV}); the transport may lower it.
     * @return this.
     */
    public Context chunkBytes(final int chunkBytes)
    {
        this.chunkBytes = chunkBytes;
        return this;
    }

    /**
     * @return largest chunk payload requested.
     */
    public int chunkBytes()
    {
        return chunkBytes;
    }

    /**
     * @param statusDirectory the job directory on this host, where each rank publishes its liveness and progress
     *                        in a small file so that every rank can name one that died or stalled; null (the
     *                        default) publishes nothing. {@code fromEnvironment} sets it for jobs on one host.
     * @return this.
     */
    public Context statusDirectory(final File statusDirectory)
    {
        this.statusDirectory = statusDirectory;
        return this;
    }

    /**
     * @return the directory of the ranks' status files, or null.
     */
    public File statusDirectory()
    {
        return statusDirectory;
    }

    /**
     * @param smallMaxBytes largest allReduce in bytes that takes the small-vector path, 0 for never,
     *                      {@link Configuration#SMALL_MAX_BYTES_BY_GROUP} (the default) to let each communicator
     *                      choose by its size and transport; the same on every rank
     *                      ({@link Configuration#SMALL_MAX_BYTES_ENV}).
     * @return this.
     */
    public Context smallMaxBytes(final int smallMaxBytes)
    {
        this.smallMaxBytes = smallMaxBytes;
        return this;
    }

    /**
     * @return largest allReduce in bytes that takes the small-vector path, 0 for never,
     * {@link Configuration#SMALL_MAX_BYTES_BY_GROUP} when each communicator chooses
     * ({@code Communicator.smallMaxBytes()} says what it chose).
     */
    public int smallMaxBytes()
    {
        return smallMaxBytes;
    }

    /**
     * @param ringReserve share of each link's window that the ring's new chunks leave free for forwarded ones,
     *                    0 (one message, the least that keeps the ring deadlock-free) to below 1
     *                    ({@link Configuration#RING_RESERVE_ENV}).
     * @return this.
     */
    public Context ringReserve(final double ringReserve)
    {
        this.ringReserve = ringReserve;
        return this;
    }

    /**
     * @return share of each link's window kept for forwarded chunks.
     */
    public double ringReserve()
    {
        return ringReserve;
    }

    /**
     * @param idle backoff, yield or spin ({@link Configuration#IDLE_ENV}).
     * @return this.
     */
    public Context idle(final String idle)
    {
        this.idle = idle;
        return this;
    }

    /**
     * @return the idle strategy's name.
     */
    public String idle()
    {
        return idle;
    }

    /**
     * @param hierarchy {@code auto} (host-aware AllReduce where ranks share hosts) or {@code flat}
     *                  ({@link Configuration#HIERARCHY_ENV}); the same on every rank.
     * @return this.
     */
    public Context hierarchy(final String hierarchy)
    {
        this.hierarchy = hierarchy;
        return this;
    }

    /**
     * @return {@code auto} or {@code flat}.
     */
    public String hierarchy()
    {
        return hierarchy;
    }

    /**
     * @param wire {@code float32} or {@code bf16}: how float32 AllReduce values cross the links between hosts
     *             ({@link Configuration#WIRE_ENV}); the same on every rank.
     * @return this.
     */
    public Context wire(final String wire)
    {
        this.wire = wire;
        return this;
    }

    /**
     * @return {@code float32} or {@code bf16}.
     */
    public String wire()
    {
        return wire;
    }

    /**
     * @param checkFinite whether a NaN or an infinity in this rank's input fails the call on every rank
     *                    ({@link Configuration#CHECK_FINITE_ENV}).
     * @return this.
     */
    public Context checkFinite(final boolean checkFinite)
    {
        this.checkFinite = checkFinite;
        return this;
    }

    /**
     * @return whether calls check their input for NaN and infinity.
     */
    public boolean checkFinite()
    {
        return checkFinite;
    }

    /**
     * @param jobId identical on every rank of a job ({@link Configuration#JOB_ID_ENV}).
     * @return this.
     */
    public Context jobId(final long jobId)
    {
        this.jobId = jobId;
        this.isJobIdSet = true;
        return this;
    }

    /**
     * @return whether the job id was set (else a rendezvous draws one).
     */
    public boolean isJobIdSet()
    {
        return isJobIdSet;
    }

    /**
     * @return the job id.
     */
    public long jobId()
    {
        return jobId;
    }

    /**
     * @param epoch the communicator's id within the job, identical on every member: 0 for the job's own group, a
     *              value derived from the split for a sub-communicator. Every message carries it.
     * @return this.
     */
    public Context epoch(final int epoch)
    {
        this.epoch = epoch;
        return this;
    }

    /**
     * @return the epoch.
     */
    public int epoch()
    {
        return epoch;
    }

    /**
     * @param directMinBytes over the shm transport, AllReduce calls of at least this many bytes run in direct
     *                       mode ({@link DirectAllReduce}), smaller ones as a ring of messages; 0 for always,
     *                       -1 for never ({@link Configuration#SHM_DIRECT_MIN_BYTES_ENV}). The same on every rank.
     * @return this.
     */
    public Context directMinBytes(final long directMinBytes)
    {
        this.directMinBytes = directMinBytes;
        return this;
    }

    /**
     * @return the size from which shm AllReduce calls run in direct mode; -1 for never.
     */
    public long directMinBytes()
    {
        return directMinBytes;
    }

    /**
     * @param transport shm, ipc or udp ({@link Configuration#TRANSPORT_ENV}): what {@code fromEnvironment} opens.
     * @return this.
     */
    public Context transport(final String transport)
    {
        this.transport = transport;
        return this;
    }

    /**
     * @return the transport's name.
     */
    public String transport()
    {
        return transport;
    }

    /**
     * @param rank this process' rank ({@link Configuration#RANK_ENV}).
     * @return this.
     */
    public Context rank(final int rank)
    {
        this.rank = rank;
        return this;
    }

    /**
     * @return this process' rank, -1 when not set.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @param worldSize ranks in the job ({@link Configuration#WORLD_SIZE_ENV}).
     * @return this.
     */
    public Context worldSize(final int worldSize)
    {
        this.worldSize = worldSize;
        return this;
    }

    /**
     * @return ranks in the job, 0 when not set.
     */
    public int worldSize()
    {
        return worldSize;
    }

    /**
     * @param jobDirectory the job's directory on this host ({@link Configuration#JOB_DIR_ENV}), or null for
     *                     {@code /dev/shm/ringsync-<job id>}, removed by the last rank out.
     * @return this.
     */
    public Context jobDirectory(final File jobDirectory)
    {
        this.jobDirectory = jobDirectory;
        return this;
    }

    /**
     * @return the job directory, or null when it is derived from the job id.
     */
    public File jobDirectory()
    {
        return jobDirectory;
    }

    /**
     * @param aeronDirectory of the media driver the job's ranks share ({@link Configuration#AERON_DIR_ENV}).
     * @return this.
     */
    public Context aeronDirectory(final String aeronDirectory)
    {
        this.aeronDirectory = aeronDirectory;
        return this;
    }

    /**
     * @return the media driver's directory, or null.
     */
    public String aeronDirectory()
    {
        return aeronDirectory;
    }

    /**
     * @param udpEndpoints one {@code host:port} per rank, in rank order ({@link Configuration#UDP_ENDPOINTS_ENV}).
     * @return this.
     */
    public Context udpEndpoints(final String... udpEndpoints)
    {
        this.udpEndpoints = null == udpEndpoints ? null : udpEndpoints.clone();
        return this;
    }

    /**
     * @return the UDP endpoints, or null.
     */
    public String[] udpEndpoints()
    {
        return null == udpEndpoints ? null : udpEndpoints.clone();
    }

    /**
     * @param udpMtu largest UDP datagram in bytes ({@link Configuration#UDP_MTU_ENV}).
     * @return this.
     */
    public Context udpMtu(final int udpMtu)
    {
        this.udpMtu = udpMtu;
        this.isUdpMtuSet = true;
        return this;
    }

    /**
     * @return whether the UDP mtu was set; if not, a rank that joins a rendezvous takes the smallest its peers'
     * interfaces carry.
     */
    public boolean isUdpMtuSet()
    {
        return isUdpMtuSet;
    }

    /**
     * @return the UDP mtu.
     */
    public int udpMtu()
    {
        return udpMtu;
    }

    /**
     * @param termLength Aeron term length per link ({@link Configuration#TERM_LENGTH_ENV}).
     * @return this.
     */
    public Context termLength(final int termLength)
    {
        this.termLength = termLength;
        return this;
    }

    /**
     * @return the Aeron term length.
     */
    public int termLength()
    {
        return termLength;
    }

    /**
     * @param shmSlotCount slots per shm link, or {@link Configuration#SHM_SLOT_COUNT_DEFAULT} to derive it from the
     *                     world size ({@link Configuration#SHM_SLOT_COUNT_ENV}).
     * @return this.
     */
    public Context shmSlotCount(final int shmSlotCount)
    {
        this.shmSlotCount = shmSlotCount;
        return this;
    }

    /**
     * @return slots per shm link, {@link Configuration#SHM_SLOT_COUNT_DEFAULT} when derived from the world size.
     */
    public int shmSlotCount()
    {
        return shmSlotCount;
    }

    /**
     * @param worldSize ranks of the job.
     * @return the slots per shm link a job of {@code worldSize} ranks gets with these settings.
     */
    int shmSlotCountFor(final int worldSize)
    {
        return Configuration.SHM_SLOT_COUNT_DEFAULT != shmSlotCount ? shmSlotCount :
            ShmTransport.defaultSlotCount(worldSize, shmSlotLength);
    }

    /**
     * @param shmSlotLength bytes per shm slot, 0 for one chunk plus its headers
     *                      ({@link Configuration#SHM_SLOT_LENGTH_ENV}).
     * @return this.
     */
    public Context shmSlotLength(final int shmSlotLength)
    {
        this.shmSlotLength = shmSlotLength;
        return this;
    }

    /**
     * @return bytes per shm slot (derived from the chunk size once concluded, unless set).
     */
    public int shmSlotLength()
    {
        return shmSlotLength;
    }

    /**
     * @param shmWindowBytes data bytes of each rank's direct-mode window
     *                       ({@link Configuration#SHM_WINDOW_BYTES_ENV}).
     * @return this.
     */
    public Context shmWindowBytes(final long shmWindowBytes)
    {
        this.shmWindowBytes = shmWindowBytes;
        return this;
    }

    /**
     * @return data bytes of each rank's direct-mode window.
     */
    public long shmWindowBytes()
    {
        return shmWindowBytes;
    }

    // ---- across hosts ----

    /**
     * @param rendezvous {@code host:port} where rank 0 serves the rendezvous ({@link Configuration#RENDEZVOUS_ENV}),
     *                   or null for none.
     * @return this.
     */
    public Context rendezvous(final String rendezvous)
    {
        this.rendezvous = rendezvous;
        return this;
    }

    /**
     * @return the rendezvous address, or null.
     */
    public String rendezvous()
    {
        return rendezvous;
    }

    /**
     * @param rendezvousSource the variable(s) the rendezvous came from, for messages (e.g.
     *                         {@code MASTER_ADDR/MASTER_PORT}).
     * @return this.
     */
    public Context rendezvousSource(final String rendezvousSource)
    {
        this.rendezvousSource = rendezvousSource;
        return this;
    }

    /**
     * @return where the rendezvous came from.
     */
    public String rendezvousSource()
    {
        return rendezvousSource;
    }

    /**
     * @param rendezvousTimeoutNs how long to wait at the rendezvous for every rank
     *                            ({@link Configuration#RENDEZVOUS_TIMEOUT_MS_ENV}).
     * @return this.
     */
    public Context rendezvousTimeoutNs(final long rendezvousTimeoutNs)
    {
        this.rendezvousTimeoutNs = rendezvousTimeoutNs;
        return this;
    }

    /**
     * @return the rendezvous deadline in nanoseconds.
     */
    public long rendezvousTimeoutNs()
    {
        return rendezvousTimeoutNs;
    }

    /**
     * @param localRank this rank's index among the job's ranks on its host ({@link Configuration#LOCAL_RANK_ENV}),
     *                  -1 when unknown.
     * @return this.
     */
    public Context localRank(final int localRank)
    {
        this.localRank = localRank;
        return this;
    }

    /**
     * @return the local rank, -1 when unknown (a rendezvous fills it in).
     */
    public int localRank()
    {
        return localRank;
    }

    /**
     * @param interfaceSpec the interface to listen on, a name or a CIDR block ({@link Configuration#INTERFACE_ENV});
     *                      null for the one that routes to the rendezvous host.
     * @return this.
     */
    public Context interfaceSpec(final String interfaceSpec)
    {
        this.interfaceSpec = interfaceSpec;
        return this;
    }

    /**
     * @return the interface setting, or null.
     */
    public String interfaceSpec()
    {
        return interfaceSpec;
    }

    /**
     * @param agreement {@code host:port} of the job's agreement server ({@link Configuration#AGREEMENT_ENV}), or
     *                  null for none.
     * @return this.
     */
    public Context agreement(final String agreement)
    {
        this.agreement = agreement;
        return this;
    }

    private static boolean isHostPort(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        try
        {
            final int port = Integer.parseInt(endpoint.substring(colon + 1));
            return colon > 0 && port > 0 && port <= 65535;
        }
        catch (final NumberFormatException ex)
        {
            return false;
        }
    }

    /**
     * @return the agreement server's {@code host:port}, or null.
     */
    public String agreement()
    {
        return agreement;
    }

    /**
     * @param ports the ports this rank may listen on ({@link Configuration#PORTS_ENV}).
     * @return this.
     */
    public Context ports(final PortRange ports)
    {
        this.ports = null == ports ? PortRange.EPHEMERAL : ports;
        return this;
    }

    /**
     * @return the port range.
     */
    public PortRange ports()
    {
        return ports;
    }

    /**
     * @param jobSecret the secret joining the job takes ({@link Configuration#JOB_SECRET_ENV}), or null for none.
     * @return this.
     */
    public Context jobSecret(final byte[] jobSecret)
    {
        this.jobSecret = null == jobSecret ? null : jobSecret.clone();
        return this;
    }

    /**
     * @return whether a job secret is set (its value is not handed out).
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
     * @param frameMac the tag tcp frames and udp messages carry under the job secret
     *                 ({@link Configuration#FRAME_MAC_ENV}):
     *                 {@code hmac-sha256} (the default), {@code aes-gmac} or {@code off}; none without a secret.
     * @return this.
     */
    public Context frameMac(final String frameMac)
    {
        this.frameMac = frameMac;
        return this;
    }

    /**
     * @return the frame tag's name, {@code hmac-sha256}, {@code aes-gmac} or {@code off}.
     */
    public String frameMac()
    {
        return frameMac;
    }

    /**
     * @param tls whether every tcp connection runs over TLS 1.3 ({@link Configuration#TLS_ENV}); needs a job
     *            secret, and is for tcp.
     * @return this.
     */
    public Context tls(final boolean tls)
    {
        this.tls = tls;
        return this;
    }

    /**
     * @return whether every tcp connection runs over TLS.
     */
    public boolean tls()
    {
        return tls;
    }

    /**
     * @return the variable the rank came from ({@link Configuration#RANK_ENV} unless a scheduler's gave it).
     */
    String rankSource()
    {
        return rankSource;
    }

    /**
     * @return the variable the world size came from.
     */
    String worldSizeSource()
    {
        return worldSizeSource;
    }

    /**
     * @param sessionId the session id the rendezvous handed out.
     */
    void sessionId(final byte[] sessionId)
    {
        this.sessionId = sessionId;
    }

    /**
     * @return the 16-byte session id of the rendezvous this rank joined, or null when it joined none.
     */
    public byte[] sessionId()
    {
        return null == sessionId ? null : sessionId.clone();
    }

    /**
     * A new idle strategy for a waiting rank that shares its host with {@code ranksOnHost - 1} others. Backoff
     * spins briefly, then yields up to 10,000 times (a few milliseconds) and only then parks, 1 us growing to
     * 100 us. Measured with {@code ringsync bench --np 2} over ipc (AMD EPYC, 2 vCPUs): parking after 32 yields
     * put every 4 KiB call at 14-18 us p50, yielding brought it to 1.4-2.7 us (Open MPI: 1.4 us); pure spinning
     * starved the media driver (1 MiB: 4.3 ms instead of 0.4 ms) and any rank sharing a core. A yield hands the
     * core to a runnable peer, so four ranks on two cores still progress; the final parking keeps a rank whose
     * peer is really late from burning a core.
     * <p>
     * Backoff yields at once instead of spinning first in two cases:
     * <ul>
     *     <li>Ranks outnumber the cores: a spinning rank holds the core its peer needs to answer. Measured with
     *     {@code ringsync bench --transport shm}, 4 ranks on 2 vCPUs (perf-results/2026-11-25-small-vector): 4 KiB
     *     p50 28 us (small-vector path) and 34 us (ring) after 100 spins, 10-21 us and 19-21 us yielding at once;
     *     with 2 ranks on 2 cores spinning first stays better (ring 4 KiB 1.1 us vs 4.0 us yielding at once).</li>
     *     <li>The communicator spans hosts: its waits are network round trips of ten microseconds and more, where a
     *     yield (a system call that returns at once on an idle core) costs nothing measurable, while spinning
     *     holds a core that the kernel's network work, a media driver or another process on the machine may need,
     *     and a rank cannot see such neighbours the way it sees ranks of its own job. Measured between simulated
     *     hosts (network namespaces on one machine, AMD EPYC, 2 vCPUs, tcp, perf-results/2026-12-07-warm-cluster):
     *     4 hosts of one rank (four ranks on the two cores) 4 KiB p50 169-279 us against 1391-2570 us spinning
     *     first, 64 KiB 458-478 us against 2842-2952 us, 1 MiB 3.2-3.4 ms against 5.3 ms; 2 hosts (a core each)
     *     the same within the noise.</li>
     * </ul>
     *
     * @param ranksOnHost ranks of the job on this host, this one included.
     * @param spansHosts  whether some ranks of the communicator are on other hosts.
     * @return the strategy named by {@link #idle()}.
     */
    IdleStrategy idleStrategy(final int ranksOnHost, final boolean spansHosts)
    {
        switch (idle)
        {
            case "backoff":
                final boolean yieldAtOnce = spansHosts || ranksOnHost > Runtime.getRuntime().availableProcessors();
                return new BackoffIdleStrategy(yieldAtOnce ? 0 : BACKOFF_SPINS, BACKOFF_YIELDS,
                    TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            case "yield":
                return new YieldingIdleStrategy();
            case "spin":
                return new BusySpinIdleStrategy();
            default:
                throw new ConfigurationException(Configuration.IDLE_ENV + "=" + idle + " is not one of backoff, " +
                    "yield, spin (Context.idle)", -1);
        }
    }

    private static void require(
        final boolean valid, final String variable, final String method, final Object value, final String rule)
    {
        if (!valid)
        {
            throw new ConfigurationException(variable + "=" + value + " " + rule + " (Context." + method + ")", -1);
        }
    }

    private static void problem(final String problem, final String variable, final String method, final Object value)
    {
        if (null != problem)
        {
            throw new ConfigurationException(variable + "=" + value + " " + problem + " (Context." + method + ")", -1);
        }
    }
}
