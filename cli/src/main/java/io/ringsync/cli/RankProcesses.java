package io.ringsync.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The table of a job's rank processes on this host: the process that runs each rank now, the standard input kept
 * open for it, its exit code and whether the launcher stopped it. Once the job is stopping it starts no more, so no
 * process escapes the stop. Every read and write holds one lock: the supervisor, a shutdown hook and a caller of
 * {@link Launcher#exitCodes()} each see the table whole.
 */
final class RankProcesses
{
    private final int np;
    private final Process[] processes;
    private final OutputStream[] inputs;
    private final int[] exitCodes;
    private final boolean[] stoppedByLauncher;
    private boolean stopping;

    /**
     * @param np ranks in the job.
     */
    RankProcesses(final int np)
    {
        this.np = np;
        this.processes = new Process[np];
        this.inputs = new OutputStream[np];
        this.exitCodes = new int[np];
        this.stoppedByLauncher = new boolean[np];
        Arrays.fill(exitCodes, -1);
    }

    /**
     * @param rank    to start.
     * @param builder its process.
     * @param command the user's command, for the message when it cannot start.
     * @return the process, now the rank's.
     * @throws LaunchException when the job is stopping, or the process cannot start.
     */
    synchronized Process start(final int rank, final ProcessBuilder builder, final List<String> command)
        throws LaunchException
    {
        if (stopping)
        {
            throw new LaunchException("stopped while starting rank " + rank);
        }
        final Process process;
        try
        {
            process = builder.start();
        }
        catch (final IOException ex)
        {
            throw new LaunchException("cannot start rank " + rank + " as " + String.join(" ", command) + ": " +
                ex.getMessage() + "; check the command and that it is on the PATH", ex);
        }
        processes[rank] = process;
        return process;
    }

    /**
     * @param rank  a rank.
     * @param input its process' standard input, kept open until the rank is to stop.
     */
    synchronized void keepInput(final int rank, final OutputStream input)
    {
        inputs[rank] = input;
    }

    /**
     * From now on {@link #start(int, ProcessBuilder, List)} refuses.
     */
    synchronized void refuseStarts()
    {
        stopping = true;
    }

    /**
     * @param rank whose process has exited.
     * @return its exit code, now recorded.
     */
    int recordExit(final int rank)
    {
        final int code = process(rank).exitValue();
        synchronized (this)
        {
            exitCodes[rank] = code;
        }
        return code;
    }

    /**
     * Record the exit code of every rank whose process has exited and has none recorded yet.
     */
    synchronized void recordExited()
    {
        for (int rank = 0; rank < np; rank++)
        {
            if (exitCodes[rank] < 0 && null != processes[rank] && !processes[rank].isAlive())
            {
                exitCodes[rank] = processes[rank].exitValue();
            }
        }
    }

    /**
     * @return each rank's exit code, -1 for a rank that never started or exited.
     */
    synchronized int[] exitCodes()
    {
        return exitCodes.clone();
    }

    /**
     * @return the ranks whose processes are alive, in order.
     */
    synchronized List<Integer> running()
    {
        final List<Integer> alive = new ArrayList<>();
        for (int rank = 0; rank < np; rank++)
        {
            if (null != processes[rank] && processes[rank].isAlive())
            {
                alive.add(rank);
            }
        }
        return alive;
    }

    /**
     * Close the kept inputs of some ranks: a rank started through a remote shell stops when its input ends.
     *
     * @param ranks to close the inputs of.
     * @return the processes of those ranks that were started.
     */
    synchronized List<ProcessHandle> closeInputs(final List<Integer> ranks)
    {
        final List<ProcessHandle> started = new ArrayList<>();
        for (final int rank : ranks)
        {
            closeQuietly(inputs[rank]);
            inputs[rank] = null;
            if (null != processes[rank])
            {
                started.add(processes[rank].toHandle());
            }
        }
        return started;
    }

    /**
     * Close every kept input.
     */
    synchronized void closeInputs()
    {
        for (int rank = 0; rank < np; rank++)
        {
            closeQuietly(inputs[rank]);
            inputs[rank] = null;
        }
    }

    /**
     * @param ranks the launcher is about to stop.
     * @return the processes of those ranks that were started, each now marked as stopped by the launcher.
     */
    synchronized List<ProcessHandle> markStopped(final List<Integer> ranks)
    {
        final List<ProcessHandle> targets = new ArrayList<>();
        for (final int rank : ranks)
        {
            final Process process = processes[rank];
            if (null != process)
            {
                stoppedByLauncher[rank] = true;
                targets.add(process.toHandle());
            }
        }
        return targets;
    }

    /**
     * @return every rank's exit code for the log, e.g. {@code rank 0: 0, rank 1: 137 (stopped by the launcher)}.
     */
    synchronized String describeExitCodes()
    {
        final StringBuilder sb = new StringBuilder();
        for (int rank = 0; rank < np; rank++)
        {
            sb.append(rank == 0 ? "" : ", ").append("rank ").append(rank).append(": ")
                .append(exitCodes[rank] < 0 ? "still running" : Integer.toString(exitCodes[rank]))
                .append(stoppedByLauncher[rank] ? " (stopped by the launcher)" : "");
        }
        return sb.toString();
    }

    private synchronized Process process(final int rank)
    {
        return processes[rank];
    }

    private static void closeQuietly(final OutputStream input)
    {
        if (null != input)
        {
            try
            {
                input.close();
            }
            catch (final IOException ignore)
            {
                // the rank is gone already
            }
        }
    }
}
