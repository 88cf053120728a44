package io.ringsync.transport.tcp;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

import static io.ringsync.transport.tcp.TcpProtocol.CREDIT_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_HEADER_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_TYPE_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.TYPE_DATA;
import static io.ringsync.transport.tcp.TcpProtocol.TYPE_PAD;

/**
 * Receiving end of a TCP link: an off-heap ring of {@code windowLength} bytes, the same length as the sender's, that
 * the socket is read into and that handlers read frames from in place.
 * <p>
 * Stream positions: {@code received} (bytes read from the kernel), {@code consumed} (start of the first frame not
 * yet consumed by a handler) and {@code reported} (the last credit sent). The sender never sends beyond
 * {@code consumed + windowLength}, so the ring can always take whatever the kernel holds: every poll reads the
 * socket first, whether or not the frame at the head is then declined. A declined frame stays at the head; a
 * partial frame waits for the rest.
 * <p>
 * Credits (the consumed position) go back on the same connection once {@link TcpProtocol#creditBatch(int)} bytes
 * were consumed since the last one, checked after every frame, so a long poll credits as it goes and an idle link
 * may keep less than a batch uncredited. A link is lost when the peer closed or reset the connection and every
 * whole frame received before that has been consumed.
 */
final class TcpInboundLink implements InboundLink
{
    private static final int CONNECTING = 0;
    private static final int CONNECTED = 1;
    private static final int ENDED = 2;

    private final int peer;
    private final int peerRank;
    private final String endpoint;
    private final int capacity;
    private final int mask;
    private final int maxMessageLength;
    private final int creditBatch;
    private final long connectDeadlineNs;
    private final long connectTimeoutNs;
    private final ByteBuffer ring;
    private final ByteBuffer readView;
    private final UnsafeBuffer buffer;
    private final ByteBuffer creditOut;
    private final ByteBuffer tagView;
    private final int tagLength;

    private int state = CONNECTING;
    private LinkIo channel;
    private long received;
    private long consumed;
    private long reported;
    private boolean isEndOfStream;
    private boolean isCreditingBroken;
    private boolean isLost;
    private String endReason;
    SelectionKey waitKey;
    private int waitOps = -1;

    private FrameAuthenticator authenticator;
    private long framesVerified;
    private long verifiedPosition = -1;
    private volatile long authenticationFailures;

    private volatile LinkIo handed;
    private FrameAuthenticator handedAuthenticator;
    private boolean isClosed;

    TcpInboundLink(
        final int peer,
        final int peerRank,
        final String endpoint,
        final int windowLength,
        final int maxMessageLength,
        final long connectTimeoutNs,
        final long nowNs,
        final int tagLength)
    {
        this.tagLength = tagLength;
        this.peer = peer;
        this.peerRank = peerRank;
        this.endpoint = endpoint;
        this.capacity = windowLength;
        this.mask = windowLength - 1;
        this.maxMessageLength = maxMessageLength;
        this.creditBatch = TcpProtocol.creditBatch(windowLength);
        this.connectTimeoutNs = connectTimeoutNs;
        this.connectDeadlineNs = nowNs + connectTimeoutNs;
        this.ring = BufferUtil.allocateDirectAligned(windowLength, 4096);
        this.readView = ring.duplicate();
        this.buffer = new UnsafeBuffer(ring);
        this.creditOut = BufferUtil.allocateDirectAligned(CREDIT_LENGTH, 64).order(ORDER);
        this.creditOut.limit(0);
        this.tagView = ring.duplicate();
    }

    public int peer()
    {
        return peer;
    }

    public int poll(final MessageHandler handler, final int limit)
    {
        if ((CONNECTED != state && !tryConnect()) || isLost)
        {
            return 0;
        }
        if (!isEndOfStream)
        {
            receive();
        }

        int count = 0;
        long position = consumed;
        while (count < limit && received - position >= FRAME_HEADER_LENGTH)
        {
            final int index = (int)position & mask;
            final int length = buffer.getInt(index + FRAME_LENGTH_OFFSET, ORDER);
            final int type = buffer.getInt(index + FRAME_TYPE_OFFSET, ORDER);
            if (TYPE_PAD == type && length == capacity - index - FRAME_HEADER_LENGTH)
            {
                position += capacity - index;
                consumed = position;
                continue;
            }
            if (TYPE_DATA != type || length < 0 || length > maxMessageLength)
            {
                protocolError("frame at byte " + position + " has type " + type + " and length " + length);
                return count;
            }
            final int framed = TcpProtocol.framedLength(length, tagLength);
            if (received - position < framed)
            {
                break;
            }
            if (null != authenticator && position > verifiedPosition && !verify(index, position, length))
            {
                return count;
            }
            if (!handler.onMessage(buffer, index + FRAME_HEADER_LENGTH, length) || CONNECTED != state)
            {
                // declined, or the handler closed the transport
                break;
            }
            position += framed;
            consumed = position;
            count++;
            if (position - reported >= creditBatch && !isCreditingBroken)
            {
                sendCredit();
            }
        }
        if (!isCreditingBroken && (consumed - reported >= creditBatch || creditOut.hasRemaining() ||
            channel.hasPendingOutput()))
        {
            // padding consumed at the end, or the rest of a credit the kernel took only in part
            sendCredit();
        }

        return count;
    }

