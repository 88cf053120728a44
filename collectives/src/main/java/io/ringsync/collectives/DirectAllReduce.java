package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.Collective;
import io.ringsync.codecs.Reduction;
import io.ringsync.transport.shm.ShmWindow;
import io.ringsync.transport.shm.ShmWindows;
import org.agrona.DirectBuffer;

import java.util.Arrays;

/**
 * AllReduce on one host by reading peers' memory in place: the direct mode of the shm transport. No chunk is
 * sent; each rank writes into its own mapped window ({@link ShmWindow}) and reads its peers' windows.
 * <p>
 * The summation order is the ring's ({@link RingAllReduce}), so results are bitwise identical to it on every
 * transport: the vector is cut into n segments by {@link Partition}, segment k is accumulated
 * x_k, + x_{k+1}, + x_{k+2}, ... along the ranks k, k+1, ..., finished by rank k - 1 and copied everywhere.
 * Rank r in step s = 0 .. n-2 reads segment (r - 1 - s) mod n from its left neighbour's window, adds its own
 * input and writes the partial sum into its own window, where its right neighbour reads it in step s + 1; at
 * step n-2 the sum is final and goes into the result too. Then rank r copies the other n - 1 final segments from
 * their owners' windows. Each rank stages only its own segment (1/n of the vector) and copies the n - 1 final
 * ones, where the ring copies a whole vector into and out of messages.
 * <p>
 * Windows are bounded ({@code RINGSYNC_SHM_WINDOW_BYTES}, 4 MiB by default): a larger vector streams through in
 * rounds, round p holding piece p of every segment, packed. Every piece is cut into chunks with one flag each;
 * a writer release-stores the round number (a counter every rank advances alike, never reset, so a flag is never
 * mistaken for a later round) after the chunk's data and a reader waits for it with volatile loads, so work on a
 * chunk starts as soon as its input exists. A rank writes round p + 1 into its window only after every peer has
 * published that it finished reading round p ({@link ShmWindow#publishDone}).
 * <p>
 * A vector the user placed in shared memory ({@link Communicator#allocate}) is not staged: the rank publishes
 * where it is, its right neighbour reads its own segment and partial sums there, and the rank writes them there
 * in place. Final segments still go to the window too, and the others read them only there: every read of the
 * shared vector (by the right neighbour, on the way to a final segment) is over once this rank holds all final
 * segments, so the vector is the user's again when the call returns, without waiting for acknowledgements.
 * <p>
 * Calls are checked before any data is read: each rank publishes its call (sequence, count, type, op, rounds,
 * chunking, where its vector is) in its window, and every rank compares the descriptor of each peer it reads
 * against its own, so a mismatch fails every rank with {@link CollectiveMismatchException}. Waits are the
 * communicator's: this class never blocks, it reports the peer it waits on and the loop keeps the deadline and
 * watches the peers.
 */
final class DirectAllReduce implements Algorithm
{
    private static final int PHASE_ACKS = 0;
    private static final int PHASE_RUN = 1;
    private static final int PHASE_DONE = 2;

    private final Group group;
    private final Faults faults;
    private final ShmWindows windows;
    private final ShmWindow window;
    private final Partition partition = new Partition();
    private final int rank;
    private final int n;
    private final int left;
    private final int ownSegment;
    private final int chunkBytes;
    private final long[] packedOffset;
    private final boolean[] verified;
    private final long[] peerBase;
    private final int[] gatherChunk;
    private final double[] weights;

    private long roundCounter;

    private long sequence;
    private DataType type;
    private ReduceOp op;
    private Object base;
    private long address;
    private int count;
    private int shift;
    private boolean inPlace;
    private boolean weighted;
    private Reduction reduction;
    private int rounds;
    private int chunkElements;
    private int chunksPerSegment;

    private int round;
    private long serial;
    private int phase = PHASE_DONE;
    private int staged;
    private int step;
    private int chunk;
    private int gathered;
    private int awaited;
    private int chunksRead;

    /**
     * @param windows    the shared windows the transport offers; this rank's own is created here.
     * @param chunkBytes the chunk size the flags are cut for (at least {@link ShmWindows#MIN_CHUNK_BYTES}).
     * @throws IllegalStateException when this rank's window cannot be created (/dev/shm full).
     */
    DirectAllReduce(final Group group, final ShmWindows windows, final int chunkBytes, final Faults faults)
    {
        this.group = group;
        this.faults = faults;
        this.windows = windows;
        this.window = windows.window();
        this.rank = group.rank;
        this.n = group.size;
        this.left = group.left;
        this.ownSegment = (rank + 1) % n;
        this.chunkBytes = Math.max(ShmWindows.MIN_CHUNK_BYTES, chunkBytes);
        this.packedOffset = new long[n];
        this.verified = new boolean[n];
        this.peerBase = new long[n];
        this.gatherChunk = new int[n];
        this.weights = new double[n];
    }

