package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * {@code ringsync launch --np N [--transport shm|tcp|ipc|udp] [--timeout-ms MS] -- CMD ARGS...}: run a command as
 * the N ranks of one job on this host; with {@code --hosts} or {@code --hostfile}, across hosts
 * ({@link HostsLauncher}).
 */
@Command(
    name = "launch",
    header = "Run a command as the N ranks of one job, on this host or across hosts.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Start CMD N times on this host as the ranks of one job, each with the environment " +
            "Communicator.fromEnvironment() reads, and wait for them.",
        "Each line the ranks print is prefixed with the rank, e.g. '[1] '. The job succeeds when every rank " +
            "exits with 0. When a rank fails, the others get min(timeout, 10 s) to fail on their own, then are " +
            "terminated.",
        "A plain 'java -cp ... Main' works: JDK_JAVA_OPTIONS gets the flags Agrona and the Vector API kernels need.",
        "With --hosts or --hostfile the ranks run across hosts over tcp, each started through --rsh (ssh by " +
            "default) with its environment exported on the command line, rank 0 on the first host serving the " +
            "rendezvous; the job secret travels on the remote shell's input, and every host's job directory is " +
            "removed at the end."
    },
    footer = {
        "",
        "Example:",
        "  ringsync launch --np 3 -- java -cp my-trainer.jar com.example.Trainer",
        "  ringsync launch --hosts node1:2,node2:2 -- java -cp my-trainer.jar com.example.Trainer",
        "",
        "Exit codes: 0 every rank succeeded, 1 the job failed, 2 wrong command line."
    })
final class LaunchCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--np", paramLabel = "N",
        description = "Number of ranks to start; with --hosts or --hostfile, at most their slots (default: all).")
    Integer np;

    @Option(names = "--hosts", paramLabel = "HOST[:SLOTS],...",
        description = "Run across these hosts, SLOTS ranks on each (default 1), in rank order.")
    String hosts;

    @Option(names = "--hostfile", paramLabel = "FILE",
        description = "Run across the hosts of FILE: one HOST[:SLOTS] per line, # starts a comment.")
    java.nio.file.Path hostfile;

    @Option(names = "--rsh", paramLabel = "CMD", defaultValue = HostsLauncher.RSH_DEFAULT,
        description = "Remote shell for --hosts/--hostfile, split at spaces (default: ${DEFAULT-VALUE}); it is " +
            "given the host, then one command line for sh.")
    String rsh;

    @Option(names = "--transport", paramLabel = "shm|tcp|ipc|udp", converter = Converters.Transport.class,
        description = "shm: driverless shared memory, slot rings in the job's /dev/shm directory (the default on " +
            "one host); tcp: TCP, rank 0 serving the rendezvous (the default and the only choice with --hosts); " +
            "ipc: Aeron IPC through one media driver hosted by the launcher; udp: Aeron UDP on 127.0.0.1, one " +
            "media driver per rank.")
    LaunchTransport transport;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "Deadline of each collective call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV +
            " (default: theirs, 30000).")
    Long timeoutMs;

    @Option(names = "--tolerate", paramLabel = "K",
        description = "Let the job go on when up to K ranks fail (an elastic job shrinks to the others, see " +
            "Communicator.shrink()); it succeeds when all the others exit with 0. Across hosts the launcher serves " +
            "the agreement server the survivors meet at (" + Configuration.AGREEMENT_ENV + "), so the ranks must " +
            "reach this host. A lost rank is not restarted unless --restart (default: 0, the first failure stops " +
            "the job).")
    int tolerate;

    @Option(names = "--restart", paramLabel = "N",
        description = "Start a rank that fails while others still run again, up to N times in all, as a joiner " +
            "(" + Configuration.JOIN_ENV + "=1): it rejoins the running job when the others next call " +
            "Communicator.admit(), which an elastic ModelAverager does at its sync points, and takes the model from " +
            "rank 0. Any transport on one host; across hosts (tcp) the launcher serves the agreement server where " +
            "joiners ask (" + Configuration.AGREEMENT_ENV + "), as for --tolerate (default: 0, never).")
    int restart;

    @Option(names = { "-v", "--verbose" }, description = "Print the job id and directory at start.")
    boolean verbose;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The command every rank runs, and its arguments.")
    List<String> command = new ArrayList<>();

    /**
     * @return the job's exit code.
     */
    public Integer call()
    {
        final CommandLine commandLine = spec.commandLine();
        if (null != hosts && null != hostfile)
        {
            throw new CommandLine.ParameterException(commandLine, "give --hosts or --hostfile, not both");
        }
        final boolean acrossHosts = null != hosts || null != hostfile;
        if (!acrossHosts && null == np)
        {
            throw new CommandLine.ParameterException(commandLine, "--np is required (or --hosts / --hostfile)");
        }
        if (null != np && np < 1)
        {
            throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + np);
        }
        if (null != timeoutMs && timeoutMs <= 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--timeout-ms must be positive, got " + timeoutMs);
        }
        if (tolerate < 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--tolerate must be >= 0, got " + tolerate);
        }
        if (restart < 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--restart must be >= 0, got " + restart);
        }
        if (command.isEmpty())
        {
            throw new CommandLine.ParameterException(commandLine, "no command to launch; give it after --, e.g. " +
                "ringsync launch --np 2 -- java -cp app.jar com.example.Main");
        }
        final Launcher.Builder builder = Launcher.builder()
            .command(command)
            .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
            .tolerate(tolerate)
            .restart(restart)
            .verbose(verbose)
            .sink(OutputSink.prefixed(commandLine.getOut(), commandLine.getErr()))
            .log(log(commandLine.getErr()));
        if (acrossHosts)
        {
            if (null != transport && LaunchTransport.TCP != transport)
            {
                throw new CommandLine.ParameterException(commandLine, "--transport " + transport + " cannot span " +
                    "hosts from the launcher: across hosts it starts tcp jobs");
            }
            try
            {
                HostsLauncher.configure(builder, null != hosts ? HostsLauncher.parseHosts(hosts) :
                    HostsLauncher.parseHostfile(hostfile), null == np ? 0 : np, List.of(rsh.trim().split("\\s+")),
                    System.getProperty("user.dir"));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.ParameterException(commandLine, ex.getMessage());
            }
        }
        else
        {
            builder.np(np).transport(null == transport ? LaunchTransport.SHM : transport);
        }
        final Launcher launcher;
        try
        {
            launcher = builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(commandLine, ex.getMessage());
        }
        return launcher.run();
    }

    /**
     * @param err writer.
     * @return a log writing whole lines to it.
     */
    static Consumer<String> log(final PrintWriter err)
    {
        return line ->
        {
            synchronized (err)
            {
                err.println(line);
                err.flush();
            }
        };
    }
}
