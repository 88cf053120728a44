package io.ringsync.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Follows the output of every process the job starts into the sink, and at the end waits for the rest of it, but
 * not longer than told: a process a rank started may hold its stream open.
 */
final class RankOutput
{
    private final OutputSink sink;
    private final List<OutputPump> pumps = new ArrayList<>();

    /**
     * @param sink where the ranks' output lines go.
     */
    RankOutput(final OutputSink sink)
    {
        this.sink = sink;
    }

    /**
     * Copy a rank's stdout and stderr to the sink, each on its own thread.
     *
     * @param rank     whose process it is.
     * @param process  the process.
     * @param jvmNotes lines to drop while they lead its stderr.
     */
    void follow(final int rank, final Process process, final Set<String> jvmNotes)
    {
        final OutputPump out = new OutputPump(rank, false, process.getInputStream(), sink, Set.of());
        final OutputPump err = new OutputPump(rank, true, process.getErrorStream(), sink, jvmNotes);
        synchronized (pumps)
        {
            pumps.add(out);
            pumps.add(err);
        }
        out.start();
        err.start();
    }

    /**
     * Wait for every followed stream to end, all within one deadline; returns early, with the flag set, when
     * interrupted.
     *
     * @param timeoutMs at most this long in all.
     */
    void drain(final long timeoutMs)
    {
        final List<OutputPump> all;
        synchronized (pumps)
        {
            all = new ArrayList<>(pumps);
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (final OutputPump pump : all)
        {
            try
            {
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                if (remainingMs <= 0 || !pump.join(remainingMs))
                {
                    // a process the rank started still holds the stream open: its output is not ours to wait for
                    return;
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
