package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;
import io.ringsync.transport.Transport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.security.FrameAuthenticator;
import io.ringsync.transport.shm.ShmTransport;
import io.ringsync.transport.tcp.TcpTransport;

import java.io.File;

/**
 * Opens the transport a concluded {@link Context} describes, for {@link Communicator#fromEnvironment()}, and
 * turns every problem of opening it into a {@link ConfigurationException} that says which variable to set. Ranks
 * that meet at a rendezvous ({@link RendezvousSetup}) join it first: it gives them the job id and their peers'
 * endpoints.
 */
final class Transports
{
    private static final String LAUNCH_HINT = "start every rank with `bin/ringsync launch --np N -- <command>`, " +
        "torchrun, mpirun or srun, which set it, or set it yourself (see README, \"Across hosts\")";

    private Transports()
    {
    }

    /**
     * Open the transport the settings describe, for {@link Communicator#fromEnvironment()}: ranks on this host
     * also publish their liveness in the job directory, which this sets as the status directory.
     *
     * @param ctx concluded settings with rank and world size.
     * @return this rank's mesh; it does not wait for peers.
     */
    static Transport open(final Context ctx)
    {
        checkRankAndSize(ctx);
        try (RendezvousSetup rendezvous = RendezvousSetup.isNeeded(ctx) ? RendezvousSetup.join(ctx) : null)
        {
            final File jobDirectory = privateJobDirectory(ctx);
            if (null != ctx.jobDirectory() || "shm".equals(ctx.transport()))
            {
                ctx.statusDirectory(jobDirectory);
            }
            if ("tcp".equals(ctx.transport()))
            {
                return openTcp(ctx, rendezvous);
            }
            return "shm".equals(ctx.transport()) ? openShm(ctx, jobDirectory) : openAeron(ctx, jobDirectory);
        }
    }

    /**
     * @param ctx concluded settings.
     * @return whether the transport may join ranks of several hosts (udp, and tcp): ipc and shm stay on one host.
     */
    static boolean spansHosts(final Context ctx)
    {
        return !"shm".equals(ctx.transport()) && !"ipc".equals(ctx.transport());
    }

    /**
     * @param ctx concluded settings.
     * @return the job directory to remove when the communicator closes, if empty: the one derived from the job
     * id when no launcher (which removes its own when the job ends) named one; else null.
     */
    static File directoryToRemove(final Context ctx)
    {
        return null == ctx.jobDirectory() ? jobDirectory(ctx) : null;
    }

