package io.ringsync.collectives;

/**
 * Model averaging without a global stop: the trainer keeps updating its model while the cluster averages a
 * snapshot of it in the background, and the average is merged back when it arrives.
 * <pre>{@code
 * ModelAverager averager = new ModelAverager(comm, model, 8, 16); // sync every 8 steps, at most 16 steps stale
 * for (Batch batch : shard)
 * {
 *     sgdStep(model, batch);
 *     averager.step(batch.size());        // never blocks unless an average is more than 16 steps late
 * }
 * averager.finish();                      // every rank ends with the same model, bit for bit
 * }</pre>
 * Every {@code syncEvery} steps the averager copies the model into a snapshot and starts a
 * {@link Communicator#weightedAverageAsync weighted average} of the snapshots (weight: the examples this rank
 * saw since its previous snapshot). When the average {@code a} of the snapshots arrives, the averager applies
 * {@code model += a - s}, where {@code s} is this rank's snapshot: the cluster's consensus replaces the
 * snapshot's part of the model, and the local progress made while the average was in flight is kept on top.
 * <p>
 * Staleness is the number of steps taken between a snapshot and the merge of its average. It is bounded: when
 * an average has not arrived {@code maxStaleness} steps after its snapshot, or when the next snapshot is due,
 * {@link #step(double)} waits for it (the time spent is reported by {@link #waitNanos()}), so staleness never
 * exceeds {@code min(maxStaleness, syncEvery)}. {@code maxStaleness} 0 makes each sync blocking. Snapshots are
 * taken at fixed step counts (every {@code syncEvery}-th step), never depending on timing, so every rank makes
 * the same calls: ranks must call {@link #step(double)} the same number of times.
 * <p>
 * One averager per communicator, used from the trainer's thread only; it owns the communicator's call order
 * while in use (do not issue other calls on the communicator between construction and {@link #finish()},
 * unless at step boundaries when nothing is in flight: {@link #inFlight()} false). Allocates its two
 * snapshot arrays once; steps allocate nothing.
 * <p>
 * <b>Elastic</b> ({@link #elastic(boolean)}): when a rank dies (or stalls past the deadline) the average in flight
 * fails with {@link PeerFailedException} or {@link CollectiveTimeoutException}; an elastic averager then
 * {@link Communicator#shrink() shrinks} to the survivors, closes the failed communicator and goes on over the new
 * one ({@link #communicator()}): the dead rank's weight drops out and the next average is over the survivors.
 * The survivors need not all have failed the same average: one whose average completed before the loss fails
 * the next, so they first agree (an allReduce MAX of the failed average's number) on which one was lost; a
 * survivor that lost it redoes it at once from its current model, one that had completed it drops its own failed
 * average, whose successor then pairs with the others' redo. Every rank thus makes the same calls again, and
 * {@link #finish()} still leaves all survivors bitwise identical. Close {@link #communicator()} when done (the
 * communicator given to the constructor is closed by the averager once shrunk; closing it again does nothing).
 * <p>
 * The same pattern in the blocking style, one {@code weightedAverage} every {@code K} steps:
 * <pre>{@code
 * long sync = 0;                                            // averages started, the same count on every rank
 * float[] kept = new float[model.length];
 * for (int step = 1; step <= steps; step++)
 * {
 *     sgdStep(model, batch(step));
 *     if (step % K != 0) continue;
 *     sync++;
 *     System.arraycopy(model, 0, kept, 0, model.length);   // a failed call leaves the vector partly reduced
 *     while (true)
 *     {
 *         try { comm.weightedAverage(model, examples); break; }
 *         catch (PeerFailedException | CollectiveTimeoutException lost)
 *         {
 *             System.arraycopy(kept, 0, model, 0, model.length);
 *             Communicator survivors = comm.shrink();         // the same members on every survivor
 *             comm.close();
 *             comm = survivors;
 *             double[] lostSync = { sync };
 *             comm.allReduce(lostSync, ReduceOp.MAX);       // (a second loss here: catch and shrink again)
 *             if (lostSync[0] != sync) break;               // the others lost the next one: pair with their redo
 *         }                                                 // else redo this one over the survivors
 *     }
 * }
 * }</pre>
 */
