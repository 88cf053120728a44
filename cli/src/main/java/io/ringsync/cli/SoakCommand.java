package io.ringsync.cli;

import io.ringsync.bench.SoakWorker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ringsync soak}: many allReduce calls in a row under the launcher ({@link SoakWorker}), watching what a long
 * job would leak: each rank's resident set, open file descriptors and live threads, and the p50 and p99 per window.
 * Exit 0 when no rank found growth and every result was exact. The defaults are the long run (10^6 calls of 4 KiB,
 * 10^4 of 1 MiB); CI runs it short.
 */
@Command(
    name = "soak",
    header = "Run many allReduce calls and check that nothing grows: memory, file descriptors, threads.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "N ranks make --small calls of --small-bytes, then --large calls of --large-bytes (float32 SUM, each result " +
            "checked), in " + SoakWorker.WINDOWS + " windows per phase. Rank 0 prints one CSV row per window: " +
            SoakWorker.HEADER + ". Every rank compares its last window with its second (the first is warm-up): " +
            "live threads must not grow, open file descriptors by at most " + SoakWorker.FD_SLACK + " (files a JVM " +
            "opens late, such as a jar), the resident set by at most " + SoakWorker.RSS_SLACK_KIB / 1024 + " MiB; " +
            "a rank that finds growth names it and the job exits 1."
    },
    footer = {
        "",
        "Examples:",
        "  ringsync soak                                   # the long run, over shm",
        "  ringsync soak --np 3 --transport tcp --small 100000 --large 1000"
    })
final class SoakCommand implements Callable<Integer>
{
    @Mixin
    DemoCommand.JobOptions job;

    @Option(names = "--small", paramLabel = "N", description = "Calls of the small size (default: ${DEFAULT-VALUE}).")
    long small = 1_000_000;

    @Option(names = "--large", paramLabel = "N", description = "Calls of the large size (default: ${DEFAULT-VALUE}).")
    long large = 10_000;

    @Option(names = "--small-bytes", paramLabel = "SIZE", defaultValue = "4KiB",
        description = "The small vector's size (default: ${DEFAULT-VALUE}).")
    String smallBytes;

    @Option(names = "--large-bytes", paramLabel = "SIZE", defaultValue = "1MiB",
        description = "The large vector's size (default: ${DEFAULT-VALUE}).")
    String largeBytes;

    @Override
    public Integer call()
    {
        final CommandLine commandLine = job.mixee.commandLine();
        final long smallSize;
        final long largeSize;
        try
        {
            smallSize = ByteSizes.parse(smallBytes);
            largeSize = ByteSizes.parse(largeBytes);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new CommandLine.ParameterException(commandLine, ex.getMessage());
        }
        for (final long size : new long[]{ smallSize, largeSize })
        {
            if (size < Float.BYTES || size > (1L << 30) || size % Float.BYTES != 0)
            {
                throw new CommandLine.ParameterException(commandLine, "a soak vector's size is a multiple of 4 " +
                    "bytes from 4 B to 1 GiB, not " + size);
            }
        }
        if (small < SoakWorker.WINDOWS && small != 0 || large < SoakWorker.WINDOWS && large != 0 || small < 0 ||
            large < 0)
        {
            throw new CommandLine.ParameterException(commandLine, "--small and --large are 0 or at least " +
                SoakWorker.WINDOWS + " (one call per window)");
        }
        return job.launch("soak", SoakWorker.class, List.of(Long.toString(small), Long.toString(large),
            Long.toString(smallSize), Long.toString(largeSize)));
    }
}
