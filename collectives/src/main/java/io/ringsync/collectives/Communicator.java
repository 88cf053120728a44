package io.ringsync.collectives;

import io.ringsync.codecs.AbortDecoder;
import io.ringsync.codecs.AbortKind;
import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.Collective;
import io.ringsync.codecs.HelloDecoder;
import io.ringsync.codecs.MessageHeaderDecoder;
import io.ringsync.codecs.Reduction;
import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;
import io.ringsync.transport.shm.RankStatusBoard;
import io.ringsync.transport.shm.ShmTransport;
import io.ringsync.transport.shm.ShmWindow;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

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
 * Steady-state calls allocate nothing (async ones when given a reusable {@link Request}).
 */
public final class Communicator implements AutoCloseable
{
    static { io.ringsync.transport.RuntimeRequirements.check(); } // before anything touches Agrona

    private static final int POLL_LIMIT = 16;
    private static final long LIVENESS_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long ABORT_SEND_BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long STATUS_STALE_MIN_MS = 1_000;
    private static final long CLOSE_TIMEOUT_CAP_NS = TimeUnit.SECONDS.toNanos(10);

    private enum State
    {
        OPEN, FAILED, CLOSED
    }

    private final Transport transport;
    private final Context ctx;
    private final int rank;
    private final int size;
    private final int left;
    private final int right;
    private final Wire wire;
    private IdleStrategy idle;
    private final InboundLink[] inbound;
    private final Dispatcher dispatcher = new Dispatcher();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4096, 64));
    private final UnsafeBuffer userView = new UnsafeBuffer(0, 0);
    private final ProcessHandle[] peerProcesses;
    private final boolean[] helloReceived;
    private final long[] peerPids;
    private final String[] peerHosts;
    private RankStatusBoard statusBoard;

    private RingAllReduce ringAllReduce;
    private SmallAllReduce smallAllReduce;
    private ChainBroadcast chainBroadcast;
    private DirectAllReduce directAllReduce;
    private long windowLength;
    private boolean fixedSlots;
    private int chunkBytes;

    private final Request blockingRequest = new Request();

    private volatile State state = State.OPEN;
    private volatile RingsyncException failure;
    private volatile ProgressAgent progressAgent;
    private Algorithm current;
    private long sequence;
    private Collective currentCollective;
    private RingsyncException pending;
    private boolean pendingFromPeer;
    private long droppedMessages;

    private Communicator(final Transport transport, final Context ctx)
    {
        this.transport = transport;
        this.ctx = ctx;
        this.rank = transport.rank();
        this.size = transport.worldSize();
        this.left = (rank - 1 + size) % size;
        this.right = (rank + 1) % size;
        this.wire = new Wire(ctx.jobId(), ctx.epoch(), rank);
        this.idle = ctx.idleStrategy();
        this.inbound = new InboundLink[size - 1];
        for (int peer = 0, i = 0; peer < size; peer++)
        {
            if (peer != rank)
            {
                inbound[i++] = transport.inbound(peer);
            }
        }
        this.peerProcesses = new ProcessHandle[size];
        this.helloReceived = new boolean[size];
        this.peerPids = new long[size];
        this.peerHosts = new String[size];
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
        final Context ctx = Context.fromEnvironment(env);
        final Transport transport = EnvironmentTransports.open(env, ctx);
        try
        {
            return connect(transport, ctx);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(transport);
            throw ex;
        }
    }

    /**
     * Join a job over a transport the caller made (e.g. {@code LocalTransport} ranks as threads of one JVM).
     * Every rank must call this concurrently; it blocks until all have, or throws after the deadline. The
     * communicator closes the transport when it is closed.
     *
     * @param transport this rank's links.
     * @param ctx       settings; {@link Context#conclude()} is called here.
     * @return a connected communicator.
     */
    public static Communicator connect(final Transport transport, final Context ctx)
    {
        ctx.conclude();
        final Communicator comm = new Communicator(transport, ctx);
        try
        {
            comm.openStatusBoard();
            comm.handshake();
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietClose(comm.statusBoard);
            throw ex;
        }
        comm.idle = ctx.idleStrategy(comm.ranksOnThisHost());
        comm.sizeChunks();
        if (comm.size > 1)
        {
            comm.ringAllReduce = new RingAllReduce(comm);
            if (ctx.smallMaxBytes() > 0)
            {
                comm.smallAllReduce = new SmallAllReduce(comm, ctx.smallMaxBytes(), comm.chunkBytes);
            }
            comm.chainBroadcast = new ChainBroadcast(comm);
            comm.directAllReduce = comm.openDirectMode();
        }
        return comm;
    }

    /**
     * @return this process' rank, 0 to {@code size() - 1}.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return number of ranks.
     */
    public int size()
    {
        return size;
    }

    /**
     * @return the transport's name: ipc, udp, shm or local.
     */
    public String transportName()
    {
        return transport.name();
    }

    /**
     * @return largest payload of one chunk message in bytes, as chosen from the settings and the transport.
     */
    public int chunkBytes()
    {
        return chunkBytes;
    }

    /**
     * @return largest allReduce in bytes that takes the small-vector path instead of the ring (0: never).
     */
    public int smallMaxBytes()
    {
        return ctx.smallMaxBytes();
    }

    /**
     * @return number of collective calls made so far, including barriers.
     */
    public long sequence()
    {
        return sequence;
    }

    /**
     * @return messages dropped because they belonged to another job, epoch or an earlier call.
     */
    public long droppedMessages()
    {
        return droppedMessages;
    }

    /**
     * Reduce {@code vector} across all ranks, in place.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final float[] vector, final ReduceOp op)
    {
        checkArray(vector);
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
        checkArray(vector);
        checkRange(offset, count, vector.length);
        allReduce(vector, BufferUtil.ARRAY_BASE_OFFSET + 4L * offset, count, DataType.FLOAT32, op);
    }

    /**
     * Reduce {@code vector} across all ranks, in place.
     *
     * @param vector same length on every rank.
     * @param op     same on every rank.
     */
    public void allReduce(final double[] vector, final ReduceOp op)
    {
        checkArray(vector);
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
    public void allReduce(final double[] vector, final int offset, final int count, final ReduceOp op)
    {
        checkArray(vector);
        checkRange(offset, count, vector.length);
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
        checkBuffer(buffer, byteOffset, count, type);
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
        wrapUser(buffer);
        allReduce(userView, byteOffset, count, type, op);
    }

    /**
     * Copy the root's {@code vector} into every other rank's {@code vector}.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     */
    public void broadcast(final float[] vector, final int root)
    {
        checkArray(vector);
        broadcast(vector, BufferUtil.ARRAY_BASE_OFFSET, vector.length, DataType.FLOAT32, root);
    }

    /**
     * Copy the root's {@code vector} into every other rank's {@code vector}.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     */
    public void broadcast(final double[] vector, final int root)
    {
        checkArray(vector);
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
        checkBuffer(buffer, byteOffset, count, type);
        broadcast(buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type, root);
    }

    // ------------------------------------------------------------------------------------------------------
    // weighted average
    // ------------------------------------------------------------------------------------------------------

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
        checkArray(vector);
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
        checkArray(vector);
        checkRange(offset, count, vector.length);
        return weightedAverage(vector, BufferUtil.ARRAY_BASE_OFFSET + 4L * offset, count, DataType.FLOAT32, weight);
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
        checkArray(vector);
        return weightedAverage(vector, 0, vector.length, weight);
    }

    /**
     * As {@link #weightedAverage(float[], double)}, in float64, for {@code count} elements from {@code offset}.
     *
     * @param vector holding the elements.
     * @param offset first element.
     * @param count  elements, same on every rank.
     * @param weight finite and {@code >= 0}.
     * @return the sum of all ranks' weights.
     */
    public double weightedAverage(final double[] vector, final int offset, final int count, final double weight)
    {
        checkArray(vector);
        checkRange(offset, count, vector.length);
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
        checkBuffer(buffer, byteOffset, count, type);
        return weightedAverage(buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type, weight);
    }

    // ------------------------------------------------------------------------------------------------------
    // reduce-scatter and allgather (block layout: rank r's block is [r * blockCount, (r + 1) * blockCount))
    // ------------------------------------------------------------------------------------------------------

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
        checkArray(vector);
        requireOp(op);
        blocking(describe(blockingRequest, CALL_REDUCE_SCATTER, vector, BufferUtil.ARRAY_BASE_OFFSET,
            blockCount(vector.length, blockCount), DataType.FLOAT32, op, -1, 0));
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
        checkArray(vector);
        requireOp(op);
        blocking(describe(blockingRequest, CALL_REDUCE_SCATTER, vector, DOUBLE_ARRAY_BASE,
            blockCount(vector.length, blockCount), DataType.FLOAT64, op, -1, 0));
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
        checkArray(vector);
        blocking(describe(blockingRequest, CALL_ALL_GATHER, vector, BufferUtil.ARRAY_BASE_OFFSET,
            blockCount(vector.length, blockCount), DataType.FLOAT32, null, -1, 0));
    }

    /**
     * As {@link #allGather(float[], int)}, in float64.
     *
     * @param vector     at least {@code size() * blockCount} elements.
     * @param blockCount elements per rank's block.
     */
    public void allGather(final double[] vector, final int blockCount)
    {
        checkArray(vector);
        blocking(describe(blockingRequest, CALL_ALL_GATHER, vector, DOUBLE_ARRAY_BASE,
            blockCount(vector.length, blockCount), DataType.FLOAT64, null, -1, 0));
    }

    // ------------------------------------------------------------------------------------------------------
    // non-blocking calls
    // ------------------------------------------------------------------------------------------------------

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
        checkArray(vector);
        requireOp(op);
        return async(request, CALL_ALL_REDUCE, vector, BufferUtil.ARRAY_BASE_OFFSET, vector.length, DataType.FLOAT32,
            op, -1, 0);
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
        checkArray(vector);
        requireOp(op);
        return async(request, CALL_ALL_REDUCE, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64, op, -1, 0);
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
        checkBuffer(buffer, byteOffset, count, type);
        requireOp(op);
        return async(request, CALL_ALL_REDUCE, buffer.byteArray(), buffer.addressOffset() + byteOffset, count, type,
            op, -1, 0);
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
        checkArray(vector);
        return async(request, CALL_WEIGHTED_AVERAGE, vector, BufferUtil.ARRAY_BASE_OFFSET, vector.length,
            DataType.FLOAT32, ReduceOp.AVG, -1, weight);
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
        checkArray(vector);
        return async(request, CALL_WEIGHTED_AVERAGE, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64,
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
        checkArray(vector);
        checkRoot(root);
        return async(new Request(), CALL_BROADCAST, vector, BufferUtil.ARRAY_BASE_OFFSET, vector.length,
            DataType.FLOAT32, null, root, 0);
    }

    /**
     * Start a {@link #broadcast(double[], int)} and return at once.
     *
     * @param vector same length on every rank.
     * @param root   the rank whose values everyone gets.
     * @return the request.
     */
    public Request broadcastAsync(final double[] vector, final int root)
    {
        checkArray(vector);
        checkRoot(root);
        return async(new Request(), CALL_BROADCAST, vector, DOUBLE_ARRAY_BASE, vector.length, DataType.FLOAT64, null,
            root, 0);
    }

    /**
     * Return only when every rank has entered the barrier.
     */
    public void barrier()
    {
        blocking(describe(blockingRequest, CALL_BARRIER, null, 0, 0, DataType.FLOAT32, null, -1, 0));
    }

    /**
     * Leave the job: a last barrier with the other ranks (bounded by the deadline, at most 10 s), so no rank
     * tears its links down while a peer still reads them, then release the transport. A communicator that
     * failed skips the barrier. Idempotent; never throws for a peer that is gone.
     */
    public void close()
    {
        if (state == State.CLOSED)
        {
            return;
        }
        if (!busy.compareAndSet(false, true))
        {
            throw new IllegalStateException("rank " + rank + ": close() while another thread is in a call");
        }
        try
        {
            final ProgressAgent agent = progressAgent;
            if (state == State.OPEN)
            {
                try
                {
                    describe(blockingRequest, CALL_CLOSE, null, 0, 0, DataType.FLOAT32, null, -1, 0);
                    blockingRequest.timeoutNs = Math.min(ctx.timeoutNs(), CLOSE_TIMEOUT_CAP_NS);
                    perform(blockingRequest);
                }
                catch (final RingsyncException ignore)
                {
                    // the peers were told by the abort this failure sent; closing goes on regardless
                }
            }
            if (null != agent)
            {
                agent.stop();
            }
        }
        finally
        {
            state = State.CLOSED;
            if (null != statusBoard)
            {
                statusBoard.leaveCall(RankStatusBoard.CLOSED, System.currentTimeMillis());
                CloseHelper.quietClose(statusBoard);
            }
            CloseHelper.quietClose(transport);
            busy.set(false);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // package-private, for the algorithms
    // ------------------------------------------------------------------------------------------------------

    Transport transport()
    {
        return transport;
    }

    Wire wire()
    {
        return wire;
    }

    long windowLength()
    {
        return windowLength;
    }

    /**
     * Record a malformed or unexpected message from {@code suspect}; the call fails once the poll returns.
     *
     * @return false, so a handler can {@code return comm.reject(...)} to stop polling.
     */
    boolean reject(final String reason, final int suspect)
    {
        if (null == pending)
        {
            pending = new RemoteAbortException("rank " + rank + ": protocol error in " + callName() + " #" + sequence +
                ": " + reason, suspect);
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------------
    // the engine
    // ------------------------------------------------------------------------------------------------------

    private static final long DOUBLE_ARRAY_BASE = org.agrona.UnsafeApi.arrayBaseOffset(double[].class);

    static final int CALL_ALL_REDUCE = 1;
    static final int CALL_WEIGHTED_AVERAGE = 2;
    static final int CALL_REDUCE_SCATTER = 3;
    static final int CALL_ALL_GATHER = 4;
    static final int CALL_BROADCAST = 5;
    static final int CALL_BARRIER = 6;
    static final int CALL_CLOSE = 7;

    private void allReduce(final Object base, final long address, final int count, final DataType type, final ReduceOp op)
    {
        requireOp(op);
        blocking(describe(blockingRequest, CALL_ALL_REDUCE, base, address, count, type, op, -1, 0));
    }

    private void broadcast(final Object base, final long address, final int count, final DataType type, final int root)
    {
        checkRoot(root);
        blocking(describe(blockingRequest, CALL_BROADCAST, base, address, count, type, null, root, 0));
    }

    private double weightedAverage(
        final Object base, final long address, final int count, final DataType type, final double weight)
    {
        blocking(describe(blockingRequest, CALL_WEIGHTED_AVERAGE, base, address, count, type, ReduceOp.AVG, -1, weight));
        return blockingRequest.weightSum;
    }

    private Request async(
        final Request request, final int kind, final Object base, final long address, final int count,
        final DataType type, final ReduceOp op, final int root, final double weight)
    {
        if (null == request)
        {
            throw new NullPointerException("request");
        }
        enter();
        try
        {
            request.begin(kind);
            try
            {
                fill(request, base, address, count, type, op, root, weight, ctx.timeoutNs());
                if (size == 1)
                {
                    runToCompletion(request);
                }
                else
                {
                    progressAgent().submit(request);
                }
            }
            catch (final RuntimeException ex)
            {
                request.abandon();
                throw ex;
            }
        }
        finally
        {
            busy.set(false);
        }
        return request;
    }

    private Request describe(
        final Request request, final int kind, final Object base, final long address, final int count,
        final DataType type, final ReduceOp op, final int root, final double weight)
    {
        request.kind = kind;
        fill(request, base, address, count, type, op, root, weight, ctx.timeoutNs());
        return request;
    }

    private static void fill(
        final Request request, final Object base, final long address, final int count, final DataType type,
        final ReduceOp op, final int root, final double weight, final long timeoutNs)
    {
        request.base = base;
        request.address = address;
        request.count = count;
        request.type = type;
        request.op = op;
        request.root = root;
        request.weight = weight;
        request.timeoutNs = timeoutNs;
    }

    /**
     * Run a blocking call: on this thread when no progress agent runs, else behind the calls already queued
     * on the agent, waiting for it here.
     */
    private void blocking(final Request request)
    {
        enter();
        try
        {
            perform(request);
        }
        finally
        {
            busy.set(false);
        }
    }

    /**
     * Perform a call and wait for it: on this thread when no progress agent runs, else queued behind the calls
     * already issued to the agent. The caller holds {@code busy}.
     */
    private void perform(final Request request)
    {
        final ProgressAgent agent = progressAgent;
        if (null == agent)
        {
            request.weightSum = 0;
            execute(request);
        }
        else
        {
            request.begin(request.kind);
            agent.submit(request);
            request.await();
        }
    }

    private void runToCompletion(final Request request)
    {
        RuntimeException failure = null;
        try
        {
            execute(request);
        }
        catch (final RuntimeException ex)
        {
            failure = ex;
        }
        request.complete(failure);
    }

    /**
     * Perform one call on the current thread (the caller's, or the progress agent's).
     */
    private void execute(final Request r)
    {
        if (state != State.OPEN)
        {
            throw closedException();
        }
        sequence++;
        final DataType type = r.type;
        switch (r.kind)
        {
            case CALL_ALL_REDUCE:
                currentCollective = Collective.ALL_REDUCE;
                // by size only, never by transport: the two paths sum in different orders
                if (null != smallAllReduce && (long)r.count * type.byteSize() <= ctx.smallMaxBytes())
                {
                    wire.startCall(sequence, Collective.ALL_REDUCE, type, Wire.reduction(r.op), r.count,
                        Wire.SMALL_ALL_REDUCE);
                    run(smallAllReduce.start(type, r.op, r.base, r.address, r.count, chunkBytes / type.byteSize()),
                        r.timeoutNs);
                }
                else if (size > 1)
                {
                    wire.startCall(sequence, Collective.ALL_REDUCE, type, Wire.reduction(r.op), r.count,
                        Wire.RING_ALL_REDUCE);
                    // the ring, or over shm from RINGSYNC_SHM_DIRECT_MIN_BYTES the direct mode (same summation order)
                    run(allReduceAlgorithm(type, r.op, r.base, r.address, r.count), r.timeoutNs);
                }
                break;

            case CALL_WEIGHTED_AVERAGE:
                currentCollective = Collective.ALL_REDUCE;
                // a bad weight still takes part, as NaN in the headers, so every rank fails at once, not at its deadline
                final boolean valid = validWeight(r.weight);
                final double weight = valid ? r.weight : Double.NaN;
                if (size == 1)
                {
                    r.weightSum = weight;
                }
                else
                {
                    Kernels.scale(type, r.base, r.address, r.count, valid ? weight : 0);
                    if (null != smallAllReduce && (long)r.count * type.byteSize() <= ctx.smallMaxBytes())
                    {
                        wire.startCall(sequence, Collective.ALL_REDUCE, type, Reduction.WEIGHTED_AVG, r.count,
                            Wire.SMALL_ALL_REDUCE);
                        run(smallAllReduce.start(type, ReduceOp.AVG, r.base, r.address, r.count,
                            chunkBytes / type.byteSize(), true, weight), r.timeoutNs);
                        r.weightSum = smallAllReduce.weightSum();
                    }
                    else if (null != directAllReduce && (long)r.count * type.byteSize() >= ctx.directMinBytes())
                    {
                        wire.startCall(sequence, Collective.ALL_REDUCE, type, Reduction.WEIGHTED_AVG, r.count,
                            Wire.RING_ALL_REDUCE);
                        run(directAllReduce.start(sequence, type, ReduceOp.AVG, r.base, r.address, r.count, true,
                            weight), r.timeoutNs);
                        r.weightSum = directAllReduce.weightSum(0);
                    }
                    else
                    {
                        wire.startCall(sequence, Collective.ALL_REDUCE, type, Reduction.WEIGHTED_AVG, r.count,
                            Wire.RING_ALL_REDUCE);
                        run(ringAllReduce.start(RingAllReduce.ALL_REDUCE, type, ReduceOp.AVG, r.base, r.address,
                            r.count, chunkBytes / type.byteSize(), true, weight), r.timeoutNs);
                        r.weightSum = ringAllReduce.weightSum();
                    }
                }
                if (!valid)
                {
                    throw new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence + ": the " +
                        "weight must be finite and >= 0 (0 = this rank has no data this round), got " + r.weight +
                        "; the other ranks fail too, the communicator remains usable");
                }
                if (Double.isNaN(r.weightSum))
                {
                    throw new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence + ": another " +
                        "rank passed an invalid weight (negative, NaN or infinite; see its error); the vector's " +
                        "contents are unspecified, the communicator remains usable");
                }
                if (!(r.weightSum > 0))
                {
                    throw new IllegalArgumentException("rank " + rank + ": weightedAverage #" + sequence +
                        ": every rank passed weight 0, so there is no average; the vector's contents are " +
                        "unspecified, the communicator remains usable");
                }
                break;

            case CALL_REDUCE_SCATTER:
            case CALL_ALL_GATHER:
                final boolean scatter = r.kind == CALL_REDUCE_SCATTER;
                currentCollective = scatter ? Collective.REDUCE_SCATTER : Collective.ALL_GATHER;
                if (size > 1)
                {
                    wire.startCall(sequence, currentCollective, type, scatter ? Wire.reduction(r.op) : Reduction.NONE,
                        r.count, -1);
                    run(ringAllReduce.start(scatter ? RingAllReduce.REDUCE_SCATTER : RingAllReduce.ALL_GATHER, type,
                        scatter ? r.op : ReduceOp.SUM, r.base, r.address, r.count, chunkBytes / type.byteSize(),
                        false, 0), r.timeoutNs);
                }
                break;

            case CALL_BROADCAST:
                currentCollective = Collective.BROADCAST;
                if (size > 1)
                {
                    wire.startCall(sequence, Collective.BROADCAST, type, Reduction.NONE, r.count, r.root);
                    run(chainBroadcast.start(type, r.root, r.base, r.address, r.count, chunkBytes / type.byteSize()),
                        r.timeoutNs);
                }
                break;

            case CALL_BARRIER:
            case CALL_CLOSE:
                currentCollective = r.kind == CALL_BARRIER ? Collective.BARRIER : Collective.CLOSE;
                if (size > 1)
                {
                    wire.startCall(sequence, currentCollective, DataType.FLOAT32, Reduction.NONE, 0, -1);
                    run(ringAllReduce.start(DataType.FLOAT32, ReduceOp.SUM, null, 0, 0, 1), r.timeoutNs);
                }
                break;

            default:
                throw new IllegalStateException("unknown call kind " + r.kind);
        }
    }

    private ProgressAgent progressAgent()
    {
        ProgressAgent agent = progressAgent;
        if (null == agent)
        {
            agent = new ProgressAgent();
            progressAgent = agent;
            agent.start();
        }
        return agent;
    }

    private static void requireOp(final ReduceOp op)
    {
        if (null == op)
        {
            throw new NullPointerException("op");
        }
    }

    private void checkRoot(final int root)
    {
        if (root < 0 || root >= size)
        {
            throw new IllegalArgumentException("rank " + rank + ": broadcast root " + root + " is not a rank of this " +
                size + "-rank communicator");
        }
    }

    private static boolean validWeight(final double weight)
    {
        return weight >= 0 && !Double.isInfinite(weight);
    }

    private int blockCount(final int length, final int blockCount)
    {
        if (blockCount < 0 || (long)blockCount * size > length)
        {
            throw new IndexOutOfBoundsException("rank " + rank + ": " + size + " blocks of " + blockCount +
                " elements do not fit a vector of length " + length);
        }
        return blockCount * size;
    }

    private void enter()
    {
        if (!busy.compareAndSet(false, true))
        {
            throw new IllegalStateException("rank " + rank + ": a collective call is already in progress on this " +
                "communicator (called from another thread?); calls must not overlap");
        }
        if (state != State.OPEN)
        {
            busy.set(false);
            throw closedException();
        }
    }

    private CommunicatorClosedException closedException()
    {
        final RingsyncException cause = failure;
        if (state == State.FAILED && null != cause)
        {
            return new CommunicatorClosedException("rank " + rank + ": this communicator failed earlier and " +
                "cannot be used again: " + cause.getMessage(), cause.suspectRank(), cause);
        }
        return new CommunicatorClosedException("rank " + rank + ": this communicator is closed", -1);
    }

    /**
     * Drive one call to completion on this thread: send what can be sent, hand every arriving message to the
     * dispatcher, idle when there is nothing to do, and watch the deadline and the peers.
     */
    private void run(final Algorithm algorithm, final long timeoutNs)
    {
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + timeoutNs;
        long nextLivenessCheckNs = startNs + LIVENESS_INTERVAL_NS;
        current = algorithm;
        idle.reset();
        if (null != statusBoard)
        {
            statusBoard.enterCall(sequence, System.currentTimeMillis());
        }
        boolean completed = false;
        try
        {
            while (true)
            {
                int work = algorithm.doWork();
                for (final InboundLink link : inbound)
                {
                    work += link.poll(dispatcher, POLL_LIMIT);
                    if (null != pending)
                    {
                        throw pending;
                    }
                }
                work += transport.doWork();
                if (algorithm.isDone())
                {
                    completed = true;
                    return;
                }
                if (work > 0)
                {
                    idle.reset();
                    continue;
                }
                final long nowNs = System.nanoTime();
                if (nowNs - nextLivenessCheckNs >= 0)
                {
                    checkPeers(algorithm);
                    nextLivenessCheckNs = nowNs + LIVENESS_INTERVAL_NS;
                }
                if (nowNs - deadlineNs >= 0)
                {
                    throw timeout(algorithm, timeoutNs);
                }
                idle.idle();
            }
        }
        catch (final RingsyncException ex)
        {
            throw fail(ex);
        }
        finally
        {
            current = null;
            pending = null;
            pendingFromPeer = false;
            if (null != statusBoard)
            {
                statusBoard.leaveCall(completed ? RankStatusBoard.IDLE : RankStatusBoard.FAILED,
                    System.currentTimeMillis());
            }
        }
    }

    /**
     * A peer this call depends on is gone when its process has exited (same host) or its link was lost, and
     * one more poll of its link, made after that was seen, finds nothing left from it.
     */
    private void checkPeers(final Algorithm algorithm)
    {
        final int awaited = algorithm.awaitedPeer();
        for (int peer = 0; peer < size; peer++)
        {
            if (peer == rank || (peer != awaited && peer != right))
            {
                continue;
            }
            final ProcessHandle process = peerProcesses[peer];
            final boolean exited = null != process && !process.isAlive();
            final InboundLink link = transport.inbound(peer);
            if ((exited || link.isLost()) && link.poll(dispatcher, POLL_LIMIT) == 0 && null == pending)
            {
                final String what = exited ? "process " + process.pid() + " has exited" : "its link went away";
                pending = new PeerFailedException("rank " + rank + ": rank " + peer + " failed during " + callName() +
                    " #" + sequence + " (" + what + "); " + algorithm.progress(), peer);
                throw pending;
            }
        }
        if (null != statusBoard)
        {
            final long nowMs = System.currentTimeMillis();
            statusBoard.heartbeat(algorithm.chunksReceived(), nowMs);
            final int gone = goneRank();
            if (gone >= 0 && null == pending)
            {
                pending = new PeerFailedException("rank " + rank + ": rank " + gone + " failed during " + callName() +
                    " #" + sequence + " (its process " + statusBoard.pid(gone) + " has exited; " +
                    statusBoard.describe(gone, nowMs) + "); " + algorithm.progress(), gone);
                throw pending;
            }
        }
    }

    /**
     * @return a rank whose process has exited before finishing the current call (every rank needs every other
     * rank's data in a collective), or -1. A rank that finished this call, or closed, and then exited is not one.
     */
    private int goneRank()
    {
        for (int peer = 0; peer < size; peer++)
        {
            if (peer == rank)
            {
                continue;
            }
            final int peerState = statusBoard.state(peer);
            if (peerState == RankStatusBoard.UNKNOWN || peerState == RankStatusBoard.CLOSED ||
                (peerState == RankStatusBoard.IDLE && statusBoard.sequence(peer) >= sequence) ||
                statusBoard.isAlive(peer))
            {
                continue;
            }
            return peer;
        }
        return -1;
    }

    /**
     * Name the rank that holds the job up, from every rank's published status: one that has not entered this
     * call (the furthest behind), else one in it whose heartbeat stopped (a stopped or starved process).
     *
     * @return {@code {suspect, reason}} or null when the status says nothing conclusive.
     */
    private Object[] blameFromStatus(final long timeoutNs)
    {
        final long nowMs = System.currentTimeMillis();
        int behind = -1;
        long behindSequence = Long.MAX_VALUE;
        int silent = -1;
        long oldestHeartbeatMs = Long.MAX_VALUE;
        for (int peer = 0; peer < size; peer++)
        {
            if (peer == rank || statusBoard.state(peer) == RankStatusBoard.UNKNOWN)
            {
                continue;
            }
            final int peerState = statusBoard.state(peer);
            final long peerSequence = statusBoard.sequence(peer);
            if (peerSequence < sequence || (peerSequence == sequence && peerState != RankStatusBoard.IN_CALL &&
                peerState != RankStatusBoard.IDLE))
            {
                if (peerSequence < behindSequence)
                {
                    behind = peer;
                    behindSequence = peerSequence;
                }
            }
            else if (peerState == RankStatusBoard.IN_CALL && peerSequence == sequence)
            {
                final long heartbeatMs = statusBoard.heartbeatMs(peer);
                if (heartbeatMs < oldestHeartbeatMs)
                {
                    oldestHeartbeatMs = heartbeatMs;
                    silent = peer;
                }
            }
        }
        if (behind >= 0)
        {
            return new Object[]{ behind, "rank " + behind + " has not entered " + callName() + " #" + sequence + " (" +
                statusBoard.describe(behind, nowMs) + "): it is stalled, busy elsewhere, or not making the same call" };
        }
        final long staleMs = Math.max(STATUS_STALE_MIN_MS, TimeUnit.NANOSECONDS.toMillis(timeoutNs) / 4);
        if (silent >= 0 && nowMs - oldestHeartbeatMs > staleMs)
        {
            return new Object[]{ silent, "rank " + silent + " is in this call but has shown no sign of life for " +
                (nowMs - oldestHeartbeatMs) + " ms (" + statusBoard.describe(silent, nowMs) + "): its process is " +
                "stopped or starved of CPU" };
        }
        return null;
    }

    private void openStatusBoard()
    {
        if (size > 1 && null != ctx.statusDirectory())
        {
            try
            {
                statusBoard = RankStatusBoard.create(ctx.statusDirectory(), rank, size, ctx.jobId());
            }
            catch (final RuntimeException ex)
            {
                throw new ConfigurationException("rank " + rank + ": cannot publish its status in " +
                    ctx.statusDirectory() + ": " + ex.getMessage(), -1, ex);
            }
        }
    }

    private RingsyncException timeout(final Algorithm algorithm, final long timeoutNs)
    {
        final int awaited = algorithm.awaitedPeer();
        final boolean silent = awaited >= 0 && algorithm.chunksReceived() == 0;
        final StringBuilder sb = new StringBuilder("rank ").append(rank).append(": ").append(callName())
            .append(" #").append(sequence).append(" did not complete within ")
            .append(TimeUnit.NANOSECONDS.toMillis(timeoutNs)).append(" ms; ").append(algorithm.progress());
        final Object[] blame = null == statusBoard ? null : blameFromStatus(timeoutNs);
        if (null != blame)
        {
            sb.append(". ").append(blame[1]).append(" (deadline: ").append(Configuration.TIMEOUT_MS_ENV).append(')');
            return new CollectiveTimeoutException(sb.toString(), (Integer)blame[0]);
        }
        if (silent)
        {
            sb.append(". Rank ").append(awaited).append(" sent nothing for this call: it is stalled, slow, or not ")
                .append("making the same call");
        }
        else if (awaited >= 0)
        {
            sb.append(". Rank ").append(awaited).append(" is in this call but waits on another rank; see that ")
                .append("rank's error");
        }
        sb.append(" (deadline: ").append(Configuration.TIMEOUT_MS_ENV).append(')');
        return new CollectiveTimeoutException(sb.toString(), silent ? awaited : -1);
    }

    /**
     * Mark the communicator failed, tell every peer (unless the failure came from one), and return the
     * exception to throw.
     */
    private RingsyncException fail(final RingsyncException ex)
    {
        if (state == State.OPEN)
        {
            state = State.FAILED;
            failure = ex;
            if (!pendingFromPeer)
            {
                sendAbort(abortKind(ex), ex.suspectRank(), ex.getMessage());
            }
        }
        return ex;
    }

    private static AbortKind abortKind(final RingsyncException ex)
    {
        if (ex instanceof CollectiveMismatchException)
        {
            return AbortKind.MISMATCH;
        }
        if (ex instanceof PeerFailedException)
        {
            return AbortKind.PEER_FAILED;
        }
        if (ex instanceof CollectiveTimeoutException)
        {
            return AbortKind.TIMEOUT;
        }
        return AbortKind.PROTOCOL;
    }

    /**
     * Best effort: a link that stays full for the whole budget cannot carry the abort, and that peer will
     * find out through its own deadline or liveness check.
     */
    private void sendAbort(final AbortKind kind, final int suspect, final String reason)
    {
        // the reason is cut to what one message of the transport holds (a small shm slot holds ~100 bytes)
        String text = reason;
        int length = wire.encodeAbort(controlBuffer, sequence, kind, suspect, text);
        while (length > transport.maxMessageLength() && !text.isEmpty())
        {
            text = text.substring(0, text.length() / 2);
            length = wire.encodeAbort(controlBuffer, sequence, kind, suspect, text);
        }
        final long deadlineNs = System.nanoTime() + ABORT_SEND_BUDGET_NS;
        final boolean[] sent = new boolean[size];
        sent[rank] = true;
        int remaining = size - 1;
        while (remaining > 0 && System.nanoTime() - deadlineNs < 0)
        {
            for (int peer = 0; peer < size; peer++)
            {
                if (!sent[peer])
                {
                    final long result = transport.outbound(peer).offer(controlBuffer, 0, length);
                    if (result >= 0 || result == OutboundLink.CLOSED)
                    {
                        sent[peer] = true;
                        remaining--;
                    }
                }
            }
            if (remaining > 0)
            {
                Thread.onSpinWait();
                transport.doWork();
            }
        }
    }

    private String callName()
    {
        return null == currentCollective ? "connect" : Wire.callName(currentCollective);
    }

    // ------------------------------------------------------------------------------------------------------
    // connecting
    // ------------------------------------------------------------------------------------------------------

    private void handshake()
    {
        if (size == 1)
        {
            return;
        }
        final long deadlineNs = System.nanoTime() + ctx.timeoutNs();
        final long pid = ProcessHandle.current().pid();
        final String host = hostIdentity();
        final int length = wire.encodeHello(controlBuffer, size, pid, host);
        final boolean[] helloSent = new boolean[size];
        helloSent[rank] = true;
        helloReceived[rank] = true;
        long nextStatusCheckNs = System.nanoTime();
        idle.reset();
        while (true)
        {
            int work = 0;
            for (int peer = 0; peer < size; peer++)
            {
                if (!helloSent[peer] && transport.outbound(peer).offer(controlBuffer, 0, length) >= 0)
                {
                    helloSent[peer] = true;
                    work++;
                }
            }
            for (final InboundLink link : inbound)
            {
                work += link.poll(dispatcher, POLL_LIMIT);
                if (null != pending)
                {
                    final RingsyncException ex = pending;
                    pending = null;
                    throw ex;
                }
            }
            work += transport.doWork();
            if (allTrue(helloSent) && allTrue(helloReceived))
            {
                break;
            }
            if (null != statusBoard && System.nanoTime() - nextStatusCheckNs >= 0)
            {
                nextStatusCheckNs = System.nanoTime() + LIVENESS_INTERVAL_NS;
                checkConnectingPeers(helloReceived);
            }
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new ConfigurationException("rank " + rank + " of " + size + " could not connect within " +
                    TimeUnit.NANOSECONDS.toMillis(ctx.timeoutNs()) + " ms over " + transport.name() + ": no reply from " +
                    "rank(s) " + missing(helloSent, helloReceived) + ". Start all " + size + " ranks with the same " +
                    Configuration.JOB_ID_ENV + " and " + Configuration.WORLD_SIZE_ENV + " (ringsync launch does this), " +
                    "or raise " + Configuration.TIMEOUT_MS_ENV + " if they start slowly", -1);
            }
            if (work == 0)
            {
                idle.idle();
            }
            else
            {
                idle.reset();
            }
        }
        for (int peer = 0; peer < size; peer++)
        {
            if (peer != rank && null != peerHosts[peer] && peerHosts[peer].equals(host))
            {
                peerProcesses[peer] = ProcessHandle.of(peerPids[peer]).orElse(null);
            }
        }
    }

    /**
     * A rank that published its status during this start-up (not left by an earlier run of the same job id) and
     * whose process has exited will never say hello: fail now rather than at the deadline.
     */
    private void checkConnectingPeers(final boolean[] helloReceived)
    {
        final long selfStartMs = ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli)
            .orElse(0L);
        // the first rank to fail is the cause; ranks that failed on hearing of it exited after it
        int firstExited = -1;
        long firstExitUs = Long.MAX_VALUE;
        for (int peer = 0; peer < size; peer++)
        {
            final long exitUs = helloReceived[peer] ? 0 : statusBoard.reportedExitUs(peer);
            if (exitUs > 0 && exitUs < firstExitUs)
            {
                firstExited = peer;
                firstExitUs = exitUs;
            }
        }
        if (firstExited >= 0)
        {
            throw new PeerFailedException("rank " + rank + ": rank " + firstExited + " exited with code " +
                statusBoard.reportedExitCode(firstExited) + " before it connected (reported by the launcher); see " +
                "its own output for why", firstExited);
        }
        for (int peer = 0; peer < size; peer++)
        {
            if (helloReceived[peer])
            {
                continue;
            }
            if (statusBoard.refresh(peer) && !statusBoard.isAlive(peer) &&
                statusBoard.createdMs(peer) >= selfStartMs - STATUS_STALE_MIN_MS)
            {
                throw new PeerFailedException("rank " + rank + ": rank " + peer + " (pid " + statusBoard.pid(peer) +
                    ") exited before it connected; see its own output for why", peer);
            }
        }
    }

    /**
     * @return ranks of this job on this host (this one included), from the hellos' host identities.
     */
    private int ranksOnThisHost()
    {
        int count = 1;
        for (int peer = 0; peer < size; peer++)
        {
            if (peer != rank && null != peerProcesses[peer])
            {
                count++;
            }
        }
        return count;
    }

    private static boolean allTrue(final boolean[] flags)
    {
        for (final boolean flag : flags)
        {
            if (!flag)
            {
                return false;
            }
        }
        return true;
    }

    private static String missing(final boolean[] sent, final boolean[] received)
    {
        final List<String> ranks = new ArrayList<>();
        for (int peer = 0; peer < sent.length; peer++)
        {
            if (!sent[peer] || !received[peer])
            {
                ranks.add(peer + (sent[peer] ? "" : " (not connected)"));
            }
        }
        return String.join(", ", ranks);
    }

    /**
     * Host name plus boot id: PIDs are only comparable between processes of the same kernel.
     */
    private static String hostIdentity()
    {
        // the kernel's host name, not InetAddress.getLocalHost(): that may wait on a DNS lookup
        String host = readFirstLine("/proc/sys/kernel/hostname");
        if (host.isEmpty())
        {
            try
            {
                host = java.net.InetAddress.getLocalHost().getHostName();
            }
            catch (final Exception ignore)
            {
                host = "unknown";
            }
        }
        final String id = host + "/" + readFirstLine("/proc/sys/kernel/random/boot_id");
        return id.length() > 200 ? id.substring(0, 200) : id;
    }

    private static String readFirstLine(final String file)
    {
        try
        {
            return Files.readString(Path.of(file)).trim();
        }
        catch (final Exception ignore)
        {
            return "";
        }
    }

    /**
     * Chunks fit one unfragmented message. On a link whose window counts bytes (Aeron), n + 2 of them fit the
     * window, as the ring's flow control needs there (see {@link RingAllReduce}); a link of fixed slots (shm) needs
     * only two: the ring keeps one for forwards, so its links can never all be full at once.
     */
    private void sizeChunks()
    {
        final int maxPayload = transport.maxMessageLength() - Wire.CHUNK_HEADER_LENGTH;
        long window = Long.MAX_VALUE;
        for (int peer = 0; peer < size; peer++)
        {
            if (peer != rank)
            {
                final OutboundLink link = transport.outbound(peer);
                final long length = link.windowLength() > 0 ? link.windowLength() : link.availableWindow();
                window = Math.min(window, length);
            }
        }
        windowLength = size == 1 ? Long.MAX_VALUE : window;
        long bytes = Math.min(ctx.chunkBytes(), maxPayload);
        if (size > 1)
        {
            final OutboundLink link = transport.outbound(right);
            fixedSlots = link.framedLength(64 + Wire.CHUNK_HEADER_LENGTH) == link.framedLength(transport.maxMessageLength());
            final int messages = fixedSlots ? 2 : size + 2;
            final long perMessage = window / messages;
            while (bytes > 64 && link.framedLength((int)bytes + Wire.CHUNK_HEADER_LENGTH) > perMessage)
            {
                bytes -= 64;
            }
            if (link.framedLength(64 + Wire.CHUNK_HEADER_LENGTH) > perMessage)
            {
                throw new ConfigurationException("rank " + rank + ": a link of " + transport.name() + " holds " +
                    window + " bytes, fewer than the " + messages + " messages of " +
                    link.framedLength(64 + Wire.CHUNK_HEADER_LENGTH) + " bytes a ring of " + size + " ranks needs " +
                    "in flight; raise " + ("shm".equals(transport.name()) ? Configuration.SHM_SLOT_COUNT_ENV :
                    Configuration.TERM_LENGTH_ENV), -1);
            }
        }
        bytes &= ~63L;
        chunkBytes = (int)bytes;
    }

    /**
     * The bytes of a link's window that a ring's new chunks must leave free for forwarded ones: the configured
     * share of the window, at least one message on fixed slots (then the links of a ring can never all be full,
     * so some rank can always forward) or n + 1 messages on byte windows (whose messages of successive calls may
     * differ in length), and never so much that not even one new chunk fits an empty link.
     *
     * @param framedLength of one message of the call.
     * @return bytes to keep free before injecting.
     */
    long ringReserve(final long framedLength)
    {
        final long floor = (fixedSlots ? 1L : size + 1L) * framedLength;
        final long share = (long)(ctx.ringReserve() * windowLength);
        final long wanted = Math.max(floor, share - share % framedLength);
        return Math.max(floor, Math.min(wanted, windowLength - framedLength));
    }

    // ------------------------------------------------------------------------------------------------------
    // shm direct mode: which AllReduce runs a call, and vectors placed in shared memory
    // ------------------------------------------------------------------------------------------------------

    /**
     * Place a vector of {@code count} elements where {@code allReduce} reads it fastest. Over the shm transport
     * with the direct mode on ({@link #hasDirectMode()}) it is a file of shared memory of its own in the job
     * directory, which peers read in place in direct mode
     * ({@link Context#directMinBytes(long)}): no staging copy into the window, and any size (larger vectors
     * still stream in rounds, reading the shared vector in place). Anywhere else, or once this rank holds 8
     * shared vectors, it is ordinary 64-byte aligned off-heap memory, and every call works as with any buffer.
     * Pass the buffer itself to {@link #allReduce(MutableDirectBuffer, int, int, DataType, ReduceOp)} (any
     * offset inside it); a shared vector is the caller's own again when the call returns. The shared memory is
     * released when the buffer is garbage collected; its file is removed when the communicator closes.
     * Allocate before the calls that use it, off the hot path.
     *
     * @param count elements, >= 0.
     * @param type  element type.
     * @return a zeroed little-endian buffer of {@code count * type.byteSize()} bytes.
     */
    public UnsafeBuffer allocate(final int count, final DataType type)
    {
        if (count < 0 || null == type)
        {
            throw new IllegalArgumentException("count " + count + " and type " + type + ": count must be >= 0");
        }
        final long bytes = (long)count * type.byteSize();
        if (bytes > Integer.MAX_VALUE - 4096)
        {
            throw new IllegalArgumentException(count + " x " + type + " is above the 2 GiB of one buffer");
        }
        if (null != directAllReduce && state == State.OPEN)
        {
            try
            {
                final ShmWindow shared = EnvironmentTransports.shmOf(transport).windows().allocate(bytes);
                if (null != shared)
                {
                    final int offset = (int)(shared.dataAddress() - shared.buffer().addressOffset());
                    return new UnsafeBuffer(shared.mapped(), offset, (int)bytes);
                }
            }
            catch (final IllegalStateException ex)
            {
                throw new ConfigurationException("rank " + rank + ": cannot place " + bytes + " bytes in shared " +
                    "memory: " + ex.getMessage() + " (is /dev/shm full?)", -1, ex);
            }
        }
        return new UnsafeBuffer(BufferUtil.allocateDirectAligned(Math.max(64, (int)bytes), 64), 0, (int)bytes);
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
     * Which algorithm an AllReduce of this size runs, for reports: chosen by size only, the same on every rank.
     *
     * @param count elements.
     * @param type  element type.
     * @return "small" (small-vector path), "direct" (shm direct mode) or "ring".
     */
    public String allReduceAlgorithm(final int count, final DataType type)
    {
        final long bytes = (long)count * type.byteSize();
        if (size > 1 && null != smallAllReduce && bytes <= ctx.smallMaxBytes())
        {
            return "small";
        }
        return null != directAllReduce && size > 1 && bytes >= ctx.directMinBytes() ? "direct" : "ring";
    }

    /**
     * @return whether this communicator runs large AllReduce calls in the shm direct mode.
     */
    public boolean hasDirectMode()
    {
        return null != directAllReduce;
    }

    /**
     * The direct mode exists on the shm transport only, unless switched off ({@code directMinBytes < 0}).
     */
    private DirectAllReduce openDirectMode()
    {
        final ShmTransport shm = EnvironmentTransports.shmOf(transport);
        if (null == shm || ctx.directMinBytes() < 0)
        {
            return null;
        }
        try
        {
            return new DirectAllReduce(this, shm.windows(), ctx.chunkBytes());
        }
        catch (final IllegalStateException ex)
        {
            throw new ConfigurationException("rank " + rank + ": cannot create the shm direct-mode window: " +
                ex.getMessage() + "; free /dev/shm, lower " + Configuration.SHM_WINDOW_BYTES_ENV + ", or set " +
                Configuration.SHM_DIRECT_MIN_BYTES_ENV + "=-1", -1, ex);
        }
    }

    /**
     * Ring or direct: by size only, so every rank of a matching call picks the same.
     */
    private Algorithm allReduceAlgorithm(
        final DataType type, final ReduceOp op, final Object base, final long address, final int count)
    {
        if (null != directAllReduce && (long)count * type.byteSize() >= ctx.directMinBytes())
        {
            return directAllReduce.start(sequence, type, op, base, address, count);
        }
        return ringAllReduce.start(type, op, base, address, count, chunkBytes / type.byteSize());
    }

    // ------------------------------------------------------------------------------------------------------
    // argument checks
    // ------------------------------------------------------------------------------------------------------

    private static void checkArray(final Object vector)
    {
        if (null == vector)
        {
            throw new NullPointerException("vector");
        }
    }

    private static void checkRange(final int offset, final int count, final int length)
    {
        if (offset < 0 || count < 0 || (long)offset + count > length)
        {
            throw new IndexOutOfBoundsException("offset " + offset + " and count " + count +
                " do not fit a vector of length " + length);
        }
    }

    private static void checkBuffer(
        final DirectBuffer buffer, final int byteOffset, final int count, final DataType type)
    {
        if (null == buffer || null == type)
        {
            throw new NullPointerException(null == buffer ? "buffer" : "type");
        }
        if (byteOffset < 0 || count < 0 || (long)byteOffset + (long)count * type.byteSize() > buffer.capacity())
        {
            throw new IndexOutOfBoundsException("byteOffset " + byteOffset + " and " + count + " x " + type +
                " do not fit a buffer of " + buffer.capacity() + " bytes");
        }
    }

    private void wrapUser(final ByteBuffer buffer)
    {
        if (null == buffer)
        {
            throw new NullPointerException("buffer");
        }
        if (buffer.isReadOnly())
        {
            throw new IllegalArgumentException("a read-only ByteBuffer cannot receive the result");
        }
        userView.wrap(buffer);
    }

    /**
     * The thread that runs issued calls in order while their callers compute: started by the first async call,
     * stopped by {@link #close()}. It polls the transport with the communicator's idle strategy while a call runs,
     * and between calls spins briefly, then parks until the next call is submitted.
     */
    private final class ProgressAgent implements Runnable
    {
        private static final int QUEUE_CAPACITY = 1024;
        private static final int IDLE_SPINS = 100;
        private static final int IDLE_YIELDS = 1_000;
        private static final long IDLE_PARK_NS = TimeUnit.MILLISECONDS.toNanos(1);
        private static final long STOP_TIMEOUT_MS = 15_000;

        private final ManyToOneConcurrentArrayQueue<Request> queue = new ManyToOneConcurrentArrayQueue<>(QUEUE_CAPACITY);
        private final Thread thread;
        private volatile boolean running = true;

        ProgressAgent()
        {
            thread = new Thread(this, "ringsync-progress-rank-" + rank);
            thread.setDaemon(true);
        }

        void start()
        {
            thread.start();
        }

        void submit(final Request request)
        {
            if (!queue.offer(request))
            {
                request.abandon();
                throw new IllegalStateException("rank " + rank + ": " + QUEUE_CAPACITY + " calls are already in " +
                    "flight on this communicator; wait for some before issuing more");
            }
            LockSupport.unpark(thread);
        }

        void stop()
        {
            running = false;
            LockSupport.unpark(thread);
            try
            {
                thread.join(STOP_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        public void run()
        {
            int idles = 0;
            while (true)
            {
                final Request request = queue.poll();
                if (null != request)
                {
                    runToCompletion(request);
                    idles = 0;
                    continue;
                }
                if (!running)
                {
                    return;
                }
                if (idles < IDLE_SPINS)
                {
                    Thread.onSpinWait();
                }
                else if (idles < IDLE_SPINS + IDLE_YIELDS)
                {
                    Thread.yield();
                }
                else
                {
                    LockSupport.parkNanos(this, IDLE_PARK_NS);
                }
                idles++;
            }
        }
    }

    /**
     * Reads every message of every link: chunks of the current call go to its algorithm, chunks of a later
     * call wait in their link, chunks of other jobs or earlier calls are dropped and counted, aborts fail
     * the call, hellos complete the handshake.
     */
    private final class Dispatcher implements MessageHandler
    {
        public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
        {
            final int templateId = wire.wrapHeader(buffer, offset, length);
            if (templateId == ChunkDecoder.TEMPLATE_ID)
            {
                return onChunk(buffer, offset, length);
            }
            if (templateId == AbortDecoder.TEMPLATE_ID)
            {
                return onAbort(buffer, offset);
            }
            if (templateId == HelloDecoder.TEMPLATE_ID)
            {
                return onHello(buffer, offset);
            }
            droppedMessages++;
            return true;
        }

        private boolean onChunk(final DirectBuffer buffer, final int offset, final int length)
        {
            final MessageHeaderDecoder header = wire.headerDecoder;
            final ChunkDecoder chunk = wire.chunkDecoder;
            if (header.blockLength() != ChunkDecoder.BLOCK_LENGTH || length < Wire.CHUNK_HEADER_LENGTH)
            {
                droppedMessages++;
                return true;
            }
            chunk.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
            if (chunk.jobId() != wire.jobId() || chunk.epoch() != wire.epoch())
            {
                droppedMessages++;
                return true;
            }
            final long chunkSequence = chunk.sequence();
            if (null == current || chunkSequence > sequence)
            {
                return false;
            }
            if (chunkSequence < sequence)
            {
                droppedMessages++;
                return true;
            }
            final String mismatch = wire.describeMismatch(callName(), rank);
            if (null != mismatch)
            {
                if (null == pending)
                {
                    pending = new CollectiveMismatchException("rank " + rank + ": " + mismatch, chunk.senderRank());
                }
                return false;
            }
            final int elementSize = chunk.elementType() == io.ringsync.codecs.ElementType.FLOAT64 ? 8 : 4;
            if (chunk.chunkCount() < 0 || Wire.CHUNK_HEADER_LENGTH + (long)chunk.chunkCount() * elementSize > length)
            {
                return reject("rank " + chunk.senderRank() + " sent a chunk of " + length + " bytes claiming " +
                    chunk.chunkCount() + " elements", chunk.senderRank());
            }
            return current.onChunk(chunk, buffer, offset + Wire.CHUNK_HEADER_LENGTH);
        }

        private boolean onAbort(final DirectBuffer buffer, final int offset)
        {
            final AbortDecoder abort = wire.abortDecoder;
            abort.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
                wire.headerDecoder.version());
            if (abort.jobId() != wire.jobId() || abort.epoch() != wire.epoch())
            {
                droppedMessages++;
                return true;
            }
            final int sender = abort.senderRank();
            final int suspect = abort.suspectRank();
            final AbortKind kind = abort.kind();
            final String reason = abort.reason();
            if (null == pending)
            {
                final String message = "rank " + rank + " received an abort from rank " + sender + " during " +
                    callName() + " #" + sequence + ": " + reason;
                switch (kind)
                {
                    case MISMATCH:
                        pending = new CollectiveMismatchException(message, suspect);
                        break;
                    case PEER_FAILED:
                        pending = new PeerFailedException(message, suspect);
                        break;
                    case TIMEOUT:
                        pending = new CollectiveTimeoutException(message, suspect);
                        break;
                    default:
                        pending = new RemoteAbortException(message, suspect);
                        break;
                }
                pendingFromPeer = true;
            }
            return false;
        }

        private boolean onHello(final DirectBuffer buffer, final int offset)
        {
            final HelloDecoder hello = wire.helloDecoder;
            hello.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
                wire.headerDecoder.version());
            if (hello.jobId() != wire.jobId() || hello.epoch() != wire.epoch())
            {
                droppedMessages++;
                return true;
            }
            final int sender = hello.senderRank();
            if (hello.worldSize() != size || sender < 0 || sender >= size)
            {
                if (null == pending)
                {
                    pending = new ConfigurationException("rank " + sender + " was started with " +
                        Configuration.WORLD_SIZE_ENV + "=" + hello.worldSize() + " but rank " + rank + " with " + size +
                        "; start every rank with the same world size", sender);
                }
                return false;
            }
            peerPids[sender] = hello.pid();
            peerHosts[sender] = hello.host();
            helloReceived[sender] = true;
            return true;
        }
    }
}
