package io.ringsync.transport.aeron;

import io.aeron.driver.DataPacketDispatcher;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ReceiveChannelEndpointSupplier;
import io.aeron.driver.media.ReceiveChannelEndpoint;
import io.aeron.driver.media.UdpChannel;
import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.RttMeasurementFlyweight;
import io.aeron.protocol.SetupFlyweight;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drops every frame an embedded UDP media driver receives that does not belong to one of the job's links, before
 * the driver looks at it, and counts those on the job's streams: a frame whose session id is not the one agreed for
 * its stream ({@link LinkSessionIds}) is a stranger's. Frames of streams the rank does not subscribe to are dropped
 * uncounted, as Aeron would ignore them: a peer's first frames may arrive before this rank subscribes.
 * <p>
 * The links' subscriptions already accept their own session only ({@code session-id=}), so the driver would not
 * make an image of a stranger's session anyway; the guard adds what that filter does not give: a count of the
 * frames strangers sent ({@link #foreignFrameCount()}), and a driver whose tables do not grow with every session id
 * a stranger makes up (Aeron remembers each such session as "no interest").
 * <p>
 * Install it with {@code MediaDriver.Context.receiveChannelEndpointSupplier(guard)}, and {@link #admit} every link
 * before subscribing to it. Links are admitted from client threads and frames checked on the driver's receiver
 * thread: the table is replaced, never changed in place, so a check takes no lock and allocates nothing.
 */
public final class SessionGuard implements ReceiveChannelEndpointSupplier
{
    private final AtomicLong foreignFrames = new AtomicLong();
    private volatile Int2ObjectHashMap<Integer> sessionByStream = new Int2ObjectHashMap<>();

    /**
     * Let the frames of one link through from now on.
     *
     * @param streamId  of the link.
     * @param sessionId agreed for the link.
     */
    public synchronized void admit(final int streamId, final int sessionId)
    {
        final Int2ObjectHashMap<Integer> next = new Int2ObjectHashMap<>(sessionByStream);
        next.put(streamId, Integer.valueOf(sessionId));
        sessionByStream = next;
    }

    /**
     * Stop letting the frames of one link through (its mesh closed): its stream is no longer one of the job's, so
     * later frames on it are dropped uncounted, and the table does not grow with every sub-communicator made.
     *
     * @param streamId  of the link.
     * @param sessionId agreed for the link; another link admitted on the same stream since is left alone.
     */
    public synchronized void revoke(final int streamId, final int sessionId)
    {
        final Integer admitted = sessionByStream.get(streamId);
        if (null != admitted && admitted == sessionId)
        {
            final Int2ObjectHashMap<Integer> next = new Int2ObjectHashMap<>(sessionByStream);
            next.remove(streamId);
            sessionByStream = next;
        }
    }

    /**
     * @return links admitted now.
     */
    public int admittedCount()
    {
        return sessionByStream.size();
    }

    /**
     * @return frames dropped so far on the job's streams because their session is not the link's: SETUP, DATA
     * (heartbeats and padding too) and RTT measurement frames.
     */
    public long foreignFrameCount()
    {
        return foreignFrames.get();
    }

    /**
     * {@inheritDoc}
     */
    public ReceiveChannelEndpoint newInstance(
        final UdpChannel udpChannel,
        final DataPacketDispatcher dispatcher,
        final AtomicCounter statusIndicator,
        final MediaDriver.Context context)
    {
        return new GuardedEndpoint(udpChannel, dispatcher, statusIndicator, context, this);
    }

    /**
     * @return true to let the frame through; false to drop it, counted when its stream is one of the job's.
     */
    boolean check(final int streamId, final int sessionId)
    {
        final Integer admitted = sessionByStream.get(streamId);
        if (null == admitted)
        {
            return false;
        }

        if (admitted != sessionId)
        {
            foreignFrames.incrementAndGet();
            return false;
        }

        return true;
    }

    /**
     * The driver's receiving end of one UDP channel, with the guard in front of its frame handlers.
     */
    static final class GuardedEndpoint extends ReceiveChannelEndpoint
    {
        private final SessionGuard guard;

        GuardedEndpoint(
            final UdpChannel udpChannel,
            final DataPacketDispatcher dispatcher,
            final AtomicCounter statusIndicator,
            final MediaDriver.Context context,
            final SessionGuard guard)
        {
            super(udpChannel, dispatcher, statusIndicator, context);
            this.guard = guard;
        }

        public int onDataPacket(
            final DataHeaderFlyweight header,
            final UnsafeBuffer buffer,
            final int length,
            final InetSocketAddress srcAddress,
            final int transportIndex)
        {
            if (!guard.check(header.streamId(), header.sessionId()))
            {
                return 0;
            }

            return super.onDataPacket(header, buffer, length, srcAddress, transportIndex);
        }

        public void onSetupMessage(
            final SetupFlyweight header,
            final UnsafeBuffer buffer,
            final int length,
            final InetSocketAddress srcAddress,
            final int transportIndex)
        {
            if (guard.check(header.streamId(), header.sessionId()))
            {
                super.onSetupMessage(header, buffer, length, srcAddress, transportIndex);
            }
        }

        public void onRttMeasurement(
            final RttMeasurementFlyweight header,
            final UnsafeBuffer buffer,
            final int length,
            final InetSocketAddress srcAddress,
            final int transportIndex)
        {
            if (guard.check(header.streamId(), header.sessionId()))
            {
                super.onRttMeasurement(header, buffer, length, srcAddress, transportIndex);
            }
        }
    }
}
