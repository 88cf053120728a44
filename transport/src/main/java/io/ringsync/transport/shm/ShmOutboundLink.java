package io.ringsync.transport.shm;

import io.ringsync.transport.FileSpace;
import io.ringsync.transport.OutboundLink;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import static io.ringsync.transport.shm.ShmLinkDescriptor.CONSUMER_POSITION_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.PRODUCER_POSITION_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.READER_CLOSED_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.READER_PID_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_HEADER_LENGTH;
import static io.ringsync.transport.shm.ShmLinkDescriptor.SLOT_MESSAGE_LENGTH_OFFSET;
import static io.ringsync.transport.shm.ShmLinkDescriptor.WRITER_CLOSED_OFFSET;

/**
 * Sending end of a shared-memory link: this process created the link file and is its only writer.
 * <p>
 * A claim is one whole slot. Nothing is visible to the reader until {@link #commit()} writes the length and
 * then the producer position with a release store, so the reader, which reads the position with a volatile
 * load, sees the whole message. The consumer position is cached and re-read only when the ring looks full,
 * and by {@link #availableWindow()}, which must be exact for the ring's flow control.
 */
final class ShmOutboundLink implements OutboundLink
{
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final FileAttribute<Set<PosixFilePermission>> OWNER_READ_WRITE_ATTRIBUTE =
        PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE);
    private static final int PAGE_LENGTH = 4096;

    private static final int CONNECTING = 0;
    private static final int CONNECTED = 1;
    private static final int ENDED = 2;
    private static final int UNMAPPED = 3;

    private final int rank;
    private final int peer;
    private final int slotCount;
    private final int slotLength;
    private final int maxMessageLength;
    private final long windowLength;
    private final long connectDeadlineNs;
    private final long connectTimeoutNs;
    private final File file;
    private final Object fileKey;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;

    private int state = CONNECTING;
    private long producerPosition;
    private long cachedConsumerPosition;
    private int producerIndex;
    private int claimSlotOffset = -1;
    private int claimLength;
    private ProcessHandle readerProcess;
    private long nextReaderCheckNs;
    private String endReason;

    private ShmOutboundLink(
        final ShmTransport.Context ctx,
        final int peer,
        final File file,
        final Object fileKey,
        final MappedByteBuffer mapped,
        final long nowNs)
    {
        this.rank = ctx.rank();
        this.peer = peer;
        this.slotCount = ctx.slotCount();
        this.slotLength = ctx.slotLength();
        this.maxMessageLength = ShmLinkDescriptor.messageCapacity(slotLength);
        this.windowLength = (long)slotCount * slotLength;
        this.connectTimeoutNs = ctx.connectTimeoutNs();
        this.connectDeadlineNs = nowNs + connectTimeoutNs;
        this.file = file;
        this.fileKey = fileKey;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
    }

    /**
     * Create the link file to {@code peer}, owner-only, fully written, and publish it under its name by an
     * atomic rename, replacing any stale file of that name.
     *
     * @param ctx   concluded settings.
     * @param peer  the reader.
     * @param nowNs {@link System#nanoTime()} the connect timeout counts from.
     * @return the link, not yet connected.
     * @throws IllegalStateException when the file cannot be created or mapped.
     */
    static ShmOutboundLink create(final ShmTransport.Context ctx, final int peer, final long nowNs)
    {
        final File file = ctx.linkFile(ctx.rank(), peer);
        final ProcessHandle self = ProcessHandle.current();
        final Path path = file.toPath();
        final Path tempPath = path.resolveSibling(file.getName() + "." + self.pid() + ".tmp");
        final long fileLength = ShmLinkDescriptor.fileLength(ctx.slotCount(), ctx.slotLength());
        MappedByteBuffer mapped = null;
        try
        {
            // a reader must never attach to a file left by an earlier run: remove it before publishing ours
            Files.deleteIfExists(path);
            Files.deleteIfExists(tempPath);
            FileSpace.require(file.getAbsoluteFile().getParentFile(), ShmFootprint.pages(fileLength),
                "rank " + ctx.rank() + "'s shm link file to rank " + peer);
            // created owner-only from the start: any other user who opened it meanwhile would keep reading it
            Files.createFile(tempPath, OWNER_READ_WRITE_ATTRIBUTE);
            try (RandomAccessFile raf = new RandomAccessFile(tempPath.toFile(), "rw"))
            {
                raf.setLength(fileLength);
            }
            mapped = IoUtil.mapExistingFile(tempPath.toFile(), "ringsync shm link " + file);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            // touch every page now, so the first collective does not take one tmpfs page fault per 4 KiB
            for (int i = 0; i < buffer.capacity(); i += PAGE_LENGTH)
            {
                buffer.putByte(i, (byte)0);
            }
            ShmLinkDescriptor.initialise(
                buffer,
                ctx.slotCount(),
                ctx.slotLength(),
                ctx.jobId(),
                ctx.rank(),
                peer,
                self.pid(),
                ShmTransport.startTimeMs(self));
            final Object fileKey = Files.readAttributes(tempPath, BasicFileAttributes.class).fileKey();
            Files.move(tempPath, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new ShmOutboundLink(ctx, peer, file, fileKey, mapped, nowNs);
        }
        catch (final IOException | RuntimeException | InternalError ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            deleteQuietly(tempPath);
            throw FileSpace.failure("rank " + ctx.rank() + " cannot create its shm link file to rank " + peer, file,
                fileLength, ex);
        }
    }

    public int peer()
    {
        return peer;
    }

    public long tryClaim(final int length)
    {
        if (length < 0 || length > maxMessageLength)
        {
            throw new IllegalArgumentException("message length " + length + " does not fit one shm slot: at most " +
                maxMessageLength + " bytes (slotLength " + slotLength + " less its " + SLOT_HEADER_LENGTH +
                "-byte slot header); raise slotLength");
        }
        if (CONNECTED != state && !tryConnect())
        {
            return CONNECTING == state ? NOT_CONNECTED : CLOSED;
        }
        // the reader writes this line only when it attaches and closes, so the load stays in our cache
        if (0 != buffer.getIntVolatile(READER_CLOSED_OFFSET))
        {
            end("rank " + peer + " closed the link");
            return CLOSED;
        }
        if (producerPosition - cachedConsumerPosition >= slotCount)
        {
            cachedConsumerPosition = buffer.getLongVolatile(CONSUMER_POSITION_OFFSET);
            if (producerPosition - cachedConsumerPosition >= slotCount)
            {
                return isReaderGone() ? CLOSED : BACK_PRESSURED;
            }
        }
        claimSlotOffset = ShmLinkDescriptor.slotOffset(producerIndex, slotLength);
        claimLength = length;

        return claimSlotOffset + SLOT_HEADER_LENGTH;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public void commit()
    {
        final int slotOffset = claimSlotOffset;
        if (slotOffset < 0)
        {
            return;
        }
        claimSlotOffset = -1;
        buffer.putInt(slotOffset + SLOT_MESSAGE_LENGTH_OFFSET, claimLength);
        final long position = producerPosition + 1;
        producerPosition = position;
        producerIndex = producerIndex + 1 == slotCount ? 0 : producerIndex + 1;
        // release: the length and every byte of the message are visible before the new position is
        buffer.putLongRelease(PRODUCER_POSITION_OFFSET, position);
    }

    public void abort()
    {
        claimSlotOffset = -1;
    }

    public long availableWindow()
    {
        if (CONNECTED != state && !tryConnect())
        {
            return 0;
        }
        if (0 != buffer.getIntVolatile(READER_CLOSED_OFFSET))
        {
            end("rank " + peer + " closed the link");
            return 0;
        }
        cachedConsumerPosition = buffer.getLongVolatile(CONSUMER_POSITION_OFFSET);
        final long used = producerPosition - cachedConsumerPosition + (claimSlotOffset >= 0 ? 1 : 0);
        final long free = slotCount - used;

        return free > 0 ? free * slotLength : 0;
    }

    public long windowLength()
    {
        return windowLength;
    }

    /**
     * Every message takes a whole slot, so the ring's flow control counts in slots.
     *
     * @param length of the message.
     * @return the slot length.
     */
    public int framedLength(final int length)
    {
        return slotLength;
    }

    /**
     * @return the largest message one claim holds.
     */
    int maxMessageLength()
    {
        return maxMessageLength;
    }

    /**
     * @return true once a reader has attached (and the link has not ended since).
     */
    boolean isConnected()
    {
        return CONNECTED == state || (CONNECTING == state && tryConnect());
    }

    /**
     * @return the link file.
     */
    File file()
    {
        return file;
    }

    /**
     * @return messages committed so far.
     */
    long producerPosition()
    {
        return producerPosition;
    }

    /**
     * @return a sentence on the state of the link, for diagnostics.
     */
    String describe()
    {
        switch (state)
        {
            case CONNECTING:
                return "to rank " + peer + ": " + file + " waits for rank " + peer + " to map it";
            case CONNECTED:
                return "to rank " + peer + ": connected, " + producerPosition + " messages sent";
            default:
                return "to rank " + peer + ": ended (" + endReason + ")";
        }
    }

    /**
     * Mark the link closed for the reader (it sees the link lost once it has drained it), unmap it and delete
     * the file; the reader's own mapping stays valid until it unmaps it. Never throws.
     */
    void close()
    {
        if (UNMAPPED == state)
        {
            return;
        }
        claimSlotOffset = -1;
        buffer.putIntRelease(WRITER_CLOSED_OFFSET, 1);
        state = UNMAPPED;
        if (null == endReason)
        {
            endReason = "closed by rank " + rank;
        }
        buffer.wrap(0, 0);
        IoUtil.unmap(mapped);
        deleteIfOurs();
    }

    private boolean tryConnect()
    {
        if (CONNECTING != state)
        {
            return CONNECTED == state;
        }
        final long readerPid = buffer.getLongVolatile(READER_PID_OFFSET);
        if (0 != readerPid)
        {
            readerProcess = ProcessHandle.of(readerPid).orElse(null);
            cachedConsumerPosition = buffer.getLongVolatile(CONSUMER_POSITION_OFFSET);
            state = CONNECTED;
            return true;
        }
        if (System.nanoTime() - connectDeadlineNs >= 0)
        {
            end("rank " + peer + " did not map " + file + " within " + connectTimeoutNs / 1_000_000 + " ms");
        }
        return false;
    }

    /**
     * Checked only when the ring is full, and at most every {@link ShmTransport#LIVENESS_CHECK_INTERVAL_NS}:
     * a reader that died would otherwise leave us back pressured until the caller's deadline.
     */
    private boolean isReaderGone()
    {
        final long nowNs = System.nanoTime();
        if (null == readerProcess || nowNs - nextReaderCheckNs < 0)
        {
            return false;
        }
        nextReaderCheckNs = nowNs + ShmTransport.LIVENESS_CHECK_INTERVAL_NS;
        if (readerProcess.isAlive())
        {
            return false;
        }
        end("the process of rank " + peer + " (pid " + readerProcess.pid() + ") has exited");
        return true;
    }

    private void end(final String reason)
    {
        if (CONNECTING == state || CONNECTED == state)
        {
            state = ENDED;
            endReason = reason;
        }
    }

    /**
     * Delete the file under our name only if it is still the one we created: a process started later with the
     * same rank and directory may have replaced it, and its reader may not have mapped it yet.
     */
    private void deleteIfOurs()
    {
        final Path path = file.toPath();
        try
        {
            final Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (null == fileKey || null == key || fileKey.equals(key))
            {
                Files.deleteIfExists(path);
            }
        }
        catch (final IOException | RuntimeException ignore)
        {
            // gone already (or the job directory is): nothing to delete
        }
    }

    private static void deleteQuietly(final Path path)
    {
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException | RuntimeException ignore)
        {
            // the job directory may be gone already; the launcher removes whatever is left
        }
    }
}