    /**
     * Prepare a call and publish its descriptor; the vector is reduced in place. A weighted average's vector is
     * already scaled by this rank's weight, published in the descriptor; the owner of segment k divides by the
     * weights summed in the ring's order for k (w_k + w_k+1 + ...), as {@link RingAllReduce} does, so the bits are
     * the ring's.
     */
    public void start(final Request call)
    {
        this.weighted = call.kind == CallKind.WEIGHTED_AVERAGE;
        this.reduction = weighted ? Reduction.WEIGHTED_AVG : Wire.reduction(call.op);
        Arrays.fill(weights, 0);
        weights[rank] = weighted ? call.weight : 0;
        this.sequence = call.sequence;
        this.type = call.type;
        this.op = call.op;
        this.base = call.base;
        this.address = call.address;
        this.count = call.count;
        this.shift = type.shift();

        final ShmWindow allocation = null == base ? windows.allocationHolding(address, (long)count << shift) : null;
        this.inPlace = null != allocation;

        plan();
        final long firstRound = roundCounter + 1;
        roundCounter += rounds;
        window.publishDescriptor(sequence, Collective.ALL_REDUCE.value(), Wire.elementType(type).value(),
            reduction.value(), count, rounds, chunkElements, inPlace ? allocation.id() : 0,
            inPlace ? address - allocation.dataAddress() : 0, weights[rank]);
        Arrays.fill(verified, false);
        verified[rank] = true;
        chunksRead = 0;
        beginRound(0, firstRound);
    }

    /**
     * @return the rounds this rank has used so far, for {@link Refusals}.
     */
    long rounds()
    {
        return roundCounter;
    }

    /**
     * After a refused call, which some ranks ran for a while and others never started: go on from {@code rounds},
     * the largest count any rank used (the same on every rank), and publish that this rank reads nothing of them
     * any more. Every rank calls this only after it stopped its own part of that call, so no window is rewritten
     * while a peer may still read it.
     *
     * @param rounds the largest {@link #rounds()} of all ranks.
     */
    void realign(final long rounds)
    {
        roundCounter = rounds;
        window.publishDone(rounds);
    }

    /**
     * Cut the vector as the ring does, into the fewest rounds whose pieces fit the window together, and the
     * pieces into chunks with a flag each.
     */
    private void plan()
    {
        final long capacity = window.dataLength() >> shift;
        final long longestSegment = ((long)count + n - 1) / n;
        int tryRounds = (int)Math.max(1, ((long)count + capacity - 1) / capacity);
        while (true)
        {
            final int maxPiece = (int)Math.max(1, (longestSegment + tryRounds - 1) / tryRounds);
            partition.reset(count, n, maxPiece);
            long firstRoundElements = 0;
            for (int k = 0; k < n; k++)
            {
                firstRoundElements += partition.pieceLength(k, 0);
            }
            if (firstRoundElements <= capacity)
            {
                break;
            }
            tryRounds++;
        }
        rounds = partition.pieces();
        chunkElements = chunkBytes >> shift;
        chunksPerSegment = Math.max(1, (partition.longestPiece() + chunkElements - 1) / chunkElements);
        while ((long)n * chunksPerSegment > window.flagCount())
        {
            chunkElements *= 2;
            chunksPerSegment = Math.max(1, (partition.longestPiece() + chunkElements - 1) / chunkElements);
        }
    }

    private void beginRound(final int round, final long serial)
    {
        this.round = round;
        this.serial = serial;
        long offset = 0;
        for (int k = 0; k < n; k++)
        {
            packedOffset[k] = offset;
            offset += partition.pieceLength(k, round);
        }
        Arrays.fill(gatherChunk, 0);
        staged = 0;
        step = 0;
        chunk = 0;
        gathered = 0;
        phase = PHASE_ACKS;
    }

    public int doWork()
    {
        awaited = -1;
        int work = 0;
        if (PHASE_ACKS == phase)
        {
            // the window is rewritten only once every peer finished reading the previous round
            if (!peersDone(serial - 1))
            {
                return 0;
            }
            phase = PHASE_RUN;
            work++;
        }
        if (PHASE_RUN == phase)
        {
            work += stage();
            work += reduceScatter();
            work += allGather();
            if (step == n - 1 && gathered == (n - 1) * chunksPerSegment)
            {
                window.publishDone(serial);
                work++;
                if (round + 1 < rounds)
                {
                    beginRound(round + 1, serial + 1);
                }
                else
                {
                    phase = PHASE_DONE;
                }
            }
        }
        return work;
    }

