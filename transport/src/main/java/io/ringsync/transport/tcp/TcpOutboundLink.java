package io.ringsync.transport.tcp;

import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.BufferUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;

import static io.ringsync.transport.tcp.TcpProtocol.CREDIT_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_HEADER_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.FRAME_TYPE_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.TYPE_DATA;
import static io.ringsync.transport.tcp.TcpProtocol.TYPE_PAD;

/**
 * Sending end of a TCP link: an off-heap ring of {@code windowLength} bytes that claims are written into in place
 * and that the socket is written from, so the kernel's copy into its socket buffer is the only one.
 * <p>
 * Three stream positions describe it: {@code committed} (end of the last committed frame), {@code written} (bytes
 * the kernel took) and {@code credited} (bytes the receiver's handlers consumed, as its last credit said).
 * {@code credited <= written <= committed <= credited + windowLength}: the ring holds everything in flight, and what
 * the kernel has not taken yet is a part of it. A commit writes at once (TCP_NODELAY: the frame leaves now); what the
 * kernel could not take is written by the next claim, window query or {@link TcpTransport#doWork()}.
 * <p>
 * Credits are read from the socket when the window looks too small for a claim and by {@link #availableWindow()},
 * which must be exact for the ring's flow control: it counts everything not yet consumed by the receiver, wherever
 * it is (this ring, either kernel, the receiver's ring).
 * <p>
 * Used by one thread at a time, the mesh's; the endpoint's thread only hands the connected channel over
 * ({@link #offer(LinkIo)}) or reports that connecting failed ({@link #fail(String)}).
 */
final class TcpOutboundLink implements OutboundLink
{
    private static final int CONNECTING = 0;
    private static final int CONNECTED = 1;
    private static final int ENDED = 2;

    private static final int CREDIT_BUFFER_LENGTH = 64 * CREDIT_LENGTH;

    private final int peer;
    private final int peerRank;
    private final String endpoint;
    private final int capacity;
    private final int mask;
    private final int maxMessageLength;
    private final ByteBuffer ring;
    private final ByteBuffer writeView;
    private final UnsafeBuffer buffer;
    private final ByteBuffer credits;
    private final long giveUpAtNs;
    private final byte[] nonce;
    private final FrameAuthenticator authenticator;
    private final ByteBuffer tagView;
    private final int tagLength;

    private int state = CONNECTING;
    private LinkIo channel;
    private long committed;
    private long written;
    private long credited;
    private int claimIndex = -1;
    private int claimLength;
    private int claimFramed;
    private long framesSigned;
    private String endReason;
    SelectionKey waitKey;
    private int waitOps = -1;

    private volatile LinkIo handed;
    private volatile String failure;
    private volatile String dialStatus = "connecting";
    private boolean isClosed;

    TcpOutboundLink(
        final int peer,
        final int peerRank,
        final String endpoint,
        final int windowLength,
        final int maxMessageLength,
        final long giveUpAtNs,
        final byte[] nonce,
        final FrameAuthenticator authenticator)
    {
        this.giveUpAtNs = giveUpAtNs;
        this.nonce = nonce;
        this.authenticator = authenticator;
        this.tagLength = null != authenticator ? FrameAuthenticator.TAG_LENGTH : 0;
        this.peer = peer;
        this.peerRank = peerRank;
        this.endpoint = endpoint;
        this.capacity = windowLength;
        this.mask = windowLength - 1;
        this.maxMessageLength = maxMessageLength;
        this.ring = BufferUtil.allocateDirectAligned(windowLength, 4096);
        this.writeView = ring.duplicate();
        this.buffer = new UnsafeBuffer(ring);
        this.tagView = ring.duplicate();
        this.credits = BufferUtil.allocateDirectAligned(CREDIT_BUFFER_LENGTH, 64).order(ORDER);
    }

    public int peer()
    {
        return peer;
    }

