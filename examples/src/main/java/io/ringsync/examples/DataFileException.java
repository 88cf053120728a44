package io.ringsync.examples;

import java.nio.file.Path;

/**
 * A data file a demo cannot use: the message names the file and line ({@code train-1.svm:17: ...}) and says
 * what was expected there.
 */
public final class DataFileException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final long line;

    /**
     * @param file   the file.
     * @param line   1-based line number, 0 when the problem is the file as a whole.
     * @param reason what is wrong.
     */
    public DataFileException(final Path file, final long line, final String reason)
    {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        this.file = file;
        this.line = line;
    }

    /**
     * @param file   the file.
     * @param reason what is wrong.
     * @param cause  the I/O failure.
     */
    public DataFileException(final Path file, final String reason, final Throwable cause)
    {
        super(file + ": " + reason, cause);
        this.file = file;
        this.line = 0;
    }

    /**
     * @return the file at fault.
     */
    public Path file()
    {
        return file;
    }

    /**
     * @return the 1-based line at fault, 0 when it is the file as a whole.
     */
    public long line()
    {
        return line;
    }
}
