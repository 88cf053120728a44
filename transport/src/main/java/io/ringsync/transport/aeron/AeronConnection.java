package io.ringsync.transport.aeron;

import io.aeron.Aeron;
import io.aeron.RethrowingErrorHandler;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The connection of one rank to Aeron, and only that: the Aeron client, the embedded media driver if the rank has
 * one (launched here, with the {@link SessionGuard} of its UDP endpoints), and the record of their errors, shared by
 * every mesh of the rank and closed with the last one. An embedded driver of the invoker kind runs its duty cycle on
 * the threads of the meshes that wait, one at a time: meshes used from different threads take turns, and a thread
 * that finds the driver busy moves on, since another is running it. Also the one place that says who is to blame
 * when a rank cannot connect ({@link #connectFailure}).
 */
final class AeronConnection
{
    /**
     * The client conductor only handles images coming and going and keepalives, nothing on the hot path; a 1 ms
     * sleep keeps it off the CPU yet makes a new peer's image pollable sooner than Aeron's 16 ms default.
     */
    private static final long CLIENT_IDLE_SLEEP_MS = 1;

    final ErrorRecorder errors;
    final MediaDriverHost driver;
    final SessionGuard guard;
    final Aeron aeron;
    final String aeronDirectoryName;
    private final AtomicInteger users = new AtomicInteger(1);
    private final ReentrantLock dutyCycle = new ReentrantLock();

    private AeronConnection(final ErrorRecorder errors, final MediaDriverHost driver, final SessionGuard guard,
        final Aeron aeron, final String aeronDirectoryName)
    {
        this.errors = errors;
        this.driver = driver;
        this.guard = guard;
        this.aeron = aeron;
        this.aeronDirectoryName = aeronDirectoryName;
    }

    static AeronConnection open(final AeronTransport.Context ctx, final int rank)
    {
        final ErrorRecorder errors = new ErrorRecorder(ctx.errorHandler());
        // only UDP gets here without an Aeron directory (IPC ranks must share the launcher's driver)
        MediaDriverHost driverHost = null;
        final SessionGuard guard = null == ctx.aeronDirectoryName() && ctx.isSessionBound() ?
            new SessionGuard() : null;
        Aeron client = null;
        try
        {
            driverHost = null != ctx.aeronDirectoryName() ? null :
                MediaDriverHost.launch(new MediaDriverHost.Context()
                    .aeronDirectory(ctx.embeddedDriverDirectory())
                    .media(ctx.media())
                    .ipcTermLength(Math.max(ctx.termLength(), MediaDriverHost.IPC_TERM_LENGTH_MIN))
                    .linkCount(2 * (ctx.worldSize() - 1))
                    .socketBufferLength(ctx.socketBufferLength())
                    .threadingMode(ctx.embeddedDriverThreadingMode())
                    .idleStrategySupplier(ctx.embeddedDriverIdleStrategySupplier())
                    .receiveChannelEndpointSupplier(guard)
                    .driverContextCustomizer(ctx.embeddedDriverCustomizer())
                    .errorHandler(errors));
            final String aeronDir = null != driverHost ? driverHost.aeronDirectoryName() :
                ctx.aeronDirectoryName();
            client = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(aeronDir)
                .clientName("ringsync-" + Long.toHexString(ctx.jobId()) + "-rank-" + rank)
                .driverTimeoutMs(ctx.driverTimeoutMs())
                .useConductorAgentInvoker(false)
                .idleStrategy(new SleepingMillisIdleStrategy(CLIENT_IDLE_SLEEP_MS))
                .errorHandler(errors)
                // Aeron's default would swallow an exception thrown by a message handler and drop the message
                .subscriberErrorHandler(RethrowingErrorHandler.INSTANCE));
            return new AeronConnection(errors, driverHost, guard, client, aeronDir);
        }
        catch (final RuntimeException | LinkageError ex)
        {
            CloseHelper.quietCloseAll(client, driverHost);
            throw connectFailure(ctx, ex);
        }
    }

    AeronConnection retain()
    {
        users.incrementAndGet();
        return this;
    }

    void release()
    {
        if (0 == users.decrementAndGet())
        {
            // closing the client releases every publication and subscription it added
            CloseHelper.quietCloseAll(aeron, driver);
        }
    }

    int doWork()
    {
        if (null == driver || !dutyCycle.tryLock())
        {
            return 0;
        }
        try
        {
            return driver.doWork();
        }
        finally
        {
            dutyCycle.unlock();
        }
    }

    /**
     * Who is to blame when a rank cannot connect its links: the media driver it was to use, and the JVM flag Agrona
     * needs when that is what failed.
     *
     * @param ctx settings of the rank.
     * @param ex  what failed.
     * @return the exception to throw, naming the rank, the media and the driver's directory.
     */
    static RuntimeException connectFailure(final AeronTransport.Context ctx, final Throwable ex)
    {
        final String where = null != ctx.aeronDirectoryName() ?
            "media driver in " + ctx.aeronDirectoryName() : "embedded media driver in " + ctx.embeddedDriverDirectory();
        if (ex instanceof IllegalAccessError || ex instanceof ExceptionInInitializerError)
        {
            return new IllegalStateException("rank " + ctx.rank() + " cannot use the " + where +
                ": Agrona needs the JVM flag --add-exports java.base/jdk.internal.misc=ALL-UNNAMED (" + ex + ")", ex);
        }

        return new IllegalStateException("rank " + ctx.rank() + " cannot connect its " + ctx.media() +
            " links through the " + where + ": " + ex, ex);
    }
}
