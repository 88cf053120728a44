package io.ringsync.examples;

import io.ringsync.collectives.CollectiveTimeoutException;
import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ConfigurationException;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.ModelAverager;
import io.ringsync.collectives.PeerFailedException;
import io.ringsync.collectives.ReduceOp;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Averaged SGD: every rank trains a logistic regression over hashed sparse features on its own shard, with its
 * own float32 copy of the model, and every K mini-batches the copies are replaced by their weighted average
 * (weight: examples seen since the last sync). Start it with {@code ringsync demo sgd}, or under
 * {@code ringsync launch} with {@code java -cp ringsync.jar io.ringsync.examples.SgdDemo [options]}.
 * <ul>
 *     <li>Data: each rank generates or reads only its own shard. By default synthetic documents (see
 *     {@link SyntheticText}) from a stream seeded by the rank, and a holdout set every rank generates alike;
 *     or {@code --data PATH} with {@code {rank}} in it, in LIBSVM or VW text ({@code --format}); the holdout is
 *     then {@code --test FILE}, or every 10th example of each shard.</li>
 *     <li>Model: rank 0 draws a small random init and broadcasts it, so all ranks start alike.</li>
 *     <li>{@code --mode sync}: {@code comm.weightedAverage(model, examplesSinceSync)} every K batches (and at the
 *     end of every epoch); {@code async}: a {@link ModelAverager} averages snapshots in the background while
 *     training goes on; {@code none}: independent models, averaged once at the end.</li>
 *     <li>Ranks may hold shards of different lengths: every rank runs as many steps per epoch as the longest
 *     shard needs, and a rank out of data contributes weight 0.</li>
 *     <li>After the final sync the ranks check that their models are bitwise identical; then rank 0 trains the
 *     same model in this one process on the union of all shards (it generates or reads them all, after the
 *     distributed run and after closing the communicator) and compares accuracy and time.</li>
 * </ul>
 */
public final class SgdDemo
{
    /**
     * Option names, all taking a value.
     */
    public static final Set<String> OPTIONS = Set.of("--mode", "--dim", "--examples", "--holdout", "--epochs",
        "--batch", "--sync-every", "--staleness", "--lr", "--seed", "--vocab", "--noise", "--data", "--format", "--test",
        "--baseline", "--explain", "--kill-rank", "--at-epoch", "--restart");

    /**
     * Marks rank 0's summary line with the final holdout accuracy, for tests.
     */
    public static final String ACCURACY = "final holdout accuracy: ";

    private static final int HOLDOUT_EVERY = 10;
    private static final int MIN_TOKENS = 20;
    private static final int MAX_TOKENS = 60;
    private static final int WARM_UP_EXAMPLES = 20_000;
    private static final int WARM_UP_SYNCS = 20;
    private static final long RESTART_WAIT_MS = 30_000;

    private final String mode;
    private final int dimension;
    private final int examples;
    private final int holdoutExamples;
    private final int epochs;
    private final int batch;
    private final int syncEvery;
    private final int staleness;
    private final float learningRate;
    private final long seed;
    private final int vocabulary;
    private final double noise;
    private final String dataPattern;
    private final SparseFormats.Format format;
    private final String testFile;
    private final boolean baseline;
    private final boolean explain;
    private final int killRank;
    private final int atEpoch;
    private final int restart;

