package io.ringsync.cli;

import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * Where the launcher delivers the output of its ranks, one whole line at a time. Lines of one stream
 * arrive in order; lines of different ranks or streams interleave as they were read. The launcher calls
 * a sink from several threads, never concurrently (it holds the sink's lock).
 */
@FunctionalInterface
public interface OutputSink
{
    /**
     * @param rank   that wrote the line.
     * @param stderr true for the rank's standard error, false for its standard output.
     * @param line   without its line terminator.
     */
    void onLine(int rank, boolean stderr, String line);

    /**
     * The launcher's default: each line goes to the matching stream, prefixed with its rank, e.g. {@code [2] }.
     *
     * @param out for the ranks' standard output.
     * @param err for the ranks' standard error.
     * @return the sink.
     */
    static OutputSink prefixed(final PrintStream out, final PrintStream err)
    {
        return (rank, stderr, line) ->
        {
            final PrintStream stream = stderr ? err : out;
            stream.println(prefix(rank) + line);
            stream.flush();
        };
    }

    /**
     * As {@link #prefixed(PrintStream, PrintStream)}, for writers.
     *
     * @param out for the ranks' standard output.
     * @param err for the ranks' standard error.
     * @return the sink.
     */
    static OutputSink prefixed(final PrintWriter out, final PrintWriter err)
    {
        return (rank, stderr, line) ->
        {
            final PrintWriter writer = stderr ? err : out;
            writer.println(prefix(rank) + line);
            writer.flush();
        };
    }

    /**
     * @param rank of the line.
     * @return {@code [rank] }.
     */
    static String prefix(final int rank)
    {
        return "[" + rank + "] ";
    }
}
