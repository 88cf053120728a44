package io.ringsync.transport.aeron;

import io.aeron.protocol.DataHeaderFlyweight;
import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Signs or checks the {@link #TAG_LENGTH}-byte tag of every message of one end of one directed UDP link, and only
 * that; what to do with a message that fails is the link's business. The tag is a {@link FrameAuthenticator} tag,
 * written right after the message's payload inside the same Aeron frame, and covers:
 * <ul>
 * <li>the message's number on the link (0, 1, 2, ... in commit order: Aeron delivers in order, without loss or
 * duplicates, so the receiver's count is the sender's);</li>
 * <li>the Aeron stream position the frame ends at (what {@code tryClaim} returns, what
 * {@link io.aeron.logbuffer.Header#position()} gives the receiver);</li>
 * <li>the frame's bytes from the version field to the end of the payload: the data header's flags, type, term
 * offset, session id, stream id, term id and reserved value, and the payload. Only the frame length word is left
 * out, since Aeron writes it negative until the commit; a changed length moves the tag and the covered bytes, and
 * fails.</li>
 * </ul>
 * A frame altered on the way, a captured one replayed at a later position or by a later run, a reordered or
 * inserted one, or one from a sender keyed with another job secret therefore fails.
 * <p>
 * The key is {@link FrameAuthenticator}'s per-link key (HKDF from the job secret salted with the rendezvous
 * session id, bound to the job, mesh and directed link); the per-connection nonce it takes is made of the link's
 * stream id, its agreed Aeron session id and the publication's initial term id, which Aeron draws at random per
 * publication and tells the receiver in its SETUP frame. The receiving end is keyed when it sees its first frame,
 * the only time it allocates; nothing is allocated per message after that, the frame being read in place through
 * one reused view per term buffer.
 * <p>
 * Not thread-safe: one instance per link end, used by the thread that claims or polls the link.
 */
final class AeronMessageAuthenticator
{
    /**
     * Bytes of the tag after each message's payload.
     */
    static final int TAG_LENGTH = FrameAuthenticator.TAG_LENGTH;

    /**
     * The frame length word Aeron writes last is not covered; everything after it up to the tag is.
     */
    private static final int COVERED_FROM = DataHeaderFlyweight.VERSION_FIELD_OFFSET;
    private static final int NONCE_MAGIC = 0x31504455; // "UDP1" little-endian: a nonce no tcp connection draws
    private static final int TERM_COUNT = 3;

    private final FrameAuthenticator.Algorithm algorithm;
    private final byte[] secret;
    private final byte[] rendezvousSessionId;
    private final long jobId;
    private final long meshId;
    private final int fromRank;
    private final int toRank;
    private final int streamId;
    private final int sessionId;
    private FrameAuthenticator authenticator;
    private int keyedInitialTermId;
    private long messages;

    private final ByteBuffer[] termBuffers = new ByteBuffer[TERM_COUNT];
    private final ByteBuffer[] views = new ByteBuffer[TERM_COUNT];
    private int nextView;

    private AeronMessageAuthenticator(
        final FrameAuthenticator.Algorithm algorithm,
        final byte[] secret,
        final byte[] rendezvousSessionId,
        final long jobId,
        final long meshId,
        final int fromRank,
        final int toRank,
        final int streamId,
        final int sessionId)
    {
        this.algorithm = algorithm;
        this.secret = secret.clone();
        this.rendezvousSessionId = null == rendezvousSessionId ? null : rendezvousSessionId.clone();
        this.jobId = jobId;
        this.meshId = meshId;
        this.fromRank = fromRank;
        this.toRank = toRank;
        this.streamId = streamId;
        this.sessionId = sessionId;
    }

    /**
     * The authenticator of one end of the directed link from {@code fromRank} to {@code toRank}.
     *
     * @param ctx      concluded settings of the mesh.
     * @param fromRank the sending rank in the mesh.
     * @param toRank   the receiving rank in the mesh.
     * @return the authenticator, or null when the mesh's messages carry no tag (no job secret, the tag turned off,
     * or IPC).
     */
    static AeronMessageAuthenticator forLink(final AeronTransport.Context ctx, final int fromRank, final int toRank)
    {
        if (!ctx.isFrameAuthenticated())
        {
            return null;
        }

        return new AeronMessageAuthenticator(ctx.frameMac(), ctx.jobSecret(), ctx.rendezvousSessionId(),
            ctx.jobId(), ctx.meshId(), fromRank, toRank, ctx.streamId(fromRank, toRank),
            ctx.sessionId(fromRank, toRank));
    }

    /**
     * Key the sending end, once its publication is there.
     *
     * @param initialTermId of the link's publication.
     */
    void keySender(final int initialTermId)
    {
        key(initialTermId);
    }

    /**
     * Write the tag of a claimed message, just before it is committed.
     *
     * @param claim         the claim's buffer: the frame's data header at 0, the payload right after it.
     * @param payloadLength of the message, not counting the tag that follows it.
     * @param endPosition   the stream position the frame ends at, as {@code tryClaim} returned it.
     */
    void sign(final MutableDirectBuffer claim, final int payloadLength, final long endPosition)
    {
        final int end = DataHeaderFlyweight.HEADER_LENGTH + payloadLength;
        authenticator.sign(messages++, endPosition, covered(claim, 0, end), claim, end);
    }

    /**
     * Check the tag of a received message; call once per message, in order.
     *
     * @param term          the term buffer holding the frame.
     * @param frameOffset   of the frame's data header in {@code term}.
     * @param payloadLength of the message without its tag.
     * @param endPosition   the stream position the frame ends at.
     * @param initialTermId of the image the frame came in.
     * @return true when the tag is right; the message count then moves on.
     */
    boolean verify(
        final DirectBuffer term,
        final int frameOffset,
        final int payloadLength,
        final long endPosition,
        final int initialTermId)
    {
        if (null == authenticator || initialTermId != keyedInitialTermId)
        {
            if (null != authenticator)
            {
                return false; // another publication's image: the link was lost and came back, never resumed
            }
            key(initialTermId);
        }
        final int end = frameOffset + DataHeaderFlyweight.HEADER_LENGTH + payloadLength;
        if (authenticator.verify(messages, endPosition, covered(term, frameOffset, end), term, end))
        {
            messages++;
            return true;
        }
        return false;
    }

    /**
     * @return messages signed or verified so far: the number the next one gets.
     */
    long messageCount()
    {
        return messages;
    }

    private void key(final int initialTermId)
    {
        final byte[] nonce = ByteBuffer.allocate(FrameAuthenticator.NONCE_LENGTH).order(ByteOrder.LITTLE_ENDIAN)
            .putInt(NONCE_MAGIC).putInt(streamId).putInt(sessionId).putInt(initialTermId).array();
        authenticator = FrameAuthenticator.forLink(
            algorithm, secret, rendezvousSessionId, jobId, meshId, fromRank, toRank, nonce);
        keyedInitialTermId = initialTermId;
        Arrays.fill(secret, (byte)0);
    }

    /**
     * A view of the covered bytes of a frame, from its version field to {@code end}, read in place: one view per
     * term buffer, made the first time the buffer is seen (an Aeron log has three).
     */
    private ByteBuffer covered(final DirectBuffer buffer, final int frameOffset, final int end)
    {
        final ByteBuffer memory = buffer.byteBuffer();
        if (null == memory)
        {
            throw new IllegalStateException("an Aeron term buffer without a ByteBuffer: cannot authenticate in place");
        }
        ByteBuffer view = null;
        for (int i = 0; i < TERM_COUNT; i++)
        {
            if (termBuffers[i] == memory)
            {
                view = views[i];
                break;
            }
        }
        if (null == view)
        {
            view = memory.duplicate();
            termBuffers[nextView] = memory;
            views[nextView] = view;
            nextView = (nextView + 1) % TERM_COUNT;
        }
        final int adjustment = buffer.wrapAdjustment();
        view.limit(adjustment + end).position(adjustment + frameOffset + COVERED_FROM);
        return view;
    }
}
