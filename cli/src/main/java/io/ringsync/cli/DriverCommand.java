package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.transport.aeron.MediaDriverHost;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code ringsync driver [--dir D] [--transport ipc|udp]}: a standalone media driver for ranks started some
 * other way than {@code ringsync launch}, until Ctrl-C.
 */
@Command(
    name = "driver",
    header = "Run a standalone media driver for ranks started another way.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Run a standalone Aeron media driver until Ctrl-C, for ranks started some other way than 'ringsync " +
            "launch' (by hand, by a scheduler). Prints the line to export so the ranks use it, and removes its " +
            "directory on exit."
    },
    footer = {
        "",
        "Then start each rank with the printed " + Configuration.AERON_DIR_ENV + " plus " + Configuration.TRANSPORT_ENV +
            ", " + Configuration.RANK_ENV + ", " + Configuration.WORLD_SIZE_ENV + " and the same " +
            Configuration.JOB_ID_ENV + " on every rank."
    })
final class DriverCommand implements Callable<Integer>
{
    private static final long STOP_TIMEOUT_MS = 10_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "D",
        description = "Aeron directory to create (default: a new directory under /dev/shm).")
    File dir;

    @Option(names = "--transport", paramLabel = "ipc|udp", defaultValue = "ipc",
        converter = Converters.Transport.class, description = "What the ranks will use (default: ipc).")
    LaunchTransport transport;

    /**
     * @return 0 once stopped.
     * @throws Exception when the driver cannot start.
     */
    public Integer call() throws Exception
    {
        final CommandLine commandLine = spec.commandLine();
        if (transport == LaunchTransport.SHM)
        {
            throw new CommandLine.ParameterException(commandLine, "shm needs no media driver: its ranks share " +
                "memory directly; run a driver only for ipc or udp");
        }
        final PrintWriter out = commandLine.getOut();
        final PrintWriter err = commandLine.getErr();
        final Path root = JobDirectory.defaultRoot();
        JobDirectory.removeStale(root, LaunchCommand.log(err));

        final Path removeOnExit;
        final File aeronDir;
        if (null == dir)
        {
            final SecureRandom random = new SecureRandom();
            removeOnExit = JobDirectory.create(root, random.nextLong() | 1L);
            aeronDir = removeOnExit.resolve("aeron").toFile();
        }
        else
        {
            aeronDir = dir.getAbsoluteFile();
            if (isForeign(aeronDir.toPath()))
            {
                throw new CommandLine.ParameterException(commandLine, aeronDir + " exists and is not an Aeron " +
                    "directory; it would be deleted on exit, so give a new path or an old Aeron directory");
            }
            removeOnExit = aeronDir.toPath();
        }

        final MediaDriverHost driver;
        try
        {
            driver = MediaDriverHost.launch(aeronDir, transport.media(), Configuration.TERM_LENGTH_DEFAULT);
        }
        catch (final RuntimeException ex)
        {
            if (null == dir)
            {
                JobDirectory.deleteQuietly(removeOnExit);
            }
            throw ex;
        }

        // the JVM runs shutdown hooks on Ctrl-C and SIGTERM: this one wakes the main thread below and lets it
        // close the driver and remove the directory before the JVM goes
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch stopped = new CountDownLatch(1);
        final Thread hook = new Thread(() ->
        {
            stop.countDown();
            try
            {
                stopped.await(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }, "ringsync-driver-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        err.println("ringsync: media driver for " + transport + " running in " + aeronDir + "; Ctrl-C stops it " +
            "and removes the directory. Point the ranks at it with:");
        err.flush();
        out.println("export " + Configuration.AERON_DIR_ENV + "=" + aeronDir);
        out.flush();
        try
        {
            stop.await();
        }
        finally
        {
            driver.close();
            JobDirectory.deleteQuietly(removeOnExit);
            err.println("ringsync: media driver stopped, " + removeOnExit + " removed");
            err.flush();
            stopped.countDown();
        }
        return Launcher.EXIT_OK;
    }

    /**
     * @return true when the path holds something other than an Aeron directory, which must not be deleted.
     */
    private static boolean isForeign(final Path path) throws IOException
    {
        if (!Files.exists(path))
        {
            return false;
        }
        if (!Files.isDirectory(path))
        {
            return true;
        }
        try (Stream<Path> entries = Files.list(path))
        {
            return entries.findAny().isPresent() && !Files.exists(path.resolve("cnc.dat"));
        }
    }
}
