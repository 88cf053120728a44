package io.ringsync.collectives;

import io.ringsync.codecs.AbortDecoder;
import io.ringsync.codecs.AbortEncoder;
import io.ringsync.codecs.AbortKind;
import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.ChunkEncoder;
import io.ringsync.codecs.Collective;
import io.ringsync.codecs.ElementType;
import io.ringsync.codecs.HeartbeatDecoder;
import io.ringsync.codecs.HeartbeatEncoder;
import io.ringsync.codecs.HelloDecoder;
import io.ringsync.codecs.HelloEncoder;
import io.ringsync.codecs.MessageHeaderDecoder;
import io.ringsync.codecs.MessageHeaderEncoder;
import io.ringsync.codecs.Reduction;
import io.ringsync.codecs.VerdictDecoder;
import io.ringsync.codecs.VerdictEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The SBE flyweights of one communicator and the fields every chunk of the current call shares, so the hot
 * path writes a header with one call and reads one with one wrap. Not thread-safe; one per communicator.
 */
final class Wire
{
    /**
     * SBE message header plus the chunk block: the payload starts this many bytes into a chunk message.
     */
    static final int CHUNK_HEADER_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ChunkEncoder.BLOCK_LENGTH;

    /**
     * An allReduce chunk's root field names the algorithm (allReduce has no root): ranks that chose different
     * paths for the same call, e.g. started with different {@link Configuration#SMALL_MAX_BYTES_ENV}, then fail
     * with a mismatch that says so instead of misreading each other's chunks.
     */
    static final int RING_ALL_REDUCE = -1;

    /**
     * Root field of a {@link SmallAllReduce} chunk.
     */
    static final int SMALL_ALL_REDUCE = -2;

    /**
     * Root field of an allReduce on the host-aware path (its chunks travel on other communicators' links; a peer
     * that sent this one a ring chunk took the flat path).
     */
    static final int HOST_AWARE_ALL_REDUCE = -3;

    final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    final ChunkEncoder chunkEncoder = new ChunkEncoder();
    final ChunkDecoder chunkDecoder = new ChunkDecoder();
    final HelloEncoder helloEncoder = new HelloEncoder();
    final HelloDecoder helloDecoder = new HelloDecoder();
    final AbortEncoder abortEncoder = new AbortEncoder();
    final AbortDecoder abortDecoder = new AbortDecoder();
    final VerdictEncoder verdictEncoder = new VerdictEncoder();
    final VerdictDecoder verdictDecoder = new VerdictDecoder();
    final HeartbeatEncoder heartbeatEncoder = new HeartbeatEncoder();
    final HeartbeatDecoder heartbeatDecoder = new HeartbeatDecoder();

    private final long jobId;
    private final int epoch;
    private final int rank;

    private long sequence;
    private int totalCount;
    private int root;
    private Collective collective;
    private ElementType elementType;
    private Reduction reduction;

    Wire(final long jobId, final int epoch, final int rank)
    {
        this.jobId = jobId;
        this.epoch = epoch;
        this.rank = rank;
    }

    long jobId()
    {
        return jobId;
    }

    int epoch()
    {
        return epoch;
    }

    /**
     * Set the fields every chunk of the next call carries.
     */
    void startCall(
        final long sequence,
        final Collective collective,
        final DataType type,
        final boolean narrowWire,
        final Reduction reduction,
        final int totalCount,
        final int root)
    {
        this.sequence = sequence;
        this.collective = collective;
        this.elementType = narrowWire ? ElementType.BFLOAT16 : elementType(type);
        this.reduction = reduction;
        this.totalCount = totalCount;
        this.root = root;
    }

    /**
     * Write a chunk header at {@code offset}; the payload goes at {@code offset + CHUNK_HEADER_LENGTH}.
     */
    void writeChunkHeader(
        final MutableDirectBuffer buffer,
        final int offset,
        final int step,
        final int piece,
        final int chunkOffset,
        final int chunkCount,
        final double weight)
    {
        chunkEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .jobId(jobId)
            .sequence(sequence)
            .weight(weight)
            .epoch(epoch)
            .senderRank(rank)
            .piece(piece)
            .totalCount(totalCount)
            .chunkOffset(chunkOffset)
            .chunkCount(chunkCount)
            .step((short)step)
            .root((short)root)
            .collective(collective)
            .elementType(elementType)
            .reduction(reduction);
    }

