package io.ringsync.collectives;

import io.ringsync.codecs.ChunkDecoder;
import io.ringsync.codecs.VerdictDecoder;
import io.ringsync.transport.OutboundLink;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;

/**
 * Ends a call that some rank refuses alike on every rank, and keeps the communicator usable: the one job of this
 * class. A rank refuses call #s when the facade found a bad argument (a null or too short vector, a range beyond
 * it, a root that is no rank, no op) or, with {@link Configuration#CHECK_FINITE_ENV}, when {@link FiniteCheck}
 * found a NaN or an infinity in its input.
 * <p>
 * The refusing rank still takes part in #s, with this class as the call's algorithm: it sends every peer a
 * verdict "refused, because ..." and waits for every peer's verdict. A rank that receives a verdict for the call
 * it runs stops its algorithm, sends every peer its own verdict (accepted) and waits for theirs as well; chunks of
 * #s are dropped from then on. So every rank ends #s having heard every rank:
 * <ul>
 *     <li>all name the same rank, the lowest that refused, with its reason; the refusing rank gets its own
 *     argument's exception, the others a {@link RefusedCallException};</li>
 *     <li>nothing of #s is left to pair with a later call: links are FIFO, so each peer's chunks of #s came
 *     before its verdict and were dropped, and everything after it belongs to later calls;</li>
 *     <li>the round counters of the shm direct mode, which a rank that never ran the call did not advance, are
 *     realigned on the largest, as {@link DirectAllReduce#realign(long)} needs.</li>
 * </ul>
 * A call nobody refuses costs a check of one field here (and the scan, when it is on); a refused call costs one
 * message per pair of ranks. Allocation-free until a call is refused.
 */
final class Refusals implements Algorithm
{
    private final Group group;
    private final Wire wire;
    private final boolean checkFinite;
    private final DirectAllReduce direct;
    private final UnsafeBuffer verdict = new UnsafeBuffer(BufferUtil.allocateDirectAligned(4096, 64));
    private final boolean[] sent;
    private final boolean[] heard;
    private final String[] reasons;

    private long sequence;
    private String callName;
    private RuntimeException misuse;
    private boolean active;
    private boolean done;
    private int verdictLength;
    private long rounds;

    /**
     * @param checkFinite whether calls whose input holds a NaN or an infinity are refused.
     * @param direct      the shm direct mode to realign after a refused call, or null.
     */
    Refusals(final Group group, final Wire wire, final boolean checkFinite, final DirectAllReduce direct)
    {
        this.group = group;
        this.wire = wire;
        this.checkFinite = checkFinite;
        this.direct = direct;
        this.sent = new boolean[group.size];
        this.heard = new boolean[group.size];
        this.reasons = new String[group.size];
    }

    /**
     * A call begins: decide whether this rank refuses it (a misuse the facade recorded on it, a non-finite input);
     * if so this becomes the call's algorithm.
     *
     * @return true when this rank refuses the call.
     */
    boolean refuses(final Request call, final String callName)
    {
        this.sequence = call.sequence;
        this.callName = callName;
        this.misuse = call.misuse;
        this.active = false;
        if (null != misuse)
        {
            activate(group.name(group.rank) + " was given a bad argument: " + misuse.getClass().getSimpleName() +
                ": " + misuse.getMessage());
            return true;
        }
        if (checkFinite && null != call.type)
        {
            final long index = FiniteCheck.firstNonFinite(call, group.rank, group.size);
            if (index >= 0)
            {
                activate(FiniteCheck.describe(call, index, group.rank, callName));
                return true;
            }
        }
        return false;
    }

    /**
     * @return whether some rank refused the call in progress: its chunks are dropped.
     */
    boolean isActive()
    {
        return active;
    }

    /**
     * A peer's verdict on the call in progress arrived (the dispatcher checked job, epoch and sequence).
     *
     * @return true: consumed.
     */
    boolean onVerdict(final VerdictDecoder decoder)
    {
        if (!active)
        {
            activate(null);
        }
        final int sender = decoder.senderRank();
        if (sender >= 0 && sender < group.size && !heard[sender])
        {
            heard[sender] = true;
            rounds = Math.max(rounds, decoder.rounds());
            reasons[sender] = 0 != decoder.refused() ? decoder.reason() : null;
        }
        return true;
    }

