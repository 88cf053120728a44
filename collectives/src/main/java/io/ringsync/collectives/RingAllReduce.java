package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;

/**
 * Pipelined ring AllReduce: reduce-scatter, then allgather, every rank sending only to its right
 * neighbour and receiving only from its left.
 * <p>
 * The vector is cut into {@code n} segments of P pieces each ({@link Partition}). In reduce-scatter step
 * {@code s = 0 .. n-2} rank {@code r} sends its running sum of segment {@code (r - s) mod n}: at step 0 its
 * own input, later the piece it just received plus its own input, computed straight into the outgoing
 * claim. After step n-2 rank {@code r} holds the final value of segment {@code (r + 1) mod n}: it writes it
 * into its result and sends it on. In allgather step {@code t = 0 .. n-2} a rank copies the final piece it
 * receives into its result and forwards it, except at the last step. Steps are numbered 0 .. 2n-3 on the
 * wire, allgather following reduce-scatter.
 * <p>
 * Bytes each rank sends and receives: 2 (n-1)/n of the vector, in 2 (n-1) P messages. Every piece of every
 * step is independent, so all of them may be in flight at once; the pipeline depth is set by the link's
 * window, not by a step barrier.
 * <p>
 * Summation order is fixed by the ring: segment k is accumulated as x_k, then + x_{k+1}, + x_{k+2}, ...
 * and finished by its owner, then copied everywhere, so every rank ends with the same bits on every
 * transport.
 * <p>
 * Flow control: a step-0 injection is the only send not triggered by a receive. If injections could fill
 * the links, every rank could end up holding a received piece it cannot forward, waiting on a neighbour in
 * the same state. So an injection is made only while the right link keeps at least {@code reserve} bytes
 * free after it ({@link FlowControl#reserve(long)}). A forward takes one message from a link and puts one
 * in the next, and the last step takes one out, so only injections raise the number of messages in the ring;
 * each leaves its link at least one message short of full, so the n links never all fill up at once. While
 * one link has room, its writer can forward (or, with nothing to forward from an empty inbound link, the rank
 * behind it can, or injects, or the call is complete): some rank can always move. That holds for one message of
 * reserve on links of whole slots, whatever the vector size or slot count (ShmAllReduceTest runs 2 slots at
 * 6 ranks); byte windows keep n + 1 because messages of successive calls may differ in length. A larger share
 * keeps injections from crowding forwards out: with half the window, measured faster than one message. All
 * messages of a call have the same length (the longest piece) so the count of messages is exact.
 * <p>
 * The same machinery runs the halves alone, named by {@link Span}: {@link Span#REDUCE_SCATTER} stops after step
 * n-2, {@link Span#ALL_GATHER} starts at step n-1 by injecting the rank's own segment. Both rotate the segments by
 * one so that rank {@code r} owns segment {@code r}, the block layout users expect.
 * <p>
 * Weighted average: each rank scales its input by its weight before the call ({@link WeightedAverages}), the
 * ring sums, and every message carries in its header the sum of the weights of the ranks its piece has passed
 * through. The owner of a segment thus learns the total weight W with its last reduce-scatter piece and
 * divides by it, and the allgather hands W on with the final values.
 */
final class RingAllReduce implements Algorithm
{
    /**
     * Which steps of the ring a call runs.
     */
    enum Span
    {
        /**
         * Reduce-scatter then allgather: everyone gets the whole reduced vector.
         */
        ALL_REDUCE,

        /**
         * Reduce-scatter only: rank r gets the reduced segment r.
         */
        REDUCE_SCATTER,

        /**
         * Allgather only: rank r contributes segment r, everyone gets all.
         */
        ALL_GATHER
    }

    private final Group group;
    private final FlowControl flow;
    private final ChunkSender sender;
    private final Faults faults;
    private final Span span;
    private final Partition partition = new Partition();
    private final int rank;
    private final int n;
    private final int left;
    private final OutboundLink right;
    private final int rotation;
    private final int firstStep;
    private final int lastStep;

    private DataType type;
    private ReduceOp op;
    private Object base;
    private long address;
    private int shift;
    private boolean narrow;
    private int wireShift;
    private int frameLength;
    private int framedLength;
    private long reserve;
    private boolean weighted;
    private double weight;
    private double weightSum;

    private int injected;
    private int received;
    private int expected;

    RingAllReduce(
        final Group group, final FlowControl flow, final ChunkSender sender, final Faults faults, final Span span)
    {
        this.group = group;
        this.flow = flow;
        this.sender = sender;
        this.faults = faults;
        this.span = span;
        this.rank = group.rank;
        this.n = group.size;
        this.left = group.left;
        this.right = group.outbound(group.right);
        this.rotation = span == Span.ALL_REDUCE ? 0 : n - 1;
        this.firstStep = span == Span.ALL_GATHER ? n - 1 : 0;
        this.lastStep = span == Span.REDUCE_SCATTER ? n - 2 : 2 * n - 3;
    }

