package io.ringsync.transport;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The sending end of a directed link: claim space, write the message in place, commit.
 * <p>
 * {@link #tryClaim(int)} returns the offset of the claimed space in {@link #buffer()}, or one of the
 * negative status codes below. Between a successful claim and {@link #commit()} / {@link #abort()} no
 * other claim may be made on this link. The hot path never allocates and never throws for back pressure.
 */
public interface OutboundLink
{
    /**
     * The peer is not (yet) connected: nothing was claimed.
     */
    long NOT_CONNECTED = -1;

    /**
     * The link is full: the receiver has not consumed enough yet. Poll inbound links and try again.
     */
    long BACK_PRESSURED = -2;

    /**
     * The transport is doing administrative work (e.g. an Aeron term rotation): try again at once.
     */
    long ADMIN_ACTION = -3;

    /**
     * The link is closed for good.
     */
    long CLOSED = -4;

    /**
     * @return the rank this link sends to.
     */
    int peer();

    /**
     * Claim {@code length} bytes for one message.
     *
     * @param length of the whole message, at most {@link Transport#maxMessageLength()}.
     * @return the offset of the claimed space in {@link #buffer()}, or a negative status code.
     */
    long tryClaim(int length);

    /**
     * @return the buffer that holds the current claim.
     */
    MutableDirectBuffer buffer();

    /**
     * Publish the claimed message to the receiver.
     */
    void commit();

    /**
     * Give the claimed space back without publishing anything.
     */
    void abort();

    /**
     * Bytes that can be claimed now before the link reports back pressure. The collectives use it to
     * keep room for forwarded messages (a ring whose links fill up with new injections deadlocks).
     *
     * @return free bytes in the link's window, {@code 0} when full or not connected.
     */
    long availableWindow();

    /**
     * Whether {@code bytes} can be claimed now: {@code availableWindow() >= bytes}, which a link may answer from what
     * it already knows, asking its peer (a system call, for tcp) only when that is not enough.
     *
     * @param bytes the room wanted.
     * @return true when at least that much of the window is free.
     */
    default boolean hasWindow(final long bytes)
    {
        return availableWindow() >= bytes;
    }

    /**
     * The bytes this link lets a sender have in flight (claimed but not yet consumed by the receiver) at least:
     * {@link #availableWindow()} is never less when the receiver has consumed every message (more, on a link whose
     * receiver credits in batches). The collectives size chunks and the room they keep for forwards from it.
     *
     * @return the window length in bytes, or -1 when the transport cannot tell (the caller then measures
     * {@link #availableWindow()} on an idle link).
     */
    default long windowLength()
    {
        return -1;
    }

    /**
     * @return the bytes one message of {@code length} payload bytes occupies in the window (header,
     * alignment), used to turn byte windows into message counts.
     */
    int framedLength(int length);

    /**
     * Copy a whole message in: for control messages off the hot path.
     *
     * @param src    buffer holding the message.
     * @param offset of the message in {@code src}.
     * @param length of the message.
     * @return the offset it was written at (non-negative) or a negative status code.
     */
    default long offer(final DirectBuffer src, final int offset, final int length)
    {
        final long result = tryClaim(length);
        if (result >= 0)
        {
            buffer().putBytes((int)result, src, offset, length);
            commit();
        }
        return result;
    }

    /**
     * @param status a negative value returned by {@link #tryClaim(int)}.
     * @return a readable name for it.
     */
    static String statusName(final long status)
    {
        if (status >= 0)
        {
            return "OK";
        }
        if (status == NOT_CONNECTED)
        {
            return "NOT_CONNECTED";
        }
        if (status == BACK_PRESSURED)
        {
            return "BACK_PRESSURED";
        }
        if (status == ADMIN_ACTION)
        {
            return "ADMIN_ACTION";
        }
        if (status == CLOSED)
        {
            return "CLOSED";
        }
        return "UNKNOWN(" + status + ")";
    }
}
