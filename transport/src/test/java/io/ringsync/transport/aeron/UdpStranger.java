package io.ringsync.transport.aeron;

import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.HeaderFlyweight;
import io.aeron.protocol.SetupFlyweight;
import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * A host that knows a rank's UDP port and the job's stream ids but is not part of the job: it sends hand-built
 * Aeron frames from a socket of its own, as an attacker with nothing but a UDP socket would.
 */
final class UdpStranger implements AutoCloseable
{
    private final DatagramChannel channel;
    private final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
    private long sent;

    UdpStranger()
    {
        try
        {
            channel = DatagramChannel.open();
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Send a SETUP frame announcing a new publication: what makes a driver create an image for a subscription that
     * takes all sessions.
     */
    void sendSetup(
        final InetSocketAddress to, final int sessionId, final int streamId, final int termLength, final int mtu)
    {
        final SetupFlyweight setup = new SetupFlyweight(buffer);
        setup
            .frameLength(SetupFlyweight.HEADER_LENGTH)
            .version(HeaderFlyweight.CURRENT_VERSION)
            .flags((short)0)
            .headerType(HeaderFlyweight.HDR_TYPE_SETUP);
        setup
            .termOffset(0)
            .sessionId(sessionId)
            .streamId(streamId)
            .initialTermId(7)
            .activeTermId(7)
            .termLength(termLength)
            .mtuLength(mtu)
            .ttl(0);
        send(to, SetupFlyweight.HEADER_LENGTH);
    }

    /**
     * Send one unfragmented DATA frame whose payload is {@code payloadLength} bytes of {@code fill}.
     */
    void sendData(
        final InetSocketAddress to,
        final int sessionId,
        final int streamId,
        final int termId,
        final int termOffset,
        final int payloadLength,
        final byte fill)
    {
        final int frameLength = DataHeaderFlyweight.HEADER_LENGTH + payloadLength;
        final DataHeaderFlyweight data = new DataHeaderFlyweight(buffer);
        data
            .frameLength(frameLength)
            .version(HeaderFlyweight.CURRENT_VERSION)
            .flags((short)DataHeaderFlyweight.BEGIN_AND_END_FLAGS)
            .headerType(HeaderFlyweight.HDR_TYPE_DATA);
        data
            .termOffset(termOffset)
            .sessionId(sessionId)
            .streamId(streamId)
            .termId(termId)
            .reservedValue(0);
        buffer.setMemory(DataHeaderFlyweight.HEADER_LENGTH, payloadLength, fill);
        send(to, BitUtil.align(frameLength, 32));
    }

    /**
     * @return datagrams sent so far.
     */
    long sent()
    {
        return sent;
    }

    private void send(final InetSocketAddress to, final int length)
    {
        byteBuffer.clear().limit(length);
        try
        {
            if (channel.send(byteBuffer, to) != length)
            {
                throw new IllegalStateException("short send to " + to);
            }
            sent++;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // nothing to clean up beyond the socket
        }
    }
}
