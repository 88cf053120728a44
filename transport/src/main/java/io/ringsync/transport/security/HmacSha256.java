package io.ringsync.transport.security;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * HMAC-SHA256, the one MAC of ringsync's handshakes and derivations (the frames of a secret job use AES-GMAC or
 * HMAC through {@link FrameAuthenticator}): where a key becomes a {@link Mac}, and where a list of fields becomes
 * a tag without two different lists ever feeding the MAC the same bytes, and where a secret becomes a key.
 */
public final class HmacSha256
{
    /**
     * Bytes of a tag.
     */
    public static final int LENGTH = 32;

    private static final String ALGORITHM = "HmacSHA256";

    private HmacSha256()
    {
    }

    /**
     * @param key the key; the caller may wipe it after this returns.
     * @return a MAC keyed with it, for a caller that tags many messages under one key.
     */
    public static Mac keyed(final byte[] key)
    {
        try
        {
            final Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            return mac;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("this JVM has no " + ALGORITHM + ", which every Java SE runtime must " +
                "have", ex);
        }
    }

    /**
     * The tag of a list of fields, each preceded by its length (4 bytes, big-endian), so that moving bytes from
     * one field to the next changes the tag.
     *
     * @param key    the key.
     * @param fields what is tagged, in order.
     * @return {@link #LENGTH} bytes.
     */
    public static byte[] ofFields(final byte[] key, final byte[]... fields)
    {
        final Mac mac = keyed(key);
        final byte[] length = new byte[Integer.BYTES];
        for (final byte[] field : fields)
        {
            length[0] = (byte)(field.length >>> 24);
            length[1] = (byte)(field.length >>> 16);
            length[2] = (byte)(field.length >>> 8);
            length[3] = (byte)field.length;
            mac.update(length);
            mac.update(field);
        }
        return mac.doFinal();
    }

    /**
     * HKDF-SHA256 (RFC 5869) in one block: extract with {@code salt}, expand with {@code info}.
     *
     * @param secret the input key material.
     * @param salt   the salt (the rendezvous' session id), or null or empty for none.
     * @param info   what the key is for; different info, unrelated keys.
     * @param length bytes of key wanted, at most {@link #LENGTH}.
     * @return the key.
     */
    public static byte[] deriveKey(final byte[] secret, final byte[] salt, final byte[] info, final int length)
    {
        if (length < 1 || length > LENGTH)
        {
            throw new IllegalArgumentException("a derived key is 1 to " + LENGTH + " bytes, not " + length);
        }
        final byte[] pseudoRandomKey = keyed(null == salt || 0 == salt.length ? new byte[LENGTH] : salt)
            .doFinal(secret);
        final Mac expand = keyed(pseudoRandomKey);
        Arrays.fill(pseudoRandomKey, (byte)0);
        expand.update(info);
        expand.update((byte)1);
        final byte[] block = expand.doFinal();
        final byte[] key = Arrays.copyOf(block, length);
        Arrays.fill(block, (byte)0);
        return key;
    }
}
