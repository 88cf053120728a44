package io.ringsync.transport.agreement;

import java.io.Closeable;
import java.io.IOException;

/**
 * Where the ranks of a job agree when something went wrong: a map of short names to short values that every rank
 * reads and writes, with one operation that decides a race ({@link #putOnce}). The ranks of one host use their job
 * directory (files, complete or absent); ranks of several hosts use an {@link AgreementServer} that the launcher
 * serves, through an {@link AgreementClient}.
 * <p>
 * Names are at most {@link #MAX_NAME_LENGTH} characters of {@code [A-Za-z0-9._-]} with {@code /} between parts (a
 * store on files makes each part but the last a directory); values are one line of at most
 * {@link #MAX_VALUE_LENGTH} printable US-ASCII characters.
 */
public interface AgreementStore extends Closeable
{
    /**
     * Longest name accepted.
     */
    int MAX_NAME_LENGTH = 256;

    /**
     * Longest value accepted.
     */
    int MAX_VALUE_LENGTH = 16 * 1024;

    /**
     * @param name  where.
     * @param value what, replacing any earlier value; readers see the old or the new one whole.
     * @throws IOException when the store cannot be written.
     */
    void put(String name, String value) throws IOException;

    /**
     * Put {@code value} unless {@code name} has a value already: of concurrent callers, on any hosts, exactly one
     * succeeds, and what it put is what every later {@link #get} returns.
     *
     * @param name  where.
     * @param value what.
     * @return true when this call put it, false when the name was taken.
     * @throws IOException when the store cannot be written.
     */
    boolean putOnce(String name, String value) throws IOException;

    /**
     * @param name where.
     * @return the value, or null when there is none.
     * @throws IOException when the store cannot be read.
     */
    String get(String name) throws IOException;

    /**
     * @param name where.
     * @return whether it has a value; a store may answer this more cheaply than {@link #get}.
     * @throws IOException when the store cannot be read.
     */
    default boolean contains(final String name) throws IOException
    {
        return null != get(name);
    }

    /**
     * @param name a name to check.
     * @throws IllegalArgumentException naming what is wrong with it.
     */
    static void checkName(final String name)
    {
        if (null == name || name.isEmpty() || name.length() > MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException("an agreement name has 1 to " + MAX_NAME_LENGTH + " characters: " +
                (null == name ? "null" : name.length() + " given"));
        }
        for (final String part : name.split("/", -1))
        {
            if (part.isEmpty() || part.equals(".") || part.equals("..") || !part.matches("[A-Za-z0-9._-]+"))
            {
                throw new IllegalArgumentException("agreement name '" + name + "': each part between '/' is made " +
                    "of A-Z, a-z, 0-9, '.', '_' and '-' (and is neither '.' nor '..')");
            }
        }
    }

    /**
     * @param value a value to check.
     * @throws IllegalArgumentException naming what is wrong with it.
     */
    static void checkValue(final String value)
    {
        if (null == value || value.length() > MAX_VALUE_LENGTH)
        {
            throw new IllegalArgumentException("an agreement value has at most " + MAX_VALUE_LENGTH +
                " characters: " + (null == value ? "null" : value.length() + " given"));
        }
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c < 0x20 || c > 0x7E)
            {
                throw new IllegalArgumentException("an agreement value is one line of printable US-ASCII: " +
                    "character " + i + " is 0x" + Integer.toHexString(c));
            }
        }
    }
}