    /**
     * Lost once the peer closed or reset the connection and every whole frame that arrived before has been
     * consumed; also when it never connected within the connect timeout, or broke the protocol.
     *
     * @return true once the link is lost for good.
     */
    public boolean isLost()
    {
        if (CONNECTED != state)
        {
            if (CONNECTING == state && !tryConnect())
            {
                if (System.nanoTime() - connectDeadlineNs >= 0)
                {
                    end("rank " + peer + " (" + endpoint + ") did not connect within " + connectTimeoutNs / 1_000_000 +
                        " ms");
                }
                return ENDED == state;
            }
            if (ENDED == state)
            {
                return true;
            }
        }
        if (isLost)
        {
            return true;
        }
        if (!isEndOfStream)
        {
            receive();
        }
        if (isEndOfStream && !hasWholeFrame())
        {
            isLost = true;
        }

        return isLost;
    }

    /**
     * Read whatever the kernel holds into the free part of the ring (two reads when it wraps).
     */
    void receive()
    {
        while (CONNECTED == state && !isEndOfStream)
        {
            final long free = capacity - (received - consumed);
            if (free <= 0)
            {
                return;
            }
            final int index = (int)received & mask;
            final int end = free < capacity - index ? index + (int)free : capacity;
            readView.limit(end);
            readView.position(index);
            final int count;
            try
            {
                count = channel.read(readView);
            }
            catch (final IOException | RuntimeException ex)
            {
                endOfStream("the connection from rank " + peer + " (" + endpoint + ") broke: " + ex);
                return;
            }
            if (count < 0)
            {
                endOfStream("rank " + peer + " (" + endpoint + ") closed the link");
                return;
            }
            received += count;
            if (count < end - index)
            {
                return;
            }
        }
    }

    /**
     * @return true when a whole frame (data or padding) waits at the head of the ring.
     */
    boolean hasWholeFrame()
    {
        final long available = received - consumed;
        if (available < FRAME_HEADER_LENGTH)
        {
            return false;
        }
        final int index = (int)consumed & mask;
        final int length = buffer.getInt(index + FRAME_LENGTH_OFFSET, ORDER);
        if (length < 0 || length > capacity)
        {
            return true;
        }
        return available >= TcpProtocol.framedLength(length, tagLength);
    }

