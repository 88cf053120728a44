package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Latency-optimal AllReduce for small vectors: every rank sends its whole vector to every other rank, and
 * every rank folds the n contributions in rank order 0, 1, ..., n-1 into an accumulator.
 * <p>
 * One step instead of the ring's 2 (n-1): each rank sends and receives (n-1) vectors, in (n-1) P messages
 * (P pieces per vector, one chunk each; P is 1 up to the chunk size), and reduces (n-1) vectors. That is n/2
 * times the ring's bytes, a price worth paying only while a call is dominated by per-step latency, so the
 * communicator takes this path up to {@link Configuration#SMALL_MAX_BYTES_ENV} bytes.
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
 * The caller's vector is only read (for sends and for this rank's own fold) until every piece is sent and
 * folded; the result is then copied into it from the accumulator.
 */
final class SmallAllReduce extends Algorithm
{
    /**
     * Upper bound of {@link Configuration#SMALL_MAX_BYTES_ENV}: beyond this the n/2 times larger traffic
     * loses to the ring on any machine, and the accumulator stays small.
     */
    static final int MAX_BYTES_LIMIT = 1024 * 1024;

    private final Communicator comm;
    private final int rank;
    private final int n;
    private final OutboundLink[] links;
    private final Partition partition = new Partition();
    private final UnsafeBuffer accumulator;
    private final long accAddress;
    private final int[] folded;
    private final int[] sent;
    private final int[] received;

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

    /**
     * @param comm          whose links and wire to use.
     * @param maxBytes      largest vector this path takes, in bytes.
     * @param minPieceBytes the chunk payload the communicator chose, which sizes the per-piece state.
     */
    SmallAllReduce(final Communicator comm, final int maxBytes, final int minPieceBytes)
    {
        this.comm = comm;
        this.rank = comm.rank();
        this.n = comm.size();
        this.links = new OutboundLink[n];
        for (int peer = 0; peer < n; peer++)
        {
            if (peer != rank)
            {
                links[peer] = comm.transport().outbound(peer);
            }
        }
        final int capacity = Math.max(64, (maxBytes + 63) & ~63);
        this.accumulator = new UnsafeBuffer(BufferUtil.allocateDirectAligned(capacity, 64));
        this.accAddress = accumulator.addressOffset();
        final int maxPieces = Math.max(1, (maxBytes + minPieceBytes - 1) / Math.max(1, minPieceBytes));
        this.folded = new int[maxPieces];
        this.sent = new int[n];
        this.received = new int[n];
    }

    /**
     * Prepare a call; the vector is reduced in place.
     */
    SmallAllReduce start(
        final DataType type, final ReduceOp op, final Object base, final long address, final int count,
        final int maxPieceElements)
    {
        this.type = type;
        this.op = op;
        this.base = base;
        this.address = address;
        this.elementShift = type == DataType.FLOAT32 ? 2 : 3;
        partition.reset(count, 1, maxPieceElements);
        this.pieces = partition.pieces();
        if (pieces > folded.length || ((long)count << elementShift) > accumulator.capacity())
        {
            throw new IllegalStateException("rank " + rank + ": " + count + " x " + type + " in " + pieces +
                " pieces exceeds the small-vector path's " + accumulator.capacity() + " bytes / " + folded.length +
                " pieces");
        }
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << elementShift);
        Arrays.fill(folded, 0, pieces, 0);
        Arrays.fill(sent, 0);
        Arrays.fill(received, 0);
        sent[rank] = pieces;
        received[rank] = pieces;
        this.foldsLeft = n * pieces;
        this.sendsLeft = (n - 1) * pieces;
        this.copiedOut = false;
        if (rank == 0)
        {
            for (int piece = 0; piece < pieces; piece++)
            {
                foldOwn(piece);
            }
        }
        return this;
    }

    int doWork()
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
            Kernels.copy(null, accAddress, base, address, (long)partition.count() << elementShift);
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
            final long offset = link.tryClaim(frameLength);
            if (offset < 0)
            {
                break;
            }
            final int piece = sent[peer];
            final int start = partition.pieceStart(0, piece);
            final int length = partition.pieceLength(0, piece);
            final MutableDirectBuffer out = link.buffer();
            final int at = (int)offset;
            comm.wire().writeChunkHeader(out, at, 0, piece, start, length);
            Kernels.copy(
                base, address + ((long)start << elementShift),
                out.byteArray(), out.addressOffset() + at + Wire.CHUNK_HEADER_LENGTH,
                (long)length << elementShift);
            link.commit();
            sent[peer]++;
            sendsLeft--;
            work++;
        }
        return work;
    }

    boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int sender = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (sender < 0 || sender >= n || sender == rank || step != 0 || piece != received[sender])
        {
            return comm.reject("unexpected small-vector chunk from rank " + sender + " (step " + step + ", piece " +
                piece + "); rank " + rank + " expected step 0, piece " +
                (sender >= 0 && sender < n ? received[sender] : 0) + " of 0.." + (pieces - 1), sender);
        }
        final int start = partition.pieceStart(0, piece);
        final int length = partition.pieceLength(0, piece);
        if (decoder.chunkOffset() != start || decoder.chunkCount() != length)
        {
            return comm.reject("rank " + sender + " sent elements [" + decoder.chunkOffset() + ", +" +
                decoder.chunkCount() + ") for piece " + piece + ", rank " + rank + " expected [" + start + ", +" +
                length + ")", sender);
        }
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
     * accumulator = contribution for rank 0, else accumulator op contribution (AVG divides at rank n-1).
     */
    private void fold(final int piece, final int contributor, final Object srcBase, final long srcAddress)
    {
        final int length = partition.pieceLength(0, piece);
        final long acc = accAddress + ((long)partition.pieceStart(0, piece) << elementShift);
        if (0 == contributor)
        {
            Kernels.copy(srcBase, srcAddress, null, acc, (long)length << elementShift);
        }
        else if (length > 0)
        {
            Kernels.reduce(type, op, contributor == n - 1, n, null, acc, srcBase, srcAddress, null, acc, null, 0,
                length);
        }
        folded[piece]++;
        foldsLeft--;
    }

    boolean isDone()
    {
        return copiedOut;
    }

    int awaitedPeer()
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

    int chunksReceived()
    {
        final int awaited = awaitedPeer();
        return awaited >= 0 ? received[awaited] : foldsLeft == 0 ? (n - 1) * pieces : 0;
    }

    String progress()
    {
        return "small-vector path, " + (n * pieces - foldsLeft) + "/" + (n * pieces) + " pieces folded in rank " +
            "order; pieces received per rank " + Arrays.toString(received) + ", sent per rank " +
            Arrays.toString(sent) + " of " + pieces;
    }
}