    /**
     * Prepare a call: its vector is reduced in place; a weighted average's vector is already scaled by this
     * rank's weight, which the chunks carry on. An allgather ignores the op.
     */
    public void start(final Request call)
    {
        this.type = call.type;
        this.op = span == Span.ALL_GATHER ? ReduceOp.SUM : call.op;
        this.base = call.base;
        this.address = call.address;
        this.shift = type.shift();
        this.narrow = call.narrowWire;
        this.wireShift = narrow ? 1 : shift;
        this.weighted = call.kind == CallKind.WEIGHTED_AVERAGE;
        this.weight = weighted ? call.weight : 0;
        this.weightSum = 0;
        partition.reset(call.count, n, flow.chunkBytes() >> wireShift);
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << wireShift);
        this.framedLength = right.framedLength(frameLength);
        this.reserve = flow.reserve(framedLength);
        this.injected = 0;
        this.received = 0;
        this.expected = (lastStep - firstStep + 1) * partition.pieces();
    }

    /**
     * @return after a weighted average: the sum of all ranks' weights, as carried by segment 0 (the same value
     * on every rank).
     */
    public double weightSum()
    {
        return weightSum;
    }

    public int doWork()
    {
        int work = 0;
        final int segment = span == Span.ALL_GATHER ? rank : (rank + rotation) % n;
        while (injected < partition.pieces() && right.hasWindow(reserve + framedLength))
        {
            final int start = partition.pieceStart(segment, injected);
            final int length = partition.pieceLength(segment, injected);
            final long from = address + ((long)start << shift);
            if (narrow)
            {
                if (!sender.claim(right, frameLength, firstStep, injected, start, length, weight))
                {
                    break;
                }
                Bf16Kernels.narrow(base, from, sender.payloadBase(), sender.payloadAddress(), length);
                sender.commit();
            }
            else if (!sender.sendCopy(right, frameLength, firstStep, injected, start, length, weight, base, from,
                shift))
            {
                break;
            }
            injected++;
            work++;
        }
        return work;
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int sender = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (sender != left || step < firstStep || step > lastStep || piece < 0 || piece >= partition.pieces())
        {
            return faults.reject("unexpected chunk from rank " + sender + " (step " + step + ", piece " + piece +
                ") in a ring expecting rank " + left + ", steps " + firstStep + ".." + lastStep + ", pieces 0.." +
                (partition.pieces() - 1), sender);
        }

        final boolean reducing = step < n - 1;
        final int segment = reducing ?
            Math.floorMod(rank - 1 - step + rotation, n) : Math.floorMod(rank - (step - (n - 1)) + rotation, n);
        final int start = partition.pieceStart(segment, piece);
        final int length = partition.pieceLength(segment, piece);
        if (!faults.expectRange(decoder, start, length, "ring"))
        {
            return false;
        }

        final Object inBase = buffer.byteArray();
        final long inAddr = buffer.addressOffset() + payloadOffset;
        final long localAddr = address + ((long)start << shift);
        final boolean forward = step < lastStep;

        final double carried = reducing && weighted ? decoder.weight() + weight : decoder.weight();
        if (weighted && segment == 0 && (!reducing || step == n - 2))
        {
            weightSum = carried;
        }

        Object outBase = null;
        long outAddr = 0;
        if (forward)
        {
            if (!this.sender.claim(right, frameLength, step + 1, piece, start, length, carried))
            {
                return this.sender.forwardFailed();
            }
            outBase = this.sender.payloadBase();
            outAddr = this.sender.payloadAddress();
        }

        if (narrow)
        {
            narrowedStep(reducing, step, inBase, inAddr, localAddr, outBase, outAddr, length, carried);
        }
        else if (reducing)
        {
            if (step < n - 2)
            {
                // partial sum: received + local, straight into the outgoing claim
                Kernels.reduce(type, op, false, n, inBase, inAddr, base, localAddr, outBase, outAddr, null, 0, length);
            }
            else
            {
                // this rank owns the segment: final value into the result, and sent on as allgather step 0
                Kernels.reduce(type, op, true, weighted ? carried : n, inBase, inAddr, base, localAddr,
                    base, localAddr, outBase, outAddr, length);
            }
        }
        else
        {
            final long bytes = (long)length << shift;
            Kernels.copy(inBase, inAddr, base, localAddr, bytes);
            if (forward)
            {
                Kernels.copy(inBase, inAddr, outBase, outAddr, bytes);
            }
        }

        if (forward)
        {
            this.sender.commit();
        }
        received++;
        return true;
    }

    /**
     * A step on a bfloat16 wire: partial sums are narrowed into the outgoing claim; the owner narrows the final
     * value and keeps the widened one, so it holds what every other rank receives; the allgather widens.
     */
    private void narrowedStep(
        final boolean reducing, final int step, final Object inBase, final long inAddr, final long localAddr,
        final Object outBase, final long outAddr, final int length, final double carried)
    {
        if (reducing && step < n - 2)
        {
            Bf16Kernels.reduce(ScalarKernels.kind(op, false), inBase, inAddr, base, localAddr, outBase, outAddr,
                length);
        }
        else if (reducing)
        {
            Bf16Kernels.finish(ScalarKernels.kind(op, true), weighted ? carried : n, inBase, inAddr, base, localAddr,
                outBase, outAddr, length);
        }
        else
        {
            Bf16Kernels.widen(inBase, inAddr, base, localAddr, length);
            if (null != outBase || 0 != outAddr)
            {
                Kernels.copy(inBase, inAddr, outBase, outAddr, (long)length << 1);
            }
        }
    }

    public boolean isDone()
    {
        return received == expected && injected == partition.pieces();
    }

    public int awaitedPeer()
    {
        return received < expected ? left : -1;
    }

    public int chunksReceived()
    {
        return received;
    }

    public String progress()
    {
        return "ring step " + Math.min(firstStep + received / partition.pieces(), lastStep) + " of " +
            firstStep + ".." + lastStep + ", " + received + "/" + expected + " chunks received from " +
            group.name(left) + ", " + injected + "/" + partition.pieces() + " injected";
    }
}
