package io.ringsync.transport.shm;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.MessageHandler;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.time.Instant;
import java.util.Optional;

import static io.ringsync.transport.shm.ShmLinkDescriptor.CONSUMER_POSITION_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.PRODUCER_POSITION_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.READER_CLOSED_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.READER_PID_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_COUNT_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_HEADER_LENGTH;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_LENGTH_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_MESSAGE_LENGTH_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.WRITER_CLOSED_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.WRITER_PID_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.WRITER_START_TIME_MS_OFFSET;

/**
 * Receiving end of a shared-memory link: maps the file the peer created once it appears and is valid, and
 * hands each message to the handler in place, in its slot.
 * <p>
 * The producer position is read with a volatile load, and only when every message known so far has been
 * consumed; the consumer position is advanced with a release store only after the handler returned true, so
 * the writer cannot reuse a slot while the handler still reads it, and a declined message stays at the head.
 */
final class ShmInboundLink implements InboundLink
{
    private static final int WAITING = 0;
    private static final int ATTACHED = 1;
    private static final int FAILED = 2;
    private static final int UNMAPPED = 3;

    /**
     * A process start time read twice by different JVMs may differ by the rounding of clock ticks.
     */
    private static final long START_TIME_SLACK_MS = 1_000;

    private final int rank;
    private final int peer;
    private final long jobId;
    private final File file;
    private final long connectDeadlineNs;
    private final long connectTimeoutNs;
    private final UnsafeBuffer buffer = new UnsafeBuffer(0, 0);

    private int state = WAITING;
    private MappedByteBuffer mapped;
    private int slotCount;
    private int slotLength;
    private int maxMessageLength;
    private long consumerPosition;
    private long cachedProducerPosition;
    private int consumerIndex;
    private boolean isLost;
    private long writerPid;
    private ProcessHandle writerProcess;
    private long nextWriterCheckNs;
    private long nextAttachNs;
    private String waitReason;
    private String endReason;

    ShmInboundLink(final ShmTransport.Context ctx, final int peer, final long nowNs)
    {
        this.rank = ctx.rank();
        this.peer = peer;
        this.jobId = ctx.jobId();
        this.file = ctx.linkFile(peer, rank);
        this.connectTimeoutNs = ctx.connectTimeoutNs();
        this.connectDeadlineNs = nowNs + connectTimeoutNs;
        this.nextAttachNs = nowNs;
        this.waitReason = "waiting for rank " + peer + " to create " + file;
    }

    public int peer()
    {
        return peer;
    }

    public int poll(final MessageHandler handler, final int limit)
    {
        if (ATTACHED != state && !tryAttach())
        {
            return 0;
        }

        long consumer = consumerPosition;
        if (cachedProducerPosition == consumer)
        {
            cachedProducerPosition = buffer.getLongVolatile(PRODUCER_POSITION_OFFSET);
            if (cachedProducerPosition == consumer)
            {
                return 0;
            }
        }

        final long available = cachedProducerPosition - consumer;
        final int count = available < limit ? (int)available : limit;
        int index = consumerIndex;
        int consumed = 0;
        while (consumed < count)
        {
            final int slotOffset = ShmLinkDescriptor.slotOffset(index, slotLength);
            final int length = buffer.getInt(slotOffset + SLOT_MESSAGE_LENGTH_OFFSET);
            if (length < 0 || length > maxMessageLength)
            {
                fail("message " + consumer + " in slot " + index + " has length " + length + ", beyond 0.." +
                    maxMessageLength + ": the file was corrupted");
                break;
            }
            if (!handler.onMessage(buffer, slotOffset + SLOT_HEADER_LENGTH, length))
            {
                break;
            }
            if (ATTACHED != state)
            {
                // the handler closed the transport: the mapping is gone
                break;
            }
            consumer++;
            index = index + 1 == slotCount ? 0 : index + 1;
            consumerPosition = consumer;
            consumerIndex = index;
            // release: the handler's reads of the slot complete before the writer may see it free
            buffer.putLongRelease(CONSUMER_POSITION_OFFSET, consumer);
            consumed++;
        }

        return consumed;
    }

    /**
     * Lost once the writer closed the link or its process exited, and everything it committed has been
     * consumed; also when the writer never showed up within the connect timeout. The writer's process is looked
     * at only when the link is drained, and at most every {@link ShmTransport#LIVENESS_CHECK_INTERVAL_NS}.
     *
     * @return true once the link is lost for good.
     */
    public boolean isLost()
    {
        if (ATTACHED != state)
        {
            if (WAITING == state && System.nanoTime() - connectDeadlineNs >= 0)
            {
                fail("rank " + peer + " did not create a valid " + file + " within " + connectTimeoutNs / 1_000_000 +
                    " ms; last: " + waitReason);
            }
            return WAITING != state;
        }
        if (isLost)
        {
            return true;
        }
        if (buffer.getLongVolatile(PRODUCER_POSITION_OFFSET) != consumerPosition)
        {
            return false;
        }

        String reason = null;
        if (0 != buffer.getIntVolatile(WRITER_CLOSED_OFFSET))
        {
            reason = "rank " + peer + " closed the link";
        }
        else
        {
            final long nowNs = System.nanoTime();
            if (null == writerProcess || nowNs - nextWriterCheckNs < 0)
            {
                return false;
            }
            nextWriterCheckNs = nowNs + ShmTransport.LIVENESS_CHECK_INTERVAL_NS;
            if (writerProcess.isAlive())
            {
                return false;
            }
            reason = "the process of rank " + peer + " (pid " + writerPid + ") has exited";
        }

        // the writer's last commit happened before it closed or died: drained now means drained for good
        if (buffer.getLongVolatile(PRODUCER_POSITION_OFFSET) == consumerPosition)
        {
            isLost = true;
            endReason = reason;
        }

        return isLost;
    }

