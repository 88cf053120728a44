package io.ringsync.cli;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line of a rank that runs one of ringsync's own main classes ({@code bench}, {@code demo}):
 * this JVM's {@code java}, the flags Agrona needs, and a class path holding ringsync.
 */
final class WorkerCommand
{
    private WorkerCommand()
    {
    }

    /**
     * @param mainClass to run.
     * @param args      its arguments.
     * @return the command.
     */
    static List<String> java(final Class<?> mainClass, final List<String> args)
    {
        final List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(Arrays.asList(Launcher.JVM_FLAGS.split(" ")));
        command.add("-cp");
        command.add(classPath(mainClass));
        command.add(mainClass.getName());
        command.addAll(args);
        return command;
    }

    /**
     * @return the {@code java} of the running JDK, so workers run on the same version as the launcher.
     */
    static String javaExecutable()
    {
        final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        return Files.isExecutable(java) ? java.toString() : "java";
    }

    /**
     * The shaded {@code ringsync.jar} this code runs from, when it holds {@code mainClass} too; otherwise
     * (a Maven test runs from class directories) the class path of this JVM, which holds the same classes.
     *
     * @param mainClass the worker will run.
     * @return a class path of absolute entries.
     */
    static String classPath(final Class<?> mainClass)
    {
        final Path launcherJar = jarOf(WorkerCommand.class);
        if (null != launcherJar && launcherJar.equals(jarOf(mainClass)))
        {
            return launcherJar.toString();
        }
        final String classPath = System.getProperty("java.class.path");
        if (null == classPath || classPath.isBlank())
        {
            throw new IllegalStateException("cannot tell where ringsync's classes are: run it as " +
                "java -jar ringsync.jar or with them on the class path");
        }
        final List<String> entries = new ArrayList<>();
        for (final String entry : classPath.split(File.pathSeparator))
        {
            // absolute, so the workers find them whatever their working directory
            entries.add(entry.isEmpty() ? entry : Path.of(entry).toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static Path jarOf(final Class<?> type)
    {
        final CodeSource source = type.getProtectionDomain().getCodeSource();
        if (null == source || null == source.getLocation())
        {
            return null;
        }
        try
        {
            final Path location = Path.of(source.getLocation().toURI()).toAbsolutePath();
            return Files.isRegularFile(location) && location.toString().endsWith(".jar") ? location : null;
        }
        catch (final URISyntaxException | IllegalArgumentException ex)
        {
            return null;
        }
    }
}