    private boolean peersDone(final long round)
    {
        for (int peer = 0; peer < n; peer++)
        {
            if (peer != rank)
            {
                final ShmWindow w = peerWindow(peer);
                if (null == w || w.done() < round)
                {
                    awaited = peer;
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Own segment: copied into the window (nothing to copy when the vector is shared), chunk by chunk, each
     * published as soon as it is there.
     */
    private int stage()
    {
        int work = 0;
        final int segment = rank;
        final int length = partition.pieceLength(segment, round);
        final long userElement = partition.pieceStart(segment, round);
        while (staged < chunksPerSegment)
        {
            final int lo = Partition.cutStart(length, chunksPerSegment, staged);
            final int elements = Partition.cutLength(length, chunksPerSegment, staged);
            if (!inPlace)
            {
                Kernels.copy(base, address + ((userElement + lo) << shift),
                    null, window.dataAddress() + ((packedOffset[segment] + lo) << shift), (long)elements << shift);
            }
            window.publishFlag(segment * chunksPerSegment + staged, serial);
            staged++;
            work++;
        }
        return work;
    }

    private int reduceScatter()
    {
        int work = 0;
        while (step < n - 1)
        {
            if (!verify(left))
            {
                return work;
            }
            final int segment = Math.floorMod(rank - 1 - step, n);
            final ShmWindow from = peerWindow(left);
            if (from.flag(segment * chunksPerSegment + chunk) != serial)
            {
                awaited = left;
                return work;
            }
            final int length = partition.pieceLength(segment, round);
            final int lo = Partition.cutStart(length, chunksPerSegment, chunk);
            final int elements = Partition.cutLength(length, chunksPerSegment, chunk);
            final long userElement = partition.pieceStart(segment, round) + lo;
            final long src = region(left, from, segment) + ((long)lo << shift);
            final long local = address + (userElement << shift);
            final long dst = inPlace ? local : window.dataAddress() + ((packedOffset[segment] + lo) << shift);
            if (step < n - 2)
            {
                // partial sum: left's running sum + this rank's input, into this rank's window
                Kernels.reduce(type, op, false, n, null, src, base, local, null, dst, null, 0, elements);
            }
            else
            {
                if (weighted && !verifyAll())
                {
                    return work;
                }
                // this rank owns the segment: the final value into the result, and into the window for the others
                // (also when the vector is shared: so no peer reads it once this rank has every final segment)
                Kernels.reduce(type, op, true, weighted ? weightSum(segment) : n, null, src, base, local, base, local,
                    null,
                    window.dataAddress() + ((packedOffset[segment] + lo) << shift), elements);
            }
            window.publishFlag(segment * chunksPerSegment + chunk, serial);
            chunksRead++;
            work++;
            if (++chunk == chunksPerSegment)
            {
                chunk = 0;
                step++;
            }
        }
        return work;
    }

    private int allGather()
    {
        int work = 0;
        for (int segment = 0; segment < n; segment++)
        {
            if (segment == ownSegment || gatherChunk[segment] == chunksPerSegment)
            {
                continue;
            }
            final int owner = (segment - 1 + n) % n;
            if (!verify(owner))
            {
                continue;
            }
            final ShmWindow from = peerWindow(owner);
            final int length = partition.pieceLength(segment, round);
            final long start = partition.pieceStart(segment, round);
            // final segments are always read from the owner's window, never from its shared vector
            final long src = from.dataAddress() + (packedOffset[segment] << shift);
            while (gatherChunk[segment] < chunksPerSegment)
            {
                final int c = gatherChunk[segment];
                if (from.flag(segment * chunksPerSegment + c) != serial)
                {
                    if (awaited < 0)
                    {
                        awaited = owner;
                    }
                    break;
                }
                final int lo = Partition.cutStart(length, chunksPerSegment, c);
                final int elements = Partition.cutLength(length, chunksPerSegment, c);
                Kernels.copy(null, src + ((long)lo << shift), base, address + ((start + lo) << shift),
                    (long)elements << shift);
                gatherChunk[segment] = c + 1;
                gathered++;
                chunksRead++;
                work++;
            }
        }
        return work;
    }

    /**
     * Address of {@code segment}'s piece of this round in a peer's memory: its shared vector, or its window.
     */
    private long region(final int peer, final ShmWindow w, final int segment)
    {
        final long shared = peerBase[peer];
        return 0 != shared ?
            shared + ((long)partition.pieceStart(segment, round) << shift) :
            w.dataAddress() + (packedOffset[segment] << shift);
    }

    private ShmWindow peerWindow(final int peer)
    {
        final ShmWindow w = windows.peerWindow(peer);
        if (null != w && (w.dataLength() != window.dataLength() || w.flagCount() != window.flagCount()))
        {
            throw new ConfigurationException("rank " + rank + ": rank " + peer + " has a shm window of " +
                w.dataLength() + " bytes and " + w.flagCount() + " chunk flags, rank " + rank + " one of " +
                window.dataLength() + " and " + window.flagCount() + ": start every rank with the same " +
                Configuration.SHM_WINDOW_BYTES_ENV, peer);
        }
        return w;
    }

    /**
     * Every peer verified (and so its weight known); false while some has not published this call yet.
     */
    private boolean verifyAll()
    {
        boolean all = true;
        for (int peer = 0; peer < n; peer++)
        {
            all &= verify(peer);
        }
        return all;
    }

    /**
     * @return the weights summed in the ring's order for segment 0, as the ring reports it.
     */
    public double weightSum()
    {
        return weightSum(0);
    }

    /**
     * @param segment a segment.
     * @return the weights summed in the ring's order for that segment: from rank {@code segment} on.
     */
    private double weightSum(final int segment)
    {
        double sum = 0;
        for (int hop = 0; hop < n; hop++)
        {
            sum += weights[(segment + hop) % n];
        }
        return sum;
    }

    /**
     * Whether {@code peer} published this call, and the same call: checked once per call and peer, before any of
     * its data is read.
     */
    private boolean verify(final int peer)
    {
        if (verified[peer])
        {
            return true;
        }
        final ShmWindow w = peerWindow(peer);
        if (null == w || w.descriptorSequence(sequence) != sequence)
        {
            awaited = awaited < 0 ? peer : awaited;
            return false;
        }
        final int collective = w.descriptorInt(sequence, ShmWindow.D_COLLECTIVE);
        final int elementType = w.descriptorInt(sequence, ShmWindow.D_TYPE);
        final int reduction = w.descriptorInt(sequence, ShmWindow.D_OP);
        final int peerCount = w.descriptorInt(sequence, ShmWindow.D_COUNT);
        final int peerRounds = w.descriptorInt(sequence, ShmWindow.D_ROUNDS);
        final int peerChunk = w.descriptorInt(sequence, ShmWindow.D_CHUNK);
        final int areaId = w.descriptorInt(sequence, ShmWindow.D_AREA_ID);
        final long areaOffset = w.descriptorAreaOffset(sequence);
        final double peerWeight = w.descriptorWeight(sequence);
        ShmWindow.loadFence();
        if (w.descriptorSequence(sequence) != sequence)
        {
            return false;
        }

        WindowCallCheck.requireSameAllReduce(rank, sequence, peer, collective, elementType, reduction, peerCount, type,
            this.reduction, count);
        if (peerRounds != rounds || peerChunk != chunkElements)
        {
            throw new CollectiveMismatchException("rank " + rank + ": allReduce #" + sequence + ": rank " + peer +
                " streams the vector in " + peerRounds + " rounds of " + peerChunk + "-element chunks, rank " + rank +
                " in " + rounds + " of " + chunkElements + ": start every rank with the same " +
                Configuration.SHM_WINDOW_BYTES_ENV + " and " + Configuration.CHUNK_BYTES_ENV, peer);
        }
        if (0 == areaId)
        {
            peerBase[peer] = 0;
        }
        else
        {
            final ShmWindow shared = windows.peerAllocation(peer, areaId);
            if (null == shared)
            {
                awaited = awaited < 0 ? peer : awaited;
                return false;
            }
            if (areaOffset < 0 || areaOffset + ((long)count << shift) > shared.dataLength())
            {
                throw new RemoteAbortException("rank " + rank + ": allReduce #" + sequence + ": rank " + peer +
                    " placed " + count + " elements at offset " + areaOffset + " of its shared vector of " +
                    shared.dataLength() + " bytes", peer);
            }
            peerBase[peer] = shared.dataAddress() + areaOffset;
        }
        weights[peer] = peerWeight;
        verified[peer] = true;
        return true;
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        return faults.reject("rank " + decoder.senderRank() + " runs allReduce #" + sequence + " (" + count + " x " +
            type + ") as a ring of messages, rank " + rank + " in direct mode over shared windows: start every " +
            "rank with the same " + Configuration.SHM_DIRECT_MIN_BYTES_ENV, decoder.senderRank());
    }

    public boolean isDone()
    {
        return PHASE_DONE == phase;
    }

    public int awaitedPeer()
    {
        return PHASE_DONE == phase ? -1 : awaited;
    }

    public int chunksReceived()
    {
        return chunksRead;
    }

    public String progress()
    {
        return "direct round " + (round + 1) + " of " + rounds + (PHASE_ACKS == phase ? ", waiting for peers to " +
            "finish reading the previous round" : ", reduce-scatter step " + Math.min(step, n - 2) + " of 0.." +
            (n - 2) + " (chunk " + chunk + " of " + chunksPerSegment + " from rank " + left + "), " + gathered + "/" +
            (n - 1) * chunksPerSegment + " final chunks copied") + (awaited >= 0 ? "; waiting on rank " + awaited : "");
    }
}