public final class ModelAverager
{
    private Communicator comm;
    private final float[] model;
    private final float[] snapshot;
    private final float[] average;
    private final int syncEvery;
    private final int maxStaleness;
    private final Request request = new Request();

    private double weightSinceSnapshot;
    private double totalWeight;
    private long steps;
    private long stepsInFlight;
    private boolean inFlight;
    private long syncs;
    private long merges;
    private int maxStalenessSeen;
    private long waitNanos;
    private boolean finished;
    private boolean elastic;
    private double lastSyncWeight;
    private int shrinks;
    private int lostRanks;
    private int admitEvery = 1;
    private boolean skipAdmit;
    private int rejoins;
    private int joinedRanks;
    private final double[] handOver = new double[2];

    /**
     * @param comm         the communicator; every rank must create its averager with the same settings.
     * @param model        the trainer's model, updated in place by merges.
     * @param syncEvery    steps between snapshots, >= 1.
     * @param maxStaleness steps an average may lag its snapshot before {@link #step(double)} waits, >= 0.
     */
    public ModelAverager(final Communicator comm, final float[] model, final int syncEvery, final int maxStaleness)
    {
        if (null == comm || null == model)
        {
            throw new NullPointerException(null == comm ? "comm" : "model");
        }
        if (syncEvery < 1 || maxStaleness < 0)
        {
            throw new IllegalArgumentException("syncEvery must be >= 1 and maxStaleness >= 0, got syncEvery " +
                syncEvery + ", maxStaleness " + maxStaleness);
        }
        this.comm = comm;
        this.model = model;
        this.snapshot = new float[model.length];
        this.average = new float[model.length];
        this.syncEvery = syncEvery;
        this.maxStaleness = maxStaleness;
        if (comm.joined())
        {
            // a joiner: take the members' step count and rank 0's model, as they hand them over after admit()
            elastic = true;
            takeHandOver();
            // the members start their next average right after the hand-over: so does the joiner, with weight 0
            startSync();
            if (maxStaleness == 0)
            {
                waitAndMerge();
            }
        }
    }

    /**
     * How often an elastic averager admits joiners: at every {@code k}-th sync point (1, the default: every one);
     * 0 never. The same on every rank. Where the communicator cannot admit (across hosts, udp, tcp) it never does.
     *
     * @param k sync points between admits, >= 0.
     * @return this averager.
     */
    public ModelAverager admitEvery(final int k)
    {
        if (k < 0)
        {
            throw new IllegalArgumentException("admitEvery must be >= 0, got " + k);
        }
        this.admitEvery = k;
        return this;
    }

    /**
     * @return how many times an elastic averager grew its communicator by admitting joiners.
     */
    public int rejoins()
    {
        return rejoins;
    }

    /**
     * @return ranks admitted in all rejoins.
     */
    public int joinedRanks()
    {
        return joinedRanks;
    }

    /**
     * Go on after a rank is lost, over the survivors (see the class description), instead of failing.
     *
     * @param elastic true to shrink and continue when an average fails for a lost or stalled rank.
     * @return this averager.
     */
    public ModelAverager elastic(final boolean elastic)
    {
        this.elastic = elastic;
        return this;
    }

    /**
     * @return the communicator the averager runs on: the one it was given, or the survivors' after a shrink.
     */
    public Communicator communicator()
    {
        return comm;
    }

    /**
     * @return how many times an elastic averager shrank its communicator.
     */
    public int shrinks()
    {
        return shrinks;
    }

    /**
     * @return ranks lost in all shrinks.
     */
    public int lostRanks()
    {
        return lostRanks;
    }