    /**
     * Map the peer's file if it is there and valid; rate limited, so it can be called from every poll.
     *
     * @return true when attached.
     */
    boolean tryAttach()
    {
        if (WAITING != state)
        {
            return ATTACHED == state;
        }
        final long nowNs = System.nanoTime();
        if (nowNs - nextAttachNs < 0)
        {
            return false;
        }
        nextAttachNs = nowNs + ShmTransport.ATTACH_INTERVAL_NS;
        if (!file.exists())
        {
            return false;
        }

        MappedByteBuffer candidate = null;
        try
        {
            final long length = file.length();
            if (length < ShmLinkDescriptor.HEADER_LENGTH || length > ShmLinkDescriptor.FILE_LENGTH_MAX)
            {
                return reject(nowNs, "it is " + length + " bytes long");
            }
            candidate = IoUtil.mapExistingFile(file, "ringsync shm link " + file);
            final UnsafeBuffer header = new UnsafeBuffer(candidate);
            final String problem = ShmLinkDescriptor.checkHeader(header, jobId, peer, rank);
            if (null != problem)
            {
                return reject(nowNs, candidate, problem);
            }
            final String staleness = checkWriter(header);
            if (null != staleness)
            {
                return reject(nowNs, candidate, staleness);
            }
            final long selfPid = ProcessHandle.current().pid();
            if (!header.compareAndSetLong(READER_PID_OFFSET, 0, selfPid))
            {
                return reject(nowNs, candidate, "pid " + header.getLongVolatile(READER_PID_OFFSET) +
                    " already reads it (two processes started as rank " + rank + "?)");
            }

            mapped = candidate;
            buffer.wrap(candidate);
            slotCount = header.getInt(SLOT_COUNT_OFFSET);
            slotLength = header.getInt(SLOT_LENGTH_OFFSET);
            maxMessageLength = ShmLinkDescriptor.messageCapacity(slotLength);
            consumerPosition = header.getLongVolatile(CONSUMER_POSITION_OFFSET);
            cachedProducerPosition = consumerPosition;
            consumerIndex = (int)(consumerPosition % slotCount);
            waitReason = null;
            state = ATTACHED;
            return true;
        }
        catch (final Exception ex)
        {
            // e.g. the writer replaced a stale file between the check and the map: try again shortly
            return reject(nowNs, candidate, "cannot map it: " + ex);
        }
    }

    /**
     * @return true once the peer's file is mapped.
     */
    boolean isAttached()
    {
        return ATTACHED == state;
    }

    /**
     * @return a sentence on the state of the link, for diagnostics and timeout messages.
     */
    String describe()
    {
        switch (state)
        {
            case WAITING:
                return "from rank " + peer + ": " + waitReason;
            case ATTACHED:
                return "from rank " + peer + ": " + (isLost ? "lost (" + endReason + ")" : "connected") + ", " +
                    consumerPosition + " messages received";
            default:
                return "from rank " + peer + ": ended (" + endReason + ")";
        }
    }

    /**
     * Tell the writer we are gone (its claims return CLOSED) and unmap; the writer owns the file. Never throws.
     */
    void close()
    {
        if (UNMAPPED == state)
        {
            return;
        }
        if (null != mapped)
        {
            buffer.putIntRelease(READER_CLOSED_OFFSET, 1);
            buffer.wrap(0, 0);
            IoUtil.unmap(mapped);
            mapped = null;
        }
        if (null == endReason)
        {
            endReason = "closed by rank " + rank;
        }
        state = UNMAPPED;
    }

    /**
     * A file whose writer is not running, or is a newer process with the writer's recycled pid, or that its
     * writer closed, was left by an earlier run: its replacement will follow.
     */
    private String checkWriter(final UnsafeBuffer header)
    {
        final long pid = header.getLong(WRITER_PID_OFFSET);
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return "stale: its writer, pid " + pid + ", is not running";
        }
        final long startTimeMs = header.getLong(WRITER_START_TIME_MS_OFFSET);
        final Optional<Instant> started = process.get().info().startInstant();
        if (0 != startTimeMs && started.isPresent() &&
            Math.abs(started.get().toEpochMilli() - startTimeMs) > START_TIME_SLACK_MS)
        {
            return "stale: pid " + pid + " now belongs to a process started at " + started.get() +
                ", not to its writer";
        }
        if (0 != header.getIntVolatile(WRITER_CLOSED_OFFSET))
        {
            return "stale: its writer closed it";
        }
        if (0 != header.getIntVolatile(READER_CLOSED_OFFSET))
        {
            return "stale: an earlier reader closed it";
        }
        writerPid = pid;
        writerProcess = process.get();
        return null;
    }

    private boolean reject(final long nowNs, final String problem)
    {
        waitReason = "rank " + peer + "'s " + file + " was ignored: " + problem;
        nextAttachNs = nowNs + ShmTransport.REJECTED_RETRY_INTERVAL_NS;
        return false;
    }

    private boolean reject(final long nowNs, final MappedByteBuffer candidate, final String problem)
    {
        if (null != candidate)
        {
            IoUtil.unmap(candidate);
        }
        return reject(nowNs, problem);
    }

    private void fail(final String reason)
    {
        if (WAITING == state || ATTACHED == state)
        {
            state = FAILED;
            endReason = reason;
        }
    }
}
