package io.ringsync.transport.tcp;

import io.ringsync.transport.security.ConnectionProof;
import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * What travels on a ringsync TCP connection. All integers are little-endian.
 * <p>
 * One connection carries one directed link. The sending rank connects to the receiving rank's listening port and
 * sends a {@link #PREAMBLE_LENGTH}-byte preamble; the receiver checks it, routes the connection to the mesh and link
 * it names and answers with an {@link #ACK_LENGTH}-byte acknowledgement carrying a status. Only after an
 * {@link #STATUS_OK} acknowledgement does the sender send frames; the receiver never reads past the preamble before
 * it has answered, so no frame byte can be lost in the hand-over.
 * <p>
 * Preamble:
 * <pre>
 *   0  long  magic {@link #PREAMBLE_MAGIC}
 *   8  int   protocol version {@link #VERSION}
 *  12  int   preamble length {@link #PREAMBLE_LENGTH}
 *  16  long  job id
 *  24  long  mesh id
 *  32  int   sending rank (rank in the job, not in the mesh)
 *  36  int   receiving rank (likewise)
 *  40  long  window length: both ends must use the same one, since the sender lays frames out in the
 *            receiver's ring (see below)
 *  48  int   frame authentication: 0 = none, the code of a
 *            {@link io.ringsync.transport.security.FrameAuthenticator.Algorithm} (the job has a secret and tags
 *            frames), or {@link #AUTH_PROOF_ONLY} (the job has a secret, proven at connection; frames untagged)
 *  52  int   length of the connection nonce that follows: 0, or
 *            {@link io.ringsync.transport.security.FrameAuthenticator#NONCE_LENGTH} with frame authentication
 *  56  byte[64] the connection nonce (random, chosen by the sender; it goes into the link's key), zero-filled
 * 120  long  reserved, zero
 * </pre>
 * Acknowledgement: {@code long} magic {@link #ACK_MAGIC}, {@code int} status, {@code int} reserved.
 * <p>
 * With a job secret the receiver first checks that both ends hold it
 * ({@link io.ringsync.transport.security.ConnectionProof}): a preamble that passes every other check is answered
 * with a {@link #STATUS_PROVE} acknowledgement followed by the challenge ({@link #CHALLENGE_LENGTH} bytes: the
 * receiver's fresh nonce, then the receiver's proof); the sender checks that proof (a listener that cannot prove it
 * is left without a single frame) and sends its own ({@link #PROOF_LENGTH} bytes: {@code long} magic
 * {@link #PROOF_MAGIC}, then the proof); only when it holds does the receiver route the connection to its link and
 * send the final acknowledgement. A stranger that knows the job id and the port thus never takes a link's slot.
 * <p>
 * Data, sender to receiver: a stream of frames, each an 8-byte header ({@code int} payload length, {@code int}
 * type) and the payload, padded to a multiple of {@link #FRAME_ALIGNMENT}. Sender and receiver keep rings of the
 * same length, and the n-th byte of the stream sits at {@code n mod windowLength} in both. A frame that would cross
 * the end of the ring is preceded by a {@link #TYPE_PAD} frame filling the rest of it, so that every frame is whole
 * and contiguous in the receiver's ring and can be handed to a handler in place.
 * <p>
 * With frame authentication (a job secret) every data frame carries a
 * {@link io.ringsync.transport.security.FrameAuthenticator#TAG_LENGTH}-byte tag right after its payload, inside the
 * frame's aligned length; the header's length field is still the payload's. The tag covers the frame's number on the
 * link, its stream position, header and payload, under a key of that connection alone (see
 * {@link io.ringsync.transport.security.FrameAuthenticator}). Padding frames carry no tag: a forged or removed one
 * shifts the position of the next data frame, whose tag then fails. A frame whose tag fails ends the link: a TCP
 * stream that was tampered with cannot be resynchronised.
 * <p>
 * Credits, receiver to sender, on the same connection: a stream of {@code long}s, each the number of stream bytes
 * the receiver's handlers have consumed so far (padding included). The sender never has more than the window
 * length beyond the last credit in flight, so the receiver's ring can always take everything the socket holds.
 * The receiver sends a credit once {@link #creditBatch(int)} bytes or more were consumed since the last one, not
 * after every poll: a credit is a TCP segment of its own, one more packet per chunk or small call for both kernels
 * (batching them made 4 KiB calls between two simulated hosts 0.67x as long and removed their millisecond tail,
 * perf-results/2026-12-06-tcp-batching). So up to a batch less one byte may be consumed but not yet credited, and
 * the window a sender can count on when its receiver has consumed everything is {@link #usableWindow(int)}, not
 * the whole ring.
 */
final class TcpProtocol
{
    /**
     * "RSYNCTCP" read as a little-endian long.
     */
    static final long PREAMBLE_MAGIC = 0x5043_5443_4E59_5352L;

    /**
     * "RSYNCACK" read as a little-endian long.
     */
    static final long ACK_MAGIC = 0x4B43_4143_4E59_5352L;

    /**
     * "RSYNCPRF" read as a little-endian long.
     */
    static final long PROOF_MAGIC = 0x4652_5043_4E59_5352L;

    /**
     * 2: the ends of a connection with a job secret prove they hold it before the link is taken.
     */
    static final int VERSION = 2;
    static final int PREAMBLE_LENGTH = 128;
    static final int ACK_LENGTH = 16;
    static final int CHALLENGE_LENGTH = ConnectionProof.NONCE_LENGTH + ConnectionProof.LENGTH;
    static final int PROOF_LENGTH = 8 + ConnectionProof.LENGTH;
    static final int AUTH_TAG_MAX_LENGTH = 64;
    static final int AUTH_NONE = 0;
    static final int AUTH_PROOF_ONLY = 255;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 8;
    static final int LENGTH_OFFSET = 12;
    static final int JOB_ID_OFFSET = 16;
    static final int MESH_ID_OFFSET = 24;
    static final int FROM_OFFSET = 32;
    static final int TO_OFFSET = 36;
    static final int WINDOW_LENGTH_OFFSET = 40;
    static final int AUTH_TYPE_OFFSET = 48;
    static final int AUTH_LENGTH_OFFSET = 52;
    static final int AUTH_TAG_OFFSET = 56;

    static final int ACK_STATUS_OFFSET = 8;

    static final int STATUS_OK = 0;
    static final int STATUS_BAD_VERSION = 1;
    static final int STATUS_WRONG_JOB = 2;
    static final int STATUS_NO_SUCH_MESH = 3;
    static final int STATUS_WRONG_RANK = 4;
    static final int STATUS_DUPLICATE = 5;
    static final int STATUS_WINDOW_MISMATCH = 6;
    static final int STATUS_CLOSED = 7;
    static final int STATUS_BAD_AUTH = 8;
    static final int STATUS_PROVE = 9;
    static final int STATUS_BAD_PROOF = 10;

    static final int FRAME_HEADER_LENGTH = 8;
    static final int FRAME_ALIGNMENT = 8;
    static final int FRAME_LENGTH_OFFSET = 0;
    static final int FRAME_TYPE_OFFSET = 4;
    static final int TYPE_DATA = 1;
    static final int TYPE_PAD = 2;

    static final int CREDIT_LENGTH = 8;

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private TcpProtocol()
    {
    }

    /**
     * Bytes consumed that the receiver may hold back before it sends a credit: an eighth of the window, the size of
     * the largest frame. A claim needs at most two frames' room (a wrap's padding and the frame), so a sender
     * whose receiver has consumed everything always finds room for it; and the collectives, which keep room for
     * forwards, count only on {@link #usableWindow(int)}.
     *
     * @param windowLength of the link.
     * @return bytes consumed since the last credit that make the receiver send one.
     */
    static int creditBatch(final int windowLength)
    {
        return windowLength >> 3;
    }

    /**
     * The window a sender has in flight at least when its receiver has consumed every frame: the ring less what
     * the receiver may hold back uncredited. The collectives size chunks and keep room for forwards from it.
     *
     * @param windowLength of the link.
     * @return bytes.
     */
    static long usableWindow(final int windowLength)
    {
        return windowLength - creditBatch(windowLength);
    }

    /**
     * @param length of a payload.
     * @return bytes its frame takes in the stream and the rings.
     */
    static int framedLength(final int length)
    {
        return BitUtil.align(length + FRAME_HEADER_LENGTH, FRAME_ALIGNMENT);
    }

    /**
     * @param length    of a payload.
     * @param tagLength bytes of authentication tag each frame carries, 0 without.
     * @return bytes its frame takes in the stream and the rings.
     */
    static int framedLength(final int length, final int tagLength)
    {
        return BitUtil.align(length + FRAME_HEADER_LENGTH + tagLength, FRAME_ALIGNMENT);
    }

    static void encodePreamble(
        final UnsafeBuffer buffer, final long jobId, final long meshId, final int from, final int to,
        final long windowLength, final int authType, final byte[] nonce)
    {
        buffer.setMemory(0, PREAMBLE_LENGTH, (byte)0);
        buffer.putLong(MAGIC_OFFSET, PREAMBLE_MAGIC, ORDER);
        buffer.putInt(VERSION_OFFSET, VERSION, ORDER);
        buffer.putInt(LENGTH_OFFSET, PREAMBLE_LENGTH, ORDER);
        buffer.putLong(JOB_ID_OFFSET, jobId, ORDER);
        buffer.putLong(MESH_ID_OFFSET, meshId, ORDER);
        buffer.putInt(FROM_OFFSET, from, ORDER);
        buffer.putInt(TO_OFFSET, to, ORDER);
        buffer.putLong(WINDOW_LENGTH_OFFSET, windowLength, ORDER);
        buffer.putInt(AUTH_TYPE_OFFSET, authType, ORDER);
        buffer.putInt(AUTH_LENGTH_OFFSET, null == nonce ? 0 : nonce.length, ORDER);
        if (null != nonce)
        {
            buffer.putBytes(AUTH_TAG_OFFSET, nonce);
        }
    }

    /**
     * @param ctx a rank's settings.
     * @return the frame authentication field of its preambles, which the other end must match.
     */
    static int authType(final TcpTransport.Context ctx)
    {
        return ctx.tagsFrames() ? ctx.frameMac().code() : ctx.hasJobSecret() ? AUTH_PROOF_ONLY : AUTH_NONE;
    }

    static void encodeAck(final UnsafeBuffer buffer, final int status)
    {
        buffer.setMemory(0, ACK_LENGTH, (byte)0);
        buffer.putLong(MAGIC_OFFSET, ACK_MAGIC, ORDER);
        buffer.putInt(ACK_STATUS_OFFSET, status, ORDER);
    }

    /**
     * @param status of an acknowledgement.
     * @return what it means, for diagnostics.
     */
    static String statusText(final int status)
    {
        switch (status)
        {
            case STATUS_OK:
                return "accepted";
            case STATUS_BAD_VERSION:
                return "refused: another protocol version or preamble length";
            case STATUS_WRONG_JOB:
                return "refused: the listener belongs to another job id";
            case STATUS_NO_SUCH_MESH:
                return "refused: no mesh of that id is open there (not yet, or another job's)";
            case STATUS_WRONG_RANK:
                return "refused: the ranks in the preamble do not match the listener's rank or the mesh's members";
            case STATUS_DUPLICATE:
                return "refused: that link is already connected";
            case STATUS_WINDOW_MISMATCH:
                return "refused: the receiver uses another windowLength (set the same one on every rank)";
            case STATUS_CLOSED:
                return "refused: the receiving link is closed";
            case STATUS_BAD_AUTH:
                return "refused: frame authentication differs (one end has a job secret, the other none, or another " +
                    "algorithm): set the same RINGSYNC_JOB_SECRET on every rank";
            case STATUS_PROVE:
                return "asks for proof of the job secret";
            case STATUS_BAD_PROOF:
                return "refused: the connection did not prove it holds the job secret (another RINGSYNC_JOB_SECRET, " +
                    "or not a rank of this job)";
            default:
                return "refused with unknown status " + status;
        }
    }
}
