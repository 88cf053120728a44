package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Pipelined chain broadcast along the ring: the root sends the vector in P pieces to root + 1, every rank
 * copies each piece into its vector and forwards it to its right, until root - 1, which keeps it. Each piece
 * moves as soon as it arrives, so a long vector takes about (n - 2 + P) piece times, not (n - 1) P.
 * <p>
 * Messages: step 0 carries data. Then an empty step-1 "end" message goes once around the ring, from root - 1
 * (which has the last piece) through the root and on to root - 2. A rank returns only after it has seen it,
 * that is after every rank has the data and has agreed on the call (each rank checks the header its left
 * neighbour sends), so a mismatch anywhere fails every rank, not only those downstream of it. The end
 * message costs n - 1 hops of a header: small next to the data, and broadcasts are rare.
 * <p>
 * The chain has no cycle of data dependencies (the last rank only consumes), so plain back pressure is
 * deadlock-free here.
 */
final class ChainBroadcast extends Algorithm
{
    private final Communicator comm;
    private final Partition partition = new Partition();
    private final int rank;
    private final int n;
    private final int left;
    private final OutboundLink right;

    private Object base;
    private long address;
    private int elementShift;
    private int frameLength;
    private boolean isRoot;
    private boolean isLast;
    private int lastRank;

    private int injected;
    private int received;
    private boolean endReceived;
    private boolean endSent;

    ChainBroadcast(final Communicator comm)
    {
        this.comm = comm;
        this.rank = comm.rank();
        this.n = comm.size();
        this.left = (rank - 1 + n) % n;
        this.right = comm.transport().outbound((rank + 1) % n);
    }

    ChainBroadcast start(
        final DataType type, final int root, final Object base, final long address, final int count,
        final int maxPieceElements)
    {
        this.base = base;
        this.address = address;
        this.elementShift = type == DataType.FLOAT32 ? 2 : 3;
        partition.reset(count, 1, maxPieceElements);
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << elementShift);
        this.isRoot = rank == root;
        this.lastRank = (root - 1 + n) % n;
        this.isLast = rank == lastRank;
        this.injected = 0;
        this.received = 0;
        this.endReceived = false;
        this.endSent = false;
        return this;
    }

    int doWork()
    {
        int work = 0;
        if (isRoot)
        {
            while (injected < partition.pieces())
            {
                final long offset = right.tryClaim(frameLength);
                if (offset < 0)
                {
                    break;
                }
                final int start = partition.pieceStart(0, injected);
                final int length = partition.pieceLength(0, injected);
                final MutableDirectBuffer out = right.buffer();
                comm.wire().writeChunkHeader(out, (int)offset, 0, injected, start, length, 0);
                Kernels.copy(base, address + ((long)start << elementShift),
                    out.byteArray(), out.addressOffset() + offset + Wire.CHUNK_HEADER_LENGTH,
                    (long)length << elementShift);
                right.commit();
                injected++;
                work++;
            }
        }
        if (!endSent && mustSendEnd())
        {
            final long offset = right.tryClaim(Wire.CHUNK_HEADER_LENGTH);
            if (offset >= 0)
            {
                comm.wire().writeChunkHeader(right.buffer(), (int)offset, 1, 0, 0, 0, 0);
                right.commit();
                endSent = true;
                work++;
            }
        }
        return work;
    }

    /**
     * The last rank starts the end message once it has every piece; the others pass it on, except to the
     * last rank, which started it.
     */
    private boolean mustSendEnd()
    {
        if (isLast)
        {
            return received == partition.pieces();
        }
        return endReceived && (rank + 1) % n != lastRank;
    }

    boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int sender = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (sender != left)
        {
            return comm.reject("broadcast chunk from rank " + sender + ", expected rank " + left, sender);
        }
        if (step == 1)
        {
            if (isLast || endReceived || piece != 0 || (!isRoot && received != partition.pieces()))
            {
                return comm.reject("unexpected end-of-broadcast message from rank " + sender + " at rank " + rank +
                    " (" + received + "/" + partition.pieces() + " pieces received)", sender);
            }
            endReceived = true;
            return true;
        }
        if (isRoot)
        {
            return comm.reject("root " + rank + " got broadcast data (piece " + piece + ") from rank " + sender, sender);
        }
        if (step != 0 || piece != received)
        {
            return comm.reject("broadcast piece " + piece + " step " + step + " from rank " + sender +
                ", expected piece " + received + " of step 0", sender);
        }
        final int start = partition.pieceStart(0, piece);
        final int length = partition.pieceLength(0, piece);
        if (decoder.chunkOffset() != start || decoder.chunkCount() != length)
        {
            return comm.reject("rank " + sender + " sent broadcast elements [" + decoder.chunkOffset() +
                ", +" + decoder.chunkCount() + "), rank " + rank + " expected [" + start + ", +" + length + ")", sender);
        }
        final Object inBase = buffer.byteArray();
        final long inAddr = buffer.addressOffset() + payloadOffset;
        final long bytes = (long)length << elementShift;
        if (!isLast)
        {
            final long offset = right.tryClaim(frameLength);
            if (offset < 0)
            {
                return false;
            }
            final MutableDirectBuffer out = right.buffer();
            comm.wire().writeChunkHeader(out, (int)offset, 0, piece, start, length, 0);
            Kernels.copy(inBase, inAddr, out.byteArray(), out.addressOffset() + offset + Wire.CHUNK_HEADER_LENGTH,
                bytes);
            right.commit();
        }
        Kernels.copy(inBase, inAddr, base, address + ((long)start << elementShift), bytes);
        received++;
        return true;
    }

    boolean isDone()
    {
        if (isLast)
        {
            return endSent;
        }
        final boolean haveData = isRoot ? injected == partition.pieces() : received == partition.pieces();
        return haveData && endReceived && (endSent || !mustSendEnd());
    }

    int awaitedPeer()
    {
        if (isLast)
        {
            return received < partition.pieces() ? left : -1;
        }
        return endReceived ? -1 : left;
    }

    int chunksReceived()
    {
        return received;
    }

    String progress()
    {
        return (isRoot ? "root, " + injected + "/" + partition.pieces() + " pieces sent" :
            received + "/" + partition.pieces() + " pieces received from rank " + left) + ", end message " +
            (isLast ? (endSent ? "sent" : "not sent") : (endReceived ? "received" : "awaited from rank " + left));
    }
}
