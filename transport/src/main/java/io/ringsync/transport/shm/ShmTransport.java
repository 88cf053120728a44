package io.ringsync.transport.shm;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.PrivateDirectory;
import io.ringsync.transport.Ranks;
import io.ringsync.transport.Transport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A full mesh of shared-memory links between the ranks of a job on one host, with no media driver: every
 * directed link is a file {@code <directory>/link-<from>-<to>.shm} holding a ring of fixed slots, one message
 * per slot (layout: {@link ShmLinkDescriptor}). The sender writes each message in place in a slot and publishes
 * it with a release store of the producer position; the receiver reads it in place and frees the slot with a
 * release store of the consumer position once its handler is done. A prototype of the same ring measured 2-3x
 * faster than Aeron IPC on a 2-core host: no driver thread to share the cores with, and no copy into a term.
 * <p>
 * {@link #connect(Context)} creates this rank's outbound files (owner-only, fully written, then renamed into
 * place) and does not wait for peers. An inbound link maps the peer's file when it appears, from
 * {@link InboundLink#poll} or {@link #doWork()}, and marks itself attached in it; until then its polls return 0,
 * and the peer's claims return {@link OutboundLink#NOT_CONNECTED}. A file of another job, another layout
 * version, or left by a process that is gone is ignored ({@link #linkStatus(int)} says why), and replaced when
 * its rightful writer starts.
 * <p>
 * Flow control counts whole slots: {@link OutboundLink#framedLength(int)} is the slot length whatever the
 * message, {@link OutboundLink#windowLength()} is slotCount x slotLength and
 * {@link OutboundLink#availableWindow()} the free slots x slotLength, read fresh from the consumer position.
 * A message longer than a slot's capacity ({@link #maxMessageLength()}) is refused.
 * <p>
 * An inbound link is lost once its writer closed it or its process exited (pid and start time in the file,
 * looked at every {@link #LIVENESS_CHECK_INTERVAL_NS} at most, and only once the link is drained: everything
 * sent before is delivered first). A writer whose reader closed gets {@link OutboundLink#CLOSED}; so does one
 * whose reader's process exited, noticed when the ring stays full. Processes must share a pid namespace.
 * <p>
 * The hot path ({@code tryClaim}, {@code commit}, {@code poll}, {@code availableWindow}) allocates nothing and
 * throws nothing but {@link IllegalArgumentException} for a message that cannot fit a slot. A
 * {@link io.ringsync.transport.MessageHandler} that throws makes {@code poll} throw, and its message stays at
 * the head of the link, as if declined (over Aeron it would count as consumed). One thread uses a transport at
 * a time, as for every {@link Transport}; {@link #close()} too, since it unmaps what the links read.
 */
public final class ShmTransport implements Transport
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * Name in {@code RINGSYNC_TRANSPORT}.
     */
    public static final String NAME = "shm";

    /**
     * Default slot length: a 32 KiB chunk payload behind ringsync's 64-byte chunk header, plus the 64-byte slot
     * header. 32 and 64 KiB chunks performed alike in the prototype; 32 KiB keeps more of them in flight.
     */
    public static final int SLOT_LENGTH_DEFAULT = 32 * 1024 + 2 * ShmLinkDescriptor.SLOT_HEADER_LENGTH;

    /**
     * Default slot count for jobs small enough to afford it: 32 slots of 32 KiB chunks (1 MiB per link). Chosen by
     * a sweep of 8/16/32/64 slots of 16/32/64 KiB at 64 KiB, 1 MiB and 16 MiB, np 2 and 4, alternated over rounds
     * on a 2-vCPU AMD EPYC (perf-results/2026-11-25-shm-slots): 16 KiB chunks lost at every size, 8-16 slots of
     * 32 KiB were 1.3-1.7x slower than 32 at 1 MiB and 16 MiB (np 2), 64 slots won only at 16 MiB and doubled the
     * footprint. {@link #defaultSlotCount(int, int)} lowers it for large jobs to bound their /dev/shm.
     */
    public static final int SLOT_COUNT_DEFAULT = 32;

    /**
     * Fewest slots a default ever gives a link.
     */
    public static final int SLOT_COUNT_DEFAULT_MIN = 8;

    /**
     * Bytes of /dev/shm the default slot count lets the links of one job take (32 MiB): a 6-rank job keeps 32
     * slots, larger jobs get fewer, down to {@link #SLOT_COUNT_DEFAULT_MIN}.
     */
    public static final long LINKS_BUDGET_DEFAULT = 32L << 20;

    /**
     * {@link Context#slotCount(int)} value meaning "derive it from the world size".
     */
    public static final int SLOT_COUNT_FROM_WORLD_SIZE = 0;

    /**
     * Default time a link waits for its peer to map it before it ends: the communicator's default deadline.
     */
    public static final long CONNECT_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(30);

    /**
     * Default data length of each rank's direct-mode window ({@link ShmWindows}): 4 MiB, so a 4-rank job needs
     * 16 MiB of /dev/shm for windows whatever the vector size (larger vectors stream through in rounds).
     */
    public static final long WINDOW_LENGTH_DEFAULT = 4L << 20;

    /**
     * Smallest window: 64 KiB.
     */
    public static final long WINDOW_LENGTH_MIN = 64L << 10;

    /**
     * Largest window: 1 GiB.
     */
    public static final long WINDOW_LENGTH_MAX = 1L << 30;

    /**
     * Interval of process liveness checks: {@link ProcessHandle#isAlive()} reads /proc, a few microseconds, so
     * it is kept off every poll; 20 ms matches the communicator's own liveness interval.
     */
    public static final long LIVENESS_CHECK_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * Interval between looks for a peer's file that is not there yet: a stat call, kept off every poll.
     */
    static final long ATTACH_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Interval before a file that was refused is mapped and checked again.
     */
    static final long REJECTED_RETRY_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Context ctx;
    private final int rank;
    private final int worldSize;
    private final int maxMessageLength;
    private final ShmOutboundLink[] outbound;
    private final ShmInboundLink[] inbound;
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private final ShmWindows windows;
    private final boolean removeDirectoryOnClose;
    private int waitingInbound;

    private ShmTransport(final Context ctx)
    {
        this.removeDirectoryOnClose = ctx.removeDirectoryOnClose();
        this.ctx = ctx;
        this.rank = ctx.rank();
        this.worldSize = ctx.worldSize();
        this.maxMessageLength = ShmLinkDescriptor.messageCapacity(ctx.slotLength());
        this.outbound = new ShmOutboundLink[worldSize];
        this.inbound = new ShmInboundLink[worldSize];
        this.windows = new ShmWindows(ctx);

        final long nowNs = System.nanoTime();
        try
        {
            createDirectory(ctx.directory());
            for (int peer = 0; peer < worldSize; peer++)
            {
                if (peer != rank)
                {
                    outbound[peer] = ShmOutboundLink.create(ctx, peer, nowNs);
                }
            }
        }
        catch (final RuntimeException ex)
        {
            close();
            throw ex;
        }

        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                inbound[peer] = new ShmInboundLink(ctx, peer, nowNs);
                waitingInbound++;
            }
        }
    }

    /**
     * Create this rank's outbound link files in the job directory (creating it owner-only if needed). Does not
     * wait for peers.
     *
     * @param ctx settings; concluded here.
     * @return the transport.
     * @throws IllegalArgumentException for a bad setting (the message names it).
     * @throws IllegalStateException    when a link file cannot be created.
     */
    public static ShmTransport connect(final Context ctx)
    {
        return new ShmTransport(ctx.conclude());
    }

    /**
     * The slot count a job of {@code worldSize} ranks gets by default: {@link #SLOT_COUNT_DEFAULT}, unless the
     * n (n - 1) links of the job would then take more than {@link #LINKS_BUDGET_DEFAULT}; never fewer than
     * {@link #SLOT_COUNT_DEFAULT_MIN}. The ring itself needs only 2 (it keeps one slot for forwards).
     *
     * @param worldSize  ranks in the job.
     * @param slotLength bytes per slot.
     * @return the slot count.
     */
    public static int defaultSlotCount(final int worldSize, final int slotLength)
    {
        final long links = Math.max(1L, (long)worldSize * (worldSize - 1));
        final long affordable = LINKS_BUDGET_DEFAULT / (links * ShmLinkDescriptor.fileLength(1, slotLength));
        return (int)Math.max(SLOT_COUNT_DEFAULT_MIN, Math.min(SLOT_COUNT_DEFAULT, affordable));
    }

    /**
     * The rule a direct-mode window length must follow, for every layer that takes one from a user.
     *
     * @param windowLength data bytes of a window.
     * @return null when it is valid, else what is wrong.
     */
    public static String windowLengthProblem(final long windowLength)
    {
        if (windowLength < WINDOW_LENGTH_MIN || windowLength > WINDOW_LENGTH_MAX || 0 != (windowLength & 63))
        {
            return "must be a multiple of 64 from " + WINDOW_LENGTH_MIN + " to " + WINDOW_LENGTH_MAX;
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
     * @return {@code shm}.
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
     * The capacity of one slot: slot length less the 64-byte slot header.
     *
     * @return the largest message one claim holds.
     */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * Look for peers' files not mapped yet (at most every millisecond per link); nothing once all are mapped.
     *
     * @return the number of inbound links attached by this call.
     */
    public int doWork()
    {
        if (0 == waitingInbound || isClosed.get())
        {
            return 0;
        }
        int attached = 0;
        int waiting = 0;
        for (final ShmInboundLink link : inbound)
        {
            if (null != link && !link.isAttached())
            {
                if (link.tryAttach())
                {
                    attached++;
                }
                else
                {
                    waiting++;
                }
            }
        }
        waitingInbound = waiting;
        return attached;
    }

    /**
     * Whether both links with {@code peer} are up: it has mapped our file and we have mapped its file. For tests
     * and diagnostics; the collectives handshake instead.
     *
     * @param peer another rank.
     * @return true when both directions are attached.
     */
    public boolean isConnected(final int peer)
    {
        final ShmOutboundLink out = outbound[peer];
        final ShmInboundLink in = inbound[peer];
        return !isClosed.get() && null != out && null != in && out.isConnected() && (in.isAttached() || in.tryAttach());
    }

    /**
     * Describe both links with {@code peer}: connected, waiting for which file, or why a file found was ignored
     * (another job id, a dead writer...). Meant for the message of a connect timeout.
     *
     * @param peer another rank.
     * @return one line on each direction.
     */
    public String linkStatus(final int peer)
    {
        if (peer == rank || null == outbound[peer] || null == inbound[peer])
        {
            return "rank " + rank + " has no link to rank " + peer;
        }
        return "rank " + rank + " shm link " + outbound[peer].describe() + "; link " + inbound[peer].describe();
    }

    /**
     * A mesh of its own among some ranks of this one, for a sub-communicator: the same settings, its files in a
     * directory of its own inside this mesh's, {@code mesh-<meshId in hex>}, created owner-only here and removed
     * by the last member to close.
     *
     * @param meshId  identical on every member.
     * @param members ranks of this transport in the new mesh's order; this rank is one of them.
     * @return the new mesh.
     */
    public Transport openMesh(final long meshId, final int[] members)
    {
        final int newRank = Transport.rankInMesh(members, rank, worldSize);
        final Context meshCtx = new Context()
            .rank(newRank)
            .worldSize(members.length)
            .jobId(ctx.jobId())
            .directory(new File(ctx.directory(), String.format("mesh-%016x", meshId)))
            .slotCount(ctx.slotCount())
            .slotLength(ctx.slotLength())
            .connectTimeoutNs(ctx.connectTimeoutNs())
            .windowLength(ctx.windowLength());
        return new ShmTransport(meshCtx.removeDirectoryOnClose(true).conclude());
    }

    /**
     * Offers {@link ShmWindows}: the direct mode's shared windows.
     *
     * @param type of the feature.
     * @param <T>  the feature.
     * @return the windows when asked for {@link ShmWindows}, else null.
     */
    public <T> T capability(final Class<T> type)
    {
        return type == ShmWindows.class ? type.cast(windows) : null;
    }

    /**
     * The mapped windows of the direct mode: this rank's own (created on first use) and its peers'.
     *
     * @return the windows, closed with the transport.
     */
    public ShmWindows windows()
    {
        return windows;
    }

    /**
     * @return the concluded settings.
     */
    public Context context()
    {
        return ctx;
    }

    /**
     * Close this rank's links: mark its outbound links closed (peers see them lost once drained) and delete
     * their files, mark its inbound links closed (peers' claims return CLOSED), and unmap everything. The job
     * directory is left for whoever made it. Never throws; safe to call more than once.
     */
    public void close()
    {
        if (isClosed.compareAndSet(false, true))
        {
            windows.close();
            for (final ShmInboundLink link : inbound)
            {
                if (null != link)
                {
                    link.close();
                }
            }
            for (final ShmOutboundLink link : outbound)
            {
                if (null != link)
                {
                    link.close();
                }
            }
            if (removeDirectoryOnClose)
            {
                try
                {
                    Files.deleteIfExists(ctx.directory().toPath());
                }
                catch (final IOException ignore)
                {
                    // another member still has its files there; the last one out removes it
                }
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "ShmTransport{rank=" + rank + "/" + worldSize + ", jobId=0x" + Long.toHexString(ctx.jobId()) +
            ", dir=" + ctx.directory() + ", " + ctx.slotCount() + " slots of " + ctx.slotLength() + " bytes}";
    }

    static long startTimeMs(final ProcessHandle process)
    {
        final Optional<Instant> started = process.info().startInstant();
        return started.isPresent() ? started.get().toEpochMilli() : 0;
    }

    private static void createDirectory(final File directory)
    {
        // owner-only: the links carry the job's data; an existing directory must be this user's, mode 700
        PrivateDirectory.ensureWithParents(directory);
    }

    /**
     * Settings of a {@link ShmTransport}: fluent, Aeron style ({@code ctx.rank(1)} / {@code ctx.rank()}), checked
     * and completed once by {@link #conclude()}.
     */
    public static final class Context
    {
        private final AtomicBoolean isConcluded = new AtomicBoolean();
        private int rank = -1;
        private int worldSize;
        private long jobId;
        private File directory;
        private int slotCount = SLOT_COUNT_FROM_WORLD_SIZE;
        private int slotLength = SLOT_LENGTH_DEFAULT;
        private long connectTimeoutNs = CONNECT_TIMEOUT_NS_DEFAULT;
        private long windowLength = WINDOW_LENGTH_DEFAULT;
        private boolean removeDirectoryOnClose;

        /**
         * Check every setting and fill in the derived ones (slot count). Called by
         * {@link ShmTransport#connect(Context)}; may be called once.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting and what to set.
         * @throws IllegalStateException    when called a second time.
         */
        public Context conclude()
        {
            if (!isConcluded.compareAndSet(false, true))
            {
                throw new IllegalStateException("ShmTransport.Context already concluded: use a new Context");
            }

            Ranks.check(rank, worldSize);

            if (null == directory)
            {
                throw new IllegalArgumentException("directory is not set: set directory(File) to the job " +
                    "directory every rank of the job shares, e.g. /dev/shm/ringsync-<job id>");
            }
            directory = directory.getAbsoluteFile();

            ShmLinkDescriptor.checkSlotLength(slotLength);

            if (SLOT_COUNT_FROM_WORLD_SIZE == slotCount)
            {
                slotCount = defaultSlotCount(worldSize, slotLength);
            }
            ShmLinkDescriptor.checkSlotCount(slotCount, slotLength);

            if (connectTimeoutNs <= 0)
            {
                throw new IllegalArgumentException("connectTimeoutNs=" + connectTimeoutNs +
                    " must be > 0: set connectTimeoutNs(long), e.g. " + CONNECT_TIMEOUT_NS_DEFAULT);
            }

            final String windowProblem = windowLengthProblem(windowLength);
            if (null != windowProblem)
            {
                throw new IllegalArgumentException("windowLength=" + windowLength + " " + windowProblem +
                    ": set windowLength(long), e.g. " + WINDOW_LENGTH_DEFAULT);
            }

            return this;
        }

        /**
         * @param removeDirectoryOnClose whether {@link ShmTransport#close()} removes the directory once it is empty
         *                               (the last member of a mesh out removes it); default false: a job directory
         *                               is left for whoever made it.
         * @return this.
         */
        public Context removeDirectoryOnClose(final boolean removeDirectoryOnClose)
        {
            this.removeDirectoryOnClose = removeDirectoryOnClose;
            return this;
        }

        /**
         * @return whether close removes the directory once it is empty.
         */
        public boolean removeDirectoryOnClose()
        {
            return removeDirectoryOnClose;
        }

        /**
         * @param windowLength data bytes of each rank's direct-mode window, a multiple of 64 from 64 KiB to
         *                     1 GiB; default {@link ShmTransport#WINDOW_LENGTH_DEFAULT}.
         * @return this.
         */
        public Context windowLength(final long windowLength)
        {
            this.windowLength = windowLength;
            return this;
        }

        /**
         * @return data bytes of each rank's direct-mode window.
         */
        public long windowLength()
        {
            return windowLength;
        }

        /**
         * @param from writing rank.
         * @param to   reading rank.
         * @return the file of the directed link from {@code from} to {@code to}.
         */
        public File linkFile(final int from, final int to)
        {
            return new File(directory, ShmLinkDescriptor.fileName(from, to));
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
         * @param jobId identical on every rank; written into every link file, and a reader ignores files of
         *              another job.
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
         * @param directory the job directory every rank of the job shares, preferably under /dev/shm (memory);
         *                  created owner-only when missing, never deleted by the transport.
         * @return this.
         */
        public Context directory(final File directory)
        {
            this.directory = directory;
            return this;
        }

        /**
         * @return the job directory.
         */
        public File directory()
        {
            return directory;
        }

        /**
         * @param slotCount slots per link, at least 2; {@link ShmTransport#SLOT_COUNT_FROM_WORLD_SIZE} (the
         *                  default) for {@link ShmTransport#defaultSlotCount(int, int)}. The ring AllReduce needs at
         *                  least 2.
         * @return this.
         */
        public Context slotCount(final int slotCount)
        {
            this.slotCount = slotCount;
            return this;
        }

        /**
         * @return slots per link (derived from the world size once concluded, unless set).
         */
        public int slotCount()
        {
            return slotCount;
        }

        /**
         * @param slotLength bytes per slot, a multiple of 64 of at least 128: one message of up to
         *                   slotLength - 64 bytes; default {@link ShmTransport#SLOT_LENGTH_DEFAULT}.
         * @return this.
         */
        public Context slotLength(final int slotLength)
        {
            this.slotLength = slotLength;
            return this;
        }

        /**
         * @return bytes per slot.
         */
        public int slotLength()
        {
            return slotLength;
        }

        /**
         * @param connectTimeoutNs how long a link waits for its peer to map it (outbound) or to create a valid
         *                         file (inbound) from {@link ShmTransport#connect(Context)}; then claims return
         *                         CLOSED and the inbound link reports lost. Set it to the caller's own deadline.
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
         * {@inheritDoc}
         */
        public String toString()
        {
            return "ShmTransport.Context{" +
                "rank=" + rank +
                ", worldSize=" + worldSize +
                ", jobId=0x" + Long.toHexString(jobId) +
                ", directory=" + directory +
                ", slotCount=" + slotCount +
                ", slotLength=" + slotLength +
                ", connectTimeoutNs=" + connectTimeoutNs +
                ", windowLength=" + windowLength +
                '}';
        }
    }
}