    void prepareWait(final Selector selector)
    {
        if (CONNECTED != state && !tryConnect())
        {
            return;
        }
        try
        {
            if (null == waitKey)
            {
                waitKey = channel.socket.register(selector, 0, this);
                waitOps = 0;
            }
            // with the ring full there is nothing to read room for: the wake-up has to come from elsewhere
            final int ops = !isEndOfStream && received - consumed < capacity ? SelectionKey.OP_READ : 0;
            if (ops != waitOps && waitKey.isValid())
            {
                waitKey.interestOps(ops);
                waitOps = ops;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            endOfStream("the connection from rank " + peer + " (" + endpoint + ") cannot be watched: " + ex);
        }
    }

    void onReady(final int readyOps)
    {
        receive();
    }

    /**
     * @return true once connected (whether or not lost since).
     */
    boolean isConnected()
    {
        return CONNECTED == state || (CONNECTING == state && tryConnect());
    }

    int peerRank()
    {
        return peerRank;
    }

    long bytesConsumed()
    {
        return consumed;
    }

    long bytesReceived()
    {
        return received;
    }

    /**
     * @return a sentence on the state of the link, for diagnostics and timeout messages.
     */
    String describe()
    {
        switch (state)
        {
            case CONNECTING:
                return "from rank " + peer + " (" + endpoint + "): waiting for it to connect";
            case CONNECTED:
                return "from rank " + peer + " (" + endpoint + "): " +
                    (isLost ? "lost (" + endReason + ")" : isEndOfStream ? "ending (" + endReason + ")" : "connected") +
                    ", " + consumed + " bytes consumed, " + (received - consumed) + " buffered";
            default:
                return "from rank " + peer + " (" + endpoint + "): ended (" + endReason + ")";
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // called by the endpoint's thread
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Take a connection the endpoint accepted for this link.
     *
     * @param connected the channel, non-blocking.
     * @return {@link TcpProtocol#STATUS_OK}, or why not (then the caller closes it).
     */
    synchronized int offer(final LinkIo connected, final FrameAuthenticator frameAuthenticator)
    {
        if (isClosed)
        {
            return TcpProtocol.STATUS_CLOSED;
        }
        if (null != handed)
        {
            return TcpProtocol.STATUS_DUPLICATE;
        }
        if ((null != frameAuthenticator) != (tagLength > 0))
        {
            return TcpProtocol.STATUS_BAD_AUTH;
        }
        handedAuthenticator = frameAuthenticator;
        handed = connected;
        return TcpProtocol.STATUS_OK;
    }

    /**
     * Close the connection (a sender still writing gets a reset and reports CLOSED). Never throws; idempotent.
     */
    void close()
    {
        final LinkIo toClose;
        synchronized (this)
        {
            if (isClosed)
            {
                return;
            }
            isClosed = true;
            toClose = null != channel ? channel : handed;
        }
        TcpEndpoint.closeQuietly(toClose);
        if (ENDED != state)
        {
            state = ENDED;
            if (null == endReason)
            {
                endReason = "closed by this rank";
            }
        }
    }

    private void sendCredit()
    {
        try
        {
            if (creditOut.hasRemaining() || channel.hasPendingOutput())
            {
                // the rest of an earlier credit first: the stream must stay whole longs
                channel.write(creditOut);
                if (creditOut.hasRemaining() || !channel.flush())
                {
                    return;
                }
                if (consumed == reported)
                {
                    return;
                }
            }
            final long value = consumed;
            creditOut.clear();
            creditOut.putLong(0, value);
            channel.write(creditOut);
            reported = value;
        }
        catch (final IOException | RuntimeException ex)
        {
            // the peer closed or reset its end: what it sent before may still wait in the kernel, and reading
            // it tells the end of the stream
            isCreditingBroken = true;
        }
    }

    private boolean tryConnect()
    {
        if (CONNECTING != state)
        {
            return CONNECTED == state;
        }
        final LinkIo connected = handed;
        if (null != connected)
        {
            // written before the volatile handed, so seen with it
            authenticator = handedAuthenticator;
            channel = connected;
            state = CONNECTED;
            return true;
        }
        return false;
    }

    /**
     * Check the tag of the whole frame at {@code index}, once per frame (a declined frame is polled again).
     *
     * @return true when it holds; else the link is lost, its reason naming the peer and the frame.
     */
    private boolean verify(final int index, final long position, final int length)
    {
        final int end = index + FRAME_HEADER_LENGTH + length;
        tagView.limit(end).position(index);
        if (authenticator.verify(framesVerified, position, tagView, buffer, end))
        {
            framesVerified++;
            verifiedPosition = position;
            return true;
        }
        authenticationFailures++;
        final String problem = "frame authentication failed on the tcp link from rank " + peer + " (" + endpoint +
            "): frame #" + framesVerified + " at stream byte " + position + " (" + length + " payload bytes) does " +
            "not carry its tag: it was altered, replayed, reordered, dropped or forged on the way, or the sender has " +
            "another job secret; frame dropped and the connection closed, since a TCP stream cannot resynchronise";
        endReason = problem;
        isEndOfStream = true;
        isLost = true;
        TcpEndpoint.closeQuietly(channel);
        return false;
    }

    /**
     * @return frames whose tag failed (at most one: the first ends the link). Any thread.
     */
    public long authenticationFailures()
    {
        return authenticationFailures;
    }

    /**
     * @return why the link was lost, naming the peer, or null while it is not.
     */
    public String lossReason()
    {
        return isLost || ENDED == state ? endReason : null;
    }

    /**
     * Nothing more will arrive; what arrived whole is still delivered.
     */
    private void endOfStream(final String reason)
    {
        if (!isEndOfStream)
        {
            isEndOfStream = true;
            endReason = reason;
        }
    }

    private void protocolError(final String problem)
    {
        if (null != authenticator)
        {
            // with frame authentication on, a malformed frame is one that was altered on the way
            authenticationFailures++;
            endReason = "frame authentication failed on the tcp link from rank " + peer + " (" + endpoint + "): " +
                problem + ", not a frame its sender wrote: the stream was altered or forged on the way; connection " +
                "closed, since a TCP stream cannot resynchronise";
            isEndOfStream = true;
            isLost = true;
            TcpEndpoint.closeQuietly(channel);
            return;
        }
        endOfStream("protocol error from rank " + peer + " (" + endpoint + "): " + problem);
        isLost = true;
        TcpEndpoint.closeQuietly(channel);
    }

    private void end(final String reason)
    {
        if (ENDED != state)
        {
            state = ENDED;
            endReason = reason;
        }
    }
}
