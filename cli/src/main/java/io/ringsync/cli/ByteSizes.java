package io.ringsync.cli;

import io.ringsync.collectives.Configuration;

import java.util.ArrayList;
import java.util.List;

/**
 * Byte counts on the command line, in the grammar the ranks use for their variables
 * ({@link Configuration#parseSize}): {@code 4}, {@code 512B}, {@code 64k}, {@code 64KiB}, {@code 1m}, {@code 1MiB},
 * {@code 1GiB} (powers of 1024; letters in any case). {@code 1MB} is refused as ambiguous.
 */
public final class ByteSizes
{
    private ByteSizes()
    {
    }

    /**
     * @param text e.g. {@code 64KiB}.
     * @return the number of bytes.
     * @throws IllegalArgumentException when it is not a size, with the accepted forms.
     */
    public static long parse(final String text)
    {
        final String problem = Configuration.sizeProblem(text);
        if (null != problem)
        {
            throw new IllegalArgumentException("'" + text.trim() + "' " + problem);
        }
        return Configuration.parseSize("size", text);
    }

    /**
     * @param text comma-separated sizes, e.g. {@code 4,64KiB,1MiB}.
     * @return the sizes in bytes, in the order given.
     */
    public static List<Long> parseList(final String text)
    {
        final List<Long> sizes = new ArrayList<>();
        for (final String part : text.split(","))
        {
            if (!part.isBlank())
            {
                sizes.add(parse(part));
            }
        }
        if (sizes.isEmpty())
        {
            throw new IllegalArgumentException("no sizes in '" + text + "'; give a comma-separated list such as " +
                "4,64KiB,1MiB");
        }
        return sizes;
    }

    /**
     * @param bytes a count.
     * @return it in the largest binary unit that divides it, e.g. {@code 64 KiB}, or plain bytes.
     */
    public static String format(final long bytes)
    {
        if (bytes >= (1L << 30) && bytes % (1L << 30) == 0)
        {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= (1L << 20) && bytes % (1L << 20) == 0)
        {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= (1L << 10) && bytes % (1L << 10) == 0)
        {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }
}