    public long tryClaim(final int length)
    {
        if (length < 0 || length > maxMessageLength)
        {
            throw new IllegalArgumentException("message length " + length + " does not fit a tcp link: at most " +
                maxMessageLength + " bytes (windowLength " + capacity + " / 8 less the " + FRAME_HEADER_LENGTH +
                "-byte frame header" + (tagLength > 0 ? " and the " + tagLength + "-byte authentication tag" : "") +
                "); raise windowLength");
        }
        if (CONNECTED != state && !tryConnect())
        {
            return CONNECTING == state ? NOT_CONNECTED : CLOSED;
        }
        // a claim left open is dropped, as abort() would
        claimIndex = -1;

        final int framed = TcpProtocol.framedLength(length, tagLength);
        final int index = (int)committed & mask;
        final int toEnd = capacity - index;
        final int needed = framed <= toEnd ? framed : toEnd + framed;
        if (capacity - (committed - credited) < needed)
        {
            if (written != committed || channel.hasPendingOutput())
            {
                flush();
            }
            readCredits();
            if (CONNECTED != state)
            {
                return CLOSED;
            }
            if (capacity - (committed - credited) < needed)
            {
                return BACK_PRESSURED;
            }
        }

        int at = index;
        if (framed > toEnd)
        {
            // the frame would cross the end of the ring: fill the rest with padding, start it at 0
            buffer.putInt(index + FRAME_LENGTH_OFFSET, toEnd - FRAME_HEADER_LENGTH, ORDER);
            buffer.putInt(index + FRAME_TYPE_OFFSET, TYPE_PAD, ORDER);
            committed += toEnd;
            at = 0;
        }
        claimIndex = at;
        claimLength = length;
        claimFramed = framed;

        return at + FRAME_HEADER_LENGTH;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public void commit()
    {
        final int at = claimIndex;
        if (at < 0)
        {
            return;
        }
        claimIndex = -1;
        buffer.putInt(at + FRAME_LENGTH_OFFSET, claimLength, ORDER);
        buffer.putInt(at + FRAME_TYPE_OFFSET, TYPE_DATA, ORDER);
        if (null != authenticator)
        {
            // the tag goes right after the payload; the frame is read in place through a view of the ring
            final int end = at + FRAME_HEADER_LENGTH + claimLength;
            tagView.limit(end).position(at);
            authenticator.sign(framesSigned++, committed, tagView, buffer, end);
        }
        committed += claimFramed;
        if (CONNECTED == state)
        {
            flush();
        }
    }

    public void abort()
    {
        claimIndex = -1;
    }

    public long availableWindow()
    {
        if (CONNECTED != state && !tryConnect())
        {
            return 0;
        }
        if (written != committed || channel.hasPendingOutput())
        {
            flush();
        }
        if (credited != committed)
        {
            readCredits();
        }
        if (CONNECTED != state)
        {
            return 0;
        }
        final long free = capacity - (committed - credited) - (claimIndex >= 0 ? claimFramed : 0);

        return free > 0 ? free : 0;
    }

    /**
     * {@inheritDoc} Answered from the credits read so far when they suffice, so a ring that asks before every chunk
     * does not make a read system call each time; otherwise as {@link #availableWindow()}.
     */
    public boolean hasWindow(final long bytes)
    {
        if (CONNECTED == state && capacity - (committed - credited) - (claimIndex >= 0 ? claimFramed : 0) >= bytes)
        {
            return true;
        }
        return availableWindow() >= bytes;
    }

    /**
     * {@inheritDoc} The ring less what the receiver may consume without crediting it yet
     * ({@link TcpProtocol#usableWindow(int)}): a sender whose frames were all consumed has at least this much free.
     */
    public long windowLength()
    {
        return TcpProtocol.usableWindow(capacity);
    }

    /**
     * An 8-byte frame header, the payload and, with a job secret, its 16-byte tag, aligned to 8 bytes. A frame that would cross the end of the ring
     * takes the rest of it as padding first, so a wrap wastes less than one frame of the window until it is
     * credited, as a term's padding does over Aeron; the ring's reserve of several frames covers it.
     *
     * @param length of the message.
     * @return bytes of the window the message takes.
     */
    public int framedLength(final int length)
    {
        return TcpProtocol.framedLength(length, tagLength);
    }

    /**
     * Write what the kernel did not take yet; called from {@link TcpTransport#doWork()}.
     *
     * @return 1 when bytes were written, else 0.
     */
    int doWork()
    {
        if (CONNECTED != state)
        {
            if (CONNECTING == state)
            {
                tryConnect();
            }
            return 0;
        }
        if (written == committed && !channel.hasPendingOutput())
        {
            return 0;
        }
        final long before = written;
        final boolean wasPending = channel.hasPendingOutput();
        flush();

        return written != before || (wasPending && !channel.hasPendingOutput()) ? 1 : 0;
    }

    /**
     * Write as much of the committed but unwritten part of the ring as the socket takes: one call per contiguous
     * piece, so two at most when it wraps.
     */
    private void flush()
    {
        try
        {
            if (channel.hasPendingOutput() && !channel.flush())
            {
                return; // TLS: the socket has not taken the last record yet
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            end("the connection to rank " + peer + " (" + endpoint + ") broke while sending: " + ex);
            return;
        }
        while (written != committed)
        {
            final int index = (int)written & mask;
            final long pending = committed - written;
            final int end = pending < capacity - index ? index + (int)pending : capacity;
            writeView.limit(end);
            writeView.position(index);
            final int count;
            try
            {
                count = channel.write(writeView);
            }
            catch (final IOException | RuntimeException ex)
            {
                end("the connection to rank " + peer + " (" + endpoint + ") broke while sending: " + ex);
                return;
            }
            written += count;
            if (count < end - index || channel.hasPendingOutput())
            {
                return;
            }
        }
    }

    /**
     * Read the receiver's credits; only the last complete one counts, since each is a running total.
     */
    void readCredits()
    {
        while (CONNECTED == state)
        {
            final int count;
            try
            {
                count = channel.read(credits);
            }
            catch (final IOException | RuntimeException ex)
            {
                end("the connection to rank " + peer + " (" + endpoint + ") broke: " + ex);
                return;
            }
            if (count < 0)
            {
                end("rank " + peer + " (" + endpoint + ") closed the link");
                return;
            }
            final int filled = credits.position();
            final int whole = filled & ~(CREDIT_LENGTH - 1);
            if (whole > 0)
            {
                final long value = credits.getLong(whole - CREDIT_LENGTH);
                if (value < credited || value > written)
                {
                    end("rank " + peer + " (" + endpoint + ") sent a credit of " + value + " bytes, outside [" +
                        credited + ", " + written + "]: protocol error");
                    return;
                }
                credited = value;
                for (int i = whole; i < filled; i++)
                {
                    credits.put(i - whole, credits.get(i));
                }
                credits.position(filled - whole);
            }
            if (filled < CREDIT_BUFFER_LENGTH)
            {
                return;
            }
        }
    }

    /**
     * @return true when the socket should be watched for being writable: the kernel did not take everything.
     */
    boolean hasUnwritten()
    {
        return CONNECTED == state && (written != committed || channel.hasPendingOutput());
    }

    /**
     * @return true when the socket should be watched for credits: more than a quarter of the window is in flight.
     * Below that the window limits no claim of the ring (which keeps half of it for forwards), and waking for every
     * credit would only cost context switches; a claim that meets back pressure reads credits itself.
     */
    boolean awaitsCredits()
    {
        return CONNECTED == state && committed - credited > capacity >> 2;
    }

    /**
     * Set the interest of this link's key in the transport's wait selector, registering it on first use.
     */
    void prepareWait(final java.nio.channels.Selector selector)
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
            final int ops = (hasUnwritten() ? SelectionKey.OP_WRITE : 0) | (awaitsCredits() ? SelectionKey.OP_READ : 0);
            if (ops != waitOps && waitKey.isValid())
            {
                waitKey.interestOps(ops);
                waitOps = ops;
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            end("the connection to rank " + peer + " (" + endpoint + ") cannot be watched: " + ex);
        }
    }

    void onReady(final int readyOps)
    {
        if ((readyOps & SelectionKey.OP_WRITE) != 0 && (written != committed || channel.hasPendingOutput()))
        {
            flush();
        }
        if ((readyOps & SelectionKey.OP_READ) != 0)
        {
            readCredits();
        }
    }

    /**
     * @return true once the link is connected (and has not ended since).
     */
    boolean isConnected()
    {
        return CONNECTED == state || (CONNECTING == state && tryConnect());
    }

    /**
     * @return true once the link cannot send any more.
     */
    boolean isEnded()
    {
        if (CONNECTING == state)
        {
            tryConnect();
        }
        return ENDED == state;
    }

    int peerRank()
    {
        return peerRank;
    }

    String endpoint()
    {
        return endpoint;
    }

    /**
     * @return the nonce the preamble carries for the key of this link's frames, or null without a job secret.
     */
    byte[] nonce()
    {
        return nonce;
    }

    long bytesCommitted()
    {
        return committed;
    }

    long bytesInFlight()
    {
        return committed - credited;
    }

    /**
     * @return a sentence on the state of the link, for diagnostics.
     */
    String describe()
    {
        switch (state)
        {
            case CONNECTING:
                final String failed = failure;
                return "to rank " + peer + " (" + endpoint + "): " +
                    (null != failed ? "failed: " + failed : "connecting, last attempt: " + dialStatus);
            case CONNECTED:
                return "to rank " + peer + " (" + endpoint + "): connected, " + committed + " bytes committed, " +
                    (committed - credited) + " in flight";
            default:
                return "to rank " + peer + " (" + endpoint + "): ended (" + endReason + ")";
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // called by the endpoint's thread
    // ---------------------------------------------------------------------------------------------------------

    /**
     * Hand over a connection whose receiver accepted the preamble.
     *
     * @param connected channel, non-blocking.
     * @return false when the link was closed meanwhile: the caller closes the channel.
     */
    synchronized boolean offer(final LinkIo connected)
    {
        if (isClosed || null != failure)
        {
            return false;
        }
        handed = connected;
        return true;
    }

    /**
     * Connecting failed for good (connect timeout).
     *
     * @param reason for diagnostics.
     */
    synchronized void fail(final String reason)
    {
        if (null == handed)
        {
            failure = reason;
        }
    }

    void dialStatus(final String status)
    {
        dialStatus = status;
    }

    synchronized boolean isClosed()
    {
        return isClosed;
    }

    /**
     * Write what is still in the ring if the socket takes it at once, send end of stream, close. Never throws;
     * safe to call more than once.
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
        claimIndex = -1;
        if (CONNECTED == state)
        {
            flush();
            // unread credits would make close() send a reset instead of an orderly end of stream
            readCredits();
        }
        if (null != toClose)
        {
            try
            {
                toClose.shutdownOutput();
            }
            catch (final IOException | RuntimeException ignore)
            {
                // the peer is gone already
            }
            TcpEndpoint.closeQuietly(toClose);
        }
        if (ENDED != state)
        {
            state = ENDED;
            endReason = "closed by this rank";
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
            channel = connected;
            state = CONNECTED;
            return true;
        }
        final String failed = failure;
        if (null != failed)
        {
            state = ENDED;
            endReason = failed;
        }
        else if (System.nanoTime() - giveUpAtNs >= 0)
        {
            // the endpoint's thread gives up at the connect deadline; this is the backstop should it have died
            state = ENDED;
            endReason = "not connected well past the connect timeout; last attempt: " + dialStatus;
        }
        return false;
    }

    private void end(final String reason)
    {
        if (ENDED != state)
        {
            state = ENDED;
            endReason = reason;
            TcpEndpoint.closeQuietly(channel);
        }
    }
}
