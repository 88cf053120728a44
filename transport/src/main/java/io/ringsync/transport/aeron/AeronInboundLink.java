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
 * the link. {@link AeronTransport} makes one per peer and adds its subscription.
 */
final class AeronInboundLink
    implements InboundLink, ControlledFragmentHandler, AvailableImageHandler, UnavailableImageHandler
{
    private final int peer;
    private final boolean isSessionBound;
    private final int sessionId;
    private MessageHandler handler;
    private volatile boolean hasHadImage;
    private volatile boolean isLost;
    private volatile long foreignImageCount;
    Subscription subscription;

    AeronInboundLink(final int peer, final boolean isSessionBound, final int sessionId)
    {
        this.peer = peer;
        this.isSessionBound = isSessionBound;
        this.sessionId = sessionId;
    }

    public int peer()
    {
        return peer;
    }

    public int poll(final MessageHandler handler, final int limit)
    {
        this.handler = handler;
        try
        {
            return subscription.controlledPoll(this, limit);
        }
        finally
        {
            this.handler = null;
        }
    }

    public Action onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        return handler.onMessage(buffer, offset, length) ? Action.CONTINUE : Action.ABORT;
    }

    public boolean isLost()
    {
        return isLost;
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
