package io.ringsync.transport.security;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HmacSha256Test
{
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void derivesTheKeyOfRfc5869sFirstCase()
    {
        final byte[] secret = new byte[22];
        Arrays.fill(secret, (byte)0x0b);
        final byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        final byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");
        // the first block of the output keying material the RFC gives for this case
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf",
            HEX.formatHex(HmacSha256.deriveKey(secret, salt, info, 32)));
        assertEquals("3cb25f25faacd57a", HEX.formatHex(HmacSha256.deriveKey(secret, salt, info, 8)));
        assertThrows(IllegalArgumentException.class, () -> HmacSha256.deriveKey(secret, salt, info, 33));
    }

    @Test
    void tagsFieldsByTheirBoundariesToo()
    {
        final byte[] key = "key".getBytes(StandardCharsets.US_ASCII);
        final byte[] abC = HmacSha256.ofFields(key, bytes("ab"), bytes("c"));
        final byte[] aBc = HmacSha256.ofFields(key, bytes("a"), bytes("bc"));
        assertEquals(HmacSha256.LENGTH, abC.length);
        assertFalse(Arrays.equals(abC, aBc), "moving a byte across a field boundary must change the tag");
        assertArrayEquals(abC, HmacSha256.ofFields(key, bytes("ab"), bytes("c")));

        // the same as a plain HMAC over each field's 4-byte big-endian length and bytes
        final byte[] framed = HEX.parseHex("00000002616200000001" + "63");
        assertArrayEquals(HmacSha256.keyed(key).doFinal(framed), abC);
        assertFalse(Arrays.equals(abC, HmacSha256.ofFields(bytes("other key"), bytes("ab"), bytes("c"))));
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
