package io.ringsync.examples;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Distributed mini-batch k-means ({@link MiniBatchKMeans}): every rank clusters its own points with its own
 * working copy of the centres, and every K mini-batches ONE allReduce(SUM) of the per-centre sums and counts
 * (counts packed after the sums in the same float32 vector) brings all ranks to the same centres. Start it with
 * {@code ringsync demo kmeans}, or under {@code ringsync launch} with
 * {@code java -cp ringsync.jar io.ringsync.examples.KMeansDemo [options]}.
 * <p>
 * Data: by default Gaussian blobs ({@link GaussianBlobs}), each rank generating its own points from a stream
 * seeded by its rank, and a holdout every rank generates alike; or {@code --data PATH} with {@code {rank}}
 * (one point per line, coordinates separated by whitespace or commas), the holdout then {@code --test FILE} or
 * every 10th point of each shard. The initial centres are k-means++ on rank 0's first points, broadcast.
 * {@code --mode none} trains independent copies and combines them with one allReduce at the end. Afterwards
 * the ranks check that their centres are bitwise identical, and rank 0 runs the same algorithm alone on the
 * union of all shards (after the distributed run) to compare inertia and time.
 */
public final class KMeansDemo
{
    /**
     * Option names, all taking a value.
     */
    public static final Set<String> OPTIONS = Set.of("--mode", "--k", "--dim", "--clusters", "--points",
        "--holdout", "--epochs", "--batch", "--sync-every", "--spread", "--seed", "--data", "--test", "--baseline",
        "--explain");

    /**
     * Marks rank 0's summary line with the final holdout inertia, for tests.
     */
    public static final String INERTIA = "final holdout inertia: ";

    private static final int HOLDOUT_EVERY = 10;
    private static final int SEEDING_POINTS = 5_000;
    private static final double BOX = 10;
    private static final int WARM_UP_SYNCS = 20;

    private final String mode;
    private final int k;
    private final int dimension;
    private final int clusters;
    private final int points;
    private final int holdoutPoints;
    private final int epochs;
    private final int batch;
    private final int syncEvery;
    private final double spread;
    private final long seed;
    private final String dataPattern;
    private final String testFile;
    private final boolean baseline;
    private final boolean explain;

    /**
     * @param args the options; see {@link #OPTIONS} and {@code ringsync demo kmeans --help}.
     * @throws IllegalArgumentException when one is unknown or out of range.
     */
    public KMeansDemo(final String... args)
    {
        final DemoArgs options = new DemoArgs("demo kmeans", OPTIONS, args);
        mode = options.choice("--mode", "sync", "sync", "none");
        k = options.integer("--k", 16, 1, 1 << 16);
        dimension = options.integer("--dim", 16, 1, 1 << 16);
        clusters = options.integer("--clusters", k, 1, 1 << 16);
        points = options.integer("--points", 200_000, 1, 50_000_000);
        holdoutPoints = options.integer("--holdout", 5_000, 1, 10_000_000);
        epochs = options.integer("--epochs", 3, 1, 10_000);
        batch = options.integer("--batch", 256, 1, 1 << 20);
        syncEvery = options.integer("--sync-every", 16, 1, Integer.MAX_VALUE);
        spread = options.decimal("--spread", 1.0, 0, 1e6);
        seed = options.longValue("--seed", 42);
        dataPattern = options.string("--data", null);
        testFile = options.string("--test", null);
        baseline = options.flag("--baseline", true);
        explain = options.flag("--explain", true);
        if (null != dataPattern)
        {
            DemoSupport.shardPath(dataPattern, 0);
        }
        if ((long)k * (dimension + 1) > Integer.MAX_VALUE - 8)
        {
            throw new IllegalArgumentException("demo kmeans: --k * (--dim + 1) must fit one array");
        }
    }

