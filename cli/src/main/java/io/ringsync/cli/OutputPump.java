package io.ringsync.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Copies one stream of one rank to the sink, line by line, on its own thread. The thread blocks in read,
 * so it costs nothing while the rank is quiet, and ends at end of stream (the rank and every process that
 * inherited the stream have exited).
 */
final class OutputPump implements Runnable
{
    private final int rank;
    private final boolean stderr;
    private final InputStream input;
    private final OutputSink sink;
    private final java.util.Set<String> dropLeading;
    private final Thread thread;

    /**
     * @param rank      whose stream this is.
     * @param stderr    true for standard error.
     * @param input     the stream to drain.
     * @param sink      where lines go; calls are made holding its lock.
     * @param dropLeading lines to drop while they lead the stream (the JVM's notes about JDK_JAVA_OPTIONS and
     *                    the incubator module, which the launcher itself caused); empty for none.
     */
    OutputPump(
        final int rank,
        final boolean stderr,
        final InputStream input,
        final OutputSink sink,
        final java.util.Set<String> dropLeading)
    {
        this.rank = rank;
        this.stderr = stderr;
        this.input = input;
        this.sink = sink;
        this.dropLeading = dropLeading;
        this.thread = new Thread(this, "ringsync-rank" + rank + (stderr ? "-stderr" : "-stdout"));
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    /**
     * @param timeoutMs at most this long: a grandchild that inherited the stream may keep it open.
     * @return true when the stream was drained to its end.
     */
    boolean join(final long timeoutMs) throws InterruptedException
    {
        thread.join(timeoutMs);
        return !thread.isAlive();
    }

    /**
     * {@inheritDoc}
     */
    public void run()
    {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8)))
        {
            boolean leading = true;
            String line;
            while (null != (line = reader.readLine()))
            {
                if (leading && dropLeading.contains(line))
                {
                    continue;
                }
                leading = false;
                deliver(line);
            }
        }
        catch (final IOException ignore)
        {
            // the stream was closed under us while stopping: nothing more to copy
        }
    }

    private void deliver(final String line)
    {
        try
        {
            synchronized (sink)
            {
                sink.onLine(rank, stderr, line);
            }
        }
        catch (final RuntimeException ex)
        {
            // keep draining whatever the sink does: a rank blocked on a full pipe would look hung
            System.err.println("ringsync: output of rank " + rank + " lost: " + ex);
        }
    }
}
