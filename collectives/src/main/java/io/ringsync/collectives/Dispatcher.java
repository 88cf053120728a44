package io.ringsync.collectives;

import io.ringsync.codecs.AbortDecoder;
import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.ElementType;
import io.ringsync.codecs.HeartbeatDecoder;
import io.ringsync.codecs.HelloDecoder;
import io.ringsync.codecs.MessageHeaderDecoder;
import io.ringsync.codecs.VerdictDecoder;
import io.ringsync.collectives.metrics.LinkTally;
import io.ringsync.transport.MessageHandler;
import org.agrona.DirectBuffer;

/**
 * Reads every message of every link of one communicator: chunks of the current call go to its algorithm, chunks
 * of a later call wait in their link (declined, read in place later), chunks of other jobs, other communicators
 * or earlier calls are dropped and counted, aborts fail the call, verdicts on a refused call go to the {@link Refusals}
 * (which drop that call's chunks), hellos go to the handshake while it runs. It never throws
 * through a transport's poll: what it finds wrong it records in {@link Faults} and declines.
 */
final class Dispatcher implements MessageHandler
{
    private final Wire wire;
    private final Faults faults;
    private final int rank;
    private final int size;

    private HelloHandler hellos;
    private Refusals refusals;
    private Heartbeats heartbeats;
    private Algorithm current;
    private long sequence;
    private String callName = "connect";
    private final LinkTally tally;

    Dispatcher(final Wire wire, final Faults faults, final int rank, final int size)
    {
        this.wire = wire;
        this.faults = faults;
        this.rank = rank;
        this.size = size;
        this.tally = new LinkTally(size);
    }

    /**
     * Takes the hellos of a communicator's peers while it connects.
     */
    interface HelloHandler
    {
        /**
         * A peer's hello arrived.
         *
         * @param sender its rank.
         * @param pid    its process id.
         * @param host   its host identity.
         */
        void onHello(int sender, long pid, String host);
    }

    /**
     * @param hellos to hand hellos to while connecting, null afterwards (a late hello is then dropped).
     */
    void hellos(final HelloHandler hellos)
    {
        this.hellos = hellos;
    }

    /**
     * @param refusals to hand the verdicts on refused calls to.
     */
    void refusals(final Refusals refusals)
    {
        this.refusals = refusals;
    }

    /**
     * @param heartbeats to hand the heartbeats of peers on other hosts to.
     */
    void heartbeats(final Heartbeats heartbeats)
    {
        this.heartbeats = heartbeats;
    }

    /**
     * Route the chunks of call {@code sequence} to {@code algorithm} from now on.
     */
    void beginCall(final Algorithm algorithm, final long sequence, final String callName)
    {
        this.current = algorithm;
        this.sequence = sequence;
        this.callName = callName;
    }

    /**
     * No call is in progress: chunks wait in their links.
     */
    void endCall()
    {
        current = null;
    }

    /**
     * @return messages dropped because they belonged to another job, communicator or an earlier call.
     */
    long droppedMessages()
    {
        return tally.droppedTotal();
    }

    /**
     * @return what crossed this communicator's links, counted here (received, dropped) and by its sender.
     */
    LinkTally tally()
    {
        return tally;
    }

    public boolean onMessage(final DirectBuffer buffer, final int offset, final int length)
    {
        final int templateId = wire.wrapHeader(buffer, offset, length);
        if (templateId == ChunkDecoder.TEMPLATE_ID)
        {
            return onChunk(buffer, offset, length);
        }
        if (templateId == AbortDecoder.TEMPLATE_ID)
        {
            return onAbort(buffer, offset);
        }
        if (templateId == HelloDecoder.TEMPLATE_ID)
        {
            return onHello(buffer, offset);
        }
        if (templateId == VerdictDecoder.TEMPLATE_ID)
        {
            return onVerdict(buffer, offset);
        }
        if (templateId == HeartbeatDecoder.TEMPLATE_ID)
        {
            return onHeartbeat(buffer, offset, length);
        }
        tally.dropped(LinkTally.DROP_UNKNOWN_TYPE);
        return true;
    }

