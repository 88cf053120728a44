package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.examples.AverageDemo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ringsync demo [average]}: see ringsync work in under a minute, with nothing but this checkout.
 */
@Command(
    name = "demo",
    header = "Watch N ranks average a vector, and check they agree bit for bit.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Run a small job and say what happened. 'average' (the only demo so far): N ranks, each its own JVM, " +
            "hold a float32 vector, start from rank 0's copy (broadcast), then repeatedly change their copy a " +
            "little and allReduce AVG it; rank 0 reports latency and throughput, and every rank checks that all " +
            "copies ended up bitwise identical."
    })
final class DemoCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DEMO", arity = "0..1", defaultValue = "average",
        description = "Which demo: average (default).")
    String demo;

    @Option(names = "--np", paramLabel = "N", defaultValue = "3", description = "Number of ranks (default: 3).")
    int np;

    @Option(names = "--transport", paramLabel = "ipc|udp|shm", defaultValue = Configuration.TRANSPORT_DEFAULT,
        converter = Converters.Transport.class, description = "Transport (default: shm).")
    LaunchTransport transport;

    @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1MiB", converter = Converters.Size.class,
        description = "Vector size, a multiple of 4 bytes, e.g. 64KiB (default: 1MiB = 262144 float32 values).")
    long sizeBytes;

    @Option(names = "--iters", paramLabel = "K", defaultValue = "500",
        description = "Averaging rounds (default: 500).")
    int iterations;

    @Option(names = "--timeout-ms", paramLabel = "MS",
        description = "Deadline of each call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV + ".")
    Long timeoutMs;

    /**
     * @return the job's exit code.
     */
    public Integer call()
    {
        final CommandLine commandLine = spec.commandLine();
        if (!"average".equals(demo))
        {
            throw new CommandLine.ParameterException(commandLine, "no demo called '" + demo + "'; there is: average");
        }
        if (np < 1)
        {
            throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + np);
        }
        if (sizeBytes < 4 || sizeBytes % 4 != 0 || sizeBytes / 4 > Integer.MAX_VALUE - 8)
        {
            throw new CommandLine.ParameterException(commandLine, "--size must be a positive multiple of 4 bytes " +
                "that fits one Java array, got " + sizeBytes);
        }
        if (iterations < 1)
        {
            throw new CommandLine.ParameterException(commandLine, "--iters must be at least 1, got " + iterations);
        }
        if (null != timeoutMs && timeoutMs <= 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--timeout-ms must be positive, got " + timeoutMs);
        }

        commandLine.getOut().println("ringsync demo average: starting " + np + " ranks over " + transport + " ...");
        commandLine.getOut().flush();
        return Launcher.builder()
            .np(np)
            .transport(transport)
            .command(WorkerCommand.java(AverageDemo.class,
                List.of("--size", Long.toString(sizeBytes), "--iters", Integer.toString(iterations))))
            .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
            .sink(OutputSink.prefixed(commandLine.getOut(), commandLine.getErr()))
            .log(LaunchCommand.log(commandLine.getErr()))
            .build()
            .run();
    }
}