    /**
     * Record one local training step and do what is due: merge an average that has arrived, wait for one that is
     * {@code maxStaleness} steps late, start a new one every {@code syncEvery} steps.
     *
     * @param examples the weight of this step, usually the examples it trained on; finite and >= 0.
     * @throws RingsyncException when an average failed (a peer died, a timeout, a mismatch).
     */
    public void step(final double examples)
    {
        if (!(examples >= 0) || Double.isInfinite(examples))
        {
            throw new IllegalArgumentException("step weight must be finite and >= 0, got " + examples);
        }
        if (finished)
        {
            throw new IllegalStateException("finish() was called; this averager is done");
        }
        steps++;
        weightSinceSnapshot += examples;
        totalWeight += examples;
        if (inFlight)
        {
            stepsInFlight++;
            if (request.isDone())
            {
                merge();
            }
            else if (stepsInFlight >= maxStaleness || steps % syncEvery == 0)
            {
                waitAndMerge();
            }
        }
        // the schedule depends on the step count only, so every rank issues the same calls in the same order
        if (steps % syncEvery == 0)
        {
            // a rank that dropped a lost average pairs its next one with the others' redo, which no admit preceded
            if (elastic && admitEvery > 0 && syncs % admitEvery == 0 && !skipAdmit && comm.canAdmit())
            {
                admit();
            }
            skipAdmit = false;
            startSync();
            if (maxStaleness == 0)
            {
                waitAndMerge();
            }
        }
    }

    /**
     * Wait for the average in flight, merge it, then make every rank's model the weighted average of all models
     * (weight: all examples each rank saw) with a blocking call: afterwards all ranks hold bitwise identical
     * models. Call it on every rank, once.
     *
     * @return the sum of all ranks' weights in the final average.
     */
    public double finish()
    {
        if (finished)
        {
            throw new IllegalStateException("finish() was already called");
        }
        finished = true;
        if (inFlight)
        {
            waitAndMerge();
        }
        syncs++;
        if (elastic)
        {
            // a call that fails leaves the model partly reduced: keep it to redo the call from
            System.arraycopy(model, 0, snapshot, 0, model.length);
        }
        while (true)
        {
            try
            {
                return comm.weightedAverage(model, totalWeight > 0 ? totalWeight : Double.MIN_NORMAL);
            }
            catch (final PeerFailedException | CollectiveTimeoutException lost)
            {
                if (!elastic)
                {
                    throw lost;
                }
                // no rank can be past the final average: every survivor redoes it
                System.arraycopy(snapshot, 0, model, 0, model.length);
                survive(syncs);
            }
        }
    }

    /**
     * @return averages started so far, the final one of {@link #finish()} included.
     */
    public long syncs()
    {
        return syncs;
    }

    /**
     * @return averages merged back into the model.
     */
    public long merges()
    {
        return merges;
    }

    /**
     * @return the largest number of steps any merged average lagged behind its snapshot.
     */
    public int maxStalenessSeen()
    {
        return maxStalenessSeen;
    }

    /**
     * @return nanoseconds {@link #step(double)} and {@link #finish()} spent waiting for averages.
     */
    public long waitNanos()
    {
        return waitNanos;
    }

    /**
     * @return steps recorded.
     */
    public long steps()
    {
        return steps;
    }

    /**
     * @return whether an average is in flight.
     */
    public boolean inFlight()
    {
        return inFlight;
    }

    private void startSync()
    {
        System.arraycopy(model, 0, snapshot, 0, model.length);
        System.arraycopy(model, 0, average, 0, model.length);
        // a rank that saw no examples since its last snapshot still takes part, contributing nothing
        comm.weightedAverageAsync(average, weightSinceSnapshot, request);
        inFlight = true;
        stepsInFlight = 0;
        lastSyncWeight = weightSinceSnapshot;
        weightSinceSnapshot = 0;
        syncs++;
    }

