package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.Collective;
import io.ringsync.codecs.Reduction;
import io.ringsync.transport.shm.ShmWindow;
import io.ringsync.transport.shm.ShmWindows;
import org.agrona.DirectBuffer;

import java.util.Arrays;

/**
 * AllReduce of a vector of at most {@link #MAX_BYTES} bytes on one host, carried inside the call's descriptor in
 * each rank's shm window: one cache line holds the call's sequence, its type, op, count, weight and the data, so a
 * peer learns that the call started and reads its contribution with one transfer of that line once the owner's
 * stores have taken it. A small-path message through an shm link waits for one transfer more: the reader fetches
 * the link's producer position, then the slot (its header, the 64-byte chunk header and the payload). A vector
 * longer than the first line holds (32 bytes) continues in the descriptor's second line, headed by the sequence
 * again: the reader loads both lines on every pass, so they arrive together.
 * <p>
 * Folds in rank order exactly as {@link SmallAllReduce}: element i is {@code ((x0[i] op x1[i]) op x2[i]) ...},
 * AVG dividing by n (a weighted average by the weights summed in rank order) in the last operation, with the same
 * kernels, so the bits are those of the small path on any transport and the same on every rank.
 * <p>
 * Reuse of a descriptor slot is safe without acknowledgements: call k writes the slot of parity k, which call k - 2
 * used; this rank starts call k only after finishing k - 1, which needed every peer's descriptor of k - 1, and a
 * peer publishes k - 1 only after finishing k - 2, i.e. after reading this rank's descriptor of k - 2.
 * <p>
 * A peer that published a different call (collective, type, op or count) fails this rank with a
 * {@link CollectiveMismatchException} naming it; that peer sees the same difference from its side.
 */
final class InlineAllReduce implements Algorithm
{
    /**
     * Largest vector carried inline: the descriptor's first line less its sequence, call fields and weight, and its
     * second line less the sequence that heads it.
     */
    static final int MAX_BYTES = ShmWindow.D_INLINE_LENGTH + ShmWindow.D_INLINE_TAIL_LENGTH;

    private final Faults faults;
    private final ShmWindows windows;
    private final ShmWindow window;
    private final int rank;
    private final int n;
    private final double[] weights;

    private long sequence;
    private DataType type;
    private ReduceOp op;
    private Reduction reduction;
    private Object base;
    private long address;
    private int count;
    private int shift;
    private int headCount;
    private boolean weighted;
    private int next;

    InlineAllReduce(final Group group, final ShmWindows windows, final Faults faults)
    {
        this.faults = faults;
        this.windows = windows;
        this.window = windows.window();
        this.rank = group.rank;
        this.n = group.size;
        this.weights = new double[n];
    }

    /**
     * Publish this rank's contribution in its descriptor; a weighted average's vector is already scaled by this
     * rank's weight, which the descriptor carries.
     */
    public void start(final Request call)
    {
        this.weighted = call.kind == CallKind.WEIGHTED_AVERAGE;
        this.reduction = weighted ? Reduction.WEIGHTED_AVG : Wire.reduction(call.op);
        this.sequence = call.sequence;
        this.type = call.type;
        this.op = call.op;
        this.base = call.base;
        this.address = call.address;
        this.count = call.count;
        this.shift = type.shift();
        final long bytes = (long)count << shift;
        if (bytes > MAX_BYTES)
        {
            throw new IllegalStateException("rank " + rank + ": " + count + " x " + type + " exceeds the " +
                MAX_BYTES + " bytes an inline call carries");
        }
        Arrays.fill(weights, 0);
        final double weight = weighted ? call.weight : 0;
        weights[rank] = weight;
        this.headCount = Math.min(count, ShmWindow.D_INLINE_LENGTH >> shift);
        final long headBytes = (long)headCount << shift;
        Kernels.copy(base, address, null, window.inlineAddress(sequence), headBytes);
        if (count > headCount)
        {
            Kernels.copy(base, address + headBytes, null, window.inlineTailAddress(sequence), bytes - headBytes);
        }
        window.publishInline(sequence, Collective.ALL_REDUCE.value(), Wire.elementType(type).value(),
            reduction.value(), count, weight, count > headCount);
        this.next = 0;
    }

    /**
     * Fold the contributions of ranks next, next + 1, ... as far as they are published, into the caller's vector
     * (this rank's own input is read from its descriptor, so the vector may take partial results).
     */
    public int doWork()
    {
        int work = 0;
        while (next < n)
        {
            final ShmWindow from;
            if (next == rank)
            {
                from = window;
            }
            else
            {
                from = windows.peerWindow(next);
                if (null == from)
                {
                    return work;
                }
                // both lines loaded on every pass, so they travel together; the sequence, stored last, decides
                final long published = from.descriptorSequence(sequence);
                final long stamped = count > headCount ? from.inlineStamp(sequence) : sequence;
                if (published != sequence)
                {
                    return work;
                }
                // checked before the second line is awaited: a peer with fewer elements never writes one
                verify(next, from);
                if (stamped != sequence)
                {
                    return work;
                }
                weights[next] = from.descriptorWeight(sequence);
            }
            fold(next, from.inlineAddress(sequence), from.inlineTailAddress(sequence));
            next++;
            work++;
        }
        return work;
    }

    private void verify(final int peer, final ShmWindow from)
    {
        WindowCallCheck.requireSameAllReduce(rank, sequence, peer, from.descriptorInt(sequence, ShmWindow.D_COLLECTIVE),
            from.descriptorInt(sequence, ShmWindow.D_TYPE), from.descriptorInt(sequence, ShmWindow.D_OP),
            from.descriptorInt(sequence, ShmWindow.D_COUNT), type, reduction, count);
    }

    private void fold(final int contributor, final long headAddress, final long tailAddress)
    {
        fold(contributor, headAddress, address, headCount);
        fold(contributor, tailAddress, address + ((long)headCount << shift), count - headCount);
    }

    /**
     * Fold {@code elements} of one line of {@code contributor}'s vector into the caller's vector at
     * {@code dstAddress}: element by element, so the bits are those of one pass over the whole vector.
     */
    private void fold(final int contributor, final long srcAddress, final long dstAddress, final int elements)
    {
        if (0 == elements)
        {
            return;
        }
        if (0 == contributor)
        {
            Kernels.copy(null, srcAddress, base, dstAddress, (long)elements << shift);
            return;
        }
        final boolean last = contributor == n - 1;
        Kernels.reduce(type, op, last, last && weighted ? weightSum() : n, base, dstAddress, null, srcAddress,
            base, dstAddress, null, 0, elements);
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        return faults.reject("unexpected chunk from rank " + decoder.senderRank() + " (step " + decoder.step() +
            ", piece " + decoder.piece() + ") during an inline allReduce on rank " + rank + ", which sends none",
            decoder.senderRank());
    }

    public boolean isDone()
    {
        return next == n;
    }

    /**
     * @return the weights of ranks 0 .. n-1 summed in that order, complete once every rank was folded.
     */
    public double weightSum()
    {
        return WeightedAverages.sumInRankOrder(weights);
    }

    public int awaitedPeer()
    {
        return next < n ? next : -1;
    }

    /**
     * @return what arrived from the awaited peer: nothing while one is awaited (its descriptor is all it sends),
     * else every peer's contribution.
     */
    public int chunksReceived()
    {
        return next < n ? 0 : n - 1;
    }

    public String progress()
    {
        return "inline path, " + next + "/" + n + " contributions folded in rank order";
    }
}
