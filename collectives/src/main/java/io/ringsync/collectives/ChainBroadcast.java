package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.DirectBuffer;

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
final class ChainBroadcast implements Algorithm
{
    private final Group group;
    private final FlowControl flow;
    private final ChunkSender sender;
    private final Faults faults;
    private final Partition partition = new Partition();
    private final int rank;
    private final int n;
    private final int left;
    private final OutboundLink right;

    private Object base;
    private long address;
    private int shift;
    private int frameLength;
    private boolean isRoot;
    private boolean isLast;
    private int lastRank;

    private int injected;
    private int received;
    private boolean endReceived;
    private boolean endSent;

    ChainBroadcast(final Group group, final FlowControl flow, final ChunkSender sender, final Faults faults)
    {
        this.group = group;
        this.flow = flow;
        this.sender = sender;
        this.faults = faults;
        this.rank = group.rank;
        this.n = group.size;
        this.left = group.left;
        this.right = group.outbound(group.right);
    }

    public void start(final Request call)
    {
        this.base = call.base;
        this.address = call.address;
        this.shift = call.type.shift();
        partition.reset(call.count, 1, flow.maxPieceElements(call.type));
        this.frameLength = Wire.CHUNK_HEADER_LENGTH + (partition.longestPiece() << shift);
        this.isRoot = rank == call.root;
        this.lastRank = (call.root - 1 + n) % n;
        this.isLast = rank == lastRank;
        this.injected = 0;
        this.received = 0;
        this.endReceived = false;
        this.endSent = false;
    }

    public int doWork()
    {
        int work = 0;
        if (isRoot)
        {
            while (injected < partition.pieces())
            {
                final int start = partition.pieceStart(0, injected);
                if (!sender.sendCopy(right, frameLength, 0, injected, start, partition.pieceLength(0, injected), 0,
                    base, address + ((long)start << shift), shift))
                {
                    break;
                }
                injected++;
                work++;
            }
        }
        if (!endSent && mustSendEnd() && sender.claim(right, Wire.CHUNK_HEADER_LENGTH, 1, 0, 0, 0, 0))
        {
            sender.commit();
            endSent = true;
            work++;
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

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        final int from = decoder.senderRank();
        final int step = decoder.step();
        final int piece = decoder.piece();
        if (from != left)
        {
            return faults.reject("broadcast chunk from rank " + from + ", expected rank " + left, from);
        }
        if (step == 1)
        {
            if (isLast || endReceived || piece != 0 || (!isRoot && received != partition.pieces()))
            {
                return faults.reject("unexpected end-of-broadcast message from rank " + from + " at rank " + rank +
                    " (" + received + "/" + partition.pieces() + " pieces received)", from);
            }
            endReceived = true;
            return true;
        }
        if (isRoot)
        {
            return faults.reject("root " + rank + " got broadcast data (piece " + piece + ") from rank " + from, from);
        }
        if (step != 0 || piece != received)
        {
            return faults.reject("broadcast" + " step " + step + " from rank " + from +
                ", expected piece " + received + " of step 0", from);
        }
        final int start = partition.pieceStart(0, piece);
        final int length = partition.pieceLength(0, piece);
        if (!faults.expectRange(decoder, start, length, "broadcast"))
        {
            return false;
        }
        final Object inBase = buffer.byteArray();
        final long inAddr = buffer.addressOffset() + payloadOffset;
        if (!isLast && !sender.sendCopy(right, frameLength, 0, piece, start, length, 0, inBase, inAddr, shift))
        {
            return sender.forwardFailed();
        }
        Kernels.copy(inBase, inAddr, base, address + ((long)start << shift), (long)length << shift);
        received++;
        return true;
    }

    public boolean isDone()
    {
        if (isLast)
        {
            return endSent;
        }
        final boolean haveData = isRoot ? injected == partition.pieces() : received == partition.pieces();
        return haveData && endReceived && (endSent || !mustSendEnd());
    }

    public int awaitedPeer()
    {
        if (isLast)
        {
            return received < partition.pieces() ? left : -1;
        }
        return endReceived ? -1 : left;
    }

    public int chunksReceived()
    {
        return received;
    }

    public String progress()
    {
        return (isRoot ? "root, " + injected + "/" + partition.pieces() + " pieces sent" :
            received + "/" + partition.pieces() + " pieces received from " + group.name(left)) + ", end message " +
            (isLast ? (endSent ? "sent" : "not sent") : (endReceived ? "received" : "awaited from " +
            group.name(left)));
    }
}