    /**
     * @param ctx concluded settings.
     * @return the job directory: {@link Context#jobDirectory()}, else {@code ringsync-<job id>} under /dev/shm (or
     * the temporary directory where there is no /dev/shm).
     */
    static File jobDirectory(final Context ctx)
    {
        if (null != ctx.jobDirectory())
        {
            return ctx.jobDirectory();
        }
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, String.format("ringsync-%016x", ctx.jobId()));
    }

    /**
     * The job directory, created private to this user (mode 700) when it does not exist. One that exists is used
     * only when it is this user's and mode 700: its name is predictable, so another user could have made it first.
     *
     * @param ctx concluded settings.
     * @return the job directory.
     * @throws ConfigurationException naming the path, its owner and mode, the variable that chose it and what to do.
     */
    static File privateJobDirectory(final Context ctx)
    {
        final File dir = jobDirectory(ctx);
        try
        {
            return PrivateDirectory.ensure(dir);
        }
        catch (final IllegalStateException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": " + ex.getMessage() + " (" +
                (null != ctx.jobDirectory() ? Configuration.JOB_DIR_ENV + "=" + dir :
                "the directory of " + Configuration.JOB_ID_ENV + "=0x" + Long.toHexString(ctx.jobId())) + ")", -1, ex);
        }
    }

    private static void checkRankAndSize(final Context ctx)
    {
        final int rank = ctx.rank();
        final int worldSize = ctx.worldSize();
        if (worldSize < 1)
        {
            throw new ConfigurationException(0 == worldSize ? Configuration.WORLD_SIZE_ENV + " is not set: " +
                LAUNCH_HINT : Configuration.WORLD_SIZE_ENV + "=" + worldSize + " must be at least 1", -1);
        }
        if (rank < 0 || rank >= worldSize)
        {
            throw new ConfigurationException(rank < 0 ? Configuration.RANK_ENV + " is not set: " + LAUNCH_HINT :
                ctx.rankSource() + "=" + rank + " is out of range: with " + ctx.worldSizeSource() + "=" + worldSize +
                " ranks are 0.." + (worldSize - 1) + " (`bin/ringsync env` shows every source of both)", rank);
        }
    }

    private static Transport openTcp(final Context ctx, final RendezvousSetup rendezvous)
    {
        return connectTcp(ctx, tcpContext(ctx)
            .endpoints(rendezvous.table().endpointColumn(0))
            .listener(rendezvous.takeListener())
            .connectTimeoutNs(rendezvous.connectTimeoutNs()));
    }

    /**
     * @return the tcp settings every mesh of this job shares: rank, size, job id and the frames' protection.
     */
    private static TcpTransport.Context tcpContext(final Context ctx)
    {
        return new TcpTransport.Context()
            .rank(ctx.rank())
            .worldSize(ctx.worldSize())
            .jobId(ctx.jobId())
            // with a job secret both ends of every connection prove they hold it, and every frame carries a tag
            // under a key of its link, salted with the session id, unless RINGSYNC_FRAME_MAC=off (what the launcher
            // sets with a secret it drew itself): then only the connections prove it
            .jobSecret(ctx.jobSecret())
            .frameTags(!"off".equals(ctx.frameMac()))
            .frameMac(frameMac(ctx))
            .tls(ctx.tls())
            .sessionId(ctx.sessionId());
    }

    private static Transport connectTcp(final Context ctx, final TcpTransport.Context tcpCtx)
    {
        try
        {
            return TcpTransport.connect(tcpCtx);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": bad tcp transport setting: " + ex.getMessage(),
                -1, ex);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": could not open the tcp transport: " +
                ex.getMessage(), -1, ex);
        }
    }

    /**
     * A shm mesh of its own for a group of ranks on this host (the host-aware path's local group): the job's shm
     * settings, its files in {@code mesh-<meshId>} of the job directory, removed by the last member out.
     *
     * @param rank this rank in the group.
     * @param size ranks in the group.
     * @return this rank's mesh; it does not wait for peers.
     */
    static Transport openShmMesh(
        final Context ctx, final File jobDirectory, final long meshId, final int rank, final int size)
    {
        final ShmTransport.Context shmCtx = new ShmTransport.Context()
            .rank(rank)
            .worldSize(size)
            .jobId(ctx.jobId())
            .directory(new File(jobDirectory, String.format("mesh-%016x", meshId)))
            .connectTimeoutNs(ctx.timeoutNs())
            .slotLength(ctx.shmSlotLength())
            .slotCount(ctx.shmSlotCountFor(size))
            .windowLength(ctx.shmWindowBytes())
            .removeDirectoryOnClose(true);
        ShmSpace.check(ctx.copy().worldSize(size).conclude(), jobDirectory, -1);
        return ShmTransport.connect(shmCtx);
    }

    /**
     * A mesh of its own for a group grown by rejoining ({@link Rejoin}): opened alike by the members and the
     * joiners, who share no transport yet, from the job's settings and the mesh id alone. shm: files in
     * {@code mesh-<meshId>} of the job directory, removed by the last member out; ipc: a client of the job's media
     * driver on a block of stream ids derived from the job and the mesh id; tcp and udp: a transport of its own on
     * the ports the grown group exchanged ({@link GrownEndpoints}), for udp with an embedded driver of its own in
     * {@code mesh-<meshId>} (unless the job uses an external one).
     *
     * @param ctx    concluded settings of the job.
     * @param meshId of the grown group.
     * @param rank   this rank in it.
     * @param size   ranks in it.
     * @param endpoints the grown group's endpoints, for tcp and udp; else null.
     * @return this rank's mesh; it does not wait for peers.
     * @throws UnsupportedOperationException over a transport that rejoining does not support.
     */
    static Transport openGrownMesh(
        final Context ctx, final long meshId, final int rank, final int size, final GrownEndpoints endpoints)
    {
        final File jobDirectory = jobDirectory(ctx);
        final String problem = Rejoin.transportProblem(ctx.transport());
        if (null != problem)
        {
            throw new UnsupportedOperationException(problem);
        }
        if ("shm".equals(ctx.transport()))
        {
            return openShmMesh(ctx, jobDirectory, meshId, rank, size);
        }
        if ("tcp".equals(ctx.transport()))
        {
            // ctx is the grown group's: its rank and size
            return connectTcp(ctx, tcpContext(ctx)
                .meshId(meshId)
                .endpoints(endpoints.endpoints())
                .listener(endpoints.listener())
                .connectTimeoutNs(ctx.timeoutNs()));
        }
        final boolean udp = "udp".equals(ctx.transport());
        final AeronTransport.Context transportCtx = new AeronTransport.Context()
            .rank(rank)
            .worldSize(size)
            .jobId(ctx.jobId())
            .media(udp ? AeronMedia.UDP : AeronMedia.IPC)
            .aeronDirectoryName(ctx.aeronDirectory())
            .termLength(ctx.termLength())
            .driverTimeoutMs(Math.max(10_000, ctx.timeoutNs() / 1_000_000))
            .streamIdBase(AeronTransport.Context.defaultStreamIdBase(ctx.jobId() ^ Long.rotateLeft(meshId, 17)));
        if (udp)
        {
            // an embedded driver of its own per grown mesh: the members' drivers still serve their old mesh
            final File meshDirectory = grownUdpDirectory(ctx, meshId);
            try
            {
                FileAgreement.createDirectory(meshDirectory.toPath());
            }
            catch (final java.io.IOException ex)
            {
                throw new ConfigurationException("rank " + rank + ": cannot make " + meshDirectory + " for the grown " +
                    "group's media drivers: " + ex, -1, ex);
            }
            transportCtx.jobDirectory(meshDirectory);
            udpSettings(ctx, transportCtx, endpoints.endpoints(), jobDirectory);
        }
        else
        {
            transportCtx.jobDirectory(jobDirectory);
        }
        return AeronTransport.connect(transportCtx);
    }

    /**
     * @return where the ranks of a udp group grown by rejoining keep their embedded drivers: {@code mesh-<meshId>}
     * of the job directory, removed by the last of them to close.
     */
    static File grownUdpDirectory(final Context ctx, final long meshId)
    {
        return new File(jobDirectory(ctx), String.format("mesh-%016x", meshId));
    }

    private static Transport openShm(final Context ctx, final File jobDirectory)
    {
        final ShmTransport.Context shmCtx = new ShmTransport.Context()
            .rank(ctx.rank())
            .worldSize(ctx.worldSize())
            .jobId(ctx.jobId())
            .directory(jobDirectory)
            .connectTimeoutNs(ctx.timeoutNs())
            .slotLength(ctx.shmSlotLength())
            .slotCount(ctx.shmSlotCountFor(ctx.worldSize()))
            .windowLength(ctx.shmWindowBytes());
        ShmSpace.check(ctx, jobDirectory, -1);
        try
        {
            return ShmTransport.connect(shmCtx);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": bad shm transport setting: " + ex.getMessage(),
                -1, ex);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": could not open the shm transport in " +
                jobDirectory + ": " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * What the Aeron session ids of a udp job's links derive from: the rendezvous' random session id and the job
     * secret, whichever the job has, each preceded by its length. With neither, null: the ids then derive from the
     * job id, which keeps jobs apart but no attacker out (docs/across-hosts.md, "UDP and strangers").
     */
    static byte[] udpSessionSecret(final Context ctx)
    {
        final byte[] session = ctx.sessionId();
        final byte[] secret = ctx.jobSecret();
        if (null == session && null == secret)
        {
            return null;
        }

        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (final byte[] part : new byte[][]{ session, secret })
        {
            final int length = null == part ? 0 : part.length;
            out.write(length >>> 24);
            out.write(length >>> 16);
            out.write(length >>> 8);
            out.write(length);
            if (null != part)
            {
                out.write(part, 0, length);
            }
        }
        return out.toByteArray();
    }

    /**
     * @return the frame tag's algorithm {@link Configuration#FRAME_MAC_ENV} names (when it is not off).
     */
    private static FrameAuthenticator.Algorithm frameMac(final Context ctx)
    {
        return "aes-gmac".equals(ctx.frameMac()) ? FrameAuthenticator.Algorithm.AES_GMAC :
            FrameAuthenticator.Algorithm.HMAC_SHA256;
    }

    /**
     * The udp settings of one mesh: its endpoints, the job's mtu and the protection of its messages.
     */
    private static void udpSettings(
        final Context ctx, final AeronTransport.Context transportCtx, final String[] endpoints,
        final File jobDirectory)
    {
        transportCtx
            .udpEndpoints(endpoints)
            .mtuLength(ctx.udpMtu())
            .sessionSecret(udpSessionSecret(ctx))
            // with a job secret every message carries a tag under a key of its link, as on tcp, unless
            // RINGSYNC_FRAME_MAC=off
            .jobSecret("off".equals(ctx.frameMac()) ? null : ctx.jobSecret())
            .frameMac(frameMac(ctx))
            .rendezvousSessionId(ctx.sessionId());
        if (null == ctx.aeronDirectory())
        {
            ShmSpace.check(ctx, jobDirectory, -1);
        }
    }

    private static Transport openAeron(final Context ctx, final File jobDirectory)
    {
        final String name = ctx.transport();
        final AeronMedia media = "ipc".equals(name) ? AeronMedia.IPC : AeronMedia.UDP;
        final String aeronDir = ctx.aeronDirectory();
        if (media == AeronMedia.IPC)
        {
            if (null == aeronDir)
            {
                throw new ConfigurationException(Configuration.AERON_DIR_ENV + " is not set: ipc ranks share one " +
                    "Aeron media driver; " + LAUNCH_HINT + ", e.g. the directory `bin/ringsync driver` prints", -1);
            }
            if (!new File(aeronDir, "cnc.dat").exists())
            {
                throw new ConfigurationException("no media driver runs in " + Configuration.AERON_DIR_ENV + "=" +
                    aeronDir + " (no cnc.dat there): start one with `bin/ringsync driver --dir " + aeronDir + "`, or " +
                    "use `bin/ringsync launch`, which hosts it", -1);
            }
        }
        final AeronTransport.Context transportCtx = new AeronTransport.Context()
            .rank(ctx.rank())
            .worldSize(ctx.worldSize())
            .jobId(ctx.jobId())
            .media(media)
            .aeronDirectoryName(aeronDir)
            .termLength(ctx.termLength())
            .driverTimeoutMs(Math.max(10_000, ctx.timeoutNs() / 1_000_000));
        transportCtx.jobDirectory(jobDirectory);
        if (media == AeronMedia.UDP)
        {
            if (null == ctx.udpEndpoints())
            {
                throw new ConfigurationException(Configuration.UDP_ENDPOINTS_ENV + " is not set: udp needs one " +
                    "host:port per rank, comma-separated in rank order, identical on every rank, or a rendezvous (" +
                    Configuration.RENDEZVOUS_ENV + ") where the ranks learn each other's; " + LAUNCH_HINT, -1);
            }
            udpSettings(ctx, transportCtx, ctx.udpEndpoints(), jobDirectory);
        }
        try
        {
            return AeronTransport.connect(transportCtx);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": bad " + name + " transport setting: " +
                ex.getMessage(), -1, ex);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + ctx.rank() + ": could not open the " + name + " transport" +
                (null != aeronDir ? " through the media driver in " + aeronDir : "") + ": " + ex.getMessage() +
                ". Is the driver (or the launcher hosting it) still running?", -1, ex);
        }
    }
}
