package io.ringsync.examples;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Readers of the two common text formats of sparse labelled data, into a {@link SparseShard} whose feature
 * indices fit the model's dimension.
 * <ul>
 *     <li>LIBSVM: {@code label index:value index:value ...}, indices from 1. Index i becomes feature
 *     {@code (i - 1) mod dimension}, so data with more features than the model is folded, the hashing trick.
 *     Labels +1/1 are positive, -1/0 negative. {@code qid:} pairs and {@code # comments} are ignored.</li>
 *     <li>Vowpal Wabbit text: {@code label [importance] [tag]|namespace feature[:value] ... |namespace ...}.
 *     Features are names, hashed with their namespace into the dimension; a value defaults to 1 and a
 *     namespace may carry a scale ({@code |words:0.5 ...}). Labels 1 positive, -1/0 negative; the importance
 *     weights the example's gradient.</li>
 * </ul>
 * Blank lines and lines starting with {@code #} are skipped. Anything else that does not parse is a
 * {@link DataFileException} naming the file and line: a demo never trains on data it misread.
 */
public final class SparseFormats
{
    private SparseFormats()
    {
    }

    /**
     * The text formats understood.
     */
    public enum Format
    {
        /**
         * {@code label index:value ...}.
         */
        LIBSVM,

        /**
         * {@code label [importance] [tag]|namespace feature[:value] ...}.
         */
        VW;

        /**
         * @param name {@code libsvm} or {@code vw}, any case.
         * @return the format.
         */
        public static Format parse(final String name)
        {
            switch (name.toLowerCase(Locale.ROOT))
            {
                case "libsvm":
                case "svmlight":
                    return LIBSVM;
                case "vw":
                    return VW;
                default:
                    throw new IllegalArgumentException("unknown data format '" + name + "': use libsvm or vw");
            }
        }
    }

    /**
     * @param file      to read.
     * @param format    its format.
     * @param dimension of the model.
     * @return its examples.
     * @throws DataFileException when the file is missing, unreadable or has a line that does not parse.
     */
    public static SparseShard read(final Path file, final Format format, final int dimension)
    {
        if (dimension < 1)
        {
            throw new IllegalArgumentException("dimension must be >= 1, got " + dimension);
        }
        final SparseShard.Builder builder = new SparseShard.Builder(1024, 16 * 1024);
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            long lineNumber = 0;
            String line;
            while (null != (line = reader.readLine()))
            {
                lineNumber++;
                parseLine(line, format, dimension, builder, file, lineNumber);
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
        if (builder.size() == 0)
        {
            throw new DataFileException(file, 0, "holds no examples");
        }
        return builder.build();
    }

    /**
     * Parse one line into the builder (nothing when it is blank or a comment).
     *
     * @param line       the text.
     * @param format     its format.
     * @param dimension  of the model.
     * @param builder    receives the example.
     * @param file       for messages.
     * @param lineNumber for messages.
     * @return whether the line held an example.
     */
    public static boolean parseLine(
        final String line, final Format format, final int dimension, final SparseShard.Builder builder,
        final Path file, final long lineNumber)
    {
        final String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#"))
        {
            return false;
        }
        try
        {
            if (format == Format.LIBSVM)
            {
                parseLibsvm(trimmed, dimension, builder);
            }
            else
            {
                parseVw(trimmed, dimension, builder);
            }
            return true;
        }
        catch (final BadLine ex)
        {
            // a bad line must not leave half an example behind in the builder
            builder.dropPending();
            throw new DataFileException(file, lineNumber, ex.getMessage());
        }
    }

    private static void parseLibsvm(final String line, final int dimension, final SparseShard.Builder builder)
    {
        final int comment = line.indexOf('#');
        final String[] tokens = (comment >= 0 ? line.substring(0, comment) : line).strip().split("\\s+");
        final float label = binaryLabel(tokens[0], "+1/-1 or 1/0");
        for (int i = 1; i < tokens.length; i++)
        {
            final String token = tokens[i];
            final int colon = token.indexOf(':');
            if (colon <= 0 || colon == token.length() - 1)
            {
                throw new BadLine("'" + token + "' is not index:value");
            }
            final String indexText = token.substring(0, colon);
            if ("qid".equals(indexText))
            {
                continue;
            }
            final long index;
            try
            {
                index = Long.parseLong(indexText);
            }
            catch (final NumberFormatException ex)
            {
                throw new BadLine("feature index '" + indexText + "' in '" + token + "' is not an integer");
            }
            if (index < 1)
            {
                throw new BadLine("feature index " + index + " in '" + token + "': LIBSVM indices start at 1");
            }
            builder.feature((int)((index - 1) % dimension), value(token.substring(colon + 1), token));
        }
        builder.endExample(label, 1);
    }

    private static void parseVw(final String line, final int dimension, final SparseShard.Builder builder)
    {
        final int bar = line.indexOf('|');
        if (bar < 0)
        {
            throw new BadLine("no '|': a VW line is 'label [importance] [tag]|namespace feature[:value] ...'");
        }
        final String header = line.substring(0, bar).strip();
        if (header.isEmpty())
        {
            throw new BadLine("no label before the first '|'");
        }
        final String[] headerTokens = header.split("\\s+");
        final float label = binaryLabel(headerTokens[0], "1 or -1 (or 0)");
        float importance = 1;
        if (headerTokens.length > 1 && !headerTokens[1].startsWith("'"))
        {
            // "label importance [tag]" or "label tag": a second token that is no number is a tag, unless more follow
            try
            {
                importance = Float.parseFloat(headerTokens[1]);
            }
            catch (final NumberFormatException ex)
            {
                if (headerTokens.length > 2)
                {
                    throw new BadLine("importance '" + headerTokens[1] + "' is not a number");
                }
            }
            if (!(importance >= 0) || Float.isInfinite(importance))
            {
                throw new BadLine("importance " + headerTokens[1] + " must be a finite number >= 0");
            }
        }

        int from = bar;
        while (from < line.length())
        {
            int next = line.indexOf('|', from + 1);
            if (next < 0)
            {
                next = line.length();
            }
            parseNamespace(line.substring(from + 1, next), dimension, builder);
            from = next;
        }
        builder.endExample(label, importance);
    }

    private static void parseNamespace(final String section, final int dimension, final SparseShard.Builder builder)
    {
        // "|ns f1 f2" names the namespace; "| f1 f2" (a space right after the bar) is the default one
        final boolean named = !section.isEmpty() && !Character.isWhitespace(section.charAt(0));
        final String[] tokens = section.strip().split("\\s+");
        String namespace = "";
        float scale = 1;
        int first = 0;
        if (named)
        {
            final String head = tokens[0];
            final int colon = head.indexOf(':');
            namespace = colon >= 0 ? head.substring(0, colon) : head;
            if (colon >= 0)
            {
                scale = value(head.substring(colon + 1), head);
            }
            first = 1;
        }
        for (int i = first; i < tokens.length; i++)
        {
            final String token = tokens[i];
            if (token.isEmpty())
            {
                continue;
            }
            final int colon = token.lastIndexOf(':');
            final String name = colon >= 0 ? token.substring(0, colon) : token;
            if (name.isEmpty())
            {
                throw new BadLine("feature '" + token + "' has no name");
            }
            final float featureValue = colon >= 0 ? value(token.substring(colon + 1), token) : 1;
            builder.feature(vwFeature(namespace, name, dimension), scale * featureValue);
        }
    }

    /**
     * @param namespace the feature's namespace, "" for the default one.
     * @param name      the feature's name.
     * @param dimension of the model.
     * @return the feature's index: a 64-bit hash of namespace and name, modulo the dimension.
     */
    public static int vwFeature(final String namespace, final String name, final int dimension)
    {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < namespace.length(); i++)
        {
            h = (h ^ namespace.charAt(i)) * 0x100000001B3L;
        }
        h = (h ^ '^') * 0x100000001B3L;
        for (int i = 0; i < name.length(); i++)
        {
            h = (h ^ name.charAt(i)) * 0x100000001B3L;
        }
        return (int)Long.remainderUnsigned(Seeds.mix(h), dimension);
    }

    private static float binaryLabel(final String text, final String accepted)
    {
        final double label;
        try
        {
            label = Double.parseDouble(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new BadLine("label '" + text + "' is not a number; binary labels are " + accepted);
        }
        if (label == 1)
        {
            return 1;
        }
        if (label == -1 || label == 0)
        {
            return 0;
        }
        throw new BadLine("label " + text + " is not binary; use " + accepted);
    }

    private static float value(final String text, final String token)
    {
        final float value;
        try
        {
            value = Float.parseFloat(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new BadLine("value '" + text + "' in '" + token + "' is not a number");
        }
        if (!Float.isFinite(value))
        {
            throw new BadLine("value '" + text + "' in '" + token + "' is not finite");
        }
        return value;
    }

    /**
     * A line that does not parse; turned into a {@link DataFileException} with the file and line.
     */
    private static final class BadLine extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        BadLine(final String message)
        {
            super(message, null, false, false);
        }
    }
}
