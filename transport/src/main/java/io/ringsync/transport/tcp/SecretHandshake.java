package io.ringsync.transport.tcp;

import io.ringsync.transport.security.ConnectionProof;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;

import static io.ringsync.transport.tcp.TcpProtocol.ACK_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.CHALLENGE_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.PROOF_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.PROOF_MAGIC;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_PROVE;

/**
 * The step of a tcp connection's handshake in which both ends of a job with a secret prove they hold it
 * ({@link ConnectionProof}; the wire format is in {@link TcpProtocol}): the bytes each end sends and the check of
 * what it reads, one instance per connection attempt, used by the endpoint's thread. Reads never go past the
 * step's own bytes, so no frame byte is taken from the stream that the link reads afterwards.
 */
final class SecretHandshake
{
    /**
     * The other end's part has not fully arrived yet.
     */
    static final int MORE = 0;

    /**
     * The other end proved it holds the secret.
     */
    static final int PROVEN = 1;

    /**
     * The other end's part arrived and is not a proof of the secret.
     */
    static final int NOT_PROVEN = 2;

    /**
     * The connection closed before the other end's part arrived.
     */
    static final int CLOSED = 3;

    private final TcpTransport.Context ctx;
    private final long meshId;
    private final int fromRank;
    private final int toRank;
    private final byte[] dialNonce;
    private final byte[] channelBinding;
    private final ByteBuffer in;
    private ByteBuffer out;
    private ConnectionProof proof;

    private SecretHandshake(
        final TcpTransport.Context ctx, final long meshId, final int fromRank, final int toRank,
        final byte[] dialNonce, final byte[] channelBinding, final int inLength)
    {
        this.channelBinding = channelBinding;
        this.ctx = ctx;
        this.meshId = meshId;
        this.fromRank = fromRank;
        this.toRank = toRank;
        this.dialNonce = dialNonce.clone();
        this.in = ByteBuffer.allocateDirect(inLength).order(ORDER);
    }

    /**
     * The accepting end, once a preamble passed every other check: its challenge is ready to send.
     *
     * @param ctx       the accepting rank's settings (secret, session, job).
     * @param meshId    the mesh the preamble names.
     * @param fromRank  the dialing rank.
     * @param dialNonce the nonce of the preamble.
     * @param channelBinding what the connection's TLS handshake showed ({@link LinkIo#channelBinding()}), or null.
     * @return the step, with {@link #toSend()} holding the {@link TcpProtocol#STATUS_PROVE} acknowledgement and the
     * challenge.
     */
    static SecretHandshake accepting(
        final TcpTransport.Context ctx, final long meshId, final int fromRank, final byte[] dialNonce,
        final byte[] channelBinding)
    {
        final SecretHandshake step =
            new SecretHandshake(ctx, meshId, fromRank, ctx.rank(), dialNonce, channelBinding, PROOF_LENGTH);
        final byte[] acceptNonce = ConnectionProof.newNonce();
        step.proof = step.proofFor(acceptNonce);
        step.out = ByteBuffer.allocateDirect(ACK_LENGTH + CHALLENGE_LENGTH).order(ORDER);
        final UnsafeBuffer buffer = new UnsafeBuffer(step.out);
        TcpProtocol.encodeAck(buffer, STATUS_PROVE);
        buffer.putBytes(ACK_LENGTH, acceptNonce);
        buffer.putBytes(ACK_LENGTH + ConnectionProof.NONCE_LENGTH, step.proof.acceptorProof());
        return step;
    }

    /**
     * The dialing end, after a {@link TcpProtocol#STATUS_PROVE} acknowledgement: it reads the challenge next.
     *
     * @param ctx       the dialing rank's settings.
     * @param meshId    of the link's mesh.
     * @param fromRank  the dialing rank.
     * @param toRank    the accepting rank.
     * @param dialNonce the nonce this end sent in its preamble.
     * @param channelBinding what the connection's TLS handshake showed ({@link LinkIo#channelBinding()}), or null.
     * @return the step.
     */
    static SecretHandshake dialing(
        final TcpTransport.Context ctx, final long meshId, final int fromRank, final int toRank,
        final byte[] dialNonce, final byte[] channelBinding)
    {
        return new SecretHandshake(ctx, meshId, fromRank, toRank, dialNonce, channelBinding, CHALLENGE_LENGTH);
    }

    /**
     * @return what this end sends next (the challenge, or, once {@link #readChallenge} proved the other end, this
     * end's proof), positioned for writing it.
     */
    ByteBuffer toSend()
    {
        return out;
    }

    /**
     * The accepting end: read the dialing end's proof.
     *
     * @param channel the connection.
     * @return {@link #MORE}, {@link #PROVEN}, {@link #NOT_PROVEN} or {@link #CLOSED}.
     * @throws IOException when the connection broke.
     */
    int readProof(final LinkIo channel) throws IOException
    {
        final int state = read(channel);
        if (PROVEN != state)
        {
            return state;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(in);
        return buffer.getLong(0, ORDER) == PROOF_MAGIC && proof.isDialerProof(buffer, 8) ? PROVEN : NOT_PROVEN;
    }

    /**
     * The dialing end: read the challenge and check the accepting end's proof; when it holds, {@link #toSend()}
     * then holds this end's proof.
     *
     * @param channel the connection.
     * @return {@link #MORE}, {@link #PROVEN}, {@link #NOT_PROVEN} or {@link #CLOSED}.
     * @throws IOException when the connection broke.
     */
    int readChallenge(final LinkIo channel) throws IOException
    {
        final int state = read(channel);
        if (PROVEN != state)
        {
            return state;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(in);
        final byte[] acceptNonce = new byte[ConnectionProof.NONCE_LENGTH];
        buffer.getBytes(0, acceptNonce);
        proof = proofFor(acceptNonce);
        if (!proof.isAcceptorProof(buffer, ConnectionProof.NONCE_LENGTH))
        {
            return NOT_PROVEN;
        }
        out = ByteBuffer.allocateDirect(PROOF_LENGTH).order(ORDER);
        final UnsafeBuffer proofBuffer = new UnsafeBuffer(out);
        proofBuffer.putLong(0, PROOF_MAGIC, ORDER);
        proofBuffer.putBytes(8, proof.dialerProof());
        return PROVEN;
    }

    /**
     * @return {@link #PROVEN} once all of the other end's part is in (checked by the caller), else {@link #MORE}
     * or {@link #CLOSED}.
     */
    private int read(final LinkIo channel) throws IOException
    {
        if (channel.read(in) < 0)
        {
            return CLOSED;
        }
        return in.hasRemaining() ? MORE : PROVEN;
    }

    private ConnectionProof proofFor(final byte[] acceptNonce)
    {
        return ConnectionProof.of(ctx.jobSecret(), ctx.sessionId(), ctx.jobId(), meshId, fromRank, toRank, dialNonce,
            acceptNonce, channelBinding);
    }
}
