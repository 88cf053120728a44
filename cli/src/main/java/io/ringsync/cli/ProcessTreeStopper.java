package io.ringsync.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Ends processes together with every process they started (a rank may be a script that runs java): SIGTERM to
 * the whole tree, SIGKILL to whatever of it is left after a grace period, and never a wait longer than it was
 * given. It knows nothing of ranks or jobs; the launcher says which processes to end.
 */
final class ProcessTreeStopper
{
    private final long terminateToKillMs;
    private final long reapTimeoutMs;

    /**
     * @param terminateToKillMs time between SIGTERM and SIGKILL.
     * @param reapTimeoutMs     longest wait after SIGKILL for the killed processes to be gone.
     */
    ProcessTreeStopper(final long terminateToKillMs, final long reapTimeoutMs)
    {
        this.terminateToKillMs = terminateToKillMs;
        this.reapTimeoutMs = reapTimeoutMs;
    }

    /**
     * SIGTERM to the processes and their descendants, then SIGKILL to those left, with their own descendants, after
     * the time between the two. Blocks until they are gone or the reap timeout passes.
     *
     * @param processes to end, in order; each at most once with its descendants.
     */
    void stop(final List<ProcessHandle> processes)
    {
        final List<ProcessHandle> targets = new ArrayList<>();
        for (final ProcessHandle process : processes)
        {
            addWithDescendants(targets, process);
        }
        targets.forEach(ProcessHandle::destroy);
        awaitExit(targets, terminateToKillMs);
        final List<ProcessHandle> survivors = new ArrayList<>();
        for (final ProcessHandle target : targets)
        {
            if (target.isAlive())
            {
                addWithDescendants(survivors, target);
            }
        }
        if (!survivors.isEmpty())
        {
            survivors.forEach(ProcessHandle::destroyForcibly);
            awaitExit(survivors, reapTimeoutMs);
        }
    }

    /**
     * Wait for processes to exit, all within one deadline; returns early, with the flag set, when interrupted.
     *
     * @param targets   to wait for.
     * @param timeoutMs at most this long in all.
     */
    static void awaitExit(final List<ProcessHandle> targets, final long timeoutMs)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (final ProcessHandle target : targets)
        {
            final long remainingNs = deadlineNs - System.nanoTime();
            if (remainingNs <= 0)
            {
                return;
            }
            try
            {
                target.onExit().get(remainingNs, TimeUnit.NANOSECONDS);
            }
            catch (final TimeoutException | ExecutionException ignore)
            {
                // checked again by the caller
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void addWithDescendants(final List<ProcessHandle> targets, final ProcessHandle process)
    {
        // descendants first: once their parent is gone they can no longer be found from it
        process.descendants().filter(p -> !targets.contains(p)).forEach(targets::add);
        if (!targets.contains(process))
        {
            targets.add(process);
        }
    }
}
