package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Latency-optimal AllReduce for small vectors: every rank sends its whole vector to every other rank, and
 * every rank folds the n contributions in rank order 0, 1, ..., n-1 into an accumulator.
 * <p>
 * One step instead of the ring's 2 (n-1): each rank sends and receives (n-1) vectors, in (n-1) P messages
 * (P pieces per vector, one chunk each; P is 1 up to the chunk size), and reduces (n-1) vectors. That is n/2
 * times the ring's bytes, a price worth paying only while a call is dominated by per-step latency, so the
 * communicator takes this path up to {@link Configuration#SMALL_MAX_BYTES_ENV} bytes; at two ranks it is the
 * ring's bytes in one step, and a pair over tcp takes it further ({@link PathChooser#smallMaxBytes}).
 * <p>
 * Summation order: element i is {@code ((x0[i] op x1[i]) op x2[i]) ... op x(n-1)[i]}, AVG dividing by n in the
 * last operation, as the ring does. Every rank folds the same inputs in the same order with the same kernels,
 * so all ranks get the same bits without a broadcast. The order differs from the ring's, which is why the
 * switch depends on the vector's size in bytes only: the same call takes the same path on every transport,
 * and the bits never depend on the transport.
 * <p>
 * Folding in rank order while messages arrive in any order: a piece from rank k is consumed only once ranks
 * 0..k-1 are folded into that piece; until then it is declined and stays in its link, read in place later,
 * never copied aside. This cannot deadlock: the lowest rank with pieces still missing here has all its
 * predecessors folded, so its pieces are always consumed, its link always drains, and each link's sends
 * are retried independently, so one full link never holds back the others.
 * <p>
 * Passes over the data: the caller's vector is only read (for sends and for this rank's own fold) until every
 * piece is sent; a piece's last fold writes straight into it when that is so (the usual case: sends go first),
 * else into the accumulator, copied over once the last send is out. Rank 0's contribution is read in place from
 * the caller's vector, and rank 1 folds rank 0's piece with its own in one pass, so at np = 2 a call is one copy
 * into each outgoing message and one reduce pass into the result.
 */
final class SmallAllReduce implements Algorithm
{
    /**
     * Upper bound of {@link Configuration#SMALL_MAX_BYTES_ENV}: beyond this the n/2 times larger traffic
     * loses to the ring on any machine, and the accumulator stays small.
     */
    static final int MAX_BYTES_LIMIT = 1024 * 1024;

    private final FlowControl flow;
    private final ChunkSender sender;
    private final Faults faults;
    private final int rank;
    private final int n;
    private final OutboundLink[] links;
    private final Partition partition = new Partition();
    private final UnsafeBuffer accumulator;
    private final long accAddress;
    private final int[] folded;
    private final boolean[] resultInAccumulator;
    private final int[] sent;
    private final int[] received;
    private final double[] weights;

    private DataType type;
    private ReduceOp op;
    private Object base;
    private long address;
    private int elementShift;
    private int frameLength;
    private int pieces;
    private int foldsLeft;
    private int sendsLeft;
    private boolean copiedOut;
    private boolean weighted;
    private double weight;

