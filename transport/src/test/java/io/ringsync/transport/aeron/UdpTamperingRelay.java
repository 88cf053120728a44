package io.ringsync.transport.aeron;

import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.HeaderFlyweight;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A man in the middle of one UDP link for tests: give the sender {@link #endpoint()} instead of the receiver's.
 * Every datagram the sender's publication sends goes through a {@link Tamper}, which sees it whole (Aeron frames,
 * several when Aeron batched them) and may change it, replace it or drop it, before it is forwarded to the target;
 * what the target sends back (status messages, NAKs) reaches the sender unchanged. Two threads with blocking
 * channels; {@link #close()} ends them.
 */
public final class UdpTamperingRelay implements AutoCloseable
{
    /**
     * Changes what the sender sends.
     */
    public interface Tamper
    {
        /**
         * @param datagram the datagram from the sender at 0, may be changed in place (up to its capacity).
         * @param length   of the datagram.
         * @return the length to forward, or a negative value to drop it.
         */
        int onDatagram(MutableDirectBuffer datagram, int length);
    }

    private final DatagramChannel front;
    private final DatagramChannel back;
    private final InetSocketAddress target;
    private final Tamper tamper;
    private final Thread forward;
    private final Thread backward;
    private final AtomicLong forwarded = new AtomicLong();
    private volatile SocketAddress sender;
    private volatile boolean isClosed;

    public UdpTamperingRelay(final InetSocketAddress target, final Tamper tamper) throws IOException
    {
        this.target = target;
        this.tamper = tamper;
        this.front = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.back = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.forward = start("udp-relay-forward", this::forwardAll);
        this.backward = start("udp-relay-backward", this::backwardAll);
    }

    /**
     * @param endpoint {@code host:port}.
     * @return it as an address.
     */
    public static InetSocketAddress address(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        return new InetSocketAddress(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
    }

    /**
     * @return the endpoint to give the sender instead of the target's.
     */
    public String endpoint()
    {
        try
        {
            return "127.0.0.1:" + ((InetSocketAddress)front.getLocalAddress()).getPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @return datagrams forwarded to the target so far.
     */
    public long forwarded()
    {
        return forwarded.get();
    }

    /**
     * @param datagram a DATA frame ({@link #isOneDataFrame}).
     * @return where it belongs in its stream: term id and term offset in one long. A retransmission of a frame has
     * the same position as the frame itself; the receiver keeps the first copy of a position it gets.
     */
    public static long position(final MutableDirectBuffer datagram)
    {
        final int termId = datagram.getInt(DataHeaderFlyweight.TERM_ID_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int termOffset = datagram.getInt(DataHeaderFlyweight.TERM_OFFSET_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        return ((long)termId << 32) | (termOffset & 0xFFFF_FFFFL);
    }

    /**
     * @return whether the datagram's first frame is an unfragmented DATA frame whose payload is at least
     * {@code minPayload} (more frames may follow it in the datagram).
     */
    public static boolean startsWithDataFrame(
        final MutableDirectBuffer datagram, final int length, final int minPayload)
    {
        if (length < DataHeaderFlyweight.HEADER_LENGTH)
        {
            return false;
        }
        final int frameLength = datagram.getInt(HeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int type = datagram.getShort(HeaderFlyweight.TYPE_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final byte flags = datagram.getByte(HeaderFlyweight.FLAGS_FIELD_OFFSET);
        return HeaderFlyweight.HDR_TYPE_DATA == type && frameLength <= length &&
            (flags & DataHeaderFlyweight.BEGIN_AND_END_FLAGS) == DataHeaderFlyweight.BEGIN_AND_END_FLAGS &&
            frameLength - DataHeaderFlyweight.HEADER_LENGTH >= minPayload;
    }

    /**
     * @return whether the datagram is one unfragmented DATA frame whose payload is at least {@code minPayload}
     * bytes (and not a heartbeat, a padding frame or a batch of several frames).
     */
    public static boolean isOneDataFrame(final MutableDirectBuffer datagram, final int length, final int minPayload)
    {
        if (length < DataHeaderFlyweight.HEADER_LENGTH)
        {
            return false;
        }
        final int frameLength = datagram.getInt(HeaderFlyweight.FRAME_LENGTH_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int type = datagram.getShort(HeaderFlyweight.TYPE_FIELD_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        return HeaderFlyweight.HDR_TYPE_DATA == type &&
            frameLength - DataHeaderFlyweight.HEADER_LENGTH >= minPayload &&
            BitUtil.align(frameLength, FrameDescriptor.FRAME_ALIGNMENT) == length;
    }

    private void forwardAll()
    {
        final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(64 * 1024);
        final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
        try
        {
            while (!isClosed)
            {
                byteBuffer.clear();
                final SocketAddress from = front.receive(byteBuffer);
                sender = from;
                final int length = tamper.onDatagram(buffer, byteBuffer.position());
                if (length >= 0)
                {
                    byteBuffer.clear().limit(length);
                    back.send(byteBuffer, target);
                    forwarded.incrementAndGet();
                }
            }
        }
        catch (final ClosedChannelException ignore)
        {
            // closed
        }
        catch (final IOException ex)
        {
            if (!isClosed)
            {
                throw new IllegalStateException("relay forward failed: " + ex, ex);
            }
        }
    }

    private void backwardAll()
    {
        final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(64 * 1024);
        try
        {
            while (!isClosed)
            {
                byteBuffer.clear();
                back.receive(byteBuffer);
                final SocketAddress to = sender;
                if (null != to)
                {
                    byteBuffer.flip();
                    front.send(byteBuffer, to);
                }
            }
        }
        catch (final ClosedChannelException ignore)
        {
            // closed
        }
        catch (final IOException ex)
        {
            if (!isClosed)
            {
                throw new IllegalStateException("relay backward failed: " + ex, ex);
            }
        }
    }

    private static Thread start(final String name, final Runnable task)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /**
     * Close both channels and wait for the threads.
     */
    public void close()
    {
        isClosed = true;
        try
        {
            front.close();
            back.close();
            forward.join(5_000);
            backward.join(5_000);
        }
        catch (final IOException | InterruptedException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
