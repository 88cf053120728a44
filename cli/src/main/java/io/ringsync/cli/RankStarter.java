package io.ringsync.cli;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * How ranks are started somewhere else than as children with this environment: through a remote shell on other
 * hosts ({@link HostsLauncher}). The launcher still supervises the local processes (the remote shells), prefixes
 * their output and stops them; the starter builds their command lines and cleans the other hosts up.
 */
interface RankStarter
{
    /**
     * @param rank    a rank.
     * @param rankEnv every variable the launcher gives it (job, rank, JVM flags, the caller's extras).
     * @param command the user's command.
     * @return the local process that runs the rank.
     */
    ProcessBuilder processBuilder(int rank, Map<String, String> rankEnv, List<String> command);

    /**
     * @param rank a rank.
     * @return its index among the ranks of its host.
     */
    int localRank(int rank);

    /**
     * @param rank a rank.
     * @return bytes to write on the process' standard input, which then stays open until the rank is to stop,
     * or null to close it at once.
     */
    byte[] input(int rank);

    /**
     * Remove the job's files wherever the ranks ran; bounded, never throws.
     *
     * @param jobId the job's id.
     * @param log   for problems.
     */
    void cleanUp(long jobId, Consumer<String> log);
}
