package io.ringsync.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Reads points for the k-means demo: one point per line, coordinates separated by whitespace or commas
 * (so plain CSV without a header works). Blank lines and lines starting with {@code #} are skipped; every
 * point must have the dimension of the first; anything else is a {@link DataFileException} with file and line.
 */
public final class PointFiles
{
    private static final Pattern SEPARATORS = Pattern.compile("[\\s,]+");

    private PointFiles()
    {
    }

    /**
     * @param file to read.
     * @return its points.
     * @throws DataFileException when the file is missing, unreadable, empty or has a line that does not parse.
     */
    public static DensePoints read(final Path file)
    {
        float[] data = new float[1024];
        int used = 0;
        int dimension = 0;
        int count = 0;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            long lineNumber = 0;
            String line;
            while (null != (line = reader.readLine()))
            {
                lineNumber++;
                final String trimmed = line.strip();
                if (trimmed.isEmpty() || trimmed.startsWith("#"))
                {
                    continue;
                }
                final String[] tokens = SEPARATORS.split(trimmed);
                if (0 == dimension)
                {
                    dimension = tokens.length;
                }
                else if (tokens.length != dimension)
                {
                    throw new DataFileException(file, lineNumber, "has " + tokens.length + " coordinates, but the " +
                        "first point has " + dimension);
                }
                if (used + dimension > data.length)
                {
                    data = Arrays.copyOf(data, Math.addExact(data.length, Math.max(dimension, data.length >> 1)));
                }
                for (final String token : tokens)
                {
                    data[used++] = coordinate(token, file, lineNumber);
                }
                count++;
            }
        }
        catch (final NoSuchFileException ex)
        {
            throw new DataFileException(file, "no such file", ex);
        }
        catch (final IOException ex)
        {
            throw new DataFileException(file, "cannot read it: " + ex, ex);
        }
        if (0 == count)
        {
            throw new DataFileException(file, 0, "holds no points");
        }
        return new DensePoints(data, dimension, count);
    }

    private static float coordinate(final String token, final Path file, final long lineNumber)
    {
        final float value;
        try
        {
            value = Float.parseFloat(token);
        }
        catch (final NumberFormatException ex)
        {
            throw new DataFileException(file, lineNumber, "'" + token + "' is not a number");
        }
        if (!Float.isFinite(value))
        {
            throw new DataFileException(file, lineNumber, "'" + token + "' is not finite");
        }
        return value;
    }
}
