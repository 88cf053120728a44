package io.ringsync.transport.security;

import org.agrona.DirectBuffer;

import javax.crypto.Mac;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * What the two ends of a connection of a job with a secret show each other before any frame moves: that each holds
 * the secret. The dialing end sends a fresh nonce in its preamble, the accepting end answers with a fresh nonce of
 * its own and its proof, the dialing end checks it and sends its proof, and only then is the link's slot taken.
 * <p>
 * A proof is HMAC-SHA256, truncated to {@link #LENGTH} bytes, of a label naming the side, under a key derived
 * (HKDF-SHA256, salted with the rendezvous' session id) from the secret, the job, the mesh, both ranks and both
 * nonces. It is never the frame key (another label goes into the derivation), it is computed once per connection
 * (no per-frame cost, so always HMAC, whatever the frames use), and since each end's nonce is new for every
 * attempt, a proof recorded from one connection is worth nothing in another: neither a replayed preamble nor a
 * stranger that knows only the job id and the port gets past it, and a dialer never sends a frame to a listener
 * that cannot prove it belongs to the job.
 */
public final class ConnectionProof
{
    /**
     * Bytes of a proof on the wire.
     */
    public static final int LENGTH = 16;

    /**
     * Bytes of the accepting end's nonce.
     */
    public static final int NONCE_LENGTH = 16;

    private static final byte[] KEY_LABEL = "ringsync tcp connection proof v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ACCEPTOR = "accepting end".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DIALER = "dialing end".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] acceptorProof;
    private final byte[] dialerProof;

    private ConnectionProof(final byte[] acceptorProof, final byte[] dialerProof)
    {
        this.acceptorProof = acceptorProof;
        this.dialerProof = dialerProof;
    }

    /**
     * @return {@link #NONCE_LENGTH} fresh random bytes, an accepting end's nonce.
     */
    public static byte[] newNonce()
    {
        final byte[] nonce = new byte[NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return nonce;
    }

    /**
     * Both proofs of one connection, as either end computes them.
     *
     * @param secret      the job secret.
     * @param sessionId   the session id the rendezvous agreed, or null when the job has none.
     * @param jobId       of the job.
     * @param meshId      of the mesh the link belongs to.
     * @param fromRank    the dialing (sending) rank.
     * @param toRank      the accepting (receiving) rank.
     * @param dialNonce   the dialing end's nonce, from the preamble.
     * @param acceptNonce the accepting end's nonce.
     * @param channelBinding what the connection's TLS handshake showed both ends, the same bytes at both (hashes of
     *                    the two certificates, the dialer's first), or null without TLS: proofs made for one TLS
     *                    session then hold for no other, so a relay that ends TLS on each side (showing each end
     *                    its own certificate) makes the two ends expect different proofs.
     * @return the proofs.
     */
    public static ConnectionProof of(
        final byte[] secret,
        final byte[] sessionId,
        final long jobId,
        final long meshId,
        final int fromRank,
        final int toRank,
        final byte[] dialNonce,
        final byte[] acceptNonce,
        final byte[] channelBinding)
    {
        if (null == secret || 0 == secret.length)
        {
            throw new IllegalArgumentException("a connection proof needs a non-empty job secret");
        }
        final byte[] binding = null == channelBinding ? new byte[0] : channelBinding;
        final ByteBuffer info = ByteBuffer.allocate(KEY_LABEL.length + 8 + 8 + 4 + 4 + dialNonce.length +
            acceptNonce.length + 4 + binding.length).order(ByteOrder.LITTLE_ENDIAN);
        info.put(KEY_LABEL).putLong(jobId).putLong(meshId).putInt(fromRank).putInt(toRank).put(dialNonce)
            .put(acceptNonce).putInt(binding.length).put(binding);
        final byte[] key = HmacSha256.deriveKey(secret, sessionId, info.array(), 32);
        try
        {
            final Mac mac = HmacSha256.keyed(key);
            final byte[] acceptor = Arrays.copyOf(mac.doFinal(ACCEPTOR), LENGTH);
            final byte[] dialer = Arrays.copyOf(mac.doFinal(DIALER), LENGTH);
            return new ConnectionProof(acceptor, dialer);
        }
        finally
        {
            Arrays.fill(key, (byte)0);
        }
    }

    /**
     * @return the accepting end's proof, to send.
     */
    public byte[] acceptorProof()
    {
        return acceptorProof.clone();
    }

    /**
     * @return the dialing end's proof, to send.
     */
    public byte[] dialerProof()
    {
        return dialerProof.clone();
    }

    /**
     * @param buffer holding a received proof.
     * @param offset of it.
     * @return whether it is the accepting end's, compared in constant time.
     */
    public boolean isAcceptorProof(final DirectBuffer buffer, final int offset)
    {
        return matches(acceptorProof, buffer, offset);
    }

    /**
     * @param buffer holding a received proof.
     * @param offset of it.
     * @return whether it is the dialing end's, compared in constant time.
     */
    public boolean isDialerProof(final DirectBuffer buffer, final int offset)
    {
        return matches(dialerProof, buffer, offset);
    }

    private static boolean matches(final byte[] expected, final DirectBuffer buffer, final int offset)
    {
        int difference = 0;
        for (int i = 0; i < LENGTH; i++)
        {
            difference |= expected[i] ^ buffer.getByte(offset + i);
        }
        return 0 == difference;
    }
}
