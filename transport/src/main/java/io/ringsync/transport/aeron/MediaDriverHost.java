package io.ringsync.transport.aeron;

import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ReceiveChannelEndpointSupplier;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.LogBufferDescriptor;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * An Aeron media driver embedded in this JVM, configured for a small host where ranks may outnumber cores.
 * <p>
 * Used by the launcher (one IPC driver shared by every rank of a job), by {@code ringsync driver}, and by each
 * UDP rank that is not given an external driver. The driver owns its Aeron directory: it is wiped when the
 * driver starts (unless another live driver uses it, which is refused) and deleted when it is closed.
 * <p>
 * Choices, measured on a 2-core machine (see the project's spike notes): every driver thread idles with a
 * backoff strategy, never spin or noop, because a spinning driver starves the ranks and vice versa (IPC
 * throughput halved, UDP collapsed to a few percent); one SHARED thread by default, which gave the best IPC
 * and mtu-65504 UDP rates; IPC mtu 65504 so a 64 KiB chunk is one unfragmented frame; for UDP 2 MiB socket
 * buffers and receiver window (4x the rate of Aeron's 128 KiB default window). Liveness timeouts are halved from
 * Aeron's 10 s and the driver's timer ticks every 100 ms instead of every second, so a dead rank is noticed within
 * about 5 s and a closed one within a tick.
 * <p>
 * {@link ThreadingMode#INVOKER}: the driver gets no thread of its own on the hot path. The rank's thread runs its
 * duty cycle through {@link #doWork()} while it waits in a collective, and a keeper thread runs it, parking up to
 * {@link #KEEPER_MAX_PARK_NS} between cycles, whenever the rank does not (between calls, while it connects). A
 * compare-and-set lets one of the two in at a time. Used by the embedded UDP driver of each rank: with the driver on
 * threads of its own, every datagram waited for one of them to be scheduled on a core the ranks kept busy, which
 * cost 30-60 us per hop and millisecond tails on 2 cores.
 */
public final class MediaDriverHost implements AutoCloseable
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * The IPC mtu: Aeron's largest frame, so messages up to 65472 bytes are claimed whole.
     */
    public static final int IPC_MTU_LENGTH = Configuration.MAX_UDP_PAYLOAD_LENGTH;

    /**
     * Default IPC term length: 1 MiB (a 512 KiB publisher window); the spikes saw no throughput difference from
     * 1 to 64 MiB, and each term costs three times its length in /dev/shm per link.
     */
    public static final int IPC_TERM_LENGTH_DEFAULT = 1024 * 1024;

    /**
     * The smallest IPC term that holds a frame of {@link #IPC_MTU_LENGTH}: Aeron caps a message at term / 8.
     */
    public static final int IPC_TERM_LENGTH_MIN = 512 * 1024;

    /**
     * Default UDP SO_SNDBUF, SO_RCVBUF and receiver initial window.
     */
    public static final int SOCKET_BUFFER_LENGTH_DEFAULT = 2 * 1024 * 1024;

    /**
     * Smallest accepted socket buffer: it must at least hold the largest datagram.
     */
    public static final int SOCKET_BUFFER_LENGTH_MIN = 64 * 1024;

    /**
     * Default time without keepalives after which the driver drops a client (Aeron: 10 s).
     */
    public static final long CLIENT_LIVENESS_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(5);

    /**
     * Default time without data or heartbeats after which a UDP image is dropped (Aeron: 10 s).
     */
    public static final long IMAGE_LIVENESS_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(5);

    /**
     * Default time after which a claim left uncommitted by a dead publisher is padded over. Aeron requires it to
     * exceed the client liveness timeout.
     */
    public static final long PUBLICATION_UNBLOCK_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(10);

    /**
     * Default time a closed publication's log lingers after draining (Aeron: 5 s).
     */
    public static final long PUBLICATION_LINGER_TIMEOUT_NS_DEFAULT = TimeUnit.SECONDS.toNanos(1);

    /**
     * Default interval of the driver conductor's timer checks (Aeron: 1 s). Every state change that ends a link
     * (a drained publication going to linger, a timed-out client or image) waits for this tick, so at 1 s a closed
     * IPC peer was seen lost after ~1 s; at 100 ms the checks still cost nothing measurable.
     */
    public static final long TIMER_INTERVAL_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(100);

    /**
     * Longest a udp receiver goes without sending a status message (Aeron: 200 ms). A status message lost on the
     * network leaves the sender's window shut until the next one, so under loss Aeron's default put a 200 ms step
     * in the tail. Measured with {@code LossBench}, 1 MiB, np 2, 1000 calls after 3000 untimed
     * (perf-results/2026-12-06-udp-loss): 5 ms took the 200 ms step away (5 % loss p90 11.5-21.2 -> 4.2-6.0 ms);
     * 2 ms then took the 5 % loss p99 from 6.0-7.0 to 4.7-5.3 ms and the 20 % loss p99 from 18.8-19.0 to
     * 12.7-13.7 ms, no change without loss. Idle, a link sends 500 of these 64-byte messages a second.
     */
    public static final long STATUS_MESSAGE_TIMEOUT_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(2);

    /**
     * How long a udp sender ignores further NAKs for a range it has just retransmitted (Aeron: 10 ms): a second
     * loss of the same range waited that long. Measured beside {@link #STATUS_MESSAGE_TIMEOUT_NS_DEFAULT}.
     */
    public static final long RETRANSMIT_LINGER_NS_DEFAULT = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Longest park of the keeper thread of an {@link ThreadingMode#INVOKER} driver. It only runs the duty cycle
     * while no rank thread does (between calls, while connecting), where heartbeats, status messages and
     * commands tolerate a millisecond, and a short park would keep a core busy for nothing.
     */
    public static final long KEEPER_MAX_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Name of the keeper thread of an {@link ThreadingMode#INVOKER} driver, which CPU accounting looks for.
     */
    public static final String KEEPER_THREAD_NAME = "ringsync-driver";

    private final Context ctx;
    private final MediaDriver driver;
    private final ErrorRecorder errors;
    private final AgentInvoker invoker;
    private final AtomicBoolean isInvoking = new AtomicBoolean();
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private final DriverKeeper keeper;

    private MediaDriverHost(final Context ctx, final MediaDriver driver, final ErrorRecorder errors)
    {
        this.ctx = ctx;
        this.driver = driver;
        this.errors = errors;
        this.invoker = ThreadingMode.INVOKER == ctx.threadingMode() ? driver.sharedAgentInvoker() : null;
        this.keeper = null != invoker ? DriverKeeper.start(this) : null;
    }

    /**
     * Run one duty cycle of an {@link ThreadingMode#INVOKER} driver on the caller's thread, unless another
     * thread is running one. Allocates nothing.
     *
     * @return the work done, 0 when idle, busy elsewhere, closed, or when the driver has threads of its own.
     */
    public int doWork()
    {
        if (null == invoker || !isInvoking.compareAndSet(false, true))
        {
            return 0;
        }

        try
        {
            return invoker.invoke();
        }
        finally
        {
            isInvoking.set(false);
        }
    }

    /**
     * Launch a driver with the defaults for {@code media}.
     *
     * @param aeronDir      the Aeron directory to create.
     * @param media         the ranks will use; UDP adds the socket buffer and window settings.
     * @param ipcTermLength term length of IPC publications that do not set one, a power of two of at least
     *                      {@link #IPC_TERM_LENGTH_MIN}.
     * @return the running driver.
     * @throws IllegalArgumentException for a bad setting.
     * @throws IllegalStateException    when another live driver uses {@code aeronDir}.
     */
    public static MediaDriverHost launch(final File aeronDir, final AeronMedia media, final long ipcTermLength)
    {
        if (ipcTermLength > Integer.MAX_VALUE || ipcTermLength < 0)
        {
            throw new IllegalArgumentException("ipcTermLength=" + ipcTermLength +
                " is out of range: set a power of two from " + IPC_TERM_LENGTH_MIN + " to " +
                LogBufferDescriptor.TERM_MAX_LENGTH);
        }

        return launch(new Context().aeronDirectory(aeronDir).media(media).ipcTermLength((int)ipcTermLength));
    }

    /**
     * Launch a driver with the defaults for {@code media}, sized for a job's links.
     *
     * @param aeronDir      the Aeron directory to create.
     * @param media         the ranks will use.
     * @param ipcTermLength term length of IPC publications that do not set one.
     * @param linkCount     publications and images the driver will hold at most.
     * @return the running driver.
     */
    public static MediaDriverHost launch(
        final File aeronDir, final AeronMedia media, final int ipcTermLength, final int linkCount)
    {
        return launch(new Context().aeronDirectory(aeronDir).media(media).ipcTermLength(ipcTermLength)
            .linkCount(linkCount));
    }

    /**
     * Launch a driver.
     *
     * @param ctx settings; concluded here.
     * @return the running driver.
     * @throws IllegalArgumentException for a bad setting.
     * @throws IllegalStateException    when another live driver uses the directory, or the driver cannot start.
     */
    public static MediaDriverHost launch(final Context ctx)
    {
        ctx.conclude();
        final ErrorRecorder errors = new ErrorRecorder(ctx.errorHandler());
        return MediaDriverLaunch.start(ctx, errors, driver -> new MediaDriverHost(ctx, driver, errors));
    }

    /**
     * @return the Aeron directory clients connect to, as a path string.
     */
    public String aeronDirectoryName()
    {
        return ctx.aeronDirectory().getAbsolutePath();
    }

    /**
     * @return the Aeron directory clients connect to.
     */
    public File aeronDirectory()
    {
        return ctx.aeronDirectory();
    }

    /**
     * @return the media it was configured for.
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
     * @return the most recent error the driver's threads reported (also kept in the directory's error log while
     * the driver runs), or null.
     */
    public Throwable lastError()
    {
        return errors.lastError();
    }

    /**
     * @return how many errors the driver's threads have reported.
     */
    public long errorCount()
    {
        return errors.errorCount();
    }

    /**
     * Stop the driver and delete its directory. Clients still connected see a driver timeout later; close them
     * first. Never throws; safe to call more than once.
     */
    public void close()
    {
        if (isClosed.compareAndSet(false, true))
        {
            if (null != keeper)
            {
                keeper.stop();
                // wait out a duty cycle a rank thread may be running, and keep every later one out
                while (!isInvoking.compareAndSet(false, true))
                {
                    Thread.onSpinWait();
                }
            }
            CloseHelper.quietClose(driver);
            IoUtil.delete(ctx.aeronDirectory(), true);
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "MediaDriverHost{dir=" + ctx.aeronDirectory() + ", media=" + ctx.media() + "}";
    }

    /**
     * The driver's threads back off to parks of at most 50 us, not Aeron's default 1 ms: the conductor moves
     * every IPC publisher's limit, so while it sleeps a rank that has filled its window waits too. With 1 ms
     * parks, 1-2 % of 4 KiB AllReduce calls at np=2 took over 1 ms (the window refills every ~64 calls).
     *
     * @return a new idle strategy for one driver thread.
     */
    static IdleStrategy defaultIdleStrategy()
    {
        return new BackoffIdleStrategy(10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(50));
    }

    /**
     * Settings of a {@link MediaDriverHost}: fluent, Aeron style ({@code ctx.media(UDP)} / {@code ctx.media()}),
     * checked once by {@link #conclude()}.
     */
    public static final class Context
    {
        private File aeronDirectory;
        private AeronMedia media = AeronMedia.IPC;
        private int ipcTermLength = IPC_TERM_LENGTH_DEFAULT;
        private int linkCount = AeronFootprint.LINKS_DEFAULT;
        private int socketBufferLength = SOCKET_BUFFER_LENGTH_DEFAULT;
        private ThreadingMode threadingMode = ThreadingMode.SHARED;
        private Supplier<IdleStrategy> idleStrategySupplier = MediaDriverHost::defaultIdleStrategy;
        private long clientLivenessTimeoutNs = CLIENT_LIVENESS_TIMEOUT_NS_DEFAULT;
        private long imageLivenessTimeoutNs = IMAGE_LIVENESS_TIMEOUT_NS_DEFAULT;
        private long publicationUnblockTimeoutNs = PUBLICATION_UNBLOCK_TIMEOUT_NS_DEFAULT;
        private long publicationLingerTimeoutNs = PUBLICATION_LINGER_TIMEOUT_NS_DEFAULT;
        private long timerIntervalNs = TIMER_INTERVAL_NS_DEFAULT;
        private ErrorHandler errorHandler;
        private ReceiveChannelEndpointSupplier receiveChannelEndpointSupplier;
        private java.util.function.Consumer<MediaDriver.Context> driverContextCustomizer;

        /**
         * Check every setting.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting.
         */
        public Context conclude()
        {
            if (null == aeronDirectory)
            {
                throw new IllegalArgumentException("aeronDirectory is not set: set aeronDirectory(File), " +
                    "a new directory, preferably under /dev/shm");
            }
            aeronDirectory = aeronDirectory.getAbsoluteFile();

            AeronSettingRules.checkDriver(this);

            return this;
        }

        /**
         * @param aeronDirectory the Aeron directory the driver creates (wiped first) and deletes on close.
         * @return this.
         */
        public Context aeronDirectory(final File aeronDirectory)
        {
            this.aeronDirectory = aeronDirectory;
            return this;
        }

        /**
         * @return the Aeron directory.
         */
        public File aeronDirectory()
        {
            return aeronDirectory;
        }

        /**
         * @param media the ranks will use; default IPC.
         * @return this.
         */
        public Context media(final AeronMedia media)
        {
            this.media = media;
            return this;
        }

        /**
         * @return the media the ranks will use.
         */
        public AeronMedia media()
        {
            return media;
        }

        /**
         * @param ipcTermLength term length of IPC publications that do not name one on their channel.
         * @return this.
         */
        public Context ipcTermLength(final int ipcTermLength)
        {
            this.ipcTermLength = ipcTermLength;
            return this;
        }

        /**
         * @return term length of IPC publications that do not name one.
         */
        public int ipcTermLength()
        {
            return ipcTermLength;
        }

        /**
         * @param linkCount publications and images the driver will hold at most: its counters are sized for them
         *                  ({@link AeronFootprint#counterValuesLength(int)}).
         * @return this.
         */
        public Context linkCount(final int linkCount)
        {
            this.linkCount = linkCount;
            return this;
        }

        /**
         * @return publications and images the driver is sized for.
         */
        public int linkCount()
        {
            return linkCount;
        }

        /**
         * @param socketBufferLength UDP SO_SNDBUF, SO_RCVBUF and receiver initial window (UDP only); the OS caps
         *                           it at {@code net.core.rmem_max} / {@code wmem_max}.
         * @return this.
         */
        public Context socketBufferLength(final int socketBufferLength)
        {
            this.socketBufferLength = socketBufferLength;
            return this;
        }

        /**
         * @return UDP socket buffer and receiver window length.
         */
        public int socketBufferLength()
        {
            return socketBufferLength;
        }

        /**
         * @param threadingMode SHARED (default, one thread), SHARED_NETWORK, DEDICATED, or INVOKER (duty cycle run
         *                      by {@link MediaDriverHost#doWork()} callers and a lazy keeper thread).
         * @return this.
         */
        public Context threadingMode(final ThreadingMode threadingMode)
        {
            this.threadingMode = threadingMode;
            return this;
        }

        /**
         * @return the driver's threading mode.
         */
        public ThreadingMode threadingMode()
        {
            return threadingMode;
        }

        /**
         * @param idleStrategySupplier makes one idle strategy per driver thread (they are stateful); default
         *                             {@link BackoffIdleStrategy}.
         * @return this.
         */
        public Context idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
        {
            this.idleStrategySupplier = idleStrategySupplier;
            return this;
        }

        /**
         * @return the supplier of driver idle strategies.
         */
        public Supplier<IdleStrategy> idleStrategySupplier()
        {
            return idleStrategySupplier;
        }

        /**
         * @param clientLivenessTimeoutNs time without keepalives after which the driver drops a client; it is
         *                                also the longest a client's conductor may stall (e.g. a GC pause).
         * @return this.
         */
        public Context clientLivenessTimeoutNs(final long clientLivenessTimeoutNs)
        {
            this.clientLivenessTimeoutNs = clientLivenessTimeoutNs;
            return this;
        }

        /**
         * @return client liveness timeout in nanoseconds.
         */
        public long clientLivenessTimeoutNs()
        {
            return clientLivenessTimeoutNs;
        }

        /**
         * @param imageLivenessTimeoutNs time without frames after which a UDP image is dropped.
         * @return this.
         */
        public Context imageLivenessTimeoutNs(final long imageLivenessTimeoutNs)
        {
            this.imageLivenessTimeoutNs = imageLivenessTimeoutNs;
            return this;
        }

        /**
         * @return image liveness timeout in nanoseconds.
         */
        public long imageLivenessTimeoutNs()
        {
            return imageLivenessTimeoutNs;
        }

        /**
         * @param publicationUnblockTimeoutNs time after which an uncommitted claim is padded over; must exceed
         *                                    {@link #clientLivenessTimeoutNs()}.
         * @return this.
         */
        public Context publicationUnblockTimeoutNs(final long publicationUnblockTimeoutNs)
        {
            this.publicationUnblockTimeoutNs = publicationUnblockTimeoutNs;
            return this;
        }

        /**
         * @return publication unblock timeout in nanoseconds.
         */
        public long publicationUnblockTimeoutNs()
        {
            return publicationUnblockTimeoutNs;
        }

        /**
         * @param publicationLingerTimeoutNs time a closed, drained publication lingers.
         * @return this.
         */
        public Context publicationLingerTimeoutNs(final long publicationLingerTimeoutNs)
        {
            this.publicationLingerTimeoutNs = publicationLingerTimeoutNs;
            return this;
        }

        /**
         * @return publication linger timeout in nanoseconds.
         */
        public long publicationLingerTimeoutNs()
        {
            return publicationLingerTimeoutNs;
        }

        /**
         * @param timerIntervalNs interval of the driver's timeout checks; every link-ending state change waits
         *                        for this tick.
         * @return this.
         */
        public Context timerIntervalNs(final long timerIntervalNs)
        {
            this.timerIntervalNs = timerIntervalNs;
            return this;
        }

        /**
         * @return interval of the driver's timeout checks in nanoseconds.
         */
        public long timerIntervalNs()
        {
            return timerIntervalNs;
        }

        /**
         * @param errorHandler also told of every error of the driver's threads (e.g. to log it), may be null.
         *                     Errors are always kept for {@link MediaDriverHost#lastError()}; the driver never
         *                     exits the JVM.
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
         * @param supplier of the driver's UDP receiving endpoints, e.g. a {@link SessionGuard}; null (default) for
         *                 Aeron's own.
         * @return this.
         */
        public Context receiveChannelEndpointSupplier(final ReceiveChannelEndpointSupplier supplier)
        {
            this.receiveChannelEndpointSupplier = supplier;
            return this;
        }

        /**
         * @return the supplier of UDP receiving endpoints, or null for Aeron's own.
         */
        public ReceiveChannelEndpointSupplier receiveChannelEndpointSupplier()
        {
            return receiveChannelEndpointSupplier;
        }

        /**
         * @param customizer for experiments and tests: given Aeron's driver context last, after every setting above,
         *                   e.g. to try NAK timings or simulate loss with Aeron's debug endpoints; null (default) for
         *                   none.
         * @return this.
         */
        public Context driverContextCustomizer(final java.util.function.Consumer<MediaDriver.Context> customizer)
        {
            this.driverContextCustomizer = customizer;
            return this;
        }

        /**
         * @return the customizer of Aeron's driver context, or null.
         */
        public java.util.function.Consumer<MediaDriver.Context> driverContextCustomizer()
        {
            return driverContextCustomizer;
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return "MediaDriverHost.Context{" +
                "aeronDirectory=" + aeronDirectory +
                ", media=" + media +
                ", ipcTermLength=" + ipcTermLength +
                ", socketBufferLength=" + socketBufferLength +
                ", threadingMode=" + threadingMode +
                ", clientLivenessTimeoutNs=" + clientLivenessTimeoutNs +
                ", imageLivenessTimeoutNs=" + imageLivenessTimeoutNs +
                ", publicationUnblockTimeoutNs=" + publicationUnblockTimeoutNs +
                ", publicationLingerTimeoutNs=" + publicationLingerTimeoutNs +
                ", timerIntervalNs=" + timerIntervalNs +
                '}';
        }
    }
}