    /**
     * @param args the options; see {@link #OPTIONS} and {@code ringsync demo sgd --help}.
     * @throws IllegalArgumentException when one is unknown or out of range.
     */
    public SgdDemo(final String... args)
    {
        final DemoArgs options = new DemoArgs("demo sgd", OPTIONS, args);
        mode = options.choice("--mode", "sync", "sync", "async", "none");
        dimension = options.integer("--dim", 1 << 18, 1, 1 << 28);
        examples = options.integer("--examples", 400_000, 1, 50_000_000);
        holdoutExamples = options.integer("--holdout", 5_000, 1, 10_000_000);
        epochs = options.integer("--epochs", 5, 1, 10_000);
        batch = options.integer("--batch", 32, 1, 1 << 20);
        syncEvery = options.integer("--sync-every", 512, 1, Integer.MAX_VALUE);
        staleness = options.integer("--staleness", syncEvery, 0, Integer.MAX_VALUE);
        learningRate = (float)options.decimal("--lr", 16, 1e-9, 1e6);
        seed = options.longValue("--seed", 42);
        vocabulary = options.integer("--vocab", 10_000, 1, 1 << 28);
        noise = options.decimal("--noise", 0.05, 0, 0.49);
        dataPattern = options.string("--data", null);
        format = SparseFormats.Format.parse(options.string("--format", "libsvm"));
        testFile = options.string("--test", null);
        baseline = options.flag("--baseline", true);
        explain = options.flag("--explain", true);
        killRank = options.integer("--kill-rank", -1, 0, Integer.MAX_VALUE);
        atEpoch = options.integer("--at-epoch", 2, 1, epochs);
        restart = options.integer("--restart", 0, 0, 1_000);
        if (restart > 0 && "none".equals(mode))
        {
            throw new IllegalArgumentException("demo sgd: --restart needs --mode sync or async (with none the " +
                "ranks make no call until the end, so a restarted rank has nothing to rejoin)");
        }
        if (killRank >= 0 && "none".equals(mode))
        {
            throw new IllegalArgumentException("demo sgd: --kill-rank needs --mode sync or async (with none the " +
                "ranks make no call until the end)");
        }
        if (null != dataPattern)
        {
            DemoSupport.shardPath(dataPattern, 0);
        }
    }

