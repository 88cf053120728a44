package io.ringsync.collectives;

import io.ringsync.collectives.metrics.CommunicatorStats;
import io.ringsync.collectives.status.RankStatusBoard;
import io.ringsync.transport.Transport;
import io.ringsync.transport.shm.ShmWindows;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Map;

/**
 * A group of ranks that reduce and broadcast vectors together: the entry point of ringsync.
 * <pre>{@code
 * try (Communicator comm = Communicator.fromEnvironment())
 * {
 *     comm.broadcast(weights, 0);
 *     comm.allReduce(gradients, ReduceOp.SUM);
 * }
 * }</pre>
 * Every call is collective: all ranks make the same calls in the same order with the same length, type,
 * op and root; each returns when this rank's part is done, with the result in place. Results are bitwise
 * identical on every rank. Each call has a deadline ({@link Context#timeoutNs(long)}, 30 s by default):
 * a peer that dies, stalls or disagrees makes the call throw a {@link RingsyncException} on every rank,
 * naming the rank at fault where it can be known; the communicator is unusable afterwards.
 * <p>
 * Threading: blocking calls run on the caller's thread and must not overlap; a second thread entering while
 * a call is in progress gets an {@link IllegalStateException}. The async calls ({@code allReduceAsync},
 * {@code weightedAverageAsync}, {@code broadcastAsync}) hand the work to a progress thread that this
 * communicator starts on the first of them; from then on every call, blocking or not, runs there in issue order.
 * Steady-state calls allocate nothing (async ones when given a reusable {@link Request}). A sub-communicator made
 * by {@link #split(int, int)} has links of its own and may be used from another thread while this one is.
 * <p>
 * This class is the API and its argument checks; the work is done by parts with one job each: the
 * {@link CallEngine} runs calls on the path the {@link PathChooser} picks, the {@link Handshake} connects, the
 * {@link FailureDetector} handles peers that die, stall or disagree, {@link SubGroups} makes sub-communicators.
 */
