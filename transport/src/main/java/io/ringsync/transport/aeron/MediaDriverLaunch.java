package io.ringsync.transport.aeron;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import io.aeron.driver.MediaDriver;
import io.ringsync.transport.FileSpace;
import io.ringsync.transport.PrivateDirectory;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Starting an Aeron media driver from a concluded {@link MediaDriverHost.Context}, and only that: refuses a
 * directory a live driver holds, turns the settings into Aeron's {@link MediaDriver.Context} (idle strategies,
 * timeouts, counters sized for the links, UDP socket buffers and receiving endpoints, the customizer last), checks
 * the file space the driver needs, keeps its directory private, and on failure deletes the directory and says who
 * is to blame (a missing JVM flag, too little space, Aeron's own error).
 */
final class MediaDriverLaunch
{
    /**
     * A driver whose heartbeat is younger than this owns its directory, which must then not be wiped. Aeron's
     * conductor beats every millisecond, so a live driver passes easily and a dead one is free after a second.
     */
    private static final long ACTIVE_DRIVER_HEARTBEAT_AGE_MS = 1000;

    private MediaDriverLaunch()
    {
    }

    /**
     * Start the driver and hand it to {@code host}; whatever fails up to and including {@code host} closes the
     * driver and deletes its directory.
     *
     * @param ctx    concluded settings.
     * @param errors told of every error of the driver's threads.
     * @param host   makes the owner of the running driver.
     * @param <T>    the owner's type.
     * @return what {@code host} made.
     * @throws IllegalStateException when another live driver uses the directory, or the driver cannot start.
     */
    static <T> T start(
        final MediaDriverHost.Context ctx, final ErrorRecorder errors, final Function<MediaDriver, T> host)
    {
        final File dir = ctx.aeronDirectory();
        if (isDriverActive(dir))
        {
            throw new IllegalStateException("an active media driver is using " + dir +
                ": give another aeronDirectory, or stop that driver first");
        }

        final Supplier<IdleStrategy> idle = ctx.idleStrategySupplier();
        final MediaDriver.Context driverCtx = new MediaDriver.Context()
            .aeronDirectoryName(dir.getAbsolutePath())
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ctx.threadingMode())
            .sharedIdleStrategy(idle.get())
            .sharedNetworkIdleStrategy(idle.get())
            .conductorIdleStrategy(idle.get())
            .senderIdleStrategy(idle.get())
            .receiverIdleStrategy(idle.get())
            .ipcMtuLength(MediaDriverHost.IPC_MTU_LENGTH)
            .ipcTermBufferLength(ctx.ipcTermLength())
            .clientLivenessTimeoutNs(ctx.clientLivenessTimeoutNs())
            .imageLivenessTimeoutNs(ctx.imageLivenessTimeoutNs())
            .publicationUnblockTimeoutNs(ctx.publicationUnblockTimeoutNs())
            .publicationLingerTimeoutNs(ctx.publicationLingerTimeoutNs())
            .timerIntervalNs(ctx.timerIntervalNs())
            .counterValuesBufferLength(AeronFootprint.counterValuesLength(ctx.linkCount()))
            .errorBufferLength(AeronFootprint.ERROR_BUFFER_LENGTH)
            .errorHandler(errors);

        if (AeronMedia.UDP == ctx.media())
        {
            driverCtx
                .socketSndbufLength(ctx.socketBufferLength())
                .socketRcvbufLength(ctx.socketBufferLength())
                .initialWindowLength(ctx.socketBufferLength())
                .statusMessageTimeoutNs(MediaDriverHost.STATUS_MESSAGE_TIMEOUT_NS_DEFAULT)
                .retransmitUnicastLingerNs(MediaDriverHost.RETRANSMIT_LINGER_NS_DEFAULT);
            if (null != ctx.receiveChannelEndpointSupplier())
            {
                driverCtx.receiveChannelEndpointSupplier(ctx.receiveChannelEndpointSupplier());
            }
        }

        if (null != ctx.driverContextCustomizer())
        {
            ctx.driverContextCustomizer().accept(driverCtx);
        }

        // Aeron makes its directory and files with the umask's modes (755 and 644 under the usual 022): the drivers
        // ringsync starts itself sit in a private job directory, so nobody else can reach them meanwhile; parents
        // missing are made private, and the tree itself owner-only as soon as the driver has made it
        PrivateDirectory.createMissingParents(dir.toPath());
        final long driverBytes = AeronFootprint.driverBytes(ctx.linkCount());
        FileSpace.require(dir.getParentFile(), driverBytes, "a media driver for " + ctx.linkCount() + " links");
        MediaDriver driver = null;
        try
        {
            driver = MediaDriver.launch(driverCtx);
            PrivateDirectory.restrictTree(dir.toPath());
            return host.apply(driver);
        }
        catch (final IllegalAccessError | ExceptionInInitializerError ex)
        {
            IoUtil.delete(dir, true);
            throw new IllegalStateException("cannot start a media driver in " + dir + ": Agrona needs the JVM flag " +
                "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED (" + ex + ")", ex);
        }
        catch (final RuntimeException | InternalError ex)
        {
            CloseHelper.quietClose(driver);
            IoUtil.delete(dir, true);
            throw FileSpace.failure("cannot start a media driver in", dir, driverBytes, ex);
        }
    }

    private static boolean isDriverActive(final File dir)
    {
        if (!new File(dir, CncFileDescriptor.CNC_FILE).isFile())
        {
            return false;
        }

        try
        {
            return CommonContext.isDriverActive(dir, ACTIVE_DRIVER_HEARTBEAT_AGE_MS, MediaDriverLaunch::ignore);
        }
        catch (final RuntimeException ex)
        {
            // an unreadable or half-written cnc file belongs to no live driver
            return false;
        }
    }

    private static void ignore(final String message)
    {
    }
}
