package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

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
 * free, with {@code reserve} at least (n + 1) messages: then not all n links can ever be full at once, and
 * forwards, which may fill a link, always drain. All messages of a call have the same length (the longest
 * piece) so the count of messages is exact.
 * <p>
 * The same machinery runs the halves alone: {@link #REDUCE_SCATTER} stops after step n-2, {@link #ALL_GATHER}
 * starts at step n-1 by injecting the rank's own segment. Both rotate the segments by one so that rank
 * {@code r} owns segment {@code r}, the block layout users expect.
 * <p>
 * Weighted average: each rank scales its input by its weight before the call (the Communicator does it), the
 * ring sums, and every message carries in its header the sum of the weights of the ranks its piece has passed
 * through. The owner of a segment thus learns the total weight W with its last reduce-scatter piece and
 * divides by it, and the allgather hands W on with the final values.
 */
final class RingAllReduce extends Algorithm
{
    /**
     * Reduce-scatter then allgather: everyone gets the whole reduced vector.
     */
    static final int ALL_REDUCE = 0;

    /**
     * Reduce-scatter only: rank r gets the reduced segment r.
     */
    static final int REDUCE_SCATTER = 1;

    /**
     * Allgather only: rank r contributes segment r, everyone gets all.
     */
    static final int ALL_GATHER = 2;

    private final Communicator comm;
    private final Partition partition = new Partition();
    private final int rank;
    private final int n;
    private final int left;
    private final OutboundLink right;

    private DataType type;
    private ReduceOp op;
    private Object base;
    private long address;
    private int elementShift;
    private int frameLength;
    private int framedLength;
    private long reserve;
    private int mode;
    private int rotation;
    private int firstStep;
    private int lastStep;
    private boolean weighted;
    private double weight;
    private double weightSum;

    private int injected;
    private int received;
    private int expected;

    RingAllReduce(final Communicator comm)
    {
        this.comm = comm;
        this.rank = comm.rank();
        this.n = comm.size();
        this.left = (rank - 1 + n) % n;
        this.right = comm.transport().outbound((rank + 1) % n);
    }

    /**
     * Prepare an AllReduce; the vector is reduced in place.
     */
    RingAllReduce start(
        final DataType type, final ReduceOp op, final Object base, final long address, final int count,
        final int maxPieceElements)
    {
        return start(ALL_REDUCE, type, op, base, address, count, maxPieceElements, false, 0);
    }

    /**
     * Prepare a call of any mode.
     *
     * @param mode             {@link #ALL_REDUCE}, {@link #REDUCE_SCATTER} or {@link #ALL_GATHER}.
     * @param op               reduction, ignored by {@link #ALL_GATHER}; AVG when {@code weighted}.
     * @param weighted         true for a weighted average: the vector is already scaled by {@code weight}.
     * @param weight           this rank's weight, when {@code weighted}.
     * @return this.
     */
    RingAllReduce start(
        final int mode, final DataType type, final ReduceOp op, final Object base, final long address, final int count,
        final int maxPieceElements, final boolean weighted, final double weight)
    {
        this.mode = mode;
        this.type = type;
        this.op = op;
        this.base = base;
        this.address = address;
        this.elementShift = type == DataType.FLOAT32 ? 2 : 3;
        this.rotation = mode == ALL_REDUCE ? 0 : n - 1;
        this.firstStep = mode == ALL_GATHER ? n - 1 : 0;
        this.lastStep = mode == REDUCE_SCATTER ? n - 2 : 2 * n - 3;
        this.weighted = weighted;
        this.weight = weighted ? weight : 0;
        this.weightSum = 0;
        partition.reset(count, n, maxPieceElements);
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << elementShift);
        this.framedLength = right.framedLength(frameLength);
        this.reserve = Math.max((long)(n + 1) * framedLength, comm.windowLength() / 2);
        this.injected = 0;
        this.received = 0;
        this.expected = (lastStep - firstStep + 1) * partition.pieces();
        return this;
    }

    /**
     * @return after a weighted average: the sum of all ranks' weights, as carried by segment 0 (the same value
     * on every rank).
     */
    double weightSum()
    {
        return weightSum;
    }

    int doWork()
    {
        int work = 0;
        final int pieces = partition.pieces();
        while (injected < pieces && right.availableWindow() >= reserve + framedLength)
        {
            final long offset = right.tryClaim(frameLength);
            if (offset < 0)
            {
                break;
            }
            final int piece = injected;
            final int segment = mode == ALL_GATHER ? rank : (rank + rotation) % n;
            final int start = partition.pieceStart(segment, piece);
            final int length = partition.pieceLength(segment, piece);
            final MutableDirectBuffer out = right.buffer();
            final int at = (int)offset;
            comm.wire().writeChunkHeader(out, at, firstStep, piece, start, length, weight);
            Kernels.copy(
                base, address + ((long)start << elementShift),
                out.byteArray(), out.addressOffset() + at + Wire.CHUNK_HEADER_LENGTH,
                (long)length << elementShift);
            right.commit();
            injected++;
            work++;
        }
        return work;
    }

    boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int sender = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (sender != left || step < firstStep || step > lastStep || piece < 0 || piece >= partition.pieces())
        {
            return comm.reject("unexpected chunk from rank " + sender + " (step " + step + ", piece " + piece +
                ") in a ring expecting rank " + left + ", steps " + firstStep + ".." + lastStep + ", pieces 0.." +
                (partition.pieces() - 1), sender);
        }

        final boolean reducing = step < n - 1;
        final int segment = reducing ?
            Math.floorMod(rank - 1 - step + rotation, n) : Math.floorMod(rank - (step - (n - 1)) + rotation, n);
        final int start = partition.pieceStart(segment, piece);
        final int length = partition.pieceLength(segment, piece);
        if (decoder.chunkOffset() != start || decoder.chunkCount() != length)
        {
            return comm.reject("rank " + sender + " sent elements [" + decoder.chunkOffset() + ", +" +
                decoder.chunkCount() + ") for step " + step + " piece " + piece + ", rank " + rank + " expected [" +
                start + ", +" + length + ")", sender);
        }

        final Object inBase = buffer.byteArray();
        final long inAddr = buffer.addressOffset() + payloadOffset;
        final long localAddr = address + ((long)start << elementShift);
        final boolean forward = step < lastStep;

        final double carried = reducing && weighted ? decoder.weight() + weight : decoder.weight();
        if (weighted && segment == 0 && (!reducing || step == n - 2))
        {
            weightSum = carried;
        }

        MutableDirectBuffer out = null;
        long outAddr = 0;
        int at = 0;
        if (forward)
        {
            final long offset = right.tryClaim(frameLength);
            if (offset < 0)
            {
                return false;
            }
            out = right.buffer();
            at = (int)offset;
            outAddr = out.addressOffset() + at + Wire.CHUNK_HEADER_LENGTH;
            comm.wire().writeChunkHeader(out, at, step + 1, piece, start, length, carried);
        }

        if (reducing)
        {
            if (step < n - 2)
            {
                // partial sum: received + local, straight into the outgoing claim
                Kernels.reduce(type, op, false, n, inBase, inAddr, base, localAddr,
                    out.byteArray(), outAddr, null, 0, length);
            }
            else
            {
                // this rank owns the segment: final value into the result, and sent on as allgather step 0
                final double divisor = weighted ? carried : n;
                if (forward)
                {
                    Kernels.reduce(type, op, true, divisor, inBase, inAddr, base, localAddr,
                        base, localAddr, out.byteArray(), outAddr, length);
                }
                else
                {
                    Kernels.reduce(type, op, true, divisor, inBase, inAddr, base, localAddr,
                        base, localAddr, null, 0, length);
                }
            }
        }
        else
        {
            final long bytes = (long)length << elementShift;
            Kernels.copy(inBase, inAddr, base, localAddr, bytes);
            if (forward)
            {
                Kernels.copy(inBase, inAddr, out.byteArray(), outAddr, bytes);
            }
        }

        if (forward)
        {
            right.commit();
        }
        received++;
        return true;
    }

    boolean isDone()
    {
        return received == expected && injected == partition.pieces();
    }

    int awaitedPeer()
    {
        return received < expected ? left : -1;
    }

    int chunksReceived()
    {
        return received;
    }

    String progress()
    {
        return "ring step " + (n > 1 ? Math.min(firstStep + received / partition.pieces(), lastStep) : 0) + " of " +
            firstStep + ".." + lastStep + ", " + received + "/" + expected + " chunks received from rank " + left + ", " + injected +
            "/" + partition.pieces() + " injected";
    }
}