    private boolean onChunk(final DirectBuffer buffer, final int offset, final int length)
    {
        final MessageHeaderDecoder header = wire.headerDecoder;
        final ChunkDecoder chunk = wire.chunkDecoder;
        if (header.blockLength() != ChunkDecoder.BLOCK_LENGTH || length < Wire.CHUNK_HEADER_LENGTH)
        {
            tally.dropped(LinkTally.DROP_MALFORMED);
            return true;
        }
        chunk.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, header.blockLength(), header.version());
        if (chunk.jobId() != wire.jobId() || chunk.epoch() != wire.epoch())
        {
            tally.dropped(LinkTally.DROP_FOREIGN);
            return true;
        }
        final long chunkSequence = chunk.sequence();
        if (null == current || chunkSequence > sequence)
        {
            return false;
        }
        if (chunkSequence < sequence)
        {
            tally.dropped(LinkTally.DROP_STALE);
            return true;
        }
        if (null != refusals && refusals.isActive())
        {
            return true;
        }
        final String mismatch = wire.describeMismatch(callName, rank);
        if (null != mismatch)
        {
            faults.record(new CollectiveMismatchException("rank " + rank + ": " + mismatch, chunk.senderRank()), false);
            return false;
        }
        final ElementType wireType = chunk.elementType();
        final int elementSize = wireType == ElementType.FLOAT64 ? 8 : wireType == ElementType.BFLOAT16 ? 2 : 4;
        if (chunk.chunkCount() < 0 || Wire.CHUNK_HEADER_LENGTH + (long)chunk.chunkCount() * elementSize > length)
        {
            return faults.reject("rank " + chunk.senderRank() + " sent a chunk of " + length + " bytes claiming " +
                chunk.chunkCount() + " elements", chunk.senderRank());
        }
        final int sender = chunk.senderRank();
        final boolean taken = current.onChunk(chunk, buffer, offset + Wire.CHUNK_HEADER_LENGTH);
        if (taken)
        {
            tally.received(sender, length);
        }
        return taken;
    }

    private boolean onAbort(final DirectBuffer buffer, final int offset)
    {
        final AbortDecoder abort = wire.abortDecoder;
        abort.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
            wire.headerDecoder.version());
        if (abort.jobId() != wire.jobId() || abort.epoch() != wire.epoch())
        {
            tally.dropped(LinkTally.DROP_FOREIGN);
            return true;
        }
        final int sender = abort.senderRank();
        final int suspect = abort.suspectRank();
        final String message = "rank " + rank + " received an abort from rank " + sender + " during " + callName +
            " #" + sequence + ": " + abort.reason();
        switch (abort.kind())
        {
            case MISMATCH:
                faults.record(new CollectiveMismatchException(message, suspect), true);
                break;
            case PEER_FAILED:
                faults.record(new PeerFailedException(message, suspect), true);
                break;
            case TIMEOUT:
                faults.record(new CollectiveTimeoutException(message, suspect), true);
                break;
            default:
                faults.record(new RemoteAbortException(message, suspect), true);
                break;
        }
        return false;
    }

    private boolean onVerdict(final DirectBuffer buffer, final int offset)
    {
        final VerdictDecoder verdict = wire.verdictDecoder;
        verdict.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
            wire.headerDecoder.version());
        if (verdict.jobId() != wire.jobId() || verdict.epoch() != wire.epoch())
        {
            tally.dropped(LinkTally.DROP_FOREIGN);
            return true;
        }
        final long verdictSequence = verdict.sequence();
        if (null == current || verdictSequence > sequence)
        {
            return false;
        }
        if (verdictSequence < sequence || null == refusals)
        {
            tally.dropped(LinkTally.DROP_STALE);
            return true;
        }
        return refusals.onVerdict(verdict);
    }

    private boolean onHeartbeat(final DirectBuffer buffer, final int offset, final int length)
    {
        if (wire.headerDecoder.blockLength() != HeartbeatDecoder.BLOCK_LENGTH ||
            length < MessageHeaderDecoder.ENCODED_LENGTH + HeartbeatDecoder.BLOCK_LENGTH)
        {
            tally.dropped(LinkTally.DROP_MALFORMED);
            return true;
        }
        final HeartbeatDecoder heartbeat = wire.heartbeatDecoder;
        heartbeat.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
            wire.headerDecoder.version());
        if (heartbeat.jobId() != wire.jobId() || heartbeat.epoch() != wire.epoch())
        {
            tally.dropped(LinkTally.DROP_FOREIGN);
        }
        else if (null != heartbeats)
        {
            heartbeats.onHeartbeat(heartbeat);
        }
        return true;
    }

    private boolean onHello(final DirectBuffer buffer, final int offset)
    {
        final HelloDecoder hello = wire.helloDecoder;
        hello.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, wire.headerDecoder.blockLength(),
            wire.headerDecoder.version());
        if (hello.jobId() != wire.jobId() || hello.epoch() != wire.epoch() || null == hellos)
        {
            tally.dropped(null == hellos ? LinkTally.DROP_LATE_HELLO : LinkTally.DROP_FOREIGN);
            return true;
        }
        final int sender = hello.senderRank();
        if (hello.worldSize() != size || sender < 0 || sender >= size)
        {
            faults.record(new ConfigurationException("rank " + sender + " was started with " +
                Configuration.WORLD_SIZE_ENV + "=" + hello.worldSize() + " but rank " + rank + " with " + size +
                "; start every rank with the same world size", sender), false);
            return false;
        }
        hellos.onHello(sender, hello.pid(), hello.host());
        return true;
    }
}
