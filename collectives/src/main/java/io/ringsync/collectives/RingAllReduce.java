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
 */
final class RingAllReduce extends Algorithm
{
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
     * Prepare a call; the vector is reduced in place.
     */
    RingAllReduce start(
        final DataType type, final ReduceOp op, final Object base, final long address, final int count,
        final int maxPieceElements)
    {
        this.type = type;
        this.op = op;
        this.base = base;
        this.address = address;
        this.elementShift = type == DataType.FLOAT32 ? 2 : 3;
        partition.reset(count, n, maxPieceElements);
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << elementShift);
        this.framedLength = right.framedLength(frameLength);
        this.reserve = Math.max((long)(n + 1) * framedLength, comm.windowLength() / 2);
        this.injected = 0;
        this.received = 0;
        this.expected = 2 * (n - 1) * partition.pieces();
        return this;
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
            final int start = partition.pieceStart(rank, piece);
            final int length = partition.pieceLength(rank, piece);
            final MutableDirectBuffer out = right.buffer();
            final int at = (int)offset;
            comm.wire().writeChunkHeader(out, at, 0, piece, start, length);
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
        final int lastStep = 2 * n - 3;
        if (sender != left || step < 0 || step > lastStep || piece < 0 || piece >= partition.pieces())
        {
            return comm.reject("unexpected chunk from rank " + sender + " (step " + step + ", piece " + piece +
                ") in a ring expecting rank " + left + ", steps 0.." + lastStep + ", pieces 0.." +
                (partition.pieces() - 1), sender);
        }

        final boolean reducing = step < n - 1;
        final int segment = reducing ? Math.floorMod(rank - 1 - step, n) : Math.floorMod(rank - (step - (n - 1)), n);
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
            comm.wire().writeChunkHeader(out, at, step + 1, piece, start, length);
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
                Kernels.reduce(type, op, true, n, inBase, inAddr, base, localAddr,
                    base, localAddr, out.byteArray(), outAddr, length);
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
        return "ring step " + (n > 1 ? Math.min(received / partition.pieces(), 2 * n - 3) : 0) + " of 0.." +
            (2 * n - 3) + ", " + received + "/" + expected + " chunks received from rank " + left + ", " + injected +
            "/" + partition.pieces() + " injected";
    }
}
