package io.ringsync.transport.aeron;

import io.aeron.AvailableImageHandler;
import io.aeron.Image;
import io.aeron.Subscription;
import io.aeron.UnavailableImageHandler;
import io.aeron.logbuffer.ControlledFragmentHandler;
import io.aeron.logbuffer.Header;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import org.agrona.DirectBuffer;

/**
 * The receiving end of one Aeron link, and only that: polls the link's {@link Subscription} with itself as the
 * fragment handler, so nothing is allocated per poll, and watches the subscription's images to report a peer that
 * has gone. When the link is bound to a session (UDP), only an image of that session counts: one of any other
 * session, which the subscription's session filter should never let the driver make, neither connects nor loses
 * the link. With frame authentication every message's tag is checked by the link's {@link AeronMessageAuthenticator}
 * once, before the handler sees the message (without the tag); a message that fails is dropped, counted, and ends
 * the link: it reports lost with a reason naming the peer, and hands over nothing more. {@link AeronTransport} makes
 * one per peer and adds its subscription.
 */
final class AeronInboundLink
    implements InboundLink, ControlledFragmentHandler, AvailableImageHandler, UnavailableImageHandler
{
    private final int peer;
    private final boolean isSessionBound;
    private final int sessionId;
    private final AeronMessageAuthenticator authenticator;
    private final int tagLength;
    private MessageHandler handler;
    private int delivered;
    private long verifiedPosition = -1;
    private volatile boolean hasHadImage;
    private volatile boolean isLost;
    private volatile boolean isRejected;
    private volatile String lossReason;
    private volatile long authenticationFailures;
    private volatile long foreignImageCount;
    Subscription subscription;

    AeronInboundLink(
        final int peer,
        final boolean isSessionBound,
        final int sessionId,
        final AeronMessageAuthenticator authenticator)
    {
        this.peer = peer;
        this.isSessionBound = isSessionBound;
        this.sessionId = sessionId;
        this.authenticator = authenticator;
        this.tagLength = null != authenticator ? AeronMessageAuthenticator.TAG_LENGTH : 0;
    }

    public int peer()
    {
        return peer;
    }

    public int poll(final MessageHandler handler, final int limit)
    {
        if (isRejected)
        {
            return 0;
        }
        this.handler = handler;
        delivered = 0;
        try
        {
            subscription.controlledPoll(this, limit);
            return delivered;
        }
        finally
        {
            this.handler = null;
        }
    }

    public Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        if (null != authenticator)
        {
            // once per message: a declined one is handed over again by a later poll, already checked
            final long position = header.position();
            if (position > verifiedPosition)
            {
                if (length < tagLength || !authenticator.verify(
                    buffer, header.offset(), length - tagLength, position, header.initialTermId()))
                {
                    reject(length, position);
                    return Action.BREAK; // consumed: dropped
                }
                verifiedPosition = position;
            }
        }
        if (!handler.onMessage(buffer, offset, length - tagLength))
        {
            return Action.ABORT;
        }
        delivered++;
        return Action.CONTINUE;
    }

    public boolean isLost()
    {
        return isLost;
    }

    /**
     * @return why the link was lost when a message failed authentication, naming the peer; else null.
     */
    public String lossReason()
    {
        return lossReason;
    }

    /**
     * @return messages dropped because their tag failed: at most one, since the first ends the link. Any thread.
     */
    public long authenticationFailures()
    {
        return authenticationFailures;
    }

    private void reject(final int length, final long position)
    {
        authenticationFailures++; // only the polling thread writes it
        lossReason = "frame authentication failed on the udp link from rank " + peer + " (Aeron session " +
            sessionId + ", stream " + subscription.streamId() + "): message #" + authenticator.messageCount() +
            " ending at stream position " + position + " (" + length + " bytes with its tag) does not carry its tag: " +
            "it was altered, replayed, reordered or forged on the way, or the sender has another job secret; " +
            "message dropped and the link closed";
        isRejected = true;
        isLost = true;
    }

    /**
     * Called on the client conductor thread.
     *
     * @param image that became available.
     */
    public void onAvailableImage(final Image image)
    {
        imageCame(image.sessionId());
    }

    /**
     * Called on the client conductor thread: the publisher closed and the image was drained, its image timed
     * out, or the client itself closed or lost the driver. Once lost, a link stays lost.
     *
     * @param image that went away.
     */
    public void onUnavailableImage(final Image image)
    {
        imageWent(image.sessionId());
    }

    void imageCame(final int imageSessionId)
    {
        if (isJobSession(imageSessionId))
        {
            hasHadImage = true;
        }
    }

    void imageWent(final int imageSessionId)
    {
        if (isJobSession(imageSessionId) && hasHadImage)
        {
            isLost = true;
        }
    }

    /**
     * @return how many images of a session other than the link's came or went (0 unless the driver ignored the
     * subscription's session filter).
     */
    long foreignImageCount()
    {
        return foreignImageCount;
    }

    private boolean isJobSession(final int imageSessionId)
    {
        if (!isSessionBound || imageSessionId == sessionId)
        {
            return true;
        }

        foreignImageCount++; // only the client conductor thread writes it
        return false;
    }
}