public final class Communicator implements AutoCloseable
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    /**
     * The colour of a rank that joins no group in {@link #split(int, int)} (as {@code MPI_UNDEFINED}); any
     * negative colour means the same.
     */
    public static final int UNDEFINED = -1;

    private static final long FLOAT_ARRAY_BASE = BufferUtil.ARRAY_BASE_OFFSET;
    private static final long DOUBLE_ARRAY_BASE = UnsafeApi.arrayBaseOffset(double[].class);

    private final Context ctx;
    private final Group group;
    private final long meshId;
    private final RankStatusBoard board;
    private final ProcessHandle[] peerProcesses;
    private final Dispatcher dispatcher;
    private final CallEngine engine;
    private final EngineDriver driver;
    private final Arguments args;
    private final SharedVectors sharedVectors;
    private final File[] removeIfEmptyOnClose;
    private final UnsafeBuffer userView = new UnsafeBuffer(0, 0);
    private final Shrink shrinker;
    private final Admission admission;
    private final boolean joined;
    private Hierarchy hierarchy;

    private Communicator(
        final Transport transport, final Context ctx, final int[] jobRanks, final ProcessHandle[] knownProcesses,
        final long meshId, final File[] removeIfEmptyOnClose, final boolean joined)
    {
        this.ctx = ctx;
        this.joined = joined;
        this.group = new Group(transport, jobRanks);
        this.meshId = meshId;
        this.removeIfEmptyOnClose = removeIfEmptyOnClose;
        final Wire wire = new Wire(ctx.jobId(), ctx.epoch(), group.rank);
        final Faults faults = new Faults(group.rank);
        this.dispatcher = new Dispatcher(wire, faults, group.rank, group.size);
        this.board = FailureDetector.openStatusBoard(ctx, group);
        try
        {
            // every rank that says hello holds its lease at the agreement server, if the job has one
            AgreementLease.hold(ctx);
            final Handshake handshake = new Handshake(group, wire, dispatcher, faults, board, knownProcesses);
            handshake.run(ctx.timeoutNs(), ctx.idleStrategy(1, false));
            this.peerProcesses = handshake.peerProcesses();
            final long[] pids = handshake.pids();
            final Membership membership = new Membership(group, ctx, meshId, peerProcesses, pids, handshake.hosts(),
                Membership.sharesDirectory(board, group, pids, handshake.allOnThisHost()));
            this.shrinker = new Shrink(membership);
            this.admission = new Admission(membership);
            this.engine = new CallEngine(group, ctx, wire, faults, dispatcher, board, peerProcesses,
                transport.capability(ShmWindows.class));
            this.sharedVectors = new SharedVectors(group.rank, engine.sharedWindows());
            final int ranksOnHost = handshake.ranksOnThisHost();
            final boolean spansHosts = !handshake.allOnThisHost();
            this.driver = new EngineDriver(engine, group.rank, ctx.timeoutNs(),
                ctx.idleStrategy(ranksOnHost, spansHosts), ctx.idleStrategy(ranksOnHost, spansHosts));
            this.args = new Arguments(driver, group.rank, group.size);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(board);
            throw ex;
        }
    }

    /**
     * Join the job this process was started in, as described by the environment that {@code ringsync launch}
     * sets ({@link Configuration}). Blocks until every rank has joined, or throws after the deadline.
     *
     * @return a connected communicator.
     * @throws ConfigurationException when a setting is missing or wrong, or the ranks cannot connect; the
     *                                message says what to set.
     */
    public static Communicator fromEnvironment()
    {
        return fromEnvironment(System.getenv());
    }

    /**
     * As {@link #fromEnvironment()}, reading the given variables (system properties still override them).
     *
     * @param env variables to read, named as in {@link Configuration}.
     * @return a connected communicator.
     */
    public static Communicator fromEnvironment(final Map<String, String> env)
    {
        final Context ctx = Context.fromEnvironment(env).conclude();
        LauncherWatch.watchFromEnvironment(Configuration.launcherPid(env), ctx.rank(), ctx.jobDirectory());
        for (final String warning : Configuration.conflicts(env))
        {
            System.err.println("ringsync: " + warning);
        }
        if (Configuration.joins(env))
        {
            return join(ctx);
        }
        final Communicator comm = connectClosingOnFailure(Transports.open(ctx), ctx, null, null, 0,
            Transports.directoryToRemove(ctx));
        if (Transports.spansHosts(ctx) && "auto".equals(ctx.hierarchy()))
        {
            comm.attachHierarchy(Transports.jobDirectory(ctx));
        }
        return comm;
    }

    /**
     * Join a job over a transport the caller made (e.g. {@code LocalTransport} ranks as threads of one JVM).
     * Every rank must call this concurrently; it blocks until all have, or throws after the deadline. The
     * transport is the communicator's from here on: closed when the communicator is closed, and closed before
     * this throws (bad settings, a peer that never came, a mismatch), so its files and sockets never outlive a
     * failed connect.
     *
     * @param transport this rank's links.
     * @param ctx       settings; {@link Context#conclude()} is called here.
     * @return a connected communicator.
     */
    public static Communicator connect(final Transport transport, final Context ctx)
    {
        return connectClosingOnFailure(transport, ctx, null, null, 0, null);
    }

    /**
     * Join a running job, as a restarted rank or a new one: publish a request where the job's ranks agree and wait
     * until the members admit this process in their next {@link #admit()} (bounded by
     * {@link Context#timeoutNs(long)}). The communicator returned is the grown group: the members keep their
     * ranks, the joiners follow ({@link #joined()} true). Its first call must be what the members do right after
     * admitting, usually taking the model by a {@link #broadcast(float[], int) broadcast} from rank 0 (an elastic
     * {@link ModelAverager} does that on both sides). {@link #fromEnvironment()} joins this way when
     * {@link Configuration#JOIN_ENV} is set, which {@code ringsync launch --restart N} sets for a respawned rank.
     * <p>
     * On one host, over any transport, the request and the verdict are files in the job directory ({@link Rejoin});
     * across hosts, over tcp, entries at the job's agreement server ({@link Configuration#AGREEMENT_ENV}). Over tcp
     * and udp the grown group's ranks also publish a fresh port there, and the joiner takes the members' session
     * id from it, so its frames are keyed as theirs when the job has a secret.
     *
     * @param ctx the job's settings: job id, transport, job directory (and the media driver's directory for ipc),
     *            deadline; the rank, when set, is this process' rank in the job ({@link #jobRank(int)}), else it
     *            gets the next free one. {@link Context#conclude()} is called here.
     * @return the grown communicator.
     * @throws NotAdmittedException          when no member admitted it within the deadline (its request is then
     *                                       withdrawn: no member counts it later).
     * @throws RingsyncException             when the grown group cannot connect (as any connect).
     */
    public static Communicator join(final Context ctx)
    {
        return Joiner.join(ctx.conclude());
    }

    /**
     * Connect this rank's part of a group grown by rejoining ({@link Rejoin#connect}), closing its mesh on failure.
     *
     * @param removeIfEmptyOnClose the grown group's directories, removed by the last of its ranks to close.
     */
    static Communicator connectGrown(
        final Transport mesh, final Context ctx, final int[] jobRanks, final ProcessHandle[] knownProcesses,
        final long meshId, final boolean joined, final File... removeIfEmptyOnClose)
    {
        try
        {
            return new Communicator(mesh, ctx, jobRanks, knownProcesses, meshId, removeIfEmptyOnClose.clone(),
                joined);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(mesh);
            throw ex;
        }
    }

    private static Communicator connectClosingOnFailure(
        final Transport transport, final Context ctx, final int[] jobRanks, final ProcessHandle[] knownProcesses,
        final long meshId, final File removeIfEmptyOnClose)
    {
        try
        {
            return new Communicator(transport, ctx.conclude(), jobRanks, knownProcesses, meshId,
                null == removeIfEmptyOnClose ? new File[0] : new File[]{ removeIfEmptyOnClose }, false);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(transport);
            throw ex;
        }
    }

    /**
     * @return the settings this communicator runs with; after a rendezvous they hold what it agreed (job id, local
     * rank, session id).
     */
    Context context()
    {
        return ctx;
    }

    /**
     * @return this process' rank in this communicator, 0 to {@code size() - 1}.
     */
    public int rank()
    {
        return group.rank;
    }

    /**
     * @return number of ranks.
     */
    public int size()
    {
        return group.size;
    }

    /**
     * @param member a rank of this communicator.
     * @return its rank in the whole job (the same number in the job's own communicator; a split renumbers).
     */
    public int jobRank(final int member)
    {
        Arguments.checkRank(member, group.size);
        return group.jobRank(member);
    }

    /**
     * @return the transport's name: ipc, udp, shm or local.
     */
    public String transportName()
    {
        return group.transport().name();
    }

    /**
     * @return largest payload of one chunk message in bytes, as chosen from the settings and the transport.
     */
    public int chunkBytes()
    {
        return engine.flow().chunkBytes();
    }

    /**
     * @return largest allReduce in bytes that takes the small-vector path instead of the ring (0: never), as this
     * communicator chose it from the setting, its size and its transport.
     */
    public int smallMaxBytes()
    {
        return engine.chooser().smallMaxBytes();
    }

    /**
     * @return number of collective calls made so far, including barriers.
     */
    public long sequence()
    {
        return engine.sequence();
    }

    /**
     * @return messages dropped because they belonged to another job, communicator or an earlier call, and frames
     * dropped because their authentication tag failed ({@link #authenticationFailures()}).
     */
    public long droppedMessages()
    {
        return dispatcher.droppedMessages() + authenticationFailures();
    }

    /**
     * With a job secret on tcp and udp every frame carries a tag under a key of its link; a frame whose tag fails (altered,
     * replayed, reordered or forged on the way) is dropped, counted here, and ends its link, failing the call on
     * every rank with an exception naming the peer. Any thread.
     *
     * @return frames this rank received on this communicator's links and dropped for a failed tag.
     */
    public long authenticationFailures()
    {
        long total = 0;
        for (int peer = 0; peer < group.size; peer++)
        {
            if (peer != group.rank)
            {
                total += group.inbound(peer).authenticationFailures();
            }
        }
        return total;
    }

    /**
     * A snapshot of this rank's counters, latency percentiles and last calls, for a service to export to its own
     * metrics system; the same values {@code ringsync stat} reads from the counters file. Allocates; may be called
     * from any thread, also after close (the values at close).
     *
     * @return the snapshot.
     */
    public CommunicatorStats stats()
    {
        return engine.metrics().snapshot();
    }

    /**
     * Which algorithm an AllReduce (or weighted average) of this size runs: chosen by size only, the same on every
     * rank; the bench's algorithm column.
     *
     * @param count elements.
     * @param type  element type.
     * @return the path.
     */
    public Path allReducePath(final int count, final DataType type)
    {
        return engine.chooser().choose(CallKind.ALL_REDUCE, count, type);
    }

    /**
     * Find the hosts of this communicator's ranks and, where that pays (several hosts, several ranks on some), let
     * AllReduce calls take the host-aware path. Collective; right after connecting, before any call of the user's.
     *
     * @param jobDirectory the job's directory in shared memory on this host.
     */
    void attachHierarchy(final File jobDirectory)
    {
        try
        {
            hierarchy = Hierarchy.open(this, ctx, jobDirectory);
        }
        catch (final RuntimeException | Error ex)
        {
            // the peers learn it from the close (a mismatch with what they run) or at their deadline
            close();
            throw ex;
        }
        if (null != hierarchy)
        {
            engine.hostAware(hierarchy.allReduce(engine, group.size));
        }
    }

    /**
     * @return the host groups of the host-aware path, or null.
     */
    Hierarchy hierarchy()
    {
        return hierarchy;
    }

    /**
     * @return the engine that runs this communicator's calls, for an algorithm that composes communicators.
     */
    CallEngine engine()
    {
        return engine;
    }

    /**
     * @return this rank's mesh, for tests that break a link the way a process exit does.
     */
    Transport transport()
    {
        return group.transport();
    }

    /**
     * Whether calls may still be made on this communicator: false once a call failed it (a
     * {@link PeerFailedException}, a {@link CollectiveTimeoutException}, a {@link CollectiveMismatchException}: then
     * {@link #shrink()} it or close it) or it was closed. An {@link #admit()} whose grown group did not connect throws
     * but leaves this communicator open.
     *
     * @return whether it still works.
     */
    public boolean isOpen()
    {
        return engine.isOpen();
    }

    /**
     * @return whether this communicator runs large AllReduce calls in the shm direct mode.
     */
    public boolean hasDirectMode()
    {
        return engine.chooser().directAvailable();
    }

    /**
     * Reduce {@code vector} across all ranks, in place.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final float[] vector, final ReduceOp op)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        allReduce(vector, 0, vector.length, op);
    }

    /**
     * Reduce {@code count} elements of {@code vector} from {@code offset} across all ranks, in place.
     *
     * @param vector holding the elements.
     * @param offset first element.
     * @param count  elements, same on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final float[] vector, final int offset, final int count, final ReduceOp op)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        args.range(CallKind.ALL_REDUCE, offset, count, vector.length);
        allReduce(vector, FLOAT_ARRAY_BASE + 4L * offset, count, DataType.FLOAT32, op);
    }

    /**
     * As {@link #allReduce(float[], ReduceOp)}, in float64.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final double[] vector, final ReduceOp op)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        allReduce(vector, 0, vector.length, op);
    }

    /**
     * As {@link #allReduce(float[], int, int, ReduceOp)}, in float64.
     *
     * @param vector holding the elements.
     * @param offset first element.
     * @param count  elements, same on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final double[] vector, final int offset, final int count, final ReduceOp op)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        args.range(CallKind.ALL_REDUCE, offset, count, vector.length);
        allReduce(vector, DOUBLE_ARRAY_BASE + 8L * offset, count, DataType.FLOAT64, op);
    }

    /**
     * Reduce little-endian elements held in an Agrona buffer (on or off heap), in place.
     *
     * @param buffer     holding the elements.
     * @param byteOffset of the first element.
     * @param count      elements, same on every rank.
     * @param type       element type, same on every rank.
     * @param op         same on every rank.
     */
    public void allReduce(
        final MutableDirectBuffer buffer, final int byteOffset, final int count, final DataType type, final ReduceOp op)
    {
        args.buffer(CallKind.ALL_REDUCE, buffer, byteOffset, count, type);
        allReduce(buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type, op);
    }

    /**
     * Reduce little-endian elements held in a {@link ByteBuffer} (direct or heap, not read-only), in place,
     * whatever the buffer's own byte order setting.
     *
     * @param buffer     holding the elements.
     * @param byteOffset of the first element, absolute (the buffer's position is ignored).
     * @param count      elements, same on every rank.
     * @param type       element type, same on every rank.
     * @param op         same on every rank.
     */
    public void allReduce(
        final ByteBuffer buffer, final int byteOffset, final int count, final DataType type, final ReduceOp op)
    {
        allReduce(args.wrap(CallKind.ALL_REDUCE, userView, buffer), byteOffset, count, type, op);
    }

    /**
     * Copy the root's {@code vector} into every other rank's {@code vector}.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     */
    public void broadcast(final float[] vector, final int root)
    {
        args.vector(CallKind.BROADCAST, vector);
        broadcast(vector, FLOAT_ARRAY_BASE, vector.length, DataType.FLOAT32, root);
    }

    /**
     * As {@link #broadcast(float[], int)}, in float64.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     */
    public void broadcast(final double[] vector, final int root)
    {
        args.vector(CallKind.BROADCAST, vector);
        broadcast(vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64, root);
    }

    /**
     * Copy the root's elements into every other rank's buffer.
     *
     * @param buffer     holding the elements.
     * @param byteOffset of the first element.
     * @param count      elements, same on every rank.
     * @param type       element type, same on every rank.
     * @param root       the rank whose values everyone gets.
     */
    public void broadcast(
        final MutableDirectBuffer buffer, final int byteOffset, final int count, final DataType type, final int root)
    {
        args.buffer(CallKind.BROADCAST, buffer, byteOffset, count, type);
        broadcast(buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type, root);
    }

    /**
     * Replace {@code vector} on every rank by the weighted average of all ranks' vectors,
     * {@code sum(w_i * v_i) / sum(w_i)}, in one ring pass: each rank scales its own vector by its weight, the ring
     * sums, and the weights travel in the chunk headers, so the owner of each segment divides by the total it
     * received. Bitwise identical on every rank. Typical weight: the examples this rank trained on since the
     * last average.
     *
     * @param vector same length on every rank; overwritten by the average.
     * @param weight finite and {@code >= 0}; 0 means this rank has no data this round and its vector is ignored
     *               (it may hold anything, NaN included).
     * @return the sum of all ranks' weights (the same on every rank).
     * @throws IllegalArgumentException on every rank, after the call, when a rank passed a negative, NaN or
     *                                  infinite weight (that rank's message says so; the bad weight travels as NaN
     *                                  so nobody waits for a deadline), or when all weights are 0; the
     *                                  communicator stays usable.
     */
    public double weightedAverage(final float[] vector, final double weight)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        return weightedAverage(vector, 0, vector.length, weight);
    }

    /**
     * As {@link #weightedAverage(float[], double)} for {@code count} elements from {@code offset}.
     *
     * @param vector holding the elements.
     * @param offset first element.
     * @param count  elements, same on every rank.
     * @param weight finite and {@code >= 0}.
     * @return the sum of all ranks' weights.
     */
    public double weightedAverage(final float[] vector, final int offset, final int count, final double weight)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        args.range(CallKind.WEIGHTED_AVERAGE, offset, count, vector.length);
        return weightedAverage(vector, FLOAT_ARRAY_BASE + 4L * offset, count, DataType.FLOAT32, weight);
    }

    /**
     * As {@link #weightedAverage(float[], double)}, in float64.
     *
     * @param vector same length on every rank; overwritten by the average.
     * @param weight finite and {@code >= 0}.
     * @return the sum of all ranks' weights.
     */
    public double weightedAverage(final double[] vector, final double weight)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        return weightedAverage(vector, 0, vector.length, weight);
    }

    /**
     * As {@link #weightedAverage(float[], int, int, double)}, in float64.
     *
     * @param vector holding the elements.
     * @param offset first element.
     * @param count  elements, same on every rank.
     * @param weight finite and {@code >= 0}.
     * @return the sum of all ranks' weights.
     */
    public double weightedAverage(final double[] vector, final int offset, final int count, final double weight)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        args.range(CallKind.WEIGHTED_AVERAGE, offset, count, vector.length);
        return weightedAverage(vector, DOUBLE_ARRAY_BASE + 8L * offset, count, DataType.FLOAT64, weight);
    }

    /**
     * As {@link #weightedAverage(float[], double)} for little-endian elements in an Agrona buffer.
     *
     * @param buffer     holding the elements.
     * @param byteOffset of the first element.
     * @param count      elements, same on every rank.
     * @param type       element type, same on every rank.
     * @param weight     finite and {@code >= 0}.
     * @return the sum of all ranks' weights.
     */
    public double weightedAverage(
        final MutableDirectBuffer buffer, final int byteOffset, final int count, final DataType type,
        final double weight)
    {
        args.buffer(CallKind.WEIGHTED_AVERAGE, buffer, byteOffset, count, type);
        return weightedAverage(buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type, weight);
    }

    /**
     * Reduce {@code size() * blockCount} elements across all ranks and leave rank r's block of the result in
     * place, {@code vector[r * blockCount .. (r + 1) * blockCount)}; the other blocks are left with partial
     * values. The first half of a ring AllReduce: each rank sends and receives (n-1)/n of the vector.
     *
     * @param vector     at least {@code size() * blockCount} elements, the same count on every rank.
     * @param blockCount elements per rank's block.
     * @param op         same on every rank; AVG divides by the number of ranks.
     */
    public void reduceScatter(final float[] vector, final int blockCount, final ReduceOp op)
    {
        args.vector(CallKind.REDUCE_SCATTER, vector);
        args.op(CallKind.REDUCE_SCATTER, op);
        driver.call(CallKind.REDUCE_SCATTER, vector, FLOAT_ARRAY_BASE,
            args.blocks(CallKind.REDUCE_SCATTER, vector.length, blockCount), DataType.FLOAT32, op, -1, 0);
    }

    /**
     * As {@link #reduceScatter(float[], int, ReduceOp)}, in float64.
     *
     * @param vector     at least {@code size() * blockCount} elements.
     * @param blockCount elements per rank's block.
     * @param op         same on every rank.
     */
    public void reduceScatter(final double[] vector, final int blockCount, final ReduceOp op)
    {
        args.vector(CallKind.REDUCE_SCATTER, vector);
        args.op(CallKind.REDUCE_SCATTER, op);
        driver.call(CallKind.REDUCE_SCATTER, vector, DOUBLE_ARRAY_BASE,
            args.blocks(CallKind.REDUCE_SCATTER, vector.length, blockCount), DataType.FLOAT64, op, -1, 0);
    }

    /**
     * Every rank contributes its block {@code vector[r * blockCount .. (r + 1) * blockCount)} and gets everyone's:
     * on return all {@code size()} blocks hold their owners' values. The second half of a ring AllReduce.
     *
     * @param vector     at least {@code size() * blockCount} elements, the same count on every rank.
     * @param blockCount elements per rank's block.
     */
    public void allGather(final float[] vector, final int blockCount)
    {
        args.vector(CallKind.ALL_GATHER, vector);
        driver.call(CallKind.ALL_GATHER, vector, FLOAT_ARRAY_BASE,
            args.blocks(CallKind.ALL_GATHER, vector.length, blockCount), DataType.FLOAT32, null, -1, 0);
    }

    /**
     * As {@link #allGather(float[], int)}, in float64.
     *
     * @param vector     at least {@code size() * blockCount} elements.
     * @param blockCount elements per rank's block.
     */
    public void allGather(final double[] vector, final int blockCount)
    {
        args.vector(CallKind.ALL_GATHER, vector);
        driver.call(CallKind.ALL_GATHER, vector, DOUBLE_ARRAY_BASE,
            args.blocks(CallKind.ALL_GATHER, vector.length, blockCount), DataType.FLOAT64, null, -1, 0);
    }

    /**
     * Start an AllReduce and return at once; a progress thread of this communicator runs it while the caller goes
     * on. Calls run in the order they are issued, blocking ones included (a blocking call waits behind the async
     * calls issued before it). The vector must not be touched until the request is done. Allocates the returned
     * request; {@link #allReduceAsync(float[], ReduceOp, Request)} reuses one.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     * @return the request to poll or wait on.
     */
    public Request allReduceAsync(final float[] vector, final ReduceOp op)
    {
        return allReduceAsync(vector, op, new Request());
    }

    /**
     * As {@link #allReduceAsync(float[], ReduceOp)}, reusing {@code request} (which must not be in flight):
     * no allocation.
     *
     * @param vector  same length on every rank.
     * @param op      same on every rank.
     * @param request to carry the call.
     * @return {@code request}.
     */
    public Request allReduceAsync(final float[] vector, final ReduceOp op, final Request request)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        args.op(CallKind.ALL_REDUCE, op);
        return async(request, CallKind.ALL_REDUCE, vector, FLOAT_ARRAY_BASE, vector.length, DataType.FLOAT32, op, -1,
            0);
    }

    /**
     * As {@link #allReduceAsync(float[], ReduceOp)}, in float64.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     * @return the request.
     */
    public Request allReduceAsync(final double[] vector, final ReduceOp op)
    {
        return allReduceAsync(vector, op, new Request());
    }

    /**
     * As {@link #allReduceAsync(float[], ReduceOp, Request)}, in float64.
     *
     * @param vector  same length on every rank.
     * @param op      same on every rank.
     * @param request to carry the call.
     * @return {@code request}.
     */
    public Request allReduceAsync(final double[] vector, final ReduceOp op, final Request request)
    {
        args.vector(CallKind.ALL_REDUCE, vector);
        args.op(CallKind.ALL_REDUCE, op);
        return async(request, CallKind.ALL_REDUCE, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64, op, -1,
            0);
    }

    /**
     * As {@link #allReduceAsync(float[], ReduceOp, Request)} for little-endian elements in an Agrona buffer.
     *
     * @param buffer     holding the elements; must stay valid until the request is done.
     * @param byteOffset of the first element.
     * @param count      elements, same on every rank.
     * @param type       element type, same on every rank.
     * @param op         same on every rank.
     * @param request    to carry the call.
     * @return {@code request}.
     */
    public Request allReduceAsync(
        final MutableDirectBuffer buffer, final int byteOffset, final int count, final DataType type, final ReduceOp op,
        final Request request)
    {
        args.buffer(CallKind.ALL_REDUCE, buffer, byteOffset, count, type);
        args.op(CallKind.ALL_REDUCE, op);
        return async(request, CallKind.ALL_REDUCE, buffer.byteArray(), buffer.addressOffset() + byteOffset, count,
            type, op, -1, 0);
    }

    /**
     * Start a {@link #weightedAverage(float[], double)} and return at once; {@link Request#weightSum()} gives the
     * weight sum once it is done. A bad weight, or all weights 0, is thrown by {@link Request#await()} on every rank.
     *
     * @param vector same length on every rank.
     * @param weight finite and {@code >= 0}.
     * @return the request.
     */
    public Request weightedAverageAsync(final float[] vector, final double weight)
    {
        return weightedAverageAsync(vector, weight, new Request());
    }

    /**
     * As {@link #weightedAverageAsync(float[], double)}, reusing {@code request}: no allocation.
     *
     * @param vector  same length on every rank.
     * @param weight  finite and {@code >= 0}.
     * @param request to carry the call.
     * @return {@code request}.
     */
    public Request weightedAverageAsync(final float[] vector, final double weight, final Request request)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        return async(request, CallKind.WEIGHTED_AVERAGE, vector, FLOAT_ARRAY_BASE, vector.length, DataType.FLOAT32,
            ReduceOp.AVG, -1, weight);
    }

    /**
     * As {@link #weightedAverageAsync(float[], double)}, in float64.
     *
     * @param vector same length on every rank.
     * @param weight finite and {@code >= 0}.
     * @return the request.
     */
    public Request weightedAverageAsync(final double[] vector, final double weight)
    {
        return weightedAverageAsync(vector, weight, new Request());
    }

    /**
     * As {@link #weightedAverageAsync(float[], double, Request)}, in float64.
     *
     * @param vector  same length on every rank.
     * @param weight  finite and {@code >= 0}.
     * @param request to carry the call.
     * @return {@code request}.
     */
    public Request weightedAverageAsync(final double[] vector, final double weight, final Request request)
    {
        args.vector(CallKind.WEIGHTED_AVERAGE, vector);
        return async(request, CallKind.WEIGHTED_AVERAGE, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64,
            ReduceOp.AVG, -1, weight);
    }

    /**
     * Start a {@link #broadcast(float[], int)} and return at once.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     * @return the request.
     */
    public Request broadcastAsync(final float[] vector, final int root)
    {
        args.vector(CallKind.BROADCAST, vector);
        args.root(CallKind.BROADCAST, root);
        return async(new Request(), CallKind.BROADCAST, vector, FLOAT_ARRAY_BASE, vector.length, DataType.FLOAT32,
            null, root, 0);
    }

    /**
     * As {@link #broadcastAsync(float[], int)}, in float64.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     * @return the request.
     */
    public Request broadcastAsync(final double[] vector, final int root)
    {
        args.vector(CallKind.BROADCAST, vector);
        args.root(CallKind.BROADCAST, root);
        return async(new Request(), CallKind.BROADCAST, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64,
            null, root, 0);
    }

    /**
     * Return only when every rank has entered the barrier.
     */
    public void barrier()
    {
        driver.call(CallKind.BARRIER, null, 0, 0, DataType.FLOAT32, null, -1, 0);
    }

    /**
     * Split this communicator into groups, as {@code MPI_Comm_split}: ranks that pass the same {@code color} form
     * a new communicator, ranked by {@code key}, ties broken by their rank here; a negative color
     * ({@link #UNDEFINED}) joins no group and gets null. Collective: every rank of this communicator calls it.
     * <p>
     * Each new communicator has links of its own, its own call numbering, deadline and failure handling: it can be
     * used while this one is (from another thread too), it is closed on its own, and a failure inside it leaves
     * this one usable. Split it again for nested groups. A group of one rank is a communicator of size 1.
     *
     * @param color group to join, the same for all its members; negative for none.
     * @param key   order within the group.
     * @return the new communicator, or null for a negative color.
     * @throws RingsyncException as any collective when a rank fails, stalls or makes another call.
     */
    public Communicator split(final int color, final int key)
    {
        return split(color, key, group.transport()::openMesh, null);
    }

    /**
     * {@link #split(int, int)} with the group's mesh opened by {@code opener}, its status files under
     * {@code statusParent} (null: under this communicator's).
     */
    Communicator split(final int color, final int key, final SubGroups.MeshOpener opener, final File statusParent)
    {
        final double[] table = SubGroups.table(group.rank, group.size, color, key);
        final long sequence = driver.call(CallKind.SPLIT, table, DOUBLE_ARRAY_BASE, table.length, DataType.FLOAT64,
            null, -1, 0);
        final SubGroups.Member member = SubGroups.join(table, color, sequence, meshId, group, ctx, peerProcesses,
            opener, statusParent);
        return null == member ? null : connectClosingOnFailure(member.mesh, member.ctx, member.jobRanks,
            member.knownProcesses, member.meshId, member.ctx.statusDirectory());
    }

    /**
     * After this communicator failed ({@link PeerFailedException}, or a {@link CollectiveTimeoutException} from a
     * rank stalled past the deadline), make a new communicator of the ranks that survive it. Every survivor calls
     * it; they agree on who they are ({@link Shrink}): each ends with the same members even if another rank fails
     * meanwhile, and a rank that is slow but inside the deadline ({@link Context#timeoutNs(long)}) is waited for.
     * The members keep their order: new rank {@code i} is the {@code i}-th surviving rank here;
     * {@link #jobRank(int)} still names each one's rank in the job. The new communicator has links, status files,
     * call numbering and deadline of its own, and may be shrunk in turn; this one stays failed, and is closed as
     * before (after the shrink: the new one's links come from its transport, which stays open until both are).
     * A sub-communicator ({@link #split}) shrinks the same way, among its own members.
     * <pre>{@code
     * try
     * {
     *     comm.allReduce(gradients, ReduceOp.SUM);
     * }
     * catch (PeerFailedException | CollectiveTimeoutException lost)
     * {
     *     Communicator survivors = comm.shrink(); // the same members on every survivor
     *     comm.close();
     *     comm = survivors;                       // redo the step, now over survivors.size() ranks
     * }
     * }</pre>
     * Any transport. On one host the survivors agree through the job directory; across hosts at the job's agreement
     * server ({@link Configuration#AGREEMENT_ENV}, which {@code ringsync launch --hosts --tolerate K} serves). The
     * communicator of the survivors of a host-aware job runs flat (one ring over the job's transport).
     *
     * @return the communicator of the survivors (of size 1 when this rank is the only one).
     * @throws RankExcludedException         on a rank the others agreed to leave out (it came too late).
     * @throws IllegalStateException         when this communicator has not failed, is closed, or was shrunk already.
     * @throws UnsupportedOperationException when its ranks span several hosts (or job directories) and no agreement
     *                                       server is set, or it has neither a job directory nor one.
     * @throws RingsyncException             when the survivors cannot connect (as any connect).
     */
    public Communicator shrink()
    {
        return shrinker.run(engine.failure(), engine.isOpen(), engine.isClosed(),
            (members, shrunkMeshId) ->
            {
                final SubGroups.Member member = SubGroups.open(members, shrunkMeshId, group, ctx, peerProcesses,
                    group.transport()::openMesh, null, "shrink cannot open a mesh for the survivors");
                return connectClosingOnFailure(member.mesh, member.ctx, member.jobRanks, member.knownProcesses,
                    member.meshId, member.ctx.statusDirectory());
            });
    }

    /**
     * Take in the processes waiting to join this job ({@link #join(Context)}, or a rank that
     * {@code ringsync launch --restart N} respawned): collective among this communicator's ranks, at a point where
     * each of them is ready to hand its state to a joiner (a sync point). Rank 0 decides who is taken, alone, and
     * the others learn it in one small broadcast: every member gets the same group whenever a joiner appears (one
     * that arrives after rank 0 looked is taken next time). When somebody was taken it returns a new communicator
     * over a new mesh: the members keep their ranks and job ranks, the joiners follow in order of arrival; its first
     * call should hand them the model, e.g. {@code grown.broadcast(model, 0)}, which each joiner makes first too.
     * This communicator keeps working until closed (close it when the grown one takes over).
     * <p>
     * When nobody waits it returns this communicator, and costs one {@code stat} of a file by rank 0 and a
     * broadcast of 49 float64 values (a few microseconds on shm): cheap enough to call at every sync point.
     * <pre>{@code
     * comm.weightedAverage(model, examples);      // a sync point: every model is the same now
     * Communicator grown = comm.admit();
     * if (grown != comm)
     * {
     *     comm.close();
     *     comm = grown;
     *     comm.broadcast(model, 0);                // the joiners take the common model
     * }
     * }</pre>
     * Joiners ask the job, not a communicator: call it on one line of communicators per job (the job's own, and
     * what shrink and admit made of it), not on communicators split from it. On one host over any transport,
     * through the job directory; across hosts over tcp, at the job's agreement server
     * ({@link Configuration#AGREEMENT_ENV}); without either it throws {@link UnsupportedOperationException}.
     *
     * @return the grown communicator, or this one when nobody waits.
     * @throws IllegalStateException         when this communicator failed (shrink it first), is closed, or grew
     *                                       already.
     * @throws UnsupportedOperationException across hosts without an agreement server (or over udp), or without a job
     *                                       directory.
     * @throws RingsyncException             as any collective; or when the grown group cannot connect (a joiner
     *                                       died meanwhile): this communicator still works then.
     */
    public Communicator admit()
    {
        return admission.run(this, engine.isOpen(), engine.isClosed(), null != hierarchy);
    }

    /**
     * @return whether {@link #admit()} works here (a job directory, and one host or an agreement server), the same
     * on every rank.
     */
    boolean canAdmit()
    {
        return null == admission.problem(null != hierarchy);
    }

    /**
     * @return whether this process entered this communicator by {@link #join(Context)}: it has a rank after the
     * members', and must first take the state the members hand it after {@link #admit()}.
     */
    public boolean joined()
    {
        return joined;
    }

    /**
     * Place a vector of {@code count} elements where {@code allReduce} reads it fastest. Over the shm transport
     * with the direct mode on ({@link #hasDirectMode()}) it is a file of shared memory of its own in the job
     * directory, which peers read in place in direct mode ({@link Context#directMinBytes(long)}): no staging copy
     * into the window, and any size. Anywhere else, or once this rank holds 8 shared vectors, it is ordinary
     * 64-byte aligned off-heap memory, and every call works as with any buffer. Pass the buffer itself to
     * {@link #allReduce(MutableDirectBuffer, int, int, DataType, ReduceOp)} (any offset inside it); a shared vector
     * is the caller's own again when the call returns. The shared memory is released when the buffer is garbage
     * collected; its file is removed when the communicator closes. Allocate before the calls that use it.
     *
     * @param count elements, >= 0.
     * @param type  element type.
     * @return a zeroed little-endian buffer of {@code count * type.byteSize()} bytes.
     */
    public UnsafeBuffer allocate(final int count, final DataType type)
    {
        return sharedVectors.allocate(count, type, engine.isOpen());
    }

    /**
     * {@link #allocate(int, DataType)} of float32 elements.
     *
     * @param count elements.
     * @return the buffer.
     */
    public UnsafeBuffer allocateFloats(final int count)
    {
        return allocate(count, DataType.FLOAT32);
    }

    /**
     * {@link #allocate(int, DataType)} of float64 elements.
     *
     * @param count elements.
     * @return the buffer.
     */
    public UnsafeBuffer allocateDoubles(final int count)
    {
        return allocate(count, DataType.FLOAT64);
    }

    /**
     * Leave the job: a last barrier with the other ranks (bounded by the deadline, at most 10 s), so no rank
     * tears its links down while a peer still reads them, then release the transport. A communicator that
     * failed skips the barrier. Idempotent; never throws for a peer that is gone. Communicators split from this
     * one stay open.
     */
    public void close()
    {
        driver.close(this::release);
    }

    private void release()
    {
        try
        {
            engine.metrics().close();
        }
        finally
        {
            CloseHelper.quietCloseAll(admission, hierarchy, board, group.transport());
        }
        for (final File directory : removeIfEmptyOnClose)
        {
            try
            {
                Files.deleteIfExists(directory.toPath());
            }
            catch (final IOException ignore)
            {
                // not empty: another rank of the job still runs here, the last one out removes it
            }
        }
    }

    private void allReduce(final Object base, final long address, final int count, final DataType type, final ReduceOp op)
    {
        args.op(CallKind.ALL_REDUCE, op);
        driver.call(CallKind.ALL_REDUCE, base, address, count, type, op, -1, 0);
    }

    private void broadcast(final Object base, final long address, final int count, final DataType type, final int root)
    {
        args.root(CallKind.BROADCAST, root);
        driver.call(CallKind.BROADCAST, base, address, count, type, null, root, 0);
    }

    private double weightedAverage(
        final Object base, final long address, final int count, final DataType type, final double weight)
    {
        return driver.weightedAverage(base, address, count, type, weight);
    }

    private Request async(
        final Request request, final CallKind kind, final Object base, final long address, final int count,
        final DataType type, final ReduceOp op, final int root, final double weight)
    {
        args.request(kind, request);
        return driver.async(request, group.size == 1, kind, base, address, count, type, op, root, weight);
    }
}
