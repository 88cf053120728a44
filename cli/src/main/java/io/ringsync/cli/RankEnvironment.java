package io.ringsync.cli;

import io.ringsync.collectives.Configuration;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Says how one rank's process is to be started: its command, working directory and variables (the job's, its own
 * rank, the JVM flags in {@code JDK_JAVA_OPTIONS}, then the caller's extras), with the variables the launcher owns
 * never inherited from this process, and which lines its JVM prints on stderr only because of the launcher. It
 * starts nothing itself.
 */
final class RankEnvironment
{
    /**
     * Variables the launcher decides; inherited values are dropped so a job never mixes two setups (e.g.
     * the Aeron directory of a standalone driver exported earlier in the user's shell).
     */
    private static final Set<String> OWNED_ENV = Set.of(
        Configuration.RANK_ENV,
        Configuration.WORLD_SIZE_ENV,
        Configuration.TRANSPORT_ENV,
        Configuration.JOB_ID_ENV,
        Configuration.JOB_DIR_ENV,
        Configuration.AERON_DIR_ENV,
        Configuration.UDP_ENDPOINTS_ENV,
        Configuration.UDP_MTU_ENV,
        Configuration.LOCAL_RANK_ENV,
        Configuration.RENDEZVOUS_ENV,
        Configuration.AGREEMENT_ENV,
        // only a rank the launcher starts again joins: one inherited from the shell would make every rank a joiner
        Configuration.JOIN_ENV);

    private final List<String> command;
    private final Map<String, String> extraEnv;
    private final File workingDirectory;
    private final RankStarter starter;
    private final String jdkOptions;

    /**
     * @param command          program and arguments every rank runs.
     * @param extraEnv         the caller's variables, set after the launcher's own.
     * @param workingDirectory of the ranks, or null for the launcher's.
     * @param starter          starts the ranks elsewhere, or null to start them here.
     */
    RankEnvironment(
        final List<String> command,
        final Map<String, String> extraEnv,
        final File workingDirectory,
        final RankStarter starter)
    {
        this.command = command;
        this.extraEnv = extraEnv;
        this.workingDirectory = workingDirectory;
        this.starter = starter;
        this.jdkOptions = withJvmFlags(null != extraEnv.get(Launcher.JDK_JAVA_OPTIONS) ?
            extraEnv.get(Launcher.JDK_JAVA_OPTIONS) : System.getenv(Launcher.JDK_JAVA_OPTIONS));
    }

    /**
     * @param rank   a rank.
     * @param jobEnv the variables common to every rank.
     * @param joiner whether the rank is started again, to join the running job.
     * @return how to start its process, with a standard input of its own (a pipe).
     */
    ProcessBuilder processBuilder(final int rank, final Map<String, String> jobEnv, final boolean joiner)
    {
        final Map<String, String> rankEnv = new LinkedHashMap<>(jobEnv);
        if (joiner)
        {
            rankEnv.put(Configuration.JOIN_ENV, "1");
        }
        rankEnv.put(Configuration.RANK_ENV, Integer.toString(rank));
        rankEnv.put(Configuration.LOCAL_RANK_ENV, Integer.toString(null == starter ? rank : starter.localRank(rank)));
        if (null == starter)
        {
            // ranks on this host watch this process, and stop when it is killed outright (SIGKILL)
            rankEnv.put(Configuration.LAUNCHER_PID_ENV, Long.toString(ProcessHandle.current().pid()));
        }
        rankEnv.putAll(extraEnv);
        rankEnv.put(Launcher.JDK_JAVA_OPTIONS, jdkOptions);
        final ProcessBuilder builder;
        if (null == starter)
        {
            builder = new ProcessBuilder(command);
            if (null != workingDirectory)
            {
                builder.directory(workingDirectory);
            }
            final Map<String, String> env = builder.environment();
            env.keySet().removeAll(OWNED_ENV);
            env.putAll(rankEnv);
        }
        else
        {
            builder = starter.processBuilder(rank, rankEnv, command);
        }
        // ranks get an empty stdin: a pipe closed right away, so a read sees end of input instead of hanging
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        return builder;
    }

    /**
     * @return program and arguments every rank runs.
     */
    List<String> command()
    {
        return command;
    }

    /**
     * Every JVM announces {@code JDK_JAVA_OPTIONS} on stderr; the launcher set it, so the note is noise to the user.
     *
     * @return the lines a rank's JVM prints first on stderr because of the launcher.
     */
    Set<String> jvmNotes()
    {
        return Set.of("NOTE: Picked up " + Launcher.JDK_JAVA_OPTIONS + ": " + jdkOptions, Launcher.INCUBATOR_WARNING);
    }

    /**
     * @param existing value of JDK_JAVA_OPTIONS, or null.
     * @return it with {@link Launcher#JVM_FLAGS} appended, unless it has them already.
     */
    static String withJvmFlags(final String existing)
    {
        if (null == existing || existing.isBlank())
        {
            return Launcher.JVM_FLAGS;
        }
        if (existing.contains(Launcher.JVM_FLAGS))
        {
            return existing;
        }
        return existing.trim() + " " + Launcher.JVM_FLAGS;
    }
}
