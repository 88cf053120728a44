package io.ringsync.transport.aeron;

import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.LogBufferDescriptor;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The rules the settings of {@link AeronTransport.Context} and {@link MediaDriverHost.Context} must follow, and
 * only that: each check throws an {@link IllegalArgumentException} that names the bad setting and what to set, or
 * returns the value the setting concludes to (a default filled in, a copy trimmed). The contexts keep their
 * settings and the order of the checks; the rules a user-facing layer asks about before it builds a context
 * ({@link AeronTransport#mtuLengthProblem(int)}, {@link AeronTransport#termLengthProblem(int, int)}) stay public on
 * {@link AeronTransport} and are used from here, the driver's IPC term included.
 */
final class AeronSettingRules
{
    private AeronSettingRules()
    {
    }

    static void checkMedia(final AeronMedia media)
    {
        if (null == media)
        {
            throw new IllegalArgumentException("media is null: set media(AeronMedia.IPC or AeronMedia.UDP)");
        }
    }

    static void checkIpcDriver(final String aeronDirectoryName)
    {
        if (null == aeronDirectoryName)
        {
            throw new IllegalArgumentException("aeronDirectoryName is not set: IPC ranks share the media " +
                "driver their launcher hosts; set aeronDirectoryName(String) to its Aeron directory");
        }
    }

    static void checkUdpDriver(final String aeronDirectoryName, final File jobDirectory)
    {
        if (null == aeronDirectoryName && null == jobDirectory)
        {
            throw new IllegalArgumentException("neither aeronDirectoryName nor jobDirectory is set: a UDP rank " +
                "uses an external media driver (set aeronDirectoryName(String)) or embeds one under " +
                "jobDirectory (set jobDirectory(File))");
        }
    }

    /**
     * @param udpEndpoints as set, one per rank.
     * @param worldSize    ranks of the job.
     * @return a copy with every endpoint trimmed.
     */
    static String[] udpEndpoints(final String[] udpEndpoints, final int worldSize)
    {
        if (null == udpEndpoints)
        {
            throw new IllegalArgumentException("udpEndpoints is not set: UDP needs one host:port per rank; " +
                "set udpEndpoints(String...)");
        }

        if (udpEndpoints.length != worldSize)
        {
            throw new IllegalArgumentException("udpEndpoints has " + udpEndpoints.length +
                " entries but worldSize=" + worldSize + ": set udpEndpoints(String...) with one host:port per rank");
        }

        final String[] checked = udpEndpoints.clone();
        for (int i = 0; i < checked.length; i++)
        {
            checked[i] = udpEndpoint(i, checked[i]);
        }

        return checked;
    }

    private static String udpEndpoint(final int index, final String endpoint)
    {
        final String value = null == endpoint ? "" : endpoint.trim();
        final int colon = value.lastIndexOf(':');
        int port = -1;
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

        if (port < 1 || port > 65535)
        {
            throw new IllegalArgumentException("udpEndpoints[" + index + "]='" + endpoint +
                "' is not host:port with a port from 1 to 65535: set udpEndpoints(String...)");
        }
        final String host = value.substring(0, colon);
        final boolean bracketed = host.startsWith("[") && host.endsWith("]") && host.length() > 2;
        if ((host.indexOf(':') >= 0 || host.startsWith("[")) && !bracketed)
        {
            // "::1:40100" would be read as host "::1" and port 40100 by some and as an address by others
            throw new IllegalArgumentException("udpEndpoints[" + index + "]='" + endpoint +
                "' is not host:port: an IPv6 address goes in brackets, e.g. [::1]:40100; set " +
                "udpEndpoints(String...)");
        }

        return value;
    }

    /**
     * @param mtuLength as set, 0 for the default.
     * @return the UDP mtu in use.
     */
    static int udpMtuLength(final int mtuLength)
    {
        final int concluded = 0 == mtuLength ? AeronTransport.UDP_MTU_LENGTH_DEFAULT : mtuLength;
        final String mtuProblem = AeronTransport.mtuLengthProblem(concluded);
        if (null != mtuProblem)
        {
            throw new IllegalArgumentException("mtuLength=" + concluded + " " + mtuProblem +
                ": set mtuLength(int), e.g. " + AeronTransport.UDP_MTU_LENGTH_DEFAULT + " for 1500-byte Ethernet");
        }

        return concluded;
    }

    static void checkSocketBufferLength(final int socketBufferLength, final int mtuLength)
    {
        if (socketBufferLength < Math.max(mtuLength, MediaDriverHost.SOCKET_BUFFER_LENGTH_MIN))
        {
            throw new IllegalArgumentException("socketBufferLength=" + socketBufferLength +
                " must be at least " + Math.max(mtuLength, MediaDriverHost.SOCKET_BUFFER_LENGTH_MIN) +
                ": set socketBufferLength(int), e.g. " + AeronTransport.SOCKET_BUFFER_LENGTH_DEFAULT);
        }
    }

    static void checkTermLength(final int termLength, final int mtuLength)
    {
        final String termProblem = AeronTransport.termLengthProblem(termLength, mtuLength);
        if (null != termProblem)
        {
            throw new IllegalArgumentException("termLength=" + termLength + " " + termProblem +
                ": set termLength(int), e.g. " + AeronTransport.TERM_LENGTH_DEFAULT);
        }
    }

    static void checkDriverTimeoutMs(final long driverTimeoutMs)
    {
        if (driverTimeoutMs <= 0)
        {
            throw new IllegalArgumentException("driverTimeoutMs=" + driverTimeoutMs +
                " must be > 0: set driverTimeoutMs(long), e.g. " + AeronTransport.DRIVER_TIMEOUT_MS_DEFAULT);
        }
    }

    /**
     * @param streamIdBase as set, {@link AeronTransport#STREAM_ID_BASE_FROM_JOB_ID} to derive it.
     * @param jobId        of the job.
     * @param worldSize    ranks of the job, which use worldSize^2 stream ids from the base.
     * @return the stream id base in use.
     */
    static int streamIdBase(final int streamIdBase, final long jobId, final int worldSize)
    {
        int concluded = streamIdBase;
        if (AeronTransport.STREAM_ID_BASE_FROM_JOB_ID == concluded)
        {
            concluded = AeronTransport.Context.defaultStreamIdBase(jobId);
        }
        else if (concluded < 1)
        {
            throw new IllegalArgumentException("streamIdBase=" + concluded +
                " must be >= 1: set streamIdBase(int), or leave it to be derived from jobId");
        }

        if ((long)concluded + (long)worldSize * worldSize - 1 > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("streamIdBase=" + concluded + " leaves no room for " +
                worldSize + "^2 stream ids below 2^31: set a smaller streamIdBase(int)");
        }

        return concluded;
    }

    static void checkEmbeddedDriver(
        final ThreadingMode threadingMode, final Supplier<IdleStrategy> idleStrategySupplier)
    {
        if (null == threadingMode)
        {
            throw new IllegalArgumentException("embeddedDriverThreadingMode is null: set " +
                "embeddedDriverThreadingMode(...), e.g. ThreadingMode.INVOKER");
        }

        if (null == idleStrategySupplier)
        {
            throw new IllegalArgumentException("embeddedDriverIdleStrategySupplier is null: set " +
                "embeddedDriverIdleStrategySupplier(...), e.g. BackoffIdleStrategy::new");
        }
    }

    /**
     * The checks of {@link MediaDriverHost.Context#conclude()} after its directory is made absolute.
     *
     * @param ctx the driver's settings.
     */
    static void checkDriver(final MediaDriverHost.Context ctx)
    {
        if (null == ctx.media())
        {
            throw new IllegalArgumentException("media is null: set media(AeronMedia.IPC or AeronMedia.UDP)");
        }

        // the same rule as a link's term with the IPC mtu: a power of two whose term/8 holds 65504 bytes
        if (null != AeronTransport.termLengthProblem(ctx.ipcTermLength(), MediaDriverHost.IPC_MTU_LENGTH))
        {
            throw new IllegalArgumentException("ipcTermLength=" + ctx.ipcTermLength() +
                " must be a power of two from " + MediaDriverHost.IPC_TERM_LENGTH_MIN +
                " (mtu " + MediaDriverHost.IPC_MTU_LENGTH + " needs term/8 >= mtu) to " +
                LogBufferDescriptor.TERM_MAX_LENGTH + ": set ipcTermLength(int)");
        }

        if (ctx.socketBufferLength() < MediaDriverHost.SOCKET_BUFFER_LENGTH_MIN)
        {
            throw new IllegalArgumentException("socketBufferLength=" + ctx.socketBufferLength() +
                " is below " + MediaDriverHost.SOCKET_BUFFER_LENGTH_MIN + ": set socketBufferLength(int)");
        }

        if (null == ctx.threadingMode())
        {
            throw new IllegalArgumentException("threadingMode is null: set threadingMode(SHARED, " +
                "SHARED_NETWORK, DEDICATED or INVOKER)");
        }

        if (null == ctx.idleStrategySupplier())
        {
            throw new IllegalArgumentException("idleStrategySupplier is null: set idleStrategySupplier(...), " +
                "e.g. BackoffIdleStrategy::new");
        }

        if (ctx.timerIntervalNs() < TimeUnit.MILLISECONDS.toNanos(1))
        {
            throw new IllegalArgumentException("timerIntervalNs=" + ctx.timerIntervalNs() +
                " is below 1 ms: set timerIntervalNs(long), e.g. " + MediaDriverHost.TIMER_INTERVAL_NS_DEFAULT);
        }

        if (ctx.clientLivenessTimeoutNs() <= ctx.timerIntervalNs())
        {
            throw new IllegalArgumentException("clientLivenessTimeoutNs=" + ctx.clientLivenessTimeoutNs() +
                " must exceed timerIntervalNs=" + ctx.timerIntervalNs() + " (Aeron rule): set " +
                "clientLivenessTimeoutNs(long) to seconds, e.g. " +
                MediaDriverHost.CLIENT_LIVENESS_TIMEOUT_NS_DEFAULT);
        }

        if (ctx.publicationUnblockTimeoutNs() <= ctx.clientLivenessTimeoutNs())
        {
            throw new IllegalArgumentException("publicationUnblockTimeoutNs=" + ctx.publicationUnblockTimeoutNs() +
                " must exceed clientLivenessTimeoutNs=" + ctx.clientLivenessTimeoutNs() +
                " (Aeron rule): set publicationUnblockTimeoutNs(long)");
        }

        if (ctx.imageLivenessTimeoutNs() <= ctx.timerIntervalNs())
        {
            throw new IllegalArgumentException("imageLivenessTimeoutNs=" + ctx.imageLivenessTimeoutNs() +
                " must exceed timerIntervalNs=" + ctx.timerIntervalNs() + ": set imageLivenessTimeoutNs(long) to " +
                "seconds, e.g. " +
                MediaDriverHost.IMAGE_LIVENESS_TIMEOUT_NS_DEFAULT);
        }

        if (ctx.publicationLingerTimeoutNs() < 0)
        {
            throw new IllegalArgumentException("publicationLingerTimeoutNs=" + ctx.publicationLingerTimeoutNs() +
                " is negative: set publicationLingerTimeoutNs(long)");
        }
    }
}
