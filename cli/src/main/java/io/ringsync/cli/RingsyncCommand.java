package io.ringsync.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code ringsync}: the command line of ringsync, run by {@code bin/ringsync}. Exit codes: 0 when the job
 * (or command) succeeded, 1 when it failed, 2 when the command line was wrong.
 */
@Command(
    name = "ringsync",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = "Average vectors across processes with a pipelined ring AllReduce over Aeron.",
    subcommands = {
        LaunchCommand.class, EnvCommand.class, DriverCommand.class, BenchCommand.class, DemoCommand.class,
        ClasspathCommand.class, StatCommand.class, SoakCommand.class },
    footer = { "", "Run 'ringsync COMMAND --help' for a command's options." })
public final class RingsyncCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    /**
     * Run a command and exit with its code.
     *
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(execute(args));
    }

    /**
     * Run a command with this process' stdout and stderr.
     *
     * @param args command line.
     * @return exit code.
     */
    public static int execute(final String... args)
    {
        return commandLine().execute(args);
    }

    /**
     * Run a command writing to the given streams (the ranks of a job launched by it write there too).
     *
     * @param out  standard output.
     * @param err  standard error.
     * @param args command line.
     * @return exit code.
     */
    public static int execute(final PrintWriter out, final PrintWriter err, final String... args)
    {
        final CommandLine commandLine = commandLine();
        commandLine.setOut(out);
        commandLine.setErr(err);
        try
        {
            return commandLine.execute(args);
        }
        finally
        {
            out.flush();
            err.flush();
        }
    }

    static CommandLine commandLine()
    {
        final CommandLine commandLine = new CommandLine(new RingsyncCommand());
        // `launch --np 2 java -cp app.jar Main` works without `--`: the command's own options are not ours
        commandLine.getSubcommands().get("launch").setStopAtPositional(true);
        commandLine.setParameterExceptionHandler(RingsyncCommand::onUsageError);
        commandLine.setExecutionExceptionHandler((ex, failed, parseResult) ->
        {
            failed.getErr().println("ringsync " + failed.getCommandName() + ": " +
                (null == ex.getMessage() ? ex.toString() : ex.getMessage()));
            failed.getErr().flush();
            return Launcher.EXIT_FAILED;
        });
        return commandLine;
    }

    /**
     * A short message beats a page of usage: say what was wrong and where the help is.
     */
    private static int onUsageError(final CommandLine.ParameterException ex, final String[] args)
    {
        final CommandLine failed = ex.getCommandLine();
        final PrintWriter err = failed.getErr();
        final String name = failed.getCommandSpec().qualifiedName();
        err.println(name + ": " + ex.getMessage());
        err.println("Run '" + name + " --help' for usage.");
        err.flush();
        return Launcher.EXIT_USAGE;
    }

    /**
     * No command: show what there is.
     *
     * @return {@link Launcher#EXIT_USAGE}.
     */
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Launcher.EXIT_USAGE;
    }

    /**
     * The version Maven recorded in the jar; "development build" when running from class directories.
     */
    static final class Version implements CommandLine.IVersionProvider
    {
        public String[] getVersion()
        {
            String version = "development build";
            try (InputStream in = RingsyncCommand.class.getResourceAsStream(
                "/META-INF/maven/io.ringsync/ringsync-cli/pom.properties"))
            {
                if (null != in)
                {
                    final Properties properties = new Properties();
                    properties.load(in);
                    version = properties.getProperty("version", version);
                }
            }
            catch (final Exception ignore)
            {
                // keep the fallback
            }
            return new String[]{ "ringsync " + version, "JVM: " + System.getProperty("java.vm.name") + " " +
                System.getProperty("java.runtime.version") };
        }
    }
}
