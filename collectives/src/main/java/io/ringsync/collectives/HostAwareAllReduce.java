package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import org.agrona.DirectBuffer;
import org.agrona.UnsafeApi;

/**
 * AllReduce across hosts that each hold several ranks: reduce inside each host over shared memory, across hosts
 * over the network, and back. It runs no links of its own; it drives the call engines of two sub-communicators made
 * at connect time ({@link Hierarchy}): {@code local}, the ranks of this host (over shm), and {@code cross}, the ranks
 * that hold the same place on every host.
 * <p>
 * With the same number L of ranks on every host (the {@link Mode#SHARES} plan), every rank carries 1/L of the
 * vector across hosts, so every host's network links work at once:
 * <ol>
 *     <li>reduce-scatter in the host: local rank l ends with the host's sum of segment l (the ring's cut of the
 *     vector into L segments);</li>
 *     <li>AllReduce of segment l among the ranks of local rank l of every host;</li>
 *     <li>allgather in the host.</li>
 * </ol>
 * Bytes each rank moves across hosts: 2 (H-1)/H of 1/L of the vector for H hosts, where the flat ring moves
 * 2 (N-1)/N of all of it, most of it over the network. With uneven hosts ({@link Mode#LEADERS}) the lowest rank of
 * each host carries everything: AllReduce in the host, AllReduce among the hosts' first ranks, broadcast in the
 * host.
 * <p>
 * Every element is reduced in a fixed order (the local ring's, then the cross ring's) by one rank and copied to the
 * others, so every rank ends with the same bits, though not the flat ring's. AVG sums, and the owner of a segment
 * divides by N last. A weighted average sums each host's weights first (a one-element AllReduce in the host); the
 * owner of a segment divides the host's sum by them and averages across hosts weighted by them, so the result is
 * {@code sum(w_i v_i) / sum(w_i)}, and a bad weight anywhere fails every rank as on the flat path.
 */
final class HostAwareAllReduce implements Algorithm
{
    /**
     * How the vector crosses hosts.
     */
    enum Mode
    {
        /**
         * Every host holds the same number of ranks: each carries its segment across hosts.
         */
        SHARES,

        /**
         * Hosts hold different numbers of ranks: each host's first rank carries the whole vector.
         */
        LEADERS
    }

    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    private final CallEngine local;
    private final CallEngine cross;
    private final Faults faults;
    private final Mode mode;
    private final int localRank;
    private final int localSize;
    private final int worldSize;
    private final Partition partition = new Partition();
    private final Request localCall = new Request();
    private final Request crossCall = new Request();
    private final double[] scalar = new double[1];

    private Request call;
    private boolean weighted;
    private ReduceOp op;
    private long segmentAddress;
    private int segmentCount;
    private double hostWeight;
    private double weightSum;
    private boolean noAverage;
    private int step;
    private int steps;
    private Request running;
    private CallEngine runningOn;

    /**
     * @param cross  the cross-host engine, or null on a rank that carries nothing across ({@link Mode#LEADERS}).
     * @param faults of the job's own communicator, which runs this.
     */
    HostAwareAllReduce(
        final CallEngine local, final CallEngine cross, final Faults faults, final Mode mode, final int localRank,
        final int localSize, final int worldSize)
    {
        this.local = local;
        this.cross = cross;
        this.faults = faults;
        this.mode = mode;
        this.localRank = localRank;
        this.localSize = localSize;
        this.worldSize = worldSize;
    }

    public void start(final Request call)
    {
        this.call = call;
        this.weighted = call.kind == CallKind.WEIGHTED_AVERAGE;
        this.op = weighted || call.op == ReduceOp.AVG ? ReduceOp.SUM : call.op;
        this.weightSum = 0;
        this.noAverage = false;
        this.step = 0;
        this.steps = weighted ? (mode == Mode.SHARES ? 5 : 6) : 4;
        if (mode == Mode.SHARES)
        {
            partition.reset(call.count, localSize, Integer.MAX_VALUE);
            segmentAddress = call.address + ((long)partition.segmentStart(localRank) << call.type.shift());
            segmentCount = partition.segmentLength(localRank);
        }
        else
        {
            segmentAddress = call.address;
            segmentCount = call.count;
        }
        beginStep();
    }

    public int doWork()
    {
        int work = 0;
        while (step < steps)
        {
            if (null != running)
            {
                work += runningOn.doWork();
                if (!running.isDone())
                {
                    return work;
                }
                finishSubCall();
            }
            step++;
            work++;
            beginStep();
        }
        return work;
    }

    /**
     * Start the sub-call of the current step, or do a step that needs none at once; a step this rank has no part in
     * starts nothing.
     */
    private void beginStep()
    {
        running = null;
        if (step >= steps)
        {
            return;
        }
        final boolean leader = null != cross;
        if (weighted)
        {
            beginWeightedStep(leader);
        }
        else
        {
            switch (step)
            {
                case 0:
                    run(local, mode == Mode.SHARES ? CallKind.REDUCE_SCATTER : CallKind.ALL_REDUCE, call.base,
                        call.address, call.count, op, -1, 0);
                    break;
                case 1:
                    if (leader)
                    {
                        run(cross, CallKind.ALL_REDUCE, call.base, segmentAddress, segmentCount, op, -1, 0);
                    }
                    break;
                case 2:
                    if (leader && call.op == ReduceOp.AVG)
                    {
                        Kernels.divide(call.type, call.base, segmentAddress, segmentCount, worldSize);
                    }
                    break;
                default:
                    gatherInHost();
                    break;
            }
        }
    }

