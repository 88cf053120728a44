package io.ringsync.transport.security;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Computes and checks the {@link #TAG_LENGTH}-byte authentication tag of each frame of one directed link, under a key
 * of that link alone. One job: the tag; what to do with a frame that fails is the link's business.
 * <p>
 * The key is derived (HKDF, RFC 5869, with HMAC-SHA256) from the job secret, salted with the session id the
 * rendezvous agreed, and bound to the job id, mesh id, sending rank, receiving rank, a per-connection nonce and the
 * algorithm: it is never sent, and no two links, directions, meshes, sessions or connections share one. What a tag
 * covers is the frame's number on the link (0, 1, 2, ... in sending order), its position in the link's byte stream,
 * and the frame's bytes (header and payload). A receiver that checks frame n with number n accepts no replayed,
 * reordered, dropped or inserted frame: any of those shifts a number or a position and the tag fails.
 * <p>
 * Two algorithms, chosen by measurement (perf-results/2026-12-06-frame-mac):
 * <ul>
 * <li>{@link Algorithm#HMAC_SHA256}: HMAC-SHA256 (RFC 2104) built on one reused {@link MessageDigest} (the JDK's
 * SHA-256 intrinsic), truncated to 128 bits. No allocation per frame: the digest reads the frame through its own
 * reused 4 KiB staging array and writes into this object's arrays.</li>
 * <li>{@link Algorithm#AES_GMAC}: AES-GCM with an empty plaintext and the frame as additional data, the 96-bit IV
 * the frame number, through {@code javax.crypto.Cipher}. The JDK's GCM must be initialised afresh per frame (it
 * refuses an IV twice for encryption, and the IV is per frame) and, in JDK 17, buffers the additional data on the
 * heap: it allocates per frame, about as much as the frame.</li>
 * </ul>
 * Not thread-safe: one instance per link end, used by that link's thread.
 */
public final class FrameAuthenticator
{
    /**
     * Bytes of the tag each frame carries.
     */
    public static final int TAG_LENGTH = 16;

    /**
     * Bytes of the per-connection nonce that goes into the key.
     */
    public static final int NONCE_LENGTH = 16;

    private static final int SHA256_BLOCK = 64;
    private static final int SHA256_LENGTH = 32;
    private static final byte[] KEY_LABEL = "ringsync tcp frame key v1".getBytes(StandardCharsets.US_ASCII);

    /**
     * How the tag is computed.
     */
    public enum Algorithm
    {
        /**
         * HMAC-SHA256 truncated to 128 bits; allocation-free.
         */
        HMAC_SHA256(1, SHA256_LENGTH),

        /**
         * AES-128-GMAC through the JDK's AES/GCM cipher.
         */
        AES_GMAC(2, 16);

        private final int code;
        private final int keyLength;

        Algorithm(final int code, final int keyLength)
        {
            this.code = code;
            this.keyLength = keyLength;
        }

        /**
         * @return the number that names it on the wire.
         */
        public int code()
        {
            return code;
        }

        /**
         * @param code from the wire.
         * @return the algorithm, or null when no algorithm has that number.
         */
        public static Algorithm of(final int code)
        {
            for (final Algorithm algorithm : values())
            {
                if (algorithm.code == code)
                {
                    return algorithm;
                }
            }
            return null;
        }
    }

    private final Algorithm algorithm;
    private final byte[] prefix = new byte[16];
    private final ByteBuffer prefixView = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] tag = new byte[SHA256_LENGTH];

    // HMAC-SHA256
    private final MessageDigest digest;
    private final byte[] innerPad;
    private final byte[] outerPad;
    private final byte[] inner = new byte[SHA256_LENGTH];

    // AES-GMAC
    private final Cipher cipher;
    private final SecretKeySpec aesKey;
    private final byte[] iv = new byte[12];

    private FrameAuthenticator(final Algorithm algorithm, final byte[] key)
    {
        this.algorithm = algorithm;
        try
        {
            if (Algorithm.HMAC_SHA256 == algorithm)
            {
                digest = MessageDigest.getInstance("SHA-256");
                innerPad = new byte[SHA256_BLOCK];
                outerPad = new byte[SHA256_BLOCK];
                for (int i = 0; i < SHA256_BLOCK; i++)
                {
                    final byte k = i < key.length ? key[i] : 0;
                    innerPad[i] = (byte)(k ^ 0x36);
                    outerPad[i] = (byte)(k ^ 0x5c);
                }
                cipher = null;
                aesKey = null;
            }
            else
            {
                cipher = Cipher.getInstance("AES/GCM/NoPadding");
                aesKey = new SecretKeySpec(key, "AES");
                digest = null;
                innerPad = null;
                outerPad = null;
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("this JVM lacks " + algorithm + ", which every Java SE runtime has", ex);
        }
        finally
        {
            Arrays.fill(key, (byte)0);
        }
    }

    /**
     * The authenticator of one end of one directed link.
     *
     * @param algorithm how tags are computed; both ends must use the same.
     * @param secret    the job secret.
     * @param sessionId the session id the rendezvous agreed, or null when the job has none.
     * @param jobId     of the job.
     * @param meshId    of the mesh the link belongs to.
     * @param fromRank  the sending rank (job rank).
     * @param toRank    the receiving rank (job rank).
     * @param nonce     {@link #NONCE_LENGTH} random bytes the sender chose for this connection.
     * @return the authenticator.
     */
    public static FrameAuthenticator forLink(
        final Algorithm algorithm,
        final byte[] secret,
        final byte[] sessionId,
        final long jobId,
        final long meshId,
        final int fromRank,
        final int toRank,
        final byte[] nonce)
    {
        if (null == secret || 0 == secret.length)
        {
            throw new IllegalArgumentException("a frame authenticator needs a non-empty job secret");
        }
        if (null == nonce || NONCE_LENGTH != nonce.length)
        {
            throw new IllegalArgumentException("the connection nonce must be " + NONCE_LENGTH + " bytes");
        }
        final ByteBuffer info = ByteBuffer.allocate(KEY_LABEL.length + 4 + 8 + 8 + 4 + 4 + NONCE_LENGTH)
            .order(ByteOrder.LITTLE_ENDIAN);
        info.put(KEY_LABEL).putInt(algorithm.code).putLong(jobId).putLong(meshId).putInt(fromRank).putInt(toRank)
            .put(nonce);

        return new FrameAuthenticator(algorithm, HmacSha256.deriveKey(secret, sessionId, info.array(), algorithm.keyLength));
    }

    /**
     * @return the algorithm of this authenticator.
     */
    public Algorithm algorithm()
    {
        return algorithm;
    }

    /**
     * Compute the tag of a frame and write it.
     *
     * @param number   of the frame on the link, 0 for the first; never the same twice for one authenticator.
     * @param position of the frame in the link's byte stream.
     * @param frame    the frame's bytes between its position and limit, read in place; consumed.
     * @param dst      where the tag goes.
     * @param offset   in {@code dst}.
     */
    public void sign(
        final long number, final long position, final ByteBuffer frame, final MutableDirectBuffer dst, final int offset)
    {
        compute(number, position, frame);
        dst.putBytes(offset, tag, 0, TAG_LENGTH);
    }

    /**
     * Check the tag of a frame, in constant time.
     *
     * @param number   the frame's number on the link as the receiver counts.
     * @param position of the frame in the link's byte stream as the receiver counts.
     * @param frame    the frame's bytes between its position and limit, read in place; consumed.
     * @param src      holding the tag the frame came with.
     * @param offset   of that tag in {@code src}.
     * @return true when the tag is right.
     */
    public boolean verify(
        final long number, final long position, final ByteBuffer frame, final DirectBuffer src, final int offset)
    {
        compute(number, position, frame);
        int difference = 0;
        for (int i = 0; i < TAG_LENGTH; i++)
        {
            difference |= tag[i] ^ src.getByte(offset + i);
        }
        return 0 == difference;
    }

    private void compute(final long number, final long position, final ByteBuffer frame)
    {
        prefixView.putLong(0, number);
        prefixView.putLong(8, position);
        if (Algorithm.HMAC_SHA256 == algorithm)
        {
            hmac(frame);
        }
        else
        {
            gmac(number, frame);
        }
    }

    private void hmac(final ByteBuffer frame)
    {
        try
        {
            final MessageDigest md = digest;
            md.reset();
            md.update(innerPad);
            md.update(prefix);
            md.update(frame);
            md.digest(inner, 0, SHA256_LENGTH);
            md.update(outerPad);
            md.update(inner);
            md.digest(tag, 0, SHA256_LENGTH);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("SHA-256 failed: " + ex, ex);
        }
    }

    private void gmac(final long number, final ByteBuffer frame)
    {
        iv[0] = 0;
        iv[1] = 0;
        iv[2] = 0;
        iv[3] = 0;
        for (int i = 0; i < 8; i++)
        {
            iv[4 + i] = (byte)(number >>> (56 - 8 * i));
        }
        try
        {
            cipher.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(TAG_LENGTH * 8, iv));
            cipher.updateAAD(prefix);
            cipher.updateAAD(frame);
            cipher.doFinal(tag, 0);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("AES-GCM failed: " + ex, ex);
        }
    }
}
