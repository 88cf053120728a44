package io.ringsync.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Byte counts as people write them: {@code 4}, {@code 512B}, {@code 64KiB}, {@code 1MiB}, {@code 1GiB}
 * (powers of 1024) and {@code 1KB}, {@code 1MB}, {@code 1GB} (powers of 1000). Suffixes ignore case.
 */
public final class ByteSizes
{
    private static final String[] SUFFIXES = { "kib", "mib", "gib", "kb", "mb", "gb", "b" };
    private static final long[] MULTIPLIERS = { 1L << 10, 1L << 20, 1L << 30, 1000L, 1000_000L, 1000_000_000L, 1L };

    private ByteSizes()
    {
    }

    /**
     * @param text e.g. {@code 64KiB}.
     * @return the number of bytes.
     * @throws IllegalArgumentException when it is not a non-negative whole number with a known suffix.
     */
    public static long parse(final String text)
    {
        final String value = text.trim();
        final String lower = value.toLowerCase(Locale.ROOT);
        long multiplier = 1;
        String digits = value;
        for (int i = 0; i < SUFFIXES.length; i++)
        {
            if (lower.endsWith(SUFFIXES[i]))
            {
                multiplier = MULTIPLIERS[i];
                digits = value.substring(0, value.length() - SUFFIXES[i].length()).trim();
                break;
            }
        }
        final long number;
        try
        {
            number = Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text + "' is not a size; write a whole number of bytes, " +
                "optionally with B, KiB, MiB, GiB (1024-based) or KB, MB, GB (1000-based), e.g. 64KiB", ex);
        }
        if (number < 0)
        {
            throw new IllegalArgumentException("size '" + text + "' is negative");
        }
        if (number > Long.MAX_VALUE / multiplier)
        {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return number * multiplier;
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
