package io.ringsync.cli;

import io.ringsync.collectives.Communicator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/**
 * {@code ringsync classpath}: the class path that holds ringsync and its dependencies, for
 * {@code java -cp "$(bin/ringsync classpath):my-app.jar" ...}.
 */
@Command(
    name = "classpath",
    header = "Print the class path holding ringsync, to put on your program's -cp.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Print the class path holding ringsync and its dependencies (the shaded ringsync.jar), nothing else, " +
            "so it can be used as: java -cp \"$(bin/ringsync classpath):my-trainer.jar\" MyTrainer"
    })
final class ClasspathCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    /**
     * @return 0.
     */
    public Integer call()
    {
        spec.commandLine().getOut().println(WorkerCommand.classPath(Communicator.class));
        spec.commandLine().getOut().flush();
        return Launcher.EXIT_OK;
    }
}
