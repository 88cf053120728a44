package io.ringsync.transport;

/**
 * Finds bytes in a captured stream, for tests that check what crossed the wire in the clear.
 */
public final class ByteSearch
{
    private ByteSearch()
    {
    }

    /**
     * @return the first index of {@code needle} in {@code haystack}, or -1 when it is not there.
     */
    public static int indexOf(final byte[] haystack, final byte[] needle)
    {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
