package io.ringsync.examples;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code --name value} arguments of a demo main, checked against the names it knows. {@code ringsync demo}
 * validates its options before starting any rank, so a mistake here is a message on stderr, not N stack traces.
 */
final class DemoArgs
{
    private final String demo;
    private final Map<String, String> values = new LinkedHashMap<>();

    /**
     * @param demo  name for messages.
     * @param known option names, with their dashes.
     * @param args  the command line.
     */
    DemoArgs(final String demo, final Set<String> known, final String[] args)
    {
        this.demo = demo;
        for (int i = 0; i < args.length; i += 2)
        {
            if (!known.contains(args[i]))
            {
                throw new IllegalArgumentException(demo + ": unknown option " + args[i] + "; known: " + known);
            }
            if (i + 1 == args.length)
            {
                throw new IllegalArgumentException(demo + ": " + args[i] + " needs a value");
            }
            values.put(args[i], args[i + 1]);
        }
    }

    String string(final String name, final String fallback)
    {
        return values.getOrDefault(name, fallback);
    }

    boolean has(final String name)
    {
        return values.containsKey(name);
    }

    int integer(final String name, final int fallback, final int min, final int max)
    {
        final String text = values.get(name);
        if (null == text)
        {
            return fallback;
        }
        final long value;
        try
        {
            value = Long.decode(text.replace("_", ""));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(demo + ": " + name + " must be an integer, got '" + text + "'");
        }
        if (value < min || value > max)
        {
            throw new IllegalArgumentException(demo + ": " + name + " must be " + min + " to " + max + ", got " + text);
        }
        return (int)value;
    }

    long longValue(final String name, final long fallback)
    {
        final String text = values.get(name);
        try
        {
            return null == text ? fallback : Long.decode(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(demo + ": " + name + " must be an integer, got '" + text + "'");
        }
    }

    double decimal(final String name, final double fallback, final double min, final double max)
    {
        final String text = values.get(name);
        if (null == text)
        {
            return fallback;
        }
        final double value;
        try
        {
            value = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(demo + ": " + name + " must be a number, got '" + text + "'");
        }
        if (!(value >= min && value <= max))
        {
            throw new IllegalArgumentException(demo + ": " + name + " must be " + min + " to " + max + ", got " + text);
        }
        return value;
    }

    String choice(final String name, final String fallback, final String... allowed)
    {
        final String value = values.getOrDefault(name, fallback);
        for (final String candidate : allowed)
        {
            if (candidate.equals(value))
            {
                return value;
            }
        }
        throw new IllegalArgumentException(demo + ": " + name + " must be one of " + String.join("|", allowed) +
            ", got '" + value + "'");
    }

    boolean flag(final String name, final boolean fallback)
    {
        return "on".equals(choice(name, fallback ? "on" : "off", "on", "off"));
    }
}
