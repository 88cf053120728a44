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
 */
public final class ModelAverager
{
    private final Communicator comm;
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
        return comm.weightedAverage(model, totalWeight > 0 ? totalWeight : Double.MIN_NORMAL);
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
        weightSinceSnapshot = 0;
        syncs++;
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
        try
        {
            request.await();
        }
        catch (final IllegalArgumentException noWeight)
        {
            // no rank saw an example since the previous snapshot: there is nothing to merge
            return;
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
