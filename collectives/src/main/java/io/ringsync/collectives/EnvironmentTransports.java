package io.ringsync.collectives;

import io.ringsync.transport.Transport;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.shm.ShmFootprint;
import io.ringsync.transport.shm.ShmTransport;

import java.io.File;
import java.util.Locale;
import java.util.Map;

/**
 * Opens the transport {@link Communicator#fromEnvironment()} asks for, from the variables of
 * {@link Configuration}, and turns every setting problem into a {@link ConfigurationException} that says
 * which variable to set.
 */
final class EnvironmentTransports
{
    private static final String LAUNCH_HINT = "start every rank with `bin/ringsync launch --np N -- <command>`, " +
        "which sets it, or set it yourself (see README, \"Environment\")";

    private EnvironmentTransports()
    {
    }

    static Transport open(final Map<String, String> env, final Context ctx)
    {
        final int worldSize = requiredInt(env, Configuration.WORLD_SIZE_ENV);
        final int rank = requiredInt(env, Configuration.RANK_ENV);
        if (worldSize < 1)
        {
            throw new ConfigurationException(Configuration.WORLD_SIZE_ENV + "=" + worldSize + " must be at least 1", -1);
        }
        if (rank < 0 || rank >= worldSize)
        {
            throw new ConfigurationException(Configuration.RANK_ENV + "=" + rank + " is out of range: with " +
                Configuration.WORLD_SIZE_ENV + "=" + worldSize + " ranks are 0.." + (worldSize - 1), rank);
        }
        final String name = transportName(env);
        final String jobDir = Configuration.lookup(env, Configuration.JOB_DIR_ENV);
        final File jobDirectory = new File(null != jobDir ? jobDir : defaultJobDirectory(ctx.jobId()));
        if (null != jobDir || "shm".equals(name))
        {
            // ranks on this host publish liveness and progress in the job directory (see RankStatusBoard)
            ctx.statusDirectory(jobDirectory);
        }
        if ("shm".equals(name))
        {
            return openShm(env, ctx, rank, worldSize, jobDir, jobDirectory);
        }
        final AeronMedia media;
        switch (name)
        {
            case "ipc":
                media = AeronMedia.IPC;
                break;
            case "udp":
                media = AeronMedia.UDP;
                break;
            default:
                throw new ConfigurationException(Configuration.TRANSPORT_ENV + "=" + name + " is not a transport " +
                    "of this version: use shm (one host, no driver, the default), ipc (one host, Aeron " +
                    "media driver) or udp (across hosts)", -1);
        }

        final String aeronDir = Configuration.lookup(env, Configuration.AERON_DIR_ENV);
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
            .rank(rank)
            .worldSize(worldSize)
            .jobId(ctx.jobId())
            .media(media)
            .aeronDirectoryName(aeronDir)
            .driverTimeoutMs(Math.max(10_000, ctx.timeoutNs() / 1_000_000));
        transportCtx.jobDirectory(jobDirectory);
        final String termLength = Configuration.lookup(env, Configuration.TERM_LENGTH_ENV);
        if (null != termLength)
        {
            transportCtx.termLength((int)Context.parseSize(Configuration.TERM_LENGTH_ENV, termLength));
        }
        if (media == AeronMedia.UDP)
        {
            final String endpoints = Configuration.lookup(env, Configuration.UDP_ENDPOINTS_ENV);
            if (null == endpoints)
            {
                throw new ConfigurationException(Configuration.UDP_ENDPOINTS_ENV + " is not set: udp needs one " +
                    "host:port per rank, comma-separated in rank order, identical on every rank; " + LAUNCH_HINT, -1);
            }
            transportCtx.udpEndpoints(endpoints.split(","));
            final String mtu = Configuration.lookup(env, Configuration.UDP_MTU_ENV);
            transportCtx.mtuLength(null == mtu ? Configuration.UDP_MTU_DEFAULT :
                (int)Context.parseLong(Configuration.UDP_MTU_ENV, mtu));
        }

        try
        {
            final AeronTransport transport = AeronTransport.connect(transportCtx);
            // without a launcher nobody else removes the directory this process made: the last rank out does
            return null != jobDir ? transport : new RemoveEmptyDirectoryOnClose(transport, jobDirectory);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + rank + ": bad " + name + " transport setting: " +
                ex.getMessage(), -1, ex);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + rank + ": could not open the " + name + " transport" +
                (null != aeronDir ? " through the media driver in " + aeronDir : "") + ": " + ex.getMessage() +
                ". Is the driver (or the launcher hosting it) still running?", -1, ex);
        }
    }

    private static Transport openShm(
        final Map<String, String> env,
        final Context ctx,
        final int rank,
        final int worldSize,
        final String jobDir,
        final File jobDirectory)
    {
        final ShmTransport.Context shmCtx = new ShmTransport.Context()
            .rank(rank)
            .worldSize(worldSize)
            .jobId(ctx.jobId())
            .directory(jobDirectory)
            .connectTimeoutNs(ctx.timeoutNs())
            .slotLength(shmSlotLength(env, ctx.chunkBytes()));
        shmCtx.slotCount(shmSlotCount(env, worldSize, shmCtx.slotLength()));
        final String windowBytes = Configuration.lookup(env, Configuration.SHM_WINDOW_BYTES_ENV);
        if (null != windowBytes)
        {
            shmCtx.windowLength(Context.parseSize(Configuration.SHM_WINDOW_BYTES_ENV, windowBytes));
        }
        checkShmSpace(env, worldSize, jobDirectory, -1);
        try
        {
            final ShmTransport transport = ShmTransport.connect(shmCtx);
            return null != jobDir ? transport : new RemoveEmptyDirectoryOnClose(transport, jobDirectory);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException("rank " + rank + ": bad shm transport setting: " + ex.getMessage(), -1,
                ex);
        }
        catch (final RuntimeException ex)
        {
            throw new ConfigurationException("rank " + rank + ": could not open the shm transport in " +
                jobDirectory + ": " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * @return slots per shm link: {@link Configuration#SHM_SLOT_COUNT_ENV}, else the default for the world size.
     */
    static int shmSlotCount(final Map<String, String> env, final int worldSize, final int slotLength)
    {
        final String slots = Configuration.lookup(env, Configuration.SHM_SLOT_COUNT_ENV);
        return null != slots ? (int)Context.parseLong(Configuration.SHM_SLOT_COUNT_ENV, slots) :
            ShmTransport.defaultSlotCount(worldSize, slotLength);
    }

    /**
     * @return bytes per shm slot: {@link Configuration#SHM_SLOT_LENGTH_ENV}, else one chunk of
     * {@link Configuration#CHUNK_BYTES_ENV} (or its default) behind its headers, so the chunk setting still works.
     */
    static int shmSlotLength(final Map<String, String> env, final int chunkBytes)
    {
        final String slotLength = Configuration.lookup(env, Configuration.SHM_SLOT_LENGTH_ENV);
        return null != slotLength ?
            (int)Context.parseSize(Configuration.SHM_SLOT_LENGTH_ENV, slotLength) :
            (int)org.agrona.BitUtil.align(chunkBytes + 128L, 64);
    }

    /**
     * The pre-flight check of a shm job: what its files take at most against what the file system holding
     * {@code directory} has free, less what the job's files already there take.
     *
     * @param usableBytes free bytes, or -1 to ask the file system.
     * @throws ConfigurationException with the figures and what to do, when the job does not fit.
     */
    static void checkShmSpace(final Map<String, String> env, final int worldSize, final File directory,
        final long usableBytes)
    {
        final int chunkBytes;
        final String chunk = Configuration.lookup(env, Configuration.CHUNK_BYTES_ENV);
        chunkBytes = null == chunk ? Configuration.CHUNK_BYTES_DEFAULT :
            (int)Context.parseSize(Configuration.CHUNK_BYTES_ENV, chunk);
        final String window = Configuration.lookup(env, Configuration.SHM_WINDOW_BYTES_ENV);
        final long windowBytes = null == window ? ShmTransport.WINDOW_LENGTH_DEFAULT :
            Context.parseSize(Configuration.SHM_WINDOW_BYTES_ENV, window);
        final int slotLength = shmSlotLength(env, chunkBytes);
        final int slotCount = shmSlotCount(env, worldSize, slotLength);
        if (slotCount < 1 || slotLength < 1 || windowBytes < 0)
        {
            return; // the transport's own checks name the bad setting
        }
        final long usable = usableBytes >= 0 ? usableBytes : ShmFootprint.usableBytes(directory);
        final String problem = ShmFootprint.shortfall(directory, worldSize, slotCount, slotLength, windowBytes,
            ShmFootprint.existingBytes(directory), usable);
        if (null != problem)
        {
            throw new ConfigurationException(problem, -1);
        }
    }

    /**
     * {@link Configuration#TRANSPORT_ENV} when set; otherwise what the other variables imply: endpoints mean a job
     * across hosts (udp), a media driver's directory means a job sharing that driver (ipc), and anything else a
     * job on this host, which gets the default (shm).
     */
    static String transportName(final Map<String, String> env)
    {
        final String name = Configuration.lookup(env, Configuration.TRANSPORT_ENV);
        if (null != name)
        {
            return name.toLowerCase(Locale.ROOT);
        }
        if (null != Configuration.lookup(env, Configuration.UDP_ENDPOINTS_ENV))
        {
            return "udp";
        }
        if (null != Configuration.lookup(env, Configuration.AERON_DIR_ENV))
        {
            return "ipc";
        }
        return Configuration.TRANSPORT_DEFAULT;
    }

    /**
     * @param transport as opened here or given to {@link Communicator#connect}.
     * @return the shm transport underneath, or null for another transport.
     */
    static ShmTransport shmOf(final Transport transport)
    {
        if (transport instanceof ShmTransport)
        {
            return (ShmTransport)transport;
        }
        if (transport instanceof RemoveEmptyDirectoryOnClose)
        {
            return shmOf(((RemoveEmptyDirectoryOnClose)transport).delegate);
        }
        return null;
    }

    private static String defaultJobDirectory(final long jobId)
    {
        final File shm = new File("/dev/shm");
        final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
        return new File(parent, String.format("ringsync-%016x", jobId)).getPath();
    }

    /**
     * Closes the transport, then removes its job directory if nothing else is left in it (another rank of the
     * job on this host may still use it; the last one to close removes it).
     */
    static final class RemoveEmptyDirectoryOnClose implements Transport
    {
        private final Transport delegate;
        private final File directory;

        RemoveEmptyDirectoryOnClose(final Transport delegate, final File directory)
        {
            this.delegate = delegate;
            this.directory = directory;
        }

        public int rank()
        {
            return delegate.rank();
        }

        public int worldSize()
        {
            return delegate.worldSize();
        }

        public String name()
        {
            return delegate.name();
        }

        public io.ringsync.transport.OutboundLink outbound(final int peer)
        {
            return delegate.outbound(peer);
        }

        public io.ringsync.transport.InboundLink inbound(final int peer)
        {
            return delegate.inbound(peer);
        }

        public int maxMessageLength()
        {
            return delegate.maxMessageLength();
        }

        public int doWork()
        {
            return delegate.doWork();
        }

        public void close()
        {
            delegate.close();
            try
            {
                java.nio.file.Files.deleteIfExists(directory.toPath());
            }
            catch (final java.io.IOException ignore)
            {
                // not empty: another rank of the job still runs here
            }
        }
    }

    private static int requiredInt(final Map<String, String> env, final String name)
    {
        final String value = Configuration.lookup(env, name);
        if (null == value)
        {
            throw new ConfigurationException(name + " is not set: " + LAUNCH_HINT, -1);
        }
        try
        {
            return Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigurationException(name + "=" + value + " is not a whole number", -1, ex);
        }
    }
}
