package io.ringsync.collectives;

import io.ringsync.codecs.Reduction;
import io.ringsync.collectives.metrics.RankMetrics;
import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.CallStarts;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.shm.ShmWindows;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * Runs a communicator's calls, one at a time, in the order they were submitted: an Agrona {@link Agent} whose
 * duty cycle starts the next call on the path the {@link PathChooser} picks, lets its algorithm send, polls every
 * inbound link through the {@link Dispatcher}, and when nothing moved, has the {@link FailureDetector} look at the
 * peers and the deadline. A blocking call runs the cycle on the caller's thread (an {@code AgentInvoker}); once an
 * async call was made, an {@code AgentRunner} thread runs it and callers wait on their {@link Request}.
 * <p>
 * A call that fails marks the communicator failed (later calls get {@link CommunicatorClosedException}) and,
 * unless a peer reported the failure, aborts the peers; a weighted average with a bad weight fails only its own
 * call, and a call that some rank refused ({@link Refusals}: a bad argument, a non-finite input) fails on every rank
 * and only that call. Nothing here allocates in steady state, and nothing escapes the duty cycle: every failure
 * completes the call's request.
 */
final class CallEngine implements Agent
{
    private static final int POLL_LIMIT = 16;
    private static final int QUEUE_CAPACITY = 1024;
    /** By {@link CallKind} ordinal: the call's name in messages and metrics, {@code allReduce}, ... */
    private static final String[] CALL_NAMES = new String[CallKind.values().length];
    /** By {@link CallKind} ordinal: the call's index in the metrics, looked up once here rather than per call. */
    private static final int[] METRICS_INDEX = new int[CALL_NAMES.length];

    static
    {
        for (final CallKind kind : CallKind.values())
        {
            CALL_NAMES[kind.ordinal()] = kind == CallKind.WEIGHTED_AVERAGE ? "weightedAverage" :
                Wire.callName(kind.collective());
            METRICS_INDEX[kind.ordinal()] = RankMetrics.collectiveIndex(CALL_NAMES[kind.ordinal()]);
        }
    }

    private enum State
    {
        OPEN, FAILED, CLOSED
    }