    /**
     * Take over from the call's algorithm once a peer's verdict made this rank see the call refused: whatever the
     * algorithm holds is given up (a half-written message, calls on other communicators).
     *
     * @return this, the call's algorithm from now on.
     */
    Algorithm interrupt(final Algorithm algorithm, final ChunkSender sender)
    {
        sender.abortOpenClaim();
        algorithm.abort(new RefusedCallException("rank " + group.rank + ": " + callName + " #" + sequence +
            " was refused by another rank", -1));
        return this;
    }

    /**
     * @return the exception the refused call ends with on this rank.
     */
    RuntimeException outcome()
    {
        int first = -1;
        for (int r = group.size - 1; r >= 0; r--)
        {
            first = null != reasons[r] ? r : first;
        }
        final String own = reasons[group.rank];
        if (null != own)
        {
            if (null != misuse)
            {
                return misuse;
            }
            return new IllegalArgumentException("rank " + group.rank + ": " + callName + " #" + sequence +
                " refused: " + own + (first == group.rank ? "" : "; the lowest rank that refused it: " +
                reasons[first]) + "; the communicator remains usable");
        }
        return new RefusedCallException("rank " + group.rank + ": " + callName + " #" + sequence + " was refused " +
            "by " + group.name(first) + ": " + reasons[first] + "; the communicator remains usable, this rank's " +
            "vector is unspecified", first);
    }

    public void start(final Request call)
    {
    }

    public int doWork()
    {
        int work = 0;
        boolean all = true;
        for (int peer = 0; peer < group.size; peer++)
        {
            if (!sent[peer])
            {
                final long result = group.outbound(peer).offer(verdict, 0, verdictLength);
                if (result >= 0 || result == OutboundLink.CLOSED)
                {
                    sent[peer] = true;
                    work++;
                }
                else
                {
                    all = false;
                }
            }
            all &= heard[peer];
        }
        if (all && !done)
        {
            if (null != direct)
            {
                direct.realign(rounds);
            }
            done = true;
            work++;
        }
        return work;
    }

    public boolean onChunk(final ChunkDecoder decoder, final DirectBuffer buffer, final int payloadOffset)
    {
        return true;
    }

    public boolean isDone()
    {
        return done;
    }

    public int awaitedPeer()
    {
        for (int peer = 0; peer < group.size; peer++)
        {
            if (!heard[peer])
            {
                return peer;
            }
        }
        return -1;
    }

    public int chunksReceived()
    {
        int count = 0;
        for (int peer = 0; peer < group.size; peer++)
        {
            count += heard[peer] && peer != group.rank ? 1 : 0;
        }
        return count;
    }

    public String progress()
    {
        final int awaited = awaitedPeer();
        return "refused call: verdicts of " + (chunksReceived() + 1) + "/" + group.size + " ranks known" +
            (awaited >= 0 ? ", awaiting " + group.name(awaited) + "'s" : "");
    }

    /**
     * Some rank refuses the call: from now on this rank sends its verdict ({@code reason}, or null for accepted) to
     * every peer and collects theirs.
     */
    private void activate(final String reason)
    {
        active = true;
        done = false;
        Arrays.fill(sent, false);
        Arrays.fill(heard, false);
        Arrays.fill(reasons, null);
        sent[group.rank] = true;
        heard[group.rank] = true;
        reasons[group.rank] = reason;
        rounds = null == direct ? 0 : direct.rounds();
        // the reason is cut to what one message of the transport holds, as an abort's is
        final int maxLength = group.transport().maxMessageLength();
        String text = reason;
        verdictLength = wire.encodeVerdict(verdict, sequence, rounds, text);
        while (verdictLength > maxLength && null != text && !text.isEmpty())
        {
            text = text.substring(0, text.length() / 2);
            verdictLength = wire.encodeVerdict(verdict, sequence, rounds, text);
        }
    }
}
