package io.ringsync.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Decides what a rank's exit means for its job, and says so in the launcher's log: a rank that fails while others
 * still run is started again as a joiner while restarts remain, else its loss is tolerated while
 * {@code --tolerate} allows, else the job stops. Restarts come before tolerated losses; once the job stops, later
 * exits change nothing. It keeps the counts but neither waits for nor touches a process: the launcher carries out
 * each decision.
 */
final class ExitPolicy
{
    /**
     * What the launcher is to do about one exit.
     */
    enum Decision
    {
        /**
         * Nothing: the rank exited with 0, or the job is stopping already.
         */
        NONE,

        /**
         * Start the rank again, as a joiner of the running job.
         */
        RESTART,

        /**
         * Go on without the rank.
         */
        TOLERATE,

        /**
         * The job fails: the others get the grace period to exit on their own, then are terminated.
         */
        STOP
    }

    private final int np;
    private final int restart;
    private final int tolerate;
    private final long graceMs;
    private final Consumer<String> log;
    private final List<Integer> lost = new ArrayList<>();
    private int restarts;
    private int firstFailed = -1;
    private long graceDeadlineNs;

    /**
     * @param np       ranks in the job.
     * @param restart  restarts allowed in the whole job.
     * @param tolerate failed ranks the job may lose and go on.
     * @param graceMs  time the other ranks get to exit on their own once the job stops.
     * @param log      where the decisions are told, one line each.
     */
    ExitPolicy(final int np, final int restart, final int tolerate, final long graceMs, final Consumer<String> log)
    {
        this.np = np;
        this.restart = restart;
        this.tolerate = tolerate;
        this.graceMs = graceMs;
        this.log = log;
    }

    /**
     * @param rank    that exited.
     * @param code    its exit code.
     * @param running processes of the job still running, without this one.
     * @param alive   the ranks whose processes are alive now; asked only when the job stops.
     * @return what to do.
     */
    Decision onExit(final int rank, final int code, final int running, final Supplier<List<Integer>> alive)
    {
        if (0 == code || firstFailed >= 0)
        {
            return Decision.NONE;
        }
        if (restarts < restart && running > 0)
        {
            restarts++;
            log.accept("ringsync: rank " + rank + " exited with code " + code + "; the others go on, and it is " +
                "restarted to rejoin them (restart " + restarts + " of at most " + restart + ")");
            return Decision.RESTART;
        }
        return notRestarted(rank, code, alive);
    }

    /**
     * A rank {@link Decision#RESTART} was for could not be started again: decide as if no restart were left (the
     * restart still counts).
     *
     * @param rank  that exited.
     * @param code  its exit code.
     * @param alive the ranks whose processes are alive now; asked only when the job stops.
     * @return {@link Decision#TOLERATE} or {@link Decision#STOP}.
     */
    Decision notRestarted(final int rank, final int code, final Supplier<List<Integer>> alive)
    {
        if (lost.size() < tolerate && lost.size() + 1 < np)
        {
            lost.add(rank);
            log.accept("ringsync: rank " + rank + " exited with code " + code + "; tolerated (" + lost.size() +
                " of at most " + tolerate + " ranks lost): the others go on");
            return Decision.TOLERATE;
        }
        firstFailed = rank;
        graceDeadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
        final List<Integer> others = alive.get();
        log.accept("ringsync: rank " + rank + " exited with code " + code + (others.isEmpty() ? "" :
            "; stopping " + ranks(others) + " (" + graceMs + " ms to exit on " +
            (others.size() == 1 ? "its" : "their") + " own, then terminated)"));
        return Decision.STOP;
    }

    /**
     * @return whether a failure stopped the job.
     */
    boolean stopped()
    {
        return firstFailed >= 0;
    }

    /**
     * @return the rank whose failure stopped the job, or -1.
     */
    int firstFailed()
    {
        return firstFailed;
    }

    /**
     * @return when the grace period of the other ranks ends, in {@link System#nanoTime()}; once {@link #stopped()}.
     */
    long graceDeadlineNs()
    {
        return graceDeadlineNs;
    }

    /**
     * @return the grace period of the other ranks once the job stops.
     */
    long graceMs()
    {
        return graceMs;
    }

    /**
     * @return the restarts made so far, including any that could not start the rank.
     */
    int restarts()
    {
        return restarts;
    }

    /**
     * @return the ranks whose loss was tolerated, in order.
     */
    List<Integer> lost()
    {
        return List.copyOf(lost);
    }

    /**
     * The job ended without being stopped: name the ranks it went on without, if any.
     *
     * @param jobId of the job.
     */
    void onSucceeded(final long jobId)
    {
        if (!lost.isEmpty())
        {
            log.accept("ringsync: job " + Launcher.hex(jobId) + " finished without " + ranks(lost) +
                " (tolerated); the " + (np - lost.size()) + " other ranks exited with 0");
        }
    }

    /**
     * @param ranks some ranks.
     * @return them as the launcher's messages name them: "rank 2" or "ranks 0, 3".
     */
    static String ranks(final List<Integer> ranks)
    {
        return (ranks.size() == 1 ? "rank " : "ranks ") +
            ranks.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
