package io.ringsync.transport.shm;

import io.ringsync.transport.FileSpace;
import io.ringsync.transport.PrivateDirectory;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.invoke.VarHandle;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * A mapped file in the job directory that one rank writes and every other rank reads in place: the memory of
 * the direct mode of the shm transport. Two kinds share this layout:
 * <ul>
 *     <li>a <b>window</b> ({@code window-<rank>.shm}), one per rank, bounded in size: the call descriptors, the
 *     rank's round counter, one sequence flag per chunk and the data area where the rank stages its input and
 *     writes its partial and final sums;</li>
 *     <li>an <b>allocation</b> ({@code alloc-<rank>-<id>.shm}): a vector a user asked the communicator to place in
 *     shared memory, read by peers in place so no staging copy is needed. It has no flags.</li>
 * </ul>
 * <pre>
 * offset  line            field
 *      0  identity        magic (long), release-stored last, before the file is renamed into place
 *      8                  layout version (int)
 *     12                  kind (int): 1 window, 2 allocation
 *     16                  job id (long)
 *     24                  rank (int)
 *     28                  flag count (int)
 *     32                  data offset (int), a multiple of 4096
 *     36                  allocation id (int), 0 for a window
 *     40                  data length (long)
 *     48                  owner pid (long)
 *     56                  owner start ms (long), 0 when the OS does not say
 *    128  call 0          descriptor of the owner's calls with an even sequence, see {@link #DESCRIPTOR_LENGTH}
 *    256  call 1          descriptor of the owner's calls with an odd sequence
 *    384  done            last round whose reads of every peer's memory the owner finished (long)
 *    512  flags           flag count x 64 bytes: per chunk, the round that last wrote it (long)
 * data offset  data       data length bytes
 * </pre>
 * Every line has one writer, the owner; readers only load. A descriptor is published seqlock style: its sequence
 * is set to 0 with a volatile store, the fields are written, and the sequence is release-stored; a reader loads
 * the sequence, the fields, then the sequence again. Two descriptors, by call parity, because a peer may start its
 * next call while a slower rank still looks at this one, and never the one after (that needs the slow rank).
 * An inline call ({@link #publishInline}) carries its vector in the descriptor's first line instead of the
 * rounds, chunk and area fields, the rest of a longer one in the second line, and skips the seqlock's leading zero
 * (see there).
 * Flags and the done counter are release-stored after the data they cover and read with volatile loads.
 */
public final class ShmWindow implements AutoCloseable
{
    /**
     * "RSYNCWIN" in ASCII when the file is dumped.
     */
    public static final long MAGIC = 0x4E4957434E595352L;

    /**
     * Version of this layout; a reader refuses any other.
     */
    public static final int LAYOUT_VERSION = 1;

    /**
     * Kind of a rank's window.
     */
    public static final int KIND_WINDOW = 1;

    /**
     * Kind of a user allocation.
     */
    public static final int KIND_ALLOCATION = 2;

    /**
     * Each flag on its own 64-byte line: a reader spinning on one chunk is not disturbed by the next one.
     */
    public static final int FLAG_STRIDE = 64;

    static final int LAYOUT_VERSION_OFFSET = 8;
    static final int KIND_OFFSET = 12;
    static final int JOB_ID_OFFSET = 16;
    static final int RANK_OFFSET = 24;
    static final int FLAG_COUNT_OFFSET = 28;
    static final int DATA_OFFSET_OFFSET = 32;
    static final int ID_OFFSET = 36;
    static final int DATA_LENGTH_OFFSET = 40;
    static final int PID_OFFSET = 48;
    static final int START_TIME_MS_OFFSET = 56;
    static final int DESCRIPTORS_OFFSET = 128;

    /**
     * Bytes of one call descriptor: sequence (long, 0 while being written), then int fields 8 .. 40 and the
     * area offset (long) at 48.
     */
    public static final int DESCRIPTOR_LENGTH = 128;

    /**
     * Descriptor field: the collective (int).
     */
    public static final int D_COLLECTIVE = 8;

    /**
     * Descriptor field: the element type (int).
     */
    public static final int D_TYPE = 12;

    /**
     * Descriptor field: the reduction (int).
     */
    public static final int D_OP = 16;

    /**
     * Descriptor field: elements in the vector (int).
     */
    public static final int D_COUNT = 20;

    /**
     * Descriptor field: rounds the vector streams through the window in (int).
     */
    public static final int D_ROUNDS = 24;

    /**
     * Descriptor field: elements per chunk (int).
     */
    public static final int D_CHUNK = 28;

    /**
     * Descriptor field: where the owner's vector is read: 0 for its window (staged), else an allocation id (int).
     */
    public static final int D_AREA_ID = 32;

    /**
     * Descriptor field: byte offset of element 0 in that allocation (long).
     */
    public static final int D_AREA_OFFSET = 48;

    /**
     * Descriptor field: the owner's weight in a weighted average, else 0 (double).
     */
    public static final int D_WEIGHT = 56;

    /**
     * Descriptor field of an inline call: its vector itself, in the descriptor's first cache line, in place of the
     * rounds, chunk and area fields (up to {@link #D_INLINE_LENGTH} bytes).
     */
    public static final int D_INLINE = 24;

    /**
     * Bytes an inline call's vector may take: from {@link #D_INLINE} up to the weight.
     */
    public static final int D_INLINE_LENGTH = D_WEIGHT - D_INLINE;

    /**
     * Descriptor field of an inline call longer than {@link #D_INLINE_LENGTH}: the sequence again (long), heading
     * the descriptor's second line, which holds the rest of the vector, so a reader can load both lines at once.
     */
    public static final int D_INLINE_STAMP = 64;

    /**
     * Descriptor field of an inline call: the rest of its vector, after {@link #D_INLINE_STAMP}.
     */
    public static final int D_INLINE_TAIL = D_INLINE_STAMP + 8;

    /**
     * Bytes the second line holds.
     */
    public static final int D_INLINE_TAIL_LENGTH = DESCRIPTOR_LENGTH - D_INLINE_TAIL;

    static final int DONE_OFFSET = DESCRIPTORS_OFFSET + 2 * DESCRIPTOR_LENGTH;
    static final int FLAGS_OFFSET = DONE_OFFSET + 128;
    static final int PAGE_LENGTH = 4096;

    private final File file;
    private final boolean isOwner;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final int rank;
    private final int kind;
    private final int id;
    private final int flagCount;
    private final int dataOffset;
    private final long dataLength;
    private final long dataAddress;
    private boolean isClosed;

    private ShmWindow(final File file, final boolean isOwner, final MappedByteBuffer mapped)
    {
        this.file = file;
        this.isOwner = isOwner;
        this.mapped = mapped;
        this.buffer = new UnsafeBuffer(mapped);
        this.rank = buffer.getInt(RANK_OFFSET);
        this.kind = buffer.getInt(KIND_OFFSET);
        this.id = buffer.getInt(ID_OFFSET);
        this.flagCount = buffer.getInt(FLAG_COUNT_OFFSET);
        this.dataOffset = buffer.getInt(DATA_OFFSET_OFFSET);
        this.dataLength = buffer.getLong(DATA_LENGTH_OFFSET);
        this.dataAddress = buffer.addressOffset() + dataOffset;
    }

    /**
     * @param rank owner.
     * @return the name of a rank's window file.
     */
    public static String windowFileName(final int rank)
    {
        return "window-" + rank + ShmLinkDescriptor.FILE_SUFFIX;
    }

    /**
     * @param rank owner.
     * @param id   allocation id, from 1.
     * @return the name of an allocation file.
     */
    public static String allocationFileName(final int rank, final int id)
    {
        return "alloc-" + rank + "-" + id + ShmLinkDescriptor.FILE_SUFFIX;
    }

    /**
     * @param flagCount  flags.
     * @param dataLength bytes of data.
     * @return the file length of a window or allocation.
     */
    public static long fileLength(final int flagCount, final long dataLength)
    {
        return dataOffset(flagCount) + dataLength;
    }

    static int dataOffset(final int flagCount)
    {
        return align(FLAGS_OFFSET + flagCount * FLAG_STRIDE, PAGE_LENGTH);
    }

    private static int align(final int value, final int alignment)
    {
        return (value + alignment - 1) & -alignment;
    }

    /**
     * Create a file owner-only, fully written, every page touched, and publish it under its name by an atomic
     * rename, replacing any stale file of that name (as the link files are).
     *
     * @param file       final name.
     * @param kind       {@link #KIND_WINDOW} or {@link #KIND_ALLOCATION}.
     * @param jobId      of the job.
     * @param rank       owner.
     * @param id         allocation id, 0 for a window.
     * @param flagCount  flags (0 for an allocation).
     * @param dataLength bytes of data.
     * @return the mapped file, owned: closing it deletes it.
     * @throws IllegalStateException when the file cannot be created or mapped.
     */
    public static ShmWindow create(
        final File file,
        final int kind,
        final long jobId,
        final int rank,
        final int id,
        final int flagCount,
        final long dataLength)
    {
        final long fileLength = fileLength(flagCount, dataLength);
        if (dataLength < 0 || flagCount < 0 || fileLength > Integer.MAX_VALUE - PAGE_LENGTH)
        {
            throw new IllegalArgumentException("a shm window of " + dataLength + " data bytes and " + flagCount +
                " flags does not fit a 2 GiB mapping");
        }
        final ProcessHandle self = ProcessHandle.current();
        final Path path = file.toPath();
        final Path tempPath = path.resolveSibling(file.getName() + "." + self.pid() + ".tmp");
        MappedByteBuffer mapped = null;
        try
        {
            Files.deleteIfExists(path);
            Files.deleteIfExists(tempPath);
            FileSpace.require(file.getAbsoluteFile().getParentFile(), ShmFootprint.pages(fileLength),
                "rank " + rank + "'s shm window " + file.getName());
            Files.createFile(tempPath, PrivateDirectory.FILE_ATTRIBUTE);
            try (RandomAccessFile raf = new RandomAccessFile(tempPath.toFile(), "rw"))
            {
                raf.setLength(fileLength);
            }
            mapped = IoUtil.mapExistingFile(tempPath.toFile(), "ringsync shm window " + file);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            // touch every page now: the first call must not take a tmpfs page fault per 4 KiB
            for (int i = 0; i < buffer.capacity(); i += PAGE_LENGTH)
            {
                buffer.putByte(i, (byte)0);
            }
            buffer.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
            buffer.putInt(KIND_OFFSET, kind);
            buffer.putLong(JOB_ID_OFFSET, jobId);
            buffer.putInt(RANK_OFFSET, rank);
            buffer.putInt(FLAG_COUNT_OFFSET, flagCount);
            buffer.putInt(DATA_OFFSET_OFFSET, dataOffset(flagCount));
            buffer.putInt(ID_OFFSET, id);
            buffer.putLong(DATA_LENGTH_OFFSET, dataLength);
            buffer.putLong(PID_OFFSET, self.pid());
            buffer.putLong(START_TIME_MS_OFFSET, ShmTransport.startTimeMs(self));
            buffer.putLongRelease(0, MAGIC);
            Files.move(tempPath, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new ShmWindow(file, true, mapped);
        }
        catch (final IOException | RuntimeException | InternalError ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            try
            {
                Files.deleteIfExists(tempPath);
            }
            catch (final IOException ignore)
            {
                // best effort
            }
            throw FileSpace.failure("rank " + rank + " cannot create its shm window", file, fileLength, ex);
        }
    }

    /**
     * Map a peer's file if it is there and valid: right magic and version, this job, that rank and kind, and an
     * owner process that is alive.
     *
     * @param file  to map.
     * @param kind  expected kind.
     * @param jobId expected job id.
     * @param rank  expected owner.
     * @param id    expected allocation id.
     * @return the mapping (closing it only unmaps), or null when the file is missing, not yet complete or stale.
     */
    public static ShmWindow map(final File file, final int kind, final long jobId, final int rank, final int id)
    {
        if (!file.isFile() || file.length() < FLAGS_OFFSET)
        {
            return null;
        }
        final MappedByteBuffer mapped;
        try
        {
            mapped = IoUtil.mapExistingFile(file, "ringsync shm window " + file);
        }
        catch (final RuntimeException ex)
        {
            return null;
        }
        final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
        final boolean valid = buffer.getLongVolatile(0) == MAGIC &&
            buffer.getInt(LAYOUT_VERSION_OFFSET) == LAYOUT_VERSION &&
            buffer.getInt(KIND_OFFSET) == kind &&
            buffer.getLong(JOB_ID_OFFSET) == jobId &&
            buffer.getInt(RANK_OFFSET) == rank &&
            buffer.getInt(ID_OFFSET) == id &&
            fileLength(buffer.getInt(FLAG_COUNT_OFFSET), buffer.getLong(DATA_LENGTH_OFFSET)) == buffer.capacity() &&
            isAlive(buffer.getLong(PID_OFFSET), buffer.getLong(START_TIME_MS_OFFSET));
        if (!valid)
        {
            IoUtil.unmap(mapped);
            return null;
        }
        return new ShmWindow(file, false, mapped);
    }

    private static boolean isAlive(final long pid, final long startTimeMs)
    {
        final Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty() || !process.get().isAlive())
        {
            return false;
        }
        final long started = ShmTransport.startTimeMs(process.get());
        return 0 == startTimeMs || 0 == started || Math.abs(started - startTimeMs) <= 1_000;
    }

    /**
     * @return the owner rank.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return {@link #KIND_WINDOW} or {@link #KIND_ALLOCATION}.
     */
    public int kind()
    {
        return kind;
    }

    /**
     * @return allocation id, 0 for a window.
     */
    public int id()
    {
        return id;
    }

    /**
     * @return flags in the file.
     */
    public int flagCount()
    {
        return flagCount;
    }

    /**
     * @return bytes of data.
     */
    public long dataLength()
    {
        return dataLength;
    }

    /**
     * @return absolute address of the first data byte (page aligned).
     */
    public long dataAddress()
    {
        return dataAddress;
    }

    /**
     * @return the file.
     */
    public File file()
    {
        return file;
    }

    /**
     * @return the whole mapping; its capacity is the file length.
     */
    public UnsafeBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return the mapped memory, for a user buffer that must keep the mapping alive while it is referenced.
     */
    public MappedByteBuffer mapped()
    {
        return mapped;
    }

    /**
     * @param index of a flag, 0 to flagCount - 1.
     * @return the round that last published the chunk (volatile load).
     */
    public long flag(final int index)
    {
        return buffer.getLongVolatile(FLAGS_OFFSET + index * FLAG_STRIDE);
    }

    /**
     * Owner only: publish a chunk after its data was written (release store).
     *
     * @param index of the flag.
     * @param round that wrote it.
     */
    public void publishFlag(final int index, final long round)
    {
        buffer.putLongRelease(FLAGS_OFFSET + index * FLAG_STRIDE, round);
    }

    /**
     * @return the last round whose reads the owner finished (volatile load).
     */
    public long done()
    {
        return buffer.getLongVolatile(DONE_OFFSET);
    }

    /**
     * Owner only: every read of peers' memory for {@code round} is complete (release store).
     *
     * @param round finished.
     */
    public void publishDone(final long round)
    {
        buffer.putLongRelease(DONE_OFFSET, round);
    }

    /**
     * @param sequence call sequence.
     * @return offset of the descriptor slot that call uses.
     */
    public static int descriptorOffset(final long sequence)
    {
        return DESCRIPTORS_OFFSET + (int)(sequence & 1) * DESCRIPTOR_LENGTH;
    }

    /**
     * Owner only: publish the descriptor of call {@code sequence} (seqlock: 0, fields, sequence).
     */
    public void publishDescriptor(
        final long sequence,
        final int collective,
        final int type,
        final int op,
        final int count,
        final int rounds,
        final int chunkElements,
        final int areaId,
        final long areaOffset,
        final double weight)
    {
        final int at = descriptorOffset(sequence);
        buffer.putLongVolatile(at, 0);
        buffer.putInt(at + D_COLLECTIVE, collective);
        buffer.putInt(at + D_TYPE, type);
        buffer.putInt(at + D_OP, op);
        buffer.putInt(at + D_COUNT, count);
        buffer.putInt(at + D_ROUNDS, rounds);
        buffer.putInt(at + D_CHUNK, chunkElements);
        buffer.putInt(at + D_AREA_ID, areaId);
        buffer.putLong(at + D_AREA_OFFSET, areaOffset);
        buffer.putDouble(at + D_WEIGHT, weight);
        buffer.putLongRelease(at, sequence);
    }

    /**
     * Owner only: publish call {@code sequence}, whose vector the owner already wrote at
     * {@link #inlineAddress(long)}: the fields plainly, then the sequence with a release store, all in the
     * descriptor's first cache line, so a reader that sees the sequence has the data in the same transfer. No
     * reader looks at this slot again before every peer has read the owner's call two back (the caller's
     * protocol), so the seqlock's leading zero is not needed. A vector longer than {@link #D_INLINE_LENGTH}
     * continues at {@link #inlineTailAddress(long)}, and {@code tail} release-stores the sequence at the head of
     * that second line first, so a reader may poll both lines together and get both in one transfer time.
     */
    public void publishInline(
        final long sequence, final int collective, final int type, final int op, final int count, final double weight,
        final boolean tail)
    {
        final int at = descriptorOffset(sequence);
        if (tail)
        {
            buffer.putLongRelease(at + D_INLINE_STAMP, sequence);
        }
        buffer.putInt(at + D_COLLECTIVE, collective);
        buffer.putInt(at + D_TYPE, type);
        buffer.putInt(at + D_OP, op);
        buffer.putInt(at + D_COUNT, count);
        buffer.putDouble(at + D_WEIGHT, weight);
        buffer.putLongRelease(at, sequence);
    }

    /**
     * @param sequence an inline call's sequence.
     * @return the address of its vector in this window's descriptor.
     */
    public long inlineAddress(final long sequence)
    {
        return buffer.addressOffset() + descriptorOffset(sequence) + D_INLINE;
    }

    /**
     * @param sequence an inline call's sequence.
     * @return the address of the rest of its vector, in the descriptor's second line.
     */
    public long inlineTailAddress(final long sequence)
    {
        return buffer.addressOffset() + descriptorOffset(sequence) + D_INLINE_TAIL;
    }

    /**
     * @param sequence an inline call's sequence.
     * @return the sequence heading the descriptor's second line (volatile load): the call's when it wrote one.
     */
    public long inlineStamp(final long sequence)
    {
        return buffer.getLongVolatile(descriptorOffset(sequence) + D_INLINE_STAMP);
    }

    /**
     * @param sequence call sequence.
     * @return the sequence in that call's descriptor slot (volatile load): the call is published when equal.
     */
    public long descriptorSequence(final long sequence)
    {
        return buffer.getLongVolatile(descriptorOffset(sequence));
    }

    /**
     * Reader: an int field of the descriptor of call {@code sequence}; valid only if
     * {@link #descriptorSequence(long)} returned {@code sequence} both before and after the fields were read.
     *
     * @param sequence call sequence.
     * @param field    {@code D_...} offset.
     * @return the value.
     */
    public int descriptorInt(final long sequence, final int field)
    {
        return buffer.getInt(descriptorOffset(sequence) + field);
    }

    /**
     * @param sequence call sequence.
     * @return the area offset of that call's descriptor.
     */
    public long descriptorAreaOffset(final long sequence)
    {
        return buffer.getLong(descriptorOffset(sequence) + D_AREA_OFFSET);
    }

    /**
     * @param sequence call sequence.
     * @return the weight in that call's descriptor.
     */
    public double descriptorWeight(final long sequence)
    {
        return buffer.getDouble(descriptorOffset(sequence) + D_WEIGHT);
    }

    /**
     * Order the plain loads of descriptor fields before the sequence is loaded again.
     */
    public static void loadFence()
    {
        VarHandle.acquireFence();
    }

    /**
     * Owner: unmap and delete the file. Reader: unmap. Idempotent.
     */
    public void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            IoUtil.unmap(mapped);
            if (isOwner)
            {
                deleteFile();
            }
        }
    }

    /**
     * Owner of an allocation handed to a user: delete the file but keep the mapping, which the user's buffer
     * still references; the memory goes when the buffer is collected.
     */
    public void closeKeepingMapping()
    {
        if (!isClosed)
        {
            isClosed = true;
            if (isOwner)
            {
                deleteFile();
            }
        }
    }

    private void deleteFile()
    {
        try
        {
            Files.deleteIfExists(file.toPath());
        }
        catch (final IOException ignore)
        {
            // the job directory goes with the job
        }
    }

    public String toString()
    {
        return "ShmWindow{" + file + ", rank=" + rank + ", kind=" + kind + ", id=" + id + ", flags=" + flagCount +
            ", data=" + dataLength + "}";
    }
}
