package io.ringsync.collectives;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The tests' one check that two vectors hold the same bits, element by element (raw bits: NaN payloads and signed
 * zeros count), naming the first element that differs with both values.
 */
final class BitwiseAssert
{
    private BitwiseAssert()
    {
    }

    static void assertSameBits(final float[] expected, final float[] actual, final String what)
    {
        assertEquals(expected.length, actual.length, () -> what + ": length");
        for (int i = 0; i < expected.length; i++)
        {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i]))
            {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " (0x" +
                    Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ") got " + actual[i] + " (0x" +
                    Integer.toHexString(Float.floatToRawIntBits(actual[i])) + ")");
            }
        }
    }

    static void assertSameBits(final double[] expected, final double[] actual, final String what)
    {
        assertEquals(expected.length, actual.length, () -> what + ": length");
        for (int i = 0; i < expected.length; i++)
        {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i]))
            {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + " (0x" +
                    Long.toHexString(Double.doubleToRawLongBits(expected[i])) + ") got " + actual[i] + " (0x" +
                    Long.toHexString(Double.doubleToRawLongBits(actual[i])) + ")");
            }
        }
    }
}