    /**
     * @param maxBytes largest vector this path takes, in bytes; with the chunk size it sizes the per-piece state.
     */
    SmallAllReduce(
        final Group group, final FlowControl flow, final ChunkSender sender, final Faults faults, final int maxBytes)
    {
        this.flow = flow;
        this.sender = sender;
        this.faults = faults;
        this.rank = group.rank;
        this.n = group.size;
        this.links = new OutboundLink[n];
        for (int peer = 0; peer < n; peer++)
        {
            if (peer != rank)
            {
                links[peer] = group.outbound(peer);
            }
        }
        final int minPieceBytes = Math.max(1, flow.chunkBytes());
        final int capacity = Math.max(64, (maxBytes + 63) & ~63);
        this.accumulator = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity, 64));
        this.accAddress = accumulator.addressOffset();
        final int maxPieces = Math.max(1, (maxBytes + minPieceBytes - 1) / minPieceBytes);
        this.folded = new int[maxPieces];
        this.resultInAccumulator = new boolean[maxPieces];
        this.sent = new int[n];
        this.received = new int[n];
        this.weights = new double[n];
    }

    /**
     * Prepare a call, a weighted average when the call is one: the vector is already scaled by this rank's
     * weight, which travels in every header; the last fold divides by the weights summed in rank order.
     */
    public void start(final Request call)
    {
        this.weighted = call.kind == CallKind.WEIGHTED_AVERAGE;
        this.weight = weighted ? call.weight : 0;
        Arrays.fill(weights, 0);
        weights[rank] = this.weight;
        this.type = call.type;
        this.op = call.op;
        this.base = call.base;
        this.address = call.address;
        final int count = call.count;
        this.elementShift = type.shift();
        partition.reset(count, 1, flow.maxPieceElements(type));
        this.pieces = partition.pieces();
        if (pieces > folded.length || ((long)count << elementShift) > accumulator.capacity())
        {
            throw new IllegalStateException("rank " + rank + ": " + count + " x " + type + " in " + pieces +
                " pieces exceeds the small-vector path's " + accumulator.capacity() + " bytes / " + folded.length +
                " pieces");
        }
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << elementShift);
        Arrays.fill(folded, 0, pieces, 0);
        Arrays.fill(resultInAccumulator, 0, pieces, false);
        Arrays.fill(sent, 0);
        Arrays.fill(received, 0);
        sent[rank] = pieces;
        received[rank] = pieces;
        this.foldsLeft = n * pieces;
        this.sendsLeft = (n - 1) * pieces;
        this.copiedOut = false;
        if (rank == 0)
        {
            // nothing to do yet: rank 0's contribution is read in place by the fold of rank 1's piece
            Arrays.fill(folded, 0, pieces, 1);
            foldsLeft -= pieces;
        }
    }

    public int doWork()
    {
        int work = 0;
        if (sendsLeft > 0)
        {
            for (int peer = 0; peer < n; peer++)
            {
                if (peer != rank)
                {
                    work += send(peer);
                }
            }
        }
        return work + complete();
    }

    /**
     * Once every send has read the caller's vector and every piece is folded, the vector takes the result.
     */
    private int complete()
    {
        if (!copiedOut && 0 == foldsLeft && 0 == sendsLeft)
        {
            for (int piece = 0; piece < pieces; piece++)
            {
                if (resultInAccumulator[piece])
                {
                    final long offset = (long)partition.pieceStart(0, piece) << elementShift;
                    Kernels.copy(null, accAddress + offset, base, address + offset,
                        (long)partition.pieceLength(0, piece) << elementShift);
                }
            }
            copiedOut = true;
            return 1;
        }
        return 0;
    }

    private int send(final int peer)
    {
        final OutboundLink link = links[peer];
        int work = 0;
        while (sent[peer] < pieces)
        {
            final int piece = sent[peer];
            final int start = partition.pieceStart(0, piece);
            if (!sender.sendCopy(link, frameLength, 0, piece, start, partition.pieceLength(0, piece), weight, base,
                address + ((long)start << elementShift), elementShift))
            {
                break;
            }
            sent[peer]++;
            sendsLeft--;
            work++;
        }
        return work;
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int sender = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (sender < 0 || sender >= n || sender == rank || step != 0 || piece != received[sender])
        {
            return faults.reject("unexpected small-vector chunk from rank " + sender + " (step " + step + ", piece " +
                piece + "); rank " + rank + " expected step 0, piece " +
                (sender >= 0 && sender < n ? received[sender] : 0) + " of 0.." + (pieces - 1), sender);
        }
        if (!faults.expectRange(decoder, partition.pieceStart(0, piece), partition.pieceLength(0, piece),
            "small-vector"))
        {
            return false;
        }
        weights[sender] = decoder.weight();
        if (folded[piece] != sender)
        {
            // a lower rank's piece is still missing: fold in rank order, so leave this one in its link
            return false;
        }
        fold(piece, sender, buffer.byteArray(), buffer.addressOffset() + payloadOffset);
        received[sender]++;
        if (folded[piece] == rank)
        {
            foldOwn(piece);
        }
        complete();
        return true;
    }

    private void foldOwn(final int piece)
    {
        fold(piece, rank, base, address + ((long)partition.pieceStart(0, piece) << elementShift));
    }

    /**
     * Fold {@code contributor}'s piece: accumulator = accumulator op contribution, AVG dividing at rank n-1.
     * Rank 0's piece is the accumulator's start: read in place from the caller's vector on rank 0, folded
     * together with this rank's own on rank 1, copied aside elsewhere (its message is released after this).
     */
    private void fold(final int piece, final int contributor, final Object srcBase, final long srcAddress)
    {
        final int length = partition.pieceLength(0, piece);
        final long offset = (long)partition.pieceStart(0, piece) << elementShift;
        final long acc = accAddress + offset;
        int contributors = 1;
        final Object aBase;
        final long aAddress;
        final Object bBase;
        final long bAddress;
        if (0 == contributor)
        {
            if (rank != 1)
            {
                Kernels.copy(srcBase, srcAddress, null, acc, (long)length << elementShift);
                folded[piece]++;
                foldsLeft--;
                return;
            }
            aBase = srcBase;
            aAddress = srcAddress;
            bBase = base;
            bAddress = address + offset;
            contributors = 2;
        }
        else if (1 == contributor && 0 == rank)
        {
            aBase = base;
            aAddress = address + offset;
            bBase = srcBase;
            bAddress = srcAddress;
        }
        else
        {
            aBase = null;
            aAddress = acc;
            bBase = srcBase;
            bAddress = srcAddress;
        }

        final boolean last = folded[piece] + contributors == n;
        // the caller's vector may take a final piece once no send will read it any more
        final boolean intoResult = last && 0 == sendsLeft;
        if (length > 0)
        {
            Kernels.reduce(type, op, last, last && weighted ? weightSum() : n, aBase, aAddress, bBase, bAddress,
                intoResult ? base : null, intoResult ? address + offset : acc, null, 0, length);
        }
        resultInAccumulator[piece] = last && !intoResult;
        folded[piece] += contributors;
        foldsLeft -= contributors;
    }

    public boolean isDone()
    {
        return copiedOut;
    }

    /**
     * @return the weights of ranks 0 .. n-1 summed in that order: complete once the first piece of every rank was
     * seen, which the last fold of any piece guarantees.
     */
    public double weightSum()
    {
        return WeightedAverages.sumInRankOrder(weights);
    }

    public int awaitedPeer()
    {
        for (int peer = 0; peer < n; peer++)
        {
            if (peer != rank && received[peer] < pieces)
            {
                return peer;
            }
        }
        for (int peer = 0; peer < n; peer++)
        {
            if (peer != rank && sent[peer] < pieces)
            {
                return peer;
            }
        }
        return -1;
    }

    public int chunksReceived()
    {
        final int awaited = awaitedPeer();
        return awaited >= 0 ? received[awaited] : foldsLeft == 0 ? (n - 1) * pieces : 0;
    }

    public String progress()
    {
        return "small-vector path, " + (n * pieces - foldsLeft) + "/" + (n * pieces) + " pieces folded in rank " +
            "order; pieces received per rank " + Arrays.toString(received) + ", sent per rank " +
            Arrays.toString(sent) + " of " + pieces;
    }
}
