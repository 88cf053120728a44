package io.ringsync.transport.aeron;

import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.protocol.DataHeaderFlyweight;
import io.ringsync.transport.OutboundLink;
import org.agrona.BitUtil;
import org.agrona.MutableDirectBuffer;

/**
 * The sending end of one Aeron link, and only that: claims go straight into the Aeron term of the link's
 * {@link ExclusivePublication} through one reused {@link BufferClaim}, and Aeron's publication results are told in
 * {@link OutboundLink}'s terms. With frame authentication each claim holds the tag after the payload too, written
 * by the link's {@link AeronMessageAuthenticator} at commit. Nothing is allocated per claim; {@link AeronTransport}
 * makes one per peer.
 */
final class AeronOutboundLink implements OutboundLink
{
    private final int peer;
    final ExclusivePublication publication;
    private final BufferClaim bufferClaim = new BufferClaim();
    private final long windowLength;
    private final AeronMessageAuthenticator authenticator;
    private final int tagLength;
    private int claimLength = -1;
    private long claimEndPosition;

    AeronOutboundLink(
        final int peer,
        final ExclusivePublication publication,
        final long windowLength,
        final AeronMessageAuthenticator authenticator)
    {
        this.peer = peer;
        this.publication = publication;
        this.windowLength = windowLength;
        this.authenticator = authenticator;
        this.tagLength = null != authenticator ? AeronMessageAuthenticator.TAG_LENGTH : 0;
        if (null != authenticator)
        {
            authenticator.keySender(publication.initialTermId());
        }
    }

    public int peer()
    {
        return peer;
    }

    public long tryClaim(final int length)
    {
        final long result = publication.tryClaim(length + tagLength, bufferClaim);
        if (result > 0)
        {
            claimLength = length;
            claimEndPosition = result;
            return bufferClaim.offset();
        }

        return status(result);
    }

    public MutableDirectBuffer buffer()
    {
        return bufferClaim.buffer();
    }

    public void commit()
    {
        if (null != authenticator && claimLength >= 0)
        {
            // numbered in commit order; an aborted claim becomes padding, which no receiver sees, and takes none
            authenticator.sign(bufferClaim.buffer(), claimLength, claimEndPosition);
        }
        claimLength = -1;
        bufferClaim.commit();
    }

    public void abort()
    {
        claimLength = -1;
        bufferClaim.abort();
    }

    public long availableWindow()
    {
        if (!publication.isConnected())
        {
            return 0;
        }

        // a claim may end past the limit (only its start is checked), so the difference can go negative
        final long window = publication.availableWindow();
        return window > 0 ? window : 0;
    }

    public long windowLength()
    {
        return windowLength;
    }

    public int framedLength(final int length)
    {
        return BitUtil.align(length + tagLength + DataHeaderFlyweight.HEADER_LENGTH, FrameDescriptor.FRAME_ALIGNMENT);
    }

    private static long status(final long result)
    {
        if (Publication.BACK_PRESSURED == result)
        {
            return BACK_PRESSURED;
        }
        if (Publication.NOT_CONNECTED == result)
        {
            return NOT_CONNECTED;
        }
        if (Publication.ADMIN_ACTION == result)
        {
            return ADMIN_ACTION;
        }

        // CLOSED, MAX_POSITION_EXCEEDED (the stream has used its 2^31 terms): the link cannot go on
        return CLOSED;
    }
}