    private void beginWeightedStep(final boolean leader)
    {
        switch (step)
        {
            case 0:
                scalar[0] = call.weight;
                run(local, CallKind.ALL_REDUCE, scalar, DOUBLE_ARRAY_BASE, 1, DataType.FLOAT64, ReduceOp.SUM, -1, 0);
                break;
            case 1:
                run(local, mode == Mode.SHARES ? CallKind.REDUCE_SCATTER : CallKind.ALL_REDUCE, call.base,
                    call.address, call.count, ReduceOp.SUM, -1, 0);
                break;
            case 2:
                if (leader && hostWeight > 0)
                {
                    Kernels.divide(call.type, call.base, segmentAddress, segmentCount, hostWeight);
                }
                break;
            case 3:
                if (leader)
                {
                    run(cross, CallKind.WEIGHTED_AVERAGE, call.base, segmentAddress, segmentCount, ReduceOp.AVG, -1,
                        hostWeight);
                }
                break;
            case 4:
                if (!noAverage || mode == Mode.LEADERS)
                {
                    gatherInHost();
                }
                break;
            default:
                // LEADERS: the weight sum the leader learnt, to every rank of the host
                scalar[0] = weightSum;
                run(local, CallKind.BROADCAST, scalar, DOUBLE_ARRAY_BASE, 1, DataType.FLOAT64, null, 0, 0);
                break;
        }
    }

    private void gatherInHost()
    {
        if (mode == Mode.SHARES)
        {
            run(local, CallKind.ALL_GATHER, call.base, call.address, call.count, null, -1, 0);
        }
        else
        {
            run(local, CallKind.BROADCAST, call.base, call.address, call.count, null, 0, 0);
        }
    }

    private void run(
        final CallEngine engine, final CallKind kind, final Object base, final long address, final int count,
        final ReduceOp reduceOp, final int root, final double weight)
    {
        run(engine, kind, base, address, count, call.type, reduceOp, root, weight);
    }

    private void run(
        final CallEngine engine, final CallKind kind, final Object base, final long address, final int count,
        final DataType type, final ReduceOp reduceOp, final int root, final double weight)
    {
        final Request sub = engine == local ? localCall : crossCall;
        sub.begin(kind);
        sub.base = base;
        sub.address = address;
        sub.count = count;
        sub.type = type;
        sub.op = reduceOp;
        sub.root = root;
        sub.weight = weight;
        sub.timeoutNs = call.timeoutNs;
        running = sub;
        runningOn = engine;
        engine.startNow(sub);
    }

    /**
     * A sub-call is done: take what it learnt, or fail this call with its failure. A weighted average across hosts
     * that found no average (a bad weight somewhere, or all 0) is not a failure: every rank learns it alike and the
     * world call ends with the same {@link IllegalArgumentException} on every rank.
     */
    private void finishSubCall()
    {
        final Request sub = running;
        running = null;
        // told in the job's ranks: the inner groups number their own
        final RuntimeException failure = null == sub.failure ? null :
            JobRankFailures.inJobRanks(sub.failure, runningOn);
        if (weighted && sub == crossCall)
        {
            weightSum = sub.weightSum;
            noAverage = null != failure && failure instanceof IllegalArgumentException;
            if (null != failure && !noAverage)
            {
                throw failure;
            }
            return;
        }
        if (null != failure)
        {
            throw failure;
        }
        if (weighted && 0 == step)
        {
            hostWeight = scalar[0];
        }
        else if (weighted && 5 == step)
        {
            weightSum = scalar[0];
        }
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        faults.record(new CollectiveMismatchException("rank " + decoder.senderRank() + " sent an allReduce chunk " +
            "over the job's own links while this rank runs it host-aware (inside hosts, then across): start every " +
            "rank with the same " + Configuration.HIERARCHY_ENV, decoder.senderRank()), false);
        return false;
    }

    public boolean isDone()
    {
        return step >= steps;
    }

    public double weightSum()
    {
        return weightSum;
    }

    public void abort(final RuntimeException failure)
    {
        if (null != running)
        {
            runningOn.abandon(failure);
            running = null;
        }
    }

    public int awaitedPeer()
    {
        return -1;
    }

    public int chunksReceived()
    {
        return step;
    }

    public String progress()
    {
        return "host-aware (" + mode + ", local rank " + localRank + " of " + localSize + ") step " + step + " of " +
            steps + (null == running ? "" : ", in " + running.kind + " #" + running.sequence + " of the " +
            (runningOn == local ? "host's" : "cross-host") + " communicator");
    }
}