    /**
     * @param args the options.
     */
    public static void main(final String[] args)
    {
        final SgdDemo demo;
        try
        {
            demo = new SgdDemo(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println(ex.getMessage());
            System.exit(2);
            return;
        }
        System.exit(demo.run());
    }

    /**
     * Run on the ranks of {@link Communicator#fromEnvironment()}.
     *
     * @return exit code: 0, or 1 when the ranks' models differ or something failed.
     */
    public int run()
    {
        int rank = -1;
        try
        {
            // a restarted rank loads its shard before it asks to join: the members wait for it only to hand over
            final SparseShard[] preloaded = Configuration.joins(System.getenv()) ?
                DemoSupport.loadReportingDataErrors(() -> load(Context.fromEnvironment(System.getenv()).rank())) : null;
            final Communicator comm = Communicator.fromEnvironment();
            rank = comm.rank();
            return run(comm, preloaded);
        }
        catch (final RuntimeException ex)
        {
            DemoSupport.reportFailure("sgd", rank, ex);
            return 1;
        }
    }

    /**
     * After a lost rank: the survivors shrank to {@code comm}; its rank 0 says so.
     */
    private static void reportShrink(
        final Communicator failed, final Communicator comm, final int epoch, final RuntimeException lost)
    {
        if (comm.rank() == 0)
        {
            final StringBuilder gone = new StringBuilder();
            for (int r = 0, kept = 0; r < failed.size(); r++)
            {
                if (kept < comm.size() && comm.jobRank(kept) == failed.jobRank(r))
                {
                    kept++;
                }
                else
                {
                    gone.append(gone.length() == 0 ? "" : ",").append(failed.jobRank(r));
                }
            }
            System.out.printf(Locale.ROOT, "epoch %d: lost job rank %s%s; the survivors shrank from %d to %d ranks " +
                "(job ranks %s) and go on%n", epoch, gone, null == lost ? "" : " (" + lost.getClass().getSimpleName() +
                ")", failed.size(), comm.size(), jobRanks(comm));
            System.out.flush();
        }
    }

    /**
     * After the members admitted {@code count} joiners, the last ranks of {@code comm}; its rank 0 says so.
     */
    private static void reportRejoin(final Communicator comm, final int count, final int epoch)
    {
        if (comm.rank() == 0)
        {
            final StringBuilder joined = new StringBuilder();
            for (int r = comm.size() - count; r < comm.size(); r++)
            {
                joined.append(joined.length() == 0 ? "" : ",").append(comm.jobRank(r));
            }
            System.out.printf(Locale.ROOT, "epoch %d: job rank %s rejoined (a restarted process, admitted at a sync " +
                "point, takes rank 0's model); the group grew from %d to %d ranks (job ranks %s)%n", epoch, joined,
                comm.size() - count, comm.size(), jobRanks(comm));
            System.out.flush();
        }
    }

    private static String jobRanks(final Communicator comm)
    {
        final StringBuilder sb = new StringBuilder();
        for (int r = 0; r < comm.size(); r++)
        {
            sb.append(r == 0 ? "" : ",").append(comm.jobRank(r));
        }
        return sb.toString();
    }

    private SparseShard[] load(final int rank)
    {
        if (null == dataPattern)
        {
            final SyntheticText text = synthetic();
            return new SparseShard[]{ text.shard(rank, examples), text.holdout(holdoutExamples) };
        }
        final SparseShard shard = SparseFormats.read(DemoSupport.shardPath(dataPattern, rank), format, dimension);
        if (null != testFile)
        {
            return new SparseShard[]{ shard, SparseFormats.read(java.nio.file.Path.of(testFile), format, dimension) };
        }
        return shard.splitEvery(HOLDOUT_EVERY);
    }

    private SyntheticText synthetic()
    {
        return new SyntheticText(seed, dimension, vocabulary, 1.0, MIN_TOKENS, MAX_TOKENS, noise);
    }

    /**
     * The demo on the given communicator (closed on return).
     */
    int run(final Communicator initial)
    {
        return run(initial, null);
    }

    /**
     * The demo on the given communicator (closed on return), with this rank's data loaded already (a joiner) or
     * not (null).
     */
    private int run(final Communicator initial, final SparseShard[] preloaded)
    {
        Communicator comm = initial;
        final int rank = comm.rank();
        final int ranks = comm.size();
        final boolean joiner = comm.joined();
        final boolean elastic = killRank >= 0 || restart > 0;
        final PrintStream out = System.out;
        final boolean sharedHoldout = null == dataPattern || null != testFile;
        final SparseShard train;
        final SparseShard holdout;
        final float[] init;
        final float[] model = new float[dimension];
        final long runStartNs = System.nanoTime();
        final double distributedSeconds;
        final double loadSeconds;
        final double finalAccuracy;
        final double independentAccuracy;
        final long totalExamples;
        final int differing;
        final Histogram allSyncs = DemoSupport.latencyHistogram();
        long syncs = 0;
        String asyncNote = "";
        boolean firstSurvivor = false;
        try
        {
            final SparseShard[] data = null != preloaded ? preloaded :
                DemoSupport.loadReportingDataErrors(() -> load(rank));
            train = data[0];
            holdout = data[1];
            loadSeconds = (System.nanoTime() - runStartNs) / 1e9;

            // one common start: rank 0 draws it, everyone takes rank 0's (a joiner takes the model of now, below)
            if (rank == 0 && !joiner)
            {
                final SplittableRandom random = new SplittableRandom(Seeds.stream(seed, Seeds.INIT_STREAM));
                for (int i = 0; i < dimension; i++)
                {
                    model[i] = (float)(0.01 * random.nextGaussian());
                }
            }
            if (!joiner)
            {
                comm.broadcast(model, 0);
            }
            init = joiner ? null : model.clone();

            // ranks must make the same calls: every rank runs as many steps as the longest shard needs
            final double[] longest = { (train.size() + batch - 1) / batch };
            if (!joiner)
            {
                comm.allReduce(longest, ReduceOp.MAX);
            }

            if (rank == 0 && !joiner)
            {
                out.printf(Locale.ROOT, "averaged SGD: %d ranks (one JVM each, over %s), logistic regression on " +
                    "%s hashed features (float32 model, %s), mode %s, %s.%n", ranks, comm.transportName(),
                    DemoSupport.count(dimension), DemoSupport.size(4L * dimension), mode, syncDescription());
                out.printf(Locale.ROOT, "data: %s; rank 0 holds %d training examples (%d features), holdout %d%s.%n",
                    null == dataPattern ? "synthetic text (Zipf tokens, hidden model, " + Math.round(noise * 100) +
                    "% labels flipped), each rank generates its own shard" : format.name().toLowerCase(Locale.ROOT) +
                    " files " + dataPattern, train.size(), train.nonZeros(), holdout.size(),
                    sharedHoldout ? "" : " (every " + HOLDOUT_EVERY + "th example of its shard)");
                out.flush();
            }

            final float[] scratch = new float[batch];
            if (!joiner)
            {
                warmUp(comm, train, scratch);
            }
            // a joiner's averager takes the members' model and step count as they hand them over
            final ModelAverager averager = "async".equals(mode) ?
                new ModelAverager(comm, model, syncEvery, staleness).elastic(elastic).admitEvery(restart > 0 ? 1 : 0) :
                null;
            // where the job is: {epoch, step, syncIndex, syncs, steps}, handed to joiners after each growth
            final double[] position = { 0, -1, 0, 0, longest[0] };
            if (joiner)
            {
                comm.broadcast(position, 0);
                if (null == averager)
                {
                    comm.broadcast(model, 0);
                }
                out.printf(Locale.ROOT, "rank %d: rejoined the job as job rank %d, rank %d of %d, in epoch %d after " +
                    "step %d%n", comm.jobRank(rank), comm.jobRank(rank), rank, comm.size(), (int)position[0] + 1,
                    (int)position[1]);
                out.flush();
            }
            final int steps = (int)position[4];
            int shrinksSeen = 0;
            int joinedSeen = 0;
            final int startEpoch = (int)position[0];
            long syncIndex = (long)position[2];
            syncs = (long)position[3];
            // a call that fails leaves its vector partly reduced: an elastic run keeps the model to redo it from
            final float[] beforeSync = elastic && "sync".equals(mode) ? new float[dimension] : null;
            final Histogram epochSyncs = DemoSupport.latencyHistogram();
            long examplesSeen = 0;
            double sinceSync = 0;
            long trainNs = 0;
            long pendingStartNs = 0;
            long merges = 0;
            for (int epoch = startEpoch; epoch < epochs; epoch++)
            {
                final float rate = (float)(learningRate / Math.sqrt(1 + epoch));
                final long epochStartNs = System.nanoTime();
                double loss = 0;
                long epochExamples = 0;
                for (int step = epoch == startEpoch ? (int)position[1] + 1 : 0; step < steps; step++)
                {
                    if (rank == killRank && !joiner && epoch + 1 == atEpoch && step == steps / 2)
                    {
                        out.printf(Locale.ROOT, "rank %d: --kill-rank: halting now, in epoch %d (step %d of %d)%n",
                            rank, epoch + 1, step, steps);
                        out.flush();
                        Runtime.getRuntime().halt(3);
                    }
                    final int from = Math.min(train.size(), step * batch);
                    final int to = Math.min(train.size(), from + batch);
                    loss += LogisticSgd.trainBatch(model, train, from, to, rate, scratch);
                    epochExamples += to - from;
                    sinceSync += to - from;
                    if ("sync".equals(mode) && ((step + 1) % syncEvery == 0 || step == steps - 1))
                    {
                        final long startNs = System.nanoTime();
                        syncIndex++;
                        boolean admitNow = restart > 0;
                        if (null != beforeSync)
                        {
                            System.arraycopy(model, 0, beforeSync, 0, dimension);
                        }
                        while (true)
                        {
                            try
                            {
                                comm.weightedAverage(model, sinceSync);
                                break;
                            }
                            catch (final PeerFailedException | CollectiveTimeoutException lost)
                            {
                                if (!elastic)
                                {
                                    throw lost;
                                }
                                // the blocking pattern of ModelAverager's javadoc: shrink, agree on the lost sync
                                System.arraycopy(beforeSync, 0, model, 0, dimension);
                                final Communicator failed = comm;
                                comm = failed.shrink();
                                failed.close();
                                reportShrink(failed, comm, epoch + 1, lost);
                                final double[] lostSync = { syncIndex };
                                comm.allReduce(lostSync, ReduceOp.MAX);
                                if (lostSync[0] != syncIndex)
                                {
                                    // the others lost the next sync: this one pairs with their redo, which no admit
                                    // precedes
                                    admitNow = false;
                                    break;
                                }
                            }
                        }
                        final long latencyNs = System.nanoTime() - startNs;
                        DemoSupport.record(epochSyncs, latencyNs);
                        DemoSupport.record(allSyncs, latencyNs);
                        sinceSync = 0;
                        syncs++;
                        if (admitNow)
                        {
                            // a sync point: every model is the same now, the moment to take joiners in
                            comm = admitAtSyncPoint(comm, model, position, epoch, step, syncIndex, syncs, epoch + 1);
                        }
                    }
                    else if (null != averager)
                    {
                        // latency of an async average: from its snapshot to the step that merged it
                        final long beforeNs = System.nanoTime();
                        final boolean pending = averager.inFlight();
                        averager.step(to - from);
                        final long afterNs = System.nanoTime();
                        if (averager.merges() != merges)
                        {
                            merges = averager.merges();
                            final long latencyNs = afterNs - (pending ? pendingStartNs : beforeNs);
                            DemoSupport.record(epochSyncs, latencyNs);
                            DemoSupport.record(allSyncs, latencyNs);
                        }
                        if (averager.inFlight() && averager.syncs() != syncs)
                        {
                            pendingStartNs = afterNs;
                        }
                        syncs = averager.syncs();
                        if (averager.communicator() != comm)
                        {
                            final Communicator before = comm;
                            comm = averager.communicator();
                            if (averager.shrinks() != shrinksSeen)
                            {
                                shrinksSeen = averager.shrinks();
                                reportShrink(before, comm, epoch + 1, null);
                            }
                            if (averager.joinedRanks() != joinedSeen)
                            {
                                // the averager admitted joiners and handed them the model: tell them where we are
                                reportRejoin(comm, averager.joinedRanks() - joinedSeen, epoch + 1);
                                joinedSeen = averager.joinedRanks();
                                handOver(comm, position, epoch, step, syncIndex, syncs);
                            }
                        }
                    }
                }
                final long epochNs = System.nanoTime() - epochStartNs;
                trainNs += epochNs;
                examplesSeen += epochExamples;
                // every rank evaluates (cheap), so no rank lags the others by the evaluation
                final double accuracy = LogisticSgd.accuracy(model, holdout);
                if (comm.rank() == 0)
                {
                    out.printf(Locale.ROOT, "epoch %d/%d: loss %.4f, holdout accuracy %.2f%%%s, %s examples/s per " +
                        "rank, %d syncs, sync latency %s%n", epoch + 1, epochs, loss / Math.max(1, epochExamples),
                        100 * accuracy, "none".equals(mode) ? " (rank 0's own model)" : "",
                        DemoSupport.count(epochExamples / (epochNs / 1e9)), syncs,
                        "none".equals(mode) ? "-" : DemoSupport.percentiles(epochSyncs));
                    out.flush();
                }
                epochSyncs.reset();
            }

            // a rank restarted late (its JVM starts and loads its shard while the others train) may still be on its
            // way: the survivors wait for it at the end, up to RESTART_WAIT_MS, deciding together when to give up
            if (restart > 0 && comm.size() < ranks && !joiner)
            {
                if (comm.rank() == 0)
                {
                    out.printf(Locale.ROOT, "training done with %d of %d ranks; waiting up to %d s for the restarted " +
                        "rank to rejoin before the final sync%n", comm.size(), ranks, RESTART_WAIT_MS / 1000);
                    out.flush();
                }
                final long waitEndNs = System.nanoTime() + RESTART_WAIT_MS * 1_000_000L;
                while (comm.size() < ranks)
                {
                    final double[] giveUp = { System.nanoTime() - waitEndNs >= 0 ? 1 : 0 };
                    comm.allReduce(giveUp, ReduceOp.MAX);
                    if (giveUp[0] > 0)
                    {
                        break;
                    }
                    if (null != averager)
                    {
                        // steps without examples reach the averager's sync points, where it admits
                        averager.step(0);
                        comm = averager.communicator();
                        if (averager.joinedRanks() != joinedSeen)
                        {
                            reportRejoin(comm, averager.joinedRanks() - joinedSeen, epochs);
                            joinedSeen = averager.joinedRanks();
                            handOver(comm, position, epochs - 1, steps - 1, syncIndex, syncs);
                        }
                    }
                    else
                    {
                        comm = admitAtSyncPoint(comm, model, position, epochs - 1, steps - 1, syncIndex, syncs, epochs);
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
                }
            }

            // only the mode without syncs reports it: the others go straight to their final average, where an
            // elastic run learns of a rank lost late in the last epoch
            independentAccuracy = "none".equals(mode) ? accuracyOverRanks(comm, model, holdout) : Double.NaN;
            final long finalSyncStartNs = System.nanoTime();
            if (null != averager)
            {
                averager.finish();
                syncs = averager.syncs();
                if (averager.communicator() != comm)
                {
                    final Communicator failed = comm;
                    comm = averager.communicator();
                    reportShrink(failed, comm, epochs, null);
                }
                asyncNote = String.format(Locale.ROOT, "; async: %d averages merged, max staleness %d steps, " +
                    "trainer waited %s in all", averager.merges(), averager.maxStalenessSeen(),
                    DemoSupport.millis(averager.waitNanos()));
            }
            else if ("none".equals(mode))
            {
                // one-shot averaging of the independent models, weighted by the examples each saw
                comm.weightedAverage(model, examplesSeen);
                syncs++;
            }
            trainNs += System.nanoTime() - finalSyncStartNs;
            distributedSeconds = trainNs / 1e9;

            differing = DemoSupport.ranksDifferingFromRankZero(comm, model);
            firstSurvivor = comm.rank() == 0;
            finalAccuracy = accuracyOverRanks(comm, model, holdout);
            final double[] sums = { examplesSeen };
            comm.allReduce(sums, ReduceOp.SUM);
            totalExamples = (long)sums[0];
            final double[] slowest = { distributedSeconds, loadSeconds };
            comm.allReduce(slowest, ReduceOp.MAX);
            if (comm.rank() == 0)
            {
                out.printf(Locale.ROOT, "distributed: %d ranks trained on %s examples in %.2f s (slowest rank; data " +
                    "loading %.2f s more), %s syncs, sync latency %s%s.%n", comm.size(),
                    DemoSupport.count(totalExamples),
                    slowest[0], slowest[1], syncs, DemoSupport.percentiles(allSyncs), asyncNote);
                if ("none".equals(mode))
                {
                    out.printf(Locale.ROOT, "independent models (before the one final average): holdout accuracy " +
                        "%.2f%% (mean over ranks)%n", 100 * independentAccuracy);
                }
                out.printf(Locale.ROOT, "%s%.2f%%%n", ACCURACY, 100 * finalAccuracy);
            }
            if (0 != differing)
            {
                System.err.printf(Locale.ROOT, "rank %d: %d rank(s) hold a model that DIFFERS from rank 0's after " +
                    "the final sync: this is a bug in ringsync%n", rank, differing);
                return 1;
            }
            if (comm.rank() == 0)
            {
                out.printf(Locale.ROOT, "%s hold bitwise identical models after the final sync (every rank " +
                    "compared its %d floats with rank 0's).%n", DemoSupport.ranks(comm.size()), dimension);
                out.flush();
            }
        }
        finally
        {
            comm.close();
            initial.close();
        }
        if (firstSurvivor && baseline && null != init)
        {
            baseline(ranks, init, holdout, finalAccuracy, distributedSeconds);
        }
        return 0;
    }

    /**
     * At a sync point (every rank's model the same): take in the ranks waiting to rejoin and hand them the job's
     * position and rank 0's model. A grown group that does not connect (a joiner died or stalled before it connected)
     * leaves the members' communicator working: it is kept. A member lost in the admit or the hand-over makes the
     * survivors shrink and agree to lose the next sync, which the ranks that got past the admit fail.
     *
     * @return the communicator to go on with: the grown one, the survivors', or {@code comm}.
     */
    private static Communicator admitAtSyncPoint(
        final Communicator comm, final float[] model, final double[] position, final int epoch, final int step,
        final long syncIndex, final long syncs, final int reportEpoch)
    {
        Communicator current = comm;
        try
        {
            final Communicator grown = comm.admit();
            if (grown != comm)
            {
                comm.close();
                current = grown;
                reportRejoin(grown, grown.size() - comm.size(), reportEpoch);
                handOver(grown, position, epoch, step, syncIndex, syncs);
                grown.broadcast(model, 0);
            }
            return current;
        }
        catch (final PeerFailedException | CollectiveTimeoutException | ConfigurationException lost)
        {
            if (current.isOpen())
            {
                // the members' communicator did not fail: go on with it
                if (current.rank() == 0)
                {
                    System.out.printf(Locale.ROOT, "epoch %d: a rank waiting to rejoin did not connect (%s); the %d " +
                        "ranks go on%n", reportEpoch, lost.getMessage(), current.size());
                    System.out.flush();
                }
                return current;
            }
            final Communicator survivors = current.shrink();
            current.close();
            reportShrink(current, survivors, reportEpoch, lost);
            final double[] lostSync = { syncIndex + 1 };
            survivors.allReduce(lostSync, ReduceOp.MAX);
            return survivors;
        }
    }

    /**
     * Tell the joiners of a grown communicator where the job is (a broadcast from rank 0, which each joiner makes
     * right after joining).
     */
    private static void handOver(
        final Communicator comm, final double[] position, final int epoch, final int step, final long syncIndex,
        final long syncs)
    {
        position[0] = epoch;
        position[1] = step;
        position[2] = syncIndex;
        position[3] = syncs;
        comm.broadcast(position, 0);
    }

    /**
     * Run the training and sync code paths for a moment on throwaway copies, untimed, so the JIT compiler has
     * done its work before the clock starts; otherwise the first epoch, and the comparison with the baseline
     * (which runs later in an already warm JVM), would mostly measure compilation.
     */
    private void warmUp(final Communicator comm, final SparseShard train, final float[] scratch)
    {
        final float[] throwaway = new float[dimension];
        final int examples = Math.min(train.size(), WARM_UP_EXAMPLES);
        for (int pass = 0; pass < 2; pass++)
        {
            for (int from = 0; from < examples; from += batch)
            {
                LogisticSgd.trainBatch(throwaway, train, from, Math.min(examples, from + batch), learningRate, scratch);
            }
        }
        for (int i = 0; i < WARM_UP_SYNCS; i++)
        {
            if ("async".equals(mode))
            {
                comm.weightedAverageAsync(throwaway, 1).await();
            }
            else
            {
                comm.weightedAverage(throwaway, 1);
            }
        }
        LogisticSgd.accuracy(throwaway, train.slice(0, Math.min(train.size(), 1000)));
    }

    /**
     * The accuracy of each rank's model on its holdout; when ranks hold different holdouts (parts of their own
     * shards) or different models, the counts of all ranks are added up.
     */
    private static double accuracyOverRanks(final Communicator comm, final float[] model, final SparseShard holdout)
    {
        final double[] counts = { LogisticSgd.correct(model, holdout), holdout.size() };
        comm.allReduce(counts, ReduceOp.SUM);
        return counts[0] / counts[1];
    }

    private String syncDescription()
    {
        switch (mode)
        {
            case "sync":
                return "weightedAverage every " + syncEvery + " batches of " + batch;
            case "async":
                return "ModelAverager snapshot every " + syncEvery + " batches of " + batch + ", at most " + staleness +
                    " steps stale";
            default:
                return "no sync until one average at the end, batches of " + batch;
        }
    }

    /**
     * One process, the union of every rank's training data, the same init, schedule and holdout.
     */
    private void baseline(
        final int ranks, final float[] init, final SparseShard holdout, final double distributedAccuracy,
        final double distributedSeconds)
    {
        final PrintStream out = System.out;
        out.printf(Locale.ROOT, "baseline: rank 0 alone now %s all %d shards and trains one model on their union " +
            "(same init, batches and epochs; shards interleaved batch by batch) ...%n",
            null == dataPattern ? "generates" : "reads", ranks);
        out.flush();
        final List<SparseShard> shards = new ArrayList<>();
        final SparseShard.Builder holdoutUnion = new SparseShard.Builder(1024, 1024);
        int longest = 0;
        for (int r = 0; r < ranks; r++)
        {
            final SparseShard[] data = load(r);
            shards.add(data[0]);
            longest = Math.max(longest, (data[0].size() + batch - 1) / batch);
            if (null != dataPattern && null == testFile)
            {
                for (int row = 0; row < data[1].size(); row++)
                {
                    holdoutUnion.add(data[1], row);
                }
            }
        }
        final SparseShard evaluation = null != dataPattern && null == testFile ? holdoutUnion.build() : holdout;
        final float[] model = init.clone();
        final float[] scratch = new float[batch];
        final long startNs = System.nanoTime();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final float rate = (float)(learningRate / Math.sqrt(1 + epoch));
            for (int step = 0; step < longest; step++)
            {
                for (final SparseShard shard : shards)
                {
                    final int from = Math.min(shard.size(), step * batch);
                    LogisticSgd.trainBatch(model, shard, from, Math.min(shard.size(), from + batch), rate, scratch);
                }
            }
        }
        final double seconds = (System.nanoTime() - startNs) / 1e9;
        final double accuracy = LogisticSgd.accuracy(model, evaluation);
        out.printf(Locale.ROOT, "baseline: holdout accuracy %.2f%% in %.2f s; distributed %.2f%% in %.2f s: " +
            "speedup %.2fx with %d ranks, accuracy %+.2f points.%n", 100 * accuracy, seconds,
            100 * distributedAccuracy, distributedSeconds, seconds / distributedSeconds, ranks,
            100 * (distributedAccuracy - accuracy));
        if (explain)
        {
            out.println();
            out.println("What you just saw: " + ranks + " processes each trained their own copy of a " +
                DemoSupport.size(4L * dimension) + " model on their own data, which never left the process.");
            out.println(explanationOfMode());
            out.println("The baseline is one process on all the data: averaging lands close to its accuracy. The " +
                "speedup needs a free core per rank; a sync of the model costs about as much as training a few " +
                "thousand examples, so --sync-every trades freshness for speed.");
            out.println("Try --mode async, --mode none, --np 3, --sync-every 32, or --help.");
        }
        out.flush();
    }

    private String explanationOfMode()
    {
        switch (mode)
        {
            case "sync":
                return "Every " + syncEvery + " mini-batches they stopped and replaced their copies by the weighted " +
                    "average of all copies (comm.weightedAverage: one ring AllReduce, weight = examples since the " +
                    "last sync), so all ranks learn from all the data.";
            case "async":
                return "Every " + syncEvery + " mini-batches a ModelAverager averaged a snapshot of the model in the " +
                    "background while training went on, and merged the average back (model += average - snapshot).";
            default:
                return "They never synced while training: one weighted average at the end mixed the independent " +
                    "models.";
        }
    }
}