    /**
     * After the average numbered {@code lostSync} failed for a lost rank: shrink (again, while the agreement that
     * follows fails too) and learn which average the survivors lost.
     *
     * @return true when this rank must redo {@code lostSync}; false when the others lost the next one.
     */
    private boolean survive(final long lostSync)
    {
        while (true)
        {
            final Communicator failed = comm;
            final Communicator survivors = failed.shrink();
            failed.close();
            comm = survivors;
            shrinks++;
            lostRanks += failed.size() - survivors.size();
            final double[] lost = { lostSync };
            try
            {
                comm.allReduce(lost, ReduceOp.MAX);
                return lost[0] == lostSync;
            }
            catch (final PeerFailedException | CollectiveTimeoutException again)
            {
                // another rank was lost meanwhile: shrink once more
            }
        }
    }

    /**
     * At a sync point, nothing in flight: take in the joiners waiting, and hand them the model and step count.
     */
    private void admit()
    {
        final Communicator before = comm;
        try
        {
            final Communicator grown = before.admit();
            if (grown == before)
            {
                return;
            }
            before.close();
            comm = grown;
            rejoins++;
            joinedRanks += grown.size() - before.size();
            handOver[0] = steps;
            handOver[1] = syncs;
            comm.broadcast(handOver, 0);
            // rank 0 sends its model; the other members receive it into scratch and keep their own
            comm.broadcast(comm.rank() == 0 ? model : average, 0);
        }
        catch (final PeerFailedException | CollectiveTimeoutException lost)
        {
            if (comm == before && before.isOpen())
            {
                // the grown group did not connect (a joiner died): the members go on as they were
                return;
            }
            // a rank was lost in the admit or the hand-over; a member that got past it fails the next average
            // (number syncs + 1): agree on that one, and start it (again) over the survivors
            survive(syncs + 1);
        }
        catch (final ConfigurationException notConnected)
        {
            if (comm != before || !before.isOpen())
            {
                throw notConnected;
            }
            // the grown group did not connect in time (a joiner stalled): the members go on as they were
        }
    }

    /**
     * On a joiner: receive what {@link #admit()} hands over.
     */
    private void takeHandOver()
    {
        comm.broadcast(handOver, 0);
        comm.broadcast(model, 0);
        steps = (long)handOver[0];
        syncs = (long)handOver[1];
    }

    private void waitAndMerge()
    {
        final long startNs = System.nanoTime();
        merge();
        waitNanos += System.nanoTime() - startNs;
    }

    /**
     * Collect the average (waiting if it has not arrived) and apply {@code model += average - snapshot}.
     */
    private void merge()
    {
        inFlight = false;
        while (true)
        {
            try
            {
                request.await();
                break;
            }
            catch (final IllegalArgumentException noWeight)
            {
                // no rank saw an example since the previous snapshot: there is nothing to merge
                return;
            }
            catch (final PeerFailedException | CollectiveTimeoutException lost)
            {
                if (!elastic)
                {
                    throw lost;
                }
                if (!survive(syncs))
                {
                    // the others lost the next average: this one's failure is dropped (the model keeps its local
                    // progress), and this rank's next average pairs with their redo (without the admit before it)
                    skipAdmit = true;
                    return;
                }
                // redo the lost average among the survivors, from the model as it is now
                System.arraycopy(model, 0, snapshot, 0, model.length);
                System.arraycopy(model, 0, average, 0, model.length);
                comm.weightedAverageAsync(average, lastSyncWeight, request);
            }
        }
        final float[] m = model;
        final float[] a = average;
        final float[] s = snapshot;
        for (int i = 0; i < m.length; i++)
        {
            m[i] += a[i] - s[i];
        }
        merges++;
        if (stepsInFlight > maxStalenessSeen)
        {
            maxStalenessSeen = (int)Math.min(Integer.MAX_VALUE, stepsInFlight);
        }
    }
}