    /**
     * @param args the options.
     */
    public static void main(final String[] args)
    {
        final KMeansDemo demo;
        try
        {
            demo = new KMeansDemo(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        int rank = -1;
        int exitCode;
        try
        {
            final Communicator comm = Communicator.fromEnvironment();
            rank = comm.rank();
            exitCode = demo.run(comm);
        }
        catch (final RuntimeException ex)
        {
            DemoSupport.reportFailure("kmeans", rank, ex);
            exitCode = 1;
        }
        System.exit(exitCode);
    }

    private DensePoints[] load(final int rank)
    {
        if (null == dataPattern)
        {
            final GaussianBlobs blobs = blobs();
            return new DensePoints[]{ blobs.shard(rank, points), blobs.holdout(holdoutPoints) };
        }
        final DensePoints shard = PointFiles.read(DemoSupport.shardPath(dataPattern, rank));
        if (null != testFile)
        {
            return new DensePoints[]{ shard, PointFiles.read(Path.of(testFile)) };
        }
        return shard.splitEvery(HOLDOUT_EVERY);
    }

    private GaussianBlobs blobs()
    {
        return new GaussianBlobs(seed, dimension, clusters, spread, BOX);
    }

    /**
     * The demo on the given communicator (closed on return).
     *
     * @param comm the ranks.
     * @return exit code: 0, or 1 when the ranks' centres differ.
     */
    int run(final Communicator comm)
    {
        final int rank = comm.rank();
        final int ranks = comm.size();
        final PrintStream out = System.out;
        final long startNs = System.nanoTime();
        final DensePoints train;
        final DensePoints holdout;
        final int d;
        final float[] centres;
        final float[] init;
        final double distributedSeconds;
        final double finalInertia;
        final Histogram allSyncs = DemoSupport.latencyHistogram();
        long syncs = 0;
        try (comm)
        {
            final DensePoints[] data = DemoSupport.loadReportingDataErrors(() -> load(rank));
            train = data[0];
            holdout = data[1];
            d = train.dimension();
            final double loadSeconds = (System.nanoTime() - startNs) / 1e9;

            // the ranks' files must agree on the dimension, and rank 0 needs k points to seed from
            final double[] shape = { d, -d, holdout.dimension(), -holdout.dimension(),
                (train.count() + batch - 1) / batch };
            comm.allReduce(shape, ReduceOp.MAX);
            if (shape[0] != -shape[1] || shape[2] != -shape[3] || shape[0] != shape[2])
            {
                throw new IllegalArgumentException("the ranks' points do not all have the same dimension (from " +
                    -shape[1] + " to " + shape[0] + ", holdout " + -shape[3] + " to " + shape[2] + ")");
            }
            final int steps = (int)shape[4];

            centres = new float[k * d];
            if (rank == 0)
            {
                final DensePoints sample = new DensePoints(train.data(), d, Math.min(train.count(), SEEDING_POINTS));
                if (sample.count() < k)
                {
                    throw new IllegalArgumentException("rank 0 has " + train.count() + " points, fewer than --k " + k);
                }
                System.arraycopy(MiniBatchKMeans.kMeansPlusPlus(sample, k, Seeds.stream(seed, Seeds.INIT_STREAM)), 0,
                    centres, 0, centres.length);
                out.printf(Locale.ROOT, "mini-batch k-means: %d ranks (one JVM each, over %s), %d centres in %d " +
                    "dimensions (float32), mode %s, %s.%n", ranks, comm.transportName(), k, d, mode,
                    "sync".equals(mode) ? "one allReduce(SUM) of per-centre sums and counts (" +
                    DemoSupport.size(4L * k * (d + 1)) + ") every " + syncEvery + " batches of " + batch :
                    "one allReduce at the end, batches of " + batch);
                out.printf(Locale.ROOT, "data: %s; rank 0 holds %d points, holdout %d; init: k-means++ on rank " +
                    "0's first points, broadcast.%n", null == dataPattern ? clusters + " Gaussian blobs (spread " +
                    spread + "), each rank generates its own points" : "files " + dataPattern, train.count(),
                    holdout.count());
                out.flush();
            }
            comm.broadcast(centres, 0);
            init = rank == 0 ? centres.clone() : null;

            final double[] counts = new double[k];
            final float[] working = centres.clone();
            final double[] workingCounts = new double[k];
            final float[] syncVector = new float[k * d + k];
            final int[] assignment = new int[batch];
            for (int i = 0; i < WARM_UP_SYNCS; i++)
            {
                comm.allReduce(syncVector, ReduceOp.SUM); // zeros stay zeros: warms the path, changes nothing
            }

            final Histogram epochSyncs = DemoSupport.latencyHistogram();
            long trainNs = 0;
            long seen = 0;
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                final long epochStartNs = System.nanoTime();
                double inertia = 0;
                long epochPoints = 0;
                for (int step = 0; step < steps; step++)
                {
                    final int from = Math.min(train.count(), step * batch);
                    final int to = Math.min(train.count(), from + batch);
                    inertia += MiniBatchKMeans.trainBatch(working, workingCounts, train, from, to, assignment,
                        syncVector);
                    epochPoints += to - from;
                    final boolean last = epoch == epochs - 1 && step == steps - 1;
                    if (("sync".equals(mode) && ((step + 1) % syncEvery == 0 || step == steps - 1)) ||
                        ("none".equals(mode) && last))
                    {
                        final long syncStartNs = System.nanoTime();
                        comm.allReduce(syncVector, ReduceOp.SUM);
                        final long latencyNs = System.nanoTime() - syncStartNs;
                        DemoSupport.record(epochSyncs, latencyNs);
                        DemoSupport.record(allSyncs, latencyNs);
                        syncs++;
                        MiniBatchKMeans.merge(centres, counts, syncVector, d);
                        System.arraycopy(centres, 0, working, 0, centres.length);
                        System.arraycopy(counts, 0, workingCounts, 0, k);
                        Arrays.fill(syncVector, 0);
                    }
                }
                final long epochNs = System.nanoTime() - epochStartNs;
                trainNs += epochNs;
                seen += epochPoints;
                final double holdoutInertia = MiniBatchKMeans.meanInertia(working, k, holdout);
                if (rank == 0)
                {
                    out.printf(Locale.ROOT, "epoch %d/%d: inertia %.4f per point, holdout %.4f%s, %s points/s per " +
                        "rank, %d syncs, sync latency %s%n", epoch + 1, epochs, inertia / Math.max(1, epochPoints),
                        holdoutInertia, "none".equals(mode) && epoch < epochs - 1 ? " (rank 0's own centres)" : "",
                        DemoSupport.count(epochPoints / (epochNs / 1e9)), syncs,
                        DemoSupport.percentiles(epochSyncs));
                    out.flush();
                }
                epochSyncs.reset();
            }
            distributedSeconds = trainNs / 1e9;

            final int differing = DemoSupport.ranksDifferingFromRankZero(comm, centres);
            final double[] holdoutSums = { MiniBatchKMeans.meanInertia(centres, k, holdout) * holdout.count(),
                holdout.count(), seen };
            comm.allReduce(holdoutSums, ReduceOp.SUM);
            finalInertia = holdoutSums[0] / holdoutSums[1];
            final double[] slowest = { distributedSeconds, loadSeconds };
            comm.allReduce(slowest, ReduceOp.MAX);
            if (rank == 0)
            {
                out.printf(Locale.ROOT, "distributed: %d ranks clustered %s points in %.2f s (slowest rank; data " +
                    "loading %.2f s more), %d syncs, sync latency %s.%n", ranks, DemoSupport.count(holdoutSums[2]),
                    slowest[0], slowest[1], syncs, DemoSupport.percentiles(allSyncs));
                out.printf(Locale.ROOT, "%s%.4f%s%n", INERTIA, finalInertia, null == dataPattern ?
                    String.format(Locale.ROOT, " (the true centres give %.4f)",
                    MiniBatchKMeans.meanInertia(blobs().centres(), clusters, holdout)) : "");
            }
            if (0 != differing)
            {
                System.err.printf(Locale.ROOT, "rank %d: %d rank(s) hold centres that DIFFER from rank 0's after " +
                    "the final sync: this is a bug in ringsync%n", rank, differing);
                return 1;
            }
            if (rank == 0)
            {
                out.printf(Locale.ROOT, "%s hold bitwise identical centres after the final sync (every rank " +
                    "compared its %d floats with rank 0's).%n", DemoSupport.ranks(ranks), centres.length);
                out.flush();
            }
        }
        if (rank == 0 && baseline)
        {
            baseline(ranks, init, d, holdout, finalInertia, distributedSeconds);
        }
        return 0;
    }

    private void baseline(
        final int ranks, final float[] init, final int d, final DensePoints holdout, final double distributedInertia,
        final double distributedSeconds)
    {
        final PrintStream out = System.out;
        out.printf(Locale.ROOT, "baseline: rank 0 alone now %s all %d shards and runs the same k-means on their " +
            "union (same init, batches and epochs; shards interleaved batch by batch) ...%n",
            null == dataPattern ? "generates" : "reads", ranks);
        out.flush();
        final List<DensePoints> shards = new ArrayList<>();
        final List<DensePoints> holdouts = new ArrayList<>();
        int longest = 0;
        for (int r = 0; r < ranks; r++)
        {
            final DensePoints[] data = load(r);
            shards.add(data[0]);
            holdouts.add(data[1]);
            longest = Math.max(longest, (data[0].count() + batch - 1) / batch);
        }
        final float[] centres = init.clone();
        final double[] counts = new double[k];
        final int[] assignment = new int[batch];
        final long startNs = System.nanoTime();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int step = 0; step < longest; step++)
            {
                for (final DensePoints shard : shards)
                {
                    final int from = Math.min(shard.count(), step * batch);
                    MiniBatchKMeans.trainBatch(centres, counts, shard, from, Math.min(shard.count(), from + batch),
                        assignment, null);
                }
            }
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        double inertia = MiniBatchKMeans.meanInertia(centres, k, holdout);
        if (null != dataPattern && null == testFile)
        {
            // each rank held out part of its own shard: score the union of those parts, as the ranks did
            double sum = 0;
            long count = 0;
            for (final DensePoints part : holdouts)
            {
                sum += MiniBatchKMeans.meanInertia(centres, k, part) * part.count();
                count += part.count();
            }
            inertia = sum / count;
        }
        out.printf(Locale.ROOT, "baseline: holdout inertia %.4f in %.2f s; distributed %.4f in %.2f s: speedup " +
            "%.2fx with %d ranks, inertia %+.2f%%.%n", inertia, seconds, distributedInertia, distributedSeconds,
            seconds / distributedSeconds, ranks, 100 * (distributedInertia / inertia - 1));
        if (explain)
        {
            out.println();
            out.println("What you just saw: " + ranks + " processes each ran Sculley's mini-batch k-means on their " +
                "own points (each centre moves towards its points at rate 1/count), which never left the process.");
            out.println("sync".equals(mode) ? "Every " + syncEvery + " batches one allReduce(SUM) added up every " +
                "rank's per-centre sums and counts, and every rank folded the totals into the same centres." :
                "They never synced while training: one allReduce at the end combined the sums and counts.");
            out.println("Lower inertia is better; the baseline is one process on all the data. Try --np 3, " +
                "--mode none, --k 32, or --help.");
        }
        out.flush();
    }
}