    private final Group group;
    private final Wire wire;
    private final Faults faults;
    private final Dispatcher dispatcher;
    private final FailureDetector detector;
    private final boolean narrowWire;
    private PathChooser chooser;
    private Algorithm hostAware;
    private final ChunkSender sender;
    private final RankStatusBoard board;
    private final FlowControl flow;
    private final ShmWindows windows;
    private final RankMetrics metrics;
    private final CallStarts callStarts;
    private final WallClock wallClock = new WallClock();
    private final Algorithm ring;
    private final Algorithm reduceScatter;
    private final Algorithm allGather;
    private final Algorithm barrier;
    private final Algorithm broadcast;
    private final Algorithm small;
    private final Algorithm direct;
    private final Algorithm inline;
    private final Refusals refusals;
    private final ManyToOneConcurrentArrayQueue<Request> queue = new ManyToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);

    private volatile State state = State.OPEN;
    private volatile RuntimeException failure;
    private Request call;
    private Algorithm algorithm;
    private String callName = "connect";
    private volatile long sequence;
    private long deadlineNs;
    private long nextCheckNs;

    /**
     * Build the parts a call needs for a connected group.
     *
     * @param board         this rank's status board, or null.
     * @param peerProcesses processes of the peers on this host, learnt by the handshake.
     * @param windows       the transport's shared windows, or null.
     * @throws ConfigurationException when a link cannot hold a ring's chunks, or the direct mode's window cannot be
     *                                created.
     */
    CallEngine(
        final Group group, final Context ctx, final Wire wire, final Faults faults, final Dispatcher dispatcher,
        final RankStatusBoard board, final ProcessHandle[] peerProcesses, final ShmWindows windows)
    {
        this.group = group;
        this.wire = wire;
        this.faults = faults;
        this.dispatcher = dispatcher;
        this.board = board;
        this.flow = new FlowControl(group, ctx);
        this.sender = new ChunkSender(wire, dispatcher.tally());
        this.detector = new FailureDetector(group, wire, dispatcher, faults, board, peerProcesses);
        final boolean multi = group.size > 1;
        final RingAllReduce allReduceRing = multi ?
            new RingAllReduce(group, flow, sender, faults, RingAllReduce.Span.ALL_REDUCE) : null;
        this.ring = allReduceRing;
        this.reduceScatter = multi ?
            new RingAllReduce(group, flow, sender, faults, RingAllReduce.Span.REDUCE_SCATTER) : null;
        this.allGather = multi ? new RingAllReduce(group, flow, sender, faults, RingAllReduce.Span.ALL_GATHER) : null;
        this.barrier = multi ? new Barrier(allReduceRing) : null;
        this.broadcast = multi ? new ChainBroadcast(group, flow, sender, faults) : null;
        this.direct = multi && null != windows && ctx.directMinBytes() >= 0 ?
            openDirectMode(group, ctx, windows, faults) : null;
        this.windows = null != direct ? windows : null;
        this.inline = null != direct ? new InlineAllReduce(group, windows, faults) : null;
        this.refusals = new Refusals(group, wire, ctx.checkFinite(), (DirectAllReduce)direct);
        dispatcher.refusals(refusals);
        // bfloat16 is for the links between hosts: never over shared memory or a driver on one host
        final String transport = group.transport().name();
        this.narrowWire = "bf16".equals(ctx.wire()) && !"shm".equals(transport) && !"ipc".equals(transport);
        final int smallMaxBytes = PathChooser.smallMaxBytes(ctx.smallMaxBytes(), group.size, transport, narrowWire);
        this.chooser = new PathChooser(group.size, smallMaxBytes, ctx.directMinBytes(), null != direct);
        this.small = multi && smallMaxBytes > 0 ? new SmallAllReduce(group, flow, sender, faults, smallMaxBytes) : null;
        this.metrics = RankMetrics.open(null == board ? null : board.file().getParentFile(), dispatcher.tally(),
            group.rank, group.size, ctx.jobId());
        this.callStarts = group.transport().capability(CallStarts.class);
    }

    /**
     * @return this communicator's counters, histogram and flight recorder.
     */
    RankMetrics metrics()
    {
        return metrics;
    }

    private static DirectAllReduce openDirectMode(
        final Group group, final Context ctx, final ShmWindows windows, final Faults faults)
    {
        try
        {
            return new DirectAllReduce(group, windows, ctx.chunkBytes(), faults);
        }
        catch (final IllegalStateException ex)
        {
            throw new ConfigurationException("rank " + group.rank + ": cannot create the shm direct-mode window: " +
                ex.getMessage() + "; free /dev/shm, lower " + Configuration.SHM_WINDOW_BYTES_ENV + ", or set " +
                Configuration.SHM_DIRECT_MIN_BYTES_ENV + "=-1", -1, ex);
        }
    }

    /**
     * @return the chunk sizing of this communicator's links.
     */
    FlowControl flow()
    {
        return flow;
    }

    /**
     * @return the path chooser every call and report asks.
     */
    PathChooser chooser()
    {
        return chooser;
    }

    /**
     * @return the shared windows the direct mode reads, where vectors may be placed; null without direct mode.
     */
    ShmWindows sharedWindows()
    {
        return windows;
    }

    /**
     * @return the name of the progress thread that runs this engine (AgentRunner names its thread after it).
     */
    public String roleName()
    {
        return "ringsync-progress-rank-" + group.rank;
    }

    /**
     * @return where this engine's calls record their failures, for an algorithm built outside it.
     */
    Faults faults()
    {
        return faults;
    }

    /**
     * Let AllReduce calls from above the small-vector size take the host-aware path: once, right after connecting,
     * before any call of the user's.
     *
     * @param hostAware the algorithm that runs them over this communicator's host groups.
     */
    void hostAware(final Algorithm hostAware)
    {
        this.hostAware = hostAware;
        this.chooser = chooser.withHostAware();
    }

    /**
     * End the call in progress, if any, with {@code failure}, and fail this communicator (its peers are told):
     * when a call of another communicator that drove this one failed.
     */
    void abandon(final RuntimeException failure)
    {
        final Request current = call;
        if (null != current)
        {
            end(current, failure);
        }
    }

    /**
     * Start a call at once on this thread, for the inline driver: no call may be running or queued.
     */
    void startNow(final Request request)
    {
        begin(request);
    }

    /**
     * Queue a call behind those already submitted.
     *
     * @throws IllegalStateException when too many calls are in flight.
     */
    void submit(final Request request)
    {
        if (!queue.offer(request))
        {
            throw new IllegalStateException("rank " + group.rank + ": " + QUEUE_CAPACITY + " calls are already in " +
                "flight on this communicator; wait for some before issuing more");
        }
    }

    /**
     * @return true while a call runs or waits to.
     */
    boolean isBusy()
    {
        return null != call || !queue.isEmpty();
    }

    public int doWork()
    {
        Request current = call;
        if (null == current)
        {
            current = queue.poll();
            if (null == current)
            {
                return 0;
            }
            begin(current);
            return 1;
        }
        try
        {
            return progress(current);
        }
        catch (final Throwable ex)
        {
            end(current, ex);
            return 1;
        }
    }

    private void begin(final Request request)
    {
        if (state != State.OPEN)
        {
            request.complete(closedException());
            return;
        }
        call = request;
        request.sequence = ++sequence;
        request.weightSum = 0;
        callName = CALL_NAMES[request.kind.ordinal()];
        faults.call(callName, sequence);
        try
        {
            final long nowNs = System.nanoTime();
            if (null != callStarts)
            {
                callStarts.callStarted(nowNs);
            }
            algorithm = refusals.refuses(request, callName) ? refusals : startAlgorithm(request, nowNs);
            if (null == algorithm)
            {
                end(request, null);
                return;
            }
            dispatcher.beginCall(algorithm, sequence, callName);
            if (null != board)
            {
                board.enterCall(sequence, wallClock.millis(nowNs));
            }
            deadlineNs = nowNs + request.timeoutNs;
            nextCheckNs = nowNs + FailureDetector.LIVENESS_INTERVAL_NS;
        }
        catch (final Throwable ex)
        {
            end(request, ex);
        }
    }

    /**
     * Start the call on the path the chooser picks.
     *
     * @return its algorithm, or null when there is nothing to run (one rank).
     */
    private Algorithm startAlgorithm(final Request request, final long nowNs)
    {
        if (request.kind == CallKind.WEIGHTED_AVERAGE)
        {
            WeightedAverages.prepare(request, group.size);
        }
        final Path path = chooser.choose(request.kind, request.count, request.type);
        final Algorithm chosen = algorithm(path);
        if (null != chosen)
        {
            request.narrowWire = PathChooser.narrowsWire(narrowWire, request.kind, request.type, path);
            wire.startCall(sequence, request.kind.collective(), null == request.type ? DataType.FLOAT32 :
                request.type, request.narrowWire, reduction(request), request.count, root(request, path));
            metrics.begin(METRICS_INDEX[request.kind.ordinal()], path, sequence,
                null == request.type ? 0 : (long)request.count * request.type.byteSize(), nowNs);
            sender.startCall();
            chosen.start(request);
        }
        return chosen;
    }

    private int progress(final Request request)
    {
        int work = algorithm.doWork();
        for (final InboundLink link : group.inboundFromPeers())
        {
            work += link.poll(dispatcher, POLL_LIMIT);
            if (faults.isPending())
            {
                throw faults.take();
            }
        }
        work += group.transport().doWork();
        if (refusals.isActive() && algorithm != refusals)
        {
            algorithm = refusals.interrupt(algorithm, sender);
        }
        if (algorithm.isDone())
        {
            end(request, null);
            return work + 1;
        }
        if (0 == work)
        {
            final long nowNs = System.nanoTime();
            if (nowNs - nextCheckNs >= 0)
            {
                detector.check(algorithm, sequence, callName, group.peerOf(sender.closedLink()));
                nextCheckNs = nowNs + FailureDetector.LIVENESS_INTERVAL_NS;
            }
            if (nowNs - deadlineNs >= 0)
            {
                throw detector.timeout(algorithm, sequence, callName, request.timeoutNs);
            }
        }
        return work;
    }

    /**
     * Finish the current call: with its own outcome, or with the failure that ended it.
     */
    private void end(final Request request, final Throwable thrown)
    {
        RuntimeException outcome = null;
        if (null != thrown)
        {
            sender.abortOpenClaim();
            outcome = thrown instanceof RuntimeException ? (RuntimeException)thrown :
                new RingsyncException("rank " + group.rank + ": " + callName + " #" + sequence + " failed: " + thrown,
                    -1, thrown);
            fail(outcome);
            if (null != algorithm)
            {
                algorithm.abort(outcome);
            }
        }
        else if (algorithm == refusals)
        {
            outcome = refusals.outcome();
        }
        else if (request.kind == CallKind.WEIGHTED_AVERAGE)
        {
            if (null != algorithm)
            {
                request.weightSum = algorithm.weightSum();
            }
            outcome = WeightedAverages.check(request, group.rank, sequence);
        }
        final boolean onBoard = null != board && null != algorithm;
        // one clock read serves the call's duration and the board's heartbeat
        final long nowNs = onBoard || metrics.inCall() ? System.nanoTime() : 0;
        if (onBoard)
        {
            board.leaveCall(null == thrown ? RankStatusBoard.IDLE : RankStatusBoard.FAILED, wallClock.millis(nowNs));
        }
        metrics.end(null != thrown, nowNs);
        dispatcher.endCall();
        faults.clear();
        algorithm = null;
        call = null;
        request.complete(outcome);
    }

    /**
     * Mark the communicator failed and tell every peer, unless the failure came from one.
     */
    private void fail(final RuntimeException ex)
    {
        if (state == State.OPEN)
        {
            state = State.FAILED;
            failure = ex;
            if (!faults.isFromPeer())
            {
                detector.abortPeers(ex, sequence);
            }
        }
    }

    private Algorithm algorithm(final Path path)
    {
        switch (path)
        {
            case SMALL:
                return small;
            case RING:
                return ring;
            case DIRECT:
                return direct;
            case INLINE:
                return inline;
            case RING_REDUCE_SCATTER:
                return reduceScatter;
            case RING_ALL_GATHER:
                return allGather;
            case CHAIN_BROADCAST:
                return broadcast;
            case BARRIER:
                return barrier;
            case HOST_AWARE:
                return hostAware;
            default:
                return null;
        }
    }

    private static Reduction reduction(final Request request)
    {
        switch (request.kind)
        {
            case ALL_REDUCE:
            case REDUCE_SCATTER:
                return Wire.reduction(request.op);
            case WEIGHTED_AVERAGE:
                return Reduction.WEIGHTED_AVG;
            default:
                return Reduction.NONE;
        }
    }

    /**
     * The root field of the call's chunks: the root of a broadcast; for an AllReduce, which of the two paths that
     * send chunks it took, so ranks that chose differently fail with a mismatch that says so.
     */
    private static int root(final Request request, final Path path)
    {
        if (request.kind == CallKind.BROADCAST)
        {
            return request.root;
        }
        return path == Path.SMALL ? Wire.SMALL_ALL_REDUCE : path == Path.HOST_AWARE ? Wire.HOST_AWARE_ALL_REDUCE :
            Wire.RING_ALL_REDUCE;
    }

    /**
     * @return whether calls may still be made.
     */
    boolean isOpen()
    {
        return state == State.OPEN;
    }

    /**
     * @return what failed this communicator, or null.
     */
    RuntimeException failure()
    {
        return failure;
    }

    /**
     * @return whether {@link #close()} was called.
     */
    boolean isClosed()
    {
        return state == State.CLOSED;
    }

    /**
     * @return calls started so far.
     */
    long sequence()
    {
        return sequence;
    }

    /**
     * Refuse further calls; publish that this rank closed.
     */
    void close()
    {
        state = State.CLOSED;
        if (null != board)
        {
            board.leaveCall(RankStatusBoard.CLOSED, System.currentTimeMillis());
        }
    }

    /**
     * @return the exception a call on a failed or closed communicator gets.
     */
    CommunicatorClosedException closedException()
    {
        final RuntimeException cause = failure;
        if (state == State.FAILED && null != cause)
        {
            final int suspect = cause instanceof RingsyncException ? ((RingsyncException)cause).suspectRank() : -1;
            return new CommunicatorClosedException("rank " + group.rank + ": this communicator failed earlier and " +
                "cannot be used again: " + cause.getMessage(), suspect, cause);
        }
        return new CommunicatorClosedException("rank " + group.rank + ": this communicator is closed", -1);
    }

    /**
     * @param member a rank of this engine's communicator.
     * @return its rank in the job.
     */
    int jobRank(final int member)
    {
        return group.jobRank(member);
    }
}
