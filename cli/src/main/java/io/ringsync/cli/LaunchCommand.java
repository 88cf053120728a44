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
 * {@code ringsync launch --np N [--transport ipc|udp|shm] [--timeout-ms MS] -- CMD ARGS...}: run a command as the
 * N ranks of one job on this host.
 */
@Command(
    name = "launch",
    header = "Run a command as the N ranks of one job on this host.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Start CMD N times on this host as the ranks of one job, each with the environment " +
            "Communicator.fromEnvironment() reads, and wait for them.",
        "Each line the ranks print is prefixed with the rank, e.g. '[1] '. The job succeeds when every rank " +
            "exits with 0. When a rank fails, the others get min(timeout, 10 s) to fail on their own, then are " +
            "terminated.",
        "A plain 'java -cp ... Main' works: JDK_JAVA_OPTIONS gets the flags Agrona and the Vector API kernels need."
    },
    footer = {
        "",
        "Example:",
        "  ringsync launch --np 3 -- java -cp my-trainer.jar com.example.Trainer",
        "",
        "Exit codes: 0 every rank succeeded, 1 the job failed, 2 wrong command line."
    })
final class LaunchCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Option(names = "--np", required = true, paramLabel = "N", description = "Number of ranks to start.")
    int np;

    @Option(names = "--transport", paramLabel = "ipc|udp|shm", defaultValue = Configuration.TRANSPORT_DEFAULT,
        converter = Converters.Transport.class,
        description = "shm: driverless shared memory, slot rings in the job's /dev/shm directory (default); " +
            "ipc: Aeron IPC through one media driver hosted by the launcher; udp: Aeron UDP on 127.0.0.1, one " +
            "media driver per rank.")
    LaunchTransport transport;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "Deadline of each collective call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV +
            " (default: theirs, 30000).")
    Long timeoutMs;

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
        if (np < 1)
        {
            throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + np);
        }
        if (null != timeoutMs && timeoutMs <= 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--timeout-ms must be positive, got " + timeoutMs);
        }
        if (command.isEmpty())
        {
            throw new CommandLine.ParameterException(commandLine, "no command to launch; give it after --, e.g. " +
                "ringsync launch --np 2 -- java -cp app.jar com.example.Main");
        }
        return Launcher.builder()
            .np(np)
            .transport(transport)
            .command(command)
            .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
            .verbose(verbose)
            .sink(OutputSink.prefixed(commandLine.getOut(), commandLine.getErr()))
            .log(log(commandLine.getErr()))
            .build()
            .run();
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
