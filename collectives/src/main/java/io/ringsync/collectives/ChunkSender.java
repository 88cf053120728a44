package io.ringsync.collectives;

import io.ringsync.collectives.metrics.LinkTally;
import io.ringsync.transport.OutboundLink;
import org.agrona.MutableDirectBuffer;

/**
 * Sends one piece of a call as one chunk message, the way every algorithm does: claim the message in the link,
 * write the chunk header, fill the payload in place (a copy, or a reduction computed straight into the claim),
 * commit. A claim left open because filling it failed is aborted by the engine's failure path
 * ({@link #abortOpenClaim()}), so a failed call never leaves a half-written message blocking a link.
 */
final class ChunkSender
{
    private final Wire wire;
    private final LinkTally tally;
    private OutboundLink open;
    private MutableDirectBuffer buffer;
    private int offset;
    private boolean lastClaimFoundLinkClosed;
    private OutboundLink closedLink;

    ChunkSender(final Wire wire, final LinkTally tally)
    {
        this.wire = wire;
        this.tally = tally;
    }

    /**
     * Claim a message and write its header; the payload then goes at {@link #payloadBase()} /
     * {@link #payloadAddress()}, and {@link #commit()} publishes it.
     *
     * @param frameLength of the whole message, header included.
     * @param start       index of the piece's first element in the vector.
     * @param length      elements in the piece.
     * @param weight      the weight field (weighted averages), else 0.
     * @return false when the link is full (or not connected): nothing was claimed, try again later.
     */
    boolean claim(
        final OutboundLink link, final int frameLength, final int step, final int piece, final int start,
        final int length, final double weight)
    {
        final long at = link.tryClaim(frameLength);
        lastClaimFoundLinkClosed = OutboundLink.CLOSED == at;
        if (lastClaimFoundLinkClosed)
        {
            closedLink = link;
        }
        if (at < 0)
        {
            tally.backPressured(link.peer());
            return false;
        }
        tally.sent(link.peer(), frameLength);
        open = link;
        buffer = link.buffer();
        offset = (int)at;
        wire.writeChunkHeader(buffer, offset, step, piece, start, length, weight);
        return true;
    }

    /**
     * What a chunk handler returns when the chunk's forward could not be claimed: false (declined: the link is
     * full, the chunk is offered again) unless the link is closed for good. Such a link never takes the forward,
     * and a declined chunk stays at the head of its inbound link for ever, hiding what the peer sent after it (its
     * abort, with the cause) and keeping that link from being seen lost; so the chunk is dropped (true), and the
     * call, which cannot complete, fails on the abort or on the lost link instead of at its deadline.
     *
     * @return whether to take (drop) the chunk.
     */
    boolean forwardFailed()
    {
        return lastClaimFoundLinkClosed;
    }

    /**
     * A new call starts: no link has been found closed in it yet.
     */
    void startCall()
    {
        closedLink = null;
    }

    /**
     * @return the link a claim of this call found closed for good, or null. Nothing sent on it arrives any more,
     * and the call needs what it would have sent; the {@link FailureDetector} names its peer.
     */
    OutboundLink closedLink()
    {
        return closedLink;
    }

    /**
     * @return base object of the claimed payload (null off heap).
     */
    Object payloadBase()
    {
        return buffer.byteArray();
    }

    /**
     * @return address of the claimed payload's first byte.
     */
    long payloadAddress()
    {
        return buffer.addressOffset() + offset + Wire.CHUNK_HEADER_LENGTH;
    }

    /**
     * Publish the claimed message.
     */
    void commit()
    {
        final OutboundLink link = open;
        open = null;
        link.commit();
    }

    /**
     * Claim, copy {@code length} elements from the source, commit: a piece sent as it is.
     *
     * @return false when the link is full; nothing was sent.
     */
    boolean sendCopy(
        final OutboundLink link, final int frameLength, final int step, final int piece, final int start,
        final int length, final double weight, final Object srcBase, final long srcAddress, final int shift)
    {
        if (!claim(link, frameLength, step, piece, start, length, weight))
        {
            return false;
        }
        Kernels.copy(srcBase, srcAddress, payloadBase(), payloadAddress(), (long)length << shift);
        commit();
        return true;
    }

    /**
     * Give back a claim whose filling threw; nothing when no claim is open.
     */
    void abortOpenClaim()
    {
        final OutboundLink link = open;
        if (null != link)
        {
            open = null;
            link.abort();
        }
    }
}
