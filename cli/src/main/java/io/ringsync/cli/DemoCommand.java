package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.examples.AverageDemo;
import io.ringsync.examples.KMeansDemo;
import io.ringsync.examples.SgdDemo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ringsync demo sgd|kmeans|average}: see ringsync do its job in seconds, with nothing but this checkout.
 * Each demo runs as N ranks under the launcher; its own main class (in the examples module) checks the options
 * again, so a demo also runs under {@code ringsync launch}.
 */
@Command(
    name = "demo",
    header = "Run a demo job: averaged SGD, mini-batch k-means, or plain vector averaging.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    subcommands = { DemoCommand.Sgd.class, DemoCommand.KMeans.class, DemoCommand.Average.class },
    description = {
        "Run a small job on this host and say what happened. Start with 'ringsync demo sgd'."
    },
    footer = { "", "Run 'ringsync demo DEMO --help' for a demo's options." })
final class DemoCommand implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    /**
     * No demo named: list them.
     *
     * @return {@link Launcher#EXIT_USAGE}.
     */
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().flush();
        return Launcher.EXIT_USAGE;
    }

    /**
     * What every demo takes: how many ranks, over what.
     */
    static final class JobOptions
    {
        @Spec(Spec.Target.MIXEE)
        CommandSpec mixee;

        @Option(names = "--np", paramLabel = "N", description = "Number of ranks (default: ${DEFAULT-VALUE}).")
        int np = 2;

        @Option(names = "--transport", paramLabel = "shm|tcp|ipc|udp", defaultValue = Configuration.TRANSPORT_DEFAULT,
            converter = Converters.Transport.class, description = "Transport (default: ${DEFAULT-VALUE}).")
        LaunchTransport transport;

        @Option(names = "--timeout-ms", paramLabel = "MS",
            description = "Deadline of each call, passed to the ranks as " + Configuration.TIMEOUT_MS_ENV + ".")
        Long timeoutMs;

        int launch(final String demo, final Class<?> mainClass, final List<String> args)
        {
            return launch(demo, mainClass, args, 0);
        }

        /**
         * As {@link #launch(String, Class, List)}, the job going on when up to {@code tolerate} ranks fail.
         */
        int launch(final String demo, final Class<?> mainClass, final List<String> args, final int tolerate)
        {
            return launch(demo, mainClass, args, tolerate, 0);
        }

        /**
         * As {@link #launch(String, Class, List, int)}, a rank that fails being started again up to {@code restart}
         * times, to rejoin.
         */
        int launch(final String demo, final Class<?> mainClass, final List<String> args, final int tolerate,
            final int restart)
        {
            final CommandLine commandLine = mixee.commandLine();
            if (np < 1)
            {
                throw new CommandLine.ParameterException(commandLine, "--np must be at least 1, got " + np);
            }
            if (null != timeoutMs && timeoutMs <= 0)
            {
                throw new CommandLine.ParameterException(commandLine, "--timeout-ms must be positive, got " +
                    timeoutMs);
            }
            final Launcher launcher;
            try
            {
                launcher = Launcher.builder()
                    .np(np)
                    .transport(transport)
                    .command(WorkerCommand.java(mainClass, args))
                    .timeoutMs(null == timeoutMs ? 0 : timeoutMs)
                    .tolerate(tolerate)
                    .restart(restart)
                    .sink(OutputSink.prefixed(commandLine.getOut(), commandLine.getErr()))
                    .log(LaunchCommand.log(commandLine.getErr()))
                    .build();
            }
            catch (final IllegalArgumentException ex)
            {
                throw new CommandLine.ParameterException(commandLine, ex.getMessage());
            }
            commandLine.getOut().println(mixee.qualifiedName() + ": starting " + np + " ranks over " + transport +
                " ...");
            commandLine.getOut().flush();
            return launcher.run();
        }
    }

    /**
     * Forward the options that were given, as {@code --name value}, to a demo main.
     */
    private static List<String> given(final CommandSpec spec)
    {
        final List<String> args = new ArrayList<>();
        for (final CommandLine.Model.OptionSpec option : spec.options())
        {
            final String name = option.longestName();
            if (option.group() == null && name.startsWith("--") && !option.usageHelp() && !option.versionHelp() &&
                !JOB_OPTIONS.contains(name) && null != option.getValue())
            {
                args.add(name);
                args.add(String.valueOf((Object)option.getValue()));
            }
        }
        return args;
    }

    private static final List<String> JOB_OPTIONS = List.of("--np", "--transport", "--timeout-ms");

    private static void validate(final CommandLine commandLine, final Runnable check)
    {
        try
        {
            check.run();
        }
        catch (final IllegalArgumentException ex)
        {
            // the demo's message starts with its own name, which the usage error handler prints already
            final String message = String.valueOf(ex.getMessage());
            throw new CommandLine.ParameterException(commandLine,
                message.startsWith("demo ") ? message.substring(message.indexOf(": ") + 2) : message);
        }
    }

    @Command(
        name = "sgd",
        header = "Averaged SGD: N ranks train one logistic regression, each on its own shard.",
        mixinStandardHelpOptions = true,
        versionProvider = RingsyncCommand.Version.class,
        description = {
            "Each rank trains logistic regression over hashed sparse features (a float32 model, 2^18 weights by " +
                "default) on its own shard: synthetic text generated by the rank itself (Zipf-distributed tokens, " +
                "a hidden true model, flipped labels), or its own LIBSVM/VW file. Rank 0's random init is " +
                "broadcast; every K mini-batches the ranks replace their models by the weighted average of all " +
                "models (weight = examples since the last sync). One progress line per epoch, then the check that " +
                "every rank holds the same bits, then rank 0 trains a single-process baseline on the union of all " +
                "shards and compares accuracy and time."
        },
        footer = {
            "",
            "Examples:",
            "  ringsync demo sgd",
            "  ringsync demo sgd --np 3 --mode async --sync-every 64",
            "  ringsync demo sgd --np 4 --kill-rank 2 --at-epoch 2",
            "  ringsync demo sgd --np 4 --kill-rank 2 --at-epoch 2 --restart",
            "  ringsync demo sgd --data 'data/train-{rank}.svm' --format libsvm --test data/test.svm"
        })
    static final class Sgd implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        JobOptions job;

        @Option(names = "--mode", paramLabel = "sync|async|none", description = "sync: comm.weightedAverage every " +
            "K batches (default); async: ModelAverager averages snapshots while training goes on; none: " +
            "independent models, averaged once at the end.")
        String mode;

        @Option(names = "--sync-every", paramLabel = "K", description = "Mini-batches between syncs (default: 512).")
        Integer syncEvery;

        @Option(names = "--staleness", paramLabel = "S", description = "async: steps an average may lag before " +
            "training waits for it (default: K).")
        Integer staleness;

        @Option(names = "--dim", paramLabel = "D", description = "Model dimension (default: 262144 = 2^18).")
        Integer dim;

        @Option(names = "--examples", paramLabel = "N", description = "Synthetic examples per rank (default: " +
            "400000).")
        Integer examples;

        @Option(names = "--holdout", paramLabel = "N", description = "Synthetic holdout examples (default: 5000).")
        Integer holdout;

        @Option(names = "--epochs", paramLabel = "E", description = "Passes over each shard (default: 5).")
        Integer epochs;

        @Option(names = "--batch", paramLabel = "B", description = "Mini-batch size (default: 32).")
        Integer batch;

        @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate of epoch 1, divided by " +
            "sqrt(epoch) later (default: 16; features have unit length).")
        Double lr;

        @Option(names = "--seed", paramLabel = "S", description = "Seed of the synthetic data and init (default: 42).")
        Long seed;

        @Option(names = "--vocab", paramLabel = "V", description = "Synthetic vocabulary size (default: 10000).")
        Integer vocab;

        @Option(names = "--noise", paramLabel = "P", description = "Fraction of synthetic labels flipped " +
            "(default: 0.05).")
        Double noise;

        @Option(names = "--data", paramLabel = "PATH", description = "Train on files instead: rank r reads PATH " +
            "with {rank} replaced by r.")
        String data;

        @Option(names = "--format", paramLabel = "libsvm|vw", description = "Format of --data and --test " +
            "(default: libsvm).")
        String format;

        @Option(names = "--test", paramLabel = "FILE", description = "Holdout file for --data (default: every " +
            "10th example of each shard).")
        String test;

        @Option(names = "--baseline", paramLabel = "on|off", description = "Run the single-process baseline " +
            "(default: on).")
        String baseline;

        @Option(names = "--explain", paramLabel = "on|off", description = "End with a few lines on what the " +
            "demo showed (default: on).")
        String explain;

        @Option(names = "--kill-rank", paramLabel = "R", description = "Rank R halts in the middle of epoch " +
            "--at-epoch; the others shrink to the survivors and finish (the launcher tolerates that one loss). " +
            "Without --restart the job ends with one rank fewer.")
        Integer killRank;

        @Option(names = "--at-epoch", paramLabel = "E", description = "The epoch (from 1) in which --kill-rank " +
            "halts (default: 2).")
        Integer atEpoch;

        @Option(names = "--restart", paramLabel = "N", arity = "0..1", fallbackValue = "1", description = "The " +
            "launcher starts a rank that died again (up to N times, 1 when N is not given); the new process " +
            "rejoins the job at the next sync point and takes rank 0's model. One host, any transport.")
        Integer restart;

        public Integer call()
        {
            final List<String> args = given(spec);
            validate(spec.commandLine(), () -> new SgdDemo(args.toArray(new String[0])));
            if (null != killRank && killRank >= job.np)
            {
                throw new CommandLine.ParameterException(spec.commandLine(), "--kill-rank " + killRank + " is not a " +
                    "rank of --np " + job.np);
            }
            return job.launch("sgd", SgdDemo.class, args, null == killRank ? 0 : 1, null == restart ? 0 : restart);
        }
    }

    @Command(
        name = "kmeans",
        header = "Mini-batch k-means: N ranks cluster their own points into one set of centres.",
        mixinStandardHelpOptions = true,
        versionProvider = RingsyncCommand.Version.class,
        description = {
            "Each rank runs Sculley's mini-batch k-means (per-centre counts, learning rate 1/count) on its own " +
                "points: Gaussian blobs it generates itself, or its own file (one point per line, whitespace or " +
                "comma separated). Centres start from k-means++ on rank 0's points, broadcast; every K batches ONE " +
                "allReduce(SUM) of the per-centre sums and counts brings every rank to the same centres. Then the " +
                "same-bits check and a single-process baseline on the union of all shards."
        },
        footer = {
            "",
            "Examples:",
            "  ringsync demo kmeans",
            "  ringsync demo kmeans --np 3 --k 32 --dim 8",
            "  ringsync demo kmeans --data 'points-{rank}.csv' --k 10"
        })
    static final class KMeans implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        JobOptions job;

        @Option(names = "--mode", paramLabel = "sync|none", description = "sync: one allReduce every K batches " +
            "(default); none: independent centres, combined once at the end.")
        String mode;

        @Option(names = "--k", paramLabel = "K", description = "Centres (default: 16).")
        Integer k;

        @Option(names = "--sync-every", paramLabel = "K", description = "Mini-batches between syncs (default: 16).")
        Integer syncEvery;

        @Option(names = "--dim", paramLabel = "D", description = "Synthetic point dimension (default: 16).")
        Integer dim;

        @Option(names = "--clusters", paramLabel = "C", description = "Synthetic blobs (default: the number of " +
            "centres).")
        Integer clusters;

        @Option(names = "--points", paramLabel = "N", description = "Synthetic points per rank (default: 200000).")
        Integer points;

        @Option(names = "--holdout", paramLabel = "N", description = "Synthetic holdout points (default: 5000).")
        Integer holdout;

        @Option(names = "--spread", paramLabel = "SIGMA", description = "Standard deviation of a blob (default: " +
            "1.0; centres lie in [-10, 10]^D).")
        Double spread;

        @Option(names = "--epochs", paramLabel = "E", description = "Passes over each shard (default: 3).")
        Integer epochs;

        @Option(names = "--batch", paramLabel = "B", description = "Mini-batch size (default: 256).")
        Integer batch;

        @Option(names = "--seed", paramLabel = "S", description = "Seed of the synthetic data and init (default: 42).")
        Long seed;

        @Option(names = "--data", paramLabel = "PATH", description = "Cluster files instead: rank r reads PATH " +
            "with {rank} replaced by r.")
        String data;

        @Option(names = "--test", paramLabel = "FILE", description = "Holdout file for --data (default: every " +
            "10th point of each shard).")
        String test;

        @Option(names = "--baseline", paramLabel = "on|off", description = "Run the single-process baseline " +
            "(default: on).")
        String baseline;

        @Option(names = "--explain", paramLabel = "on|off", description = "End with a few lines on what the " +
            "demo showed (default: on).")
        String explain;

        public Integer call()
        {
            final List<String> args = given(spec);
            validate(spec.commandLine(), () -> new KMeansDemo(args.toArray(new String[0])));
            return job.launch("kmeans", KMeansDemo.class, args);
        }
    }

    @Command(
        name = "average",
        header = "Watch N ranks average a vector, and check they agree bit for bit.",
        mixinStandardHelpOptions = true,
        versionProvider = RingsyncCommand.Version.class,
        description = {
            "N ranks, each its own JVM, hold a float32 vector, start from rank 0's copy (broadcast), then " +
                "repeatedly change their copy a little and allReduce AVG it; rank 0 reports latency and " +
                "throughput, and every rank checks that all copies ended up bitwise identical."
        })
    static final class Average implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Mixin
        JobOptions job;

        @Option(names = "--size", paramLabel = "BYTES", defaultValue = "1MiB", converter = Converters.Size.class,
            description = "Vector size, a multiple of 4 bytes, e.g. 64KiB (default: 1MiB = 262144 float32 values).")
        long sizeBytes;

        @Option(names = "--iters", paramLabel = "K", defaultValue = "500",
            description = "Averaging rounds (default: 500).")
        int iterations;

        Average()
        {
            job = new JobOptions();
            job.np = 3;
        }

        public Integer call()
        {
            final CommandLine commandLine = spec.commandLine();
            if (sizeBytes < 4 || sizeBytes % 4 != 0 || sizeBytes / 4 > Integer.MAX_VALUE - 8)
            {
                throw new CommandLine.ParameterException(commandLine, "--size must be a positive multiple of 4 " +
                    "bytes that fits one Java array, got " + sizeBytes);
            }
            if (iterations < 1)
            {
                throw new CommandLine.ParameterException(commandLine, "--iters must be at least 1, got " + iterations);
            }
            return job.launch("average", AverageDemo.class,
                List.of("--size", Long.toString(sizeBytes), "--iters", Integer.toString(iterations)));
        }
    }
}