    /**
     * @return the message's template id after wrapping the header decoder, or -1 if it is not ours.
     */
    int wrapHeader(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return -1;
        }
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.schemaId() != MessageHeaderDecoder.SCHEMA_ID)
        {
            return -1;
        }
        return headerDecoder.templateId();
    }

    /**
     * Compare the call-level fields of the chunk in {@link #chunkDecoder} with this rank's call.
     *
     * @return null when they agree, else a description of what differs, naming both ranks.
     */
    String describeMismatch(final String callName, final int myRank)
    {
        final ChunkDecoder d = chunkDecoder;
        if (d.collective() == collective && d.elementType() == elementType && d.reduction() == reduction &&
            d.totalCount() == totalCount && d.root() == root)
        {
            return null;
        }
        if (d.collective() == collective && d.reduction() == reduction && d.totalCount() == totalCount &&
            d.root() == root && (d.elementType() == ElementType.BFLOAT16) != (elementType == ElementType.BFLOAT16))
        {
            return callName + " #" + sequence + " mismatch: rank " + d.senderRank() + " carries " +
                describe(collective, elementType, reduction, totalCount, root) + " as " + d.elementType() +
                " on the wire, rank " + myRank + " as " + elementType + "; set " + Configuration.WIRE_ENV +
                " to the same value on every rank";
        }
        if (d.collective() == Collective.ALL_REDUCE && collective == Collective.ALL_REDUCE &&
            d.elementType() == elementType && d.reduction() == reduction && d.totalCount() == totalCount)
        {
            return callName + " #" + sequence + " mismatch: rank " + d.senderRank() + " took the " +
                algorithmName(d.root()) + " for " + describe(collective, elementType, reduction, totalCount, root) +
                " but rank " + myRank + " the " + algorithmName(root) + "; set " + Configuration.SMALL_MAX_BYTES_ENV +
                " and " + Configuration.HIERARCHY_ENV + " to the same values on every rank";
        }
        return callName + " #" + sequence + " mismatch: rank " + d.senderRank() + " called " +
            describe(d.collective(), d.elementType(), d.reduction(), d.totalCount(), d.root()) + " but rank " +
            myRank + " called " + describe(collective, elementType, reduction, totalCount, root) +
            "; every rank must make the same collective calls, in the same order, with the same length, type, " +
            "op and root";
    }

    static String describe(
        final Collective collective, final ElementType type, final Reduction reduction, final int count, final int root)
    {
        final boolean weighted = collective == Collective.ALL_REDUCE && reduction == Reduction.WEIGHTED_AVG;
        final StringBuilder sb = new StringBuilder(weighted ? "weightedAverage" : callName(collective)).append('(');
        if (collective != Collective.BARRIER && collective != Collective.CLOSE && collective != Collective.SPLIT)
        {
            sb.append(count).append(" x ").append(type);
            if (collective == Collective.BROADCAST)
            {
                sb.append(", root ").append(root);
            }
            else if (collective != Collective.ALL_GATHER && !weighted)
            {
                sb.append(", ").append(reduction);
            }
        }
        return sb.append(')').toString();
    }

    static String algorithmName(final int root)
    {
        return root == SMALL_ALL_REDUCE ? "small-vector path" : root == HOST_AWARE_ALL_REDUCE ? "host-aware path" :
            "ring";
    }

    static String callName(final Collective collective)
    {
        switch (collective)
        {
            case ALL_REDUCE:
                return "allReduce";
            case BROADCAST:
                return "broadcast";
            case BARRIER:
                return "barrier";
            case CLOSE:
                return "close";
            case REDUCE_SCATTER:
                return "reduceScatter";
            case ALL_GATHER:
                return "allGather";
            case SPLIT:
                return "split";
            default:
                return String.valueOf(collective);
        }
    }

    static ElementType elementType(final DataType type)
    {
        return type == DataType.FLOAT64 ? ElementType.FLOAT64 : ElementType.FLOAT32;
    }

    static Reduction reduction(final ReduceOp op)
    {
        if (null == op)
        {
            return Reduction.NONE;
        }
        switch (op)
        {
            case SUM:
                return Reduction.SUM;
            case MIN:
                return Reduction.MIN;
            case MAX:
                return Reduction.MAX;
            case AVG:
                return Reduction.AVG;
            default:
                throw new IllegalArgumentException(String.valueOf(op));
        }
    }

    /**
     * Encode an abort into {@code buffer} at 0.
     *
     * @return the message length.
     */
    int encodeAbort(
        final MutableDirectBuffer buffer,
        final long sequence,
        final AbortKind kind,
        final int suspectRank,
        final String reason)
    {
        abortEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(jobId)
            .epoch(epoch)
            .senderRank(rank)
            .sequence(sequence)
            .suspectRank(suspectRank)
            .kind(kind)
            .reason(reason.length() > 2000 ? reason.substring(0, 2000) : reason);
        return MessageHeaderEncoder.ENCODED_LENGTH + abortEncoder.encodedLength();
    }

    /**
     * Encode this rank's heartbeat into {@code buffer} at 0.
     *
     * @param sequence the call this rank waits in.
     * @return the message length.
     */
    int encodeHeartbeat(final MutableDirectBuffer buffer, final long sequence)
    {
        heartbeatEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(jobId)
            .sequence(sequence)
            .epoch(epoch)
            .senderRank(rank);
        return MessageHeaderEncoder.ENCODED_LENGTH + heartbeatEncoder.encodedLength();
    }

    /**
     * Encode this rank's verdict on a refused call into {@code buffer} at 0.
     *
     * @param reason why this rank refuses the call, or null when it accepted it.
     * @return the message length.
     */
    int encodeVerdict(final MutableDirectBuffer buffer, final long sequence, final long rounds, final String reason)
    {
        verdictEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(jobId)
            .sequence(sequence)
            .rounds(rounds)
            .epoch(epoch)
            .senderRank(rank)
            .refused((short)(null == reason ? 0 : 1))
            .reason(null == reason ? "" : reason);
        return MessageHeaderEncoder.ENCODED_LENGTH + verdictEncoder.encodedLength();
    }

    /**
     * Encode a hello into {@code buffer} at 0.
     *
     * @return the message length.
     */
    int encodeHello(final MutableDirectBuffer buffer, final int worldSize, final long pid, final String host)
    {
        helloEncoder.wrapAndApplyHeader(buffer, 0, headerEncoder)
            .jobId(jobId)
            .epoch(epoch)
            .senderRank(rank)
            .worldSize(worldSize)
            .pid(pid)
            .host(host);
        return MessageHeaderEncoder.ENCODED_LENGTH + helloEncoder.encodedLength();
    }
}
