package io.ringsync.transport.shm;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Layout of the file behind one directed shared-memory link, {@code <directory>/link-<from>-<to>.shm}: every
 * offset in one place, as Agrona's {@code RingBufferDescriptor} and Aeron's {@code CncFileDescriptor} do.
 * <p>
 * The file is a header of {@link #HEADER_LENGTH} bytes followed by {@code slotCount} slots of {@code slotLength}
 * bytes each. All numbers are little endian (native order on every platform this runs on).
 * <pre>
 * offset  line            field                     written by
 *      0  identity        magic "RSYNCSHM"  (long)  writer, last, before the file is renamed into place
 *      8                  layout version     (int)  writer, before publication
 *     12                  header length      (int)
 *     16                  slot count         (int)
 *     20                  slot length        (int)
 *     24                  job id            (long)
 *     32                  writer rank        (int)
 *     36                  reader rank        (int)
 *     40                  writer pid        (long)
 *     48                  writer start ms   (long)  0 when the OS does not say
 *    128  producer        producer position (long)  writer: messages committed, release store
 *    256  consumer        consumer position (long)  reader: messages consumed, release store
 *    384  writer status   writer closed      (int)  writer, once, on close
 *    512  reader status   reader pid        (long)  reader, once, by CAS from 0 when it attaches
 *    520                  reader closed      (int)  reader, once, on close
 *    640  slot 0 ... slot (slotCount - 1)
 * </pre>
 * Each field that changes is alone on its own 128-byte line with its only writer, so the producer and the
 * consumer never write to the same line (Agrona pads to two 64-byte lines because of adjacent-line prefetch).
 * <p>
 * A slot holds one message, whatever its length:
 * <pre>
 * slot offset  field
 *           0  message length (int), written before the producer position is released
 *           4  unused up to 64
 *          64  the message, up to slotLength - 64 bytes
 * </pre>
 * Slots start at {@link #HEADER_LENGTH} plus a multiple of {@code slotLength}, both multiples of 64, and the
 * mapping starts on a page, so every message starts 64-byte aligned in memory and, behind ringsync's 64-byte
 * chunk header, so does every payload: the reduction kernels run measurably slower (~14 %) on misaligned
 * payloads. Positions count messages, not bytes: message {@code p} is in slot {@code p mod slotCount}.
 */
public final class ShmLinkDescriptor
{
    /**
     * "RSYNCSHM" in ASCII when the file is dumped: {@code od -c link-0-1.shm | head -1}.
     */
    public static final long MAGIC = 0x4D4853434E595352L;

    /**
     * Version of this layout; a reader refuses any other.
     */
    public static final int LAYOUT_VERSION = 1;

    /**
     * Length of the line each header group is padded to: two 64-byte cache lines, because adjacent-line
     * prefetch pulls lines in pairs and would otherwise make neighbours share.
     */
    public static final int LINE_LENGTH = 128;

    /**
     * Alignment of every slot and message start.
     */
    public static final int SLOT_ALIGNMENT = 64;

    /**
     * Offset of the magic word: written last by the writer, before the file is renamed into place.
     */
    public static final int MAGIC_OFFSET = 0;

    /**
     * Offset of the layout version (int).
     */
    public static final int LAYOUT_VERSION_OFFSET = 8;

    /**
     * Offset of the header length (int): where slot 0 starts.
     */
    public static final int HEADER_LENGTH_OFFSET = 12;

    /**
     * Offset of the slot count (int).
     */
    public static final int SLOT_COUNT_OFFSET = 16;

    /**
     * Offset of the slot length (int).
     */
    public static final int SLOT_LENGTH_OFFSET = 20;

    /**
     * Offset of the job id (long).
     */
    public static final int JOB_ID_OFFSET = 24;

    /**
     * Offset of the writer's rank (int).
     */
    public static final int WRITER_RANK_OFFSET = 32;

    /**
     * Offset of the reader's rank (int).
     */
    public static final int READER_RANK_OFFSET = 36;

    /**
     * Offset of the writer's process id (long).
     */
    public static final int WRITER_PID_OFFSET = 40;

    /**
     * Offset of the writer process' start time in epoch milliseconds (long), 0 when unknown: tells a live
     * writer from a newer process that was given its recycled pid.
     */
    public static final int WRITER_START_TIME_MS_OFFSET = 48;

    /**
     * Offset of the producer position (long): messages committed, written by the writer only.
     */
    public static final int PRODUCER_POSITION_OFFSET = LINE_LENGTH;

    /**
     * Offset of the consumer position (long): messages consumed, written by the reader only.
     */
    public static final int CONSUMER_POSITION_OFFSET = 2 * LINE_LENGTH;

    /**
     * Offset of the writer-closed flag (int): 1 once the writer closed the link; nothing follows.
     */
    public static final int WRITER_CLOSED_OFFSET = 3 * LINE_LENGTH;

    /**
     * Offset of the reader's process id (long): 0 until a reader attaches by CAS; the writer's claims return
     * NOT_CONNECTED until then.
     */
    public static final int READER_PID_OFFSET = 4 * LINE_LENGTH;

    /**
     * Offset of the reader-closed flag (int): 1 once the reader closed; the writer's claims then return CLOSED.
     */
    public static final int READER_CLOSED_OFFSET = READER_PID_OFFSET + 8;

    /**
     * Length of the header: slot 0 starts here.
     */
    public static final int HEADER_LENGTH = 5 * LINE_LENGTH;

    /**
     * Offset of the message length (int) within a slot.
     */
    public static final int SLOT_MESSAGE_LENGTH_OFFSET = 0;

    /**
     * Bytes in front of the message in each slot: 64 keeps the message, and the payload behind a 64-byte
     * header, 64-byte aligned.
     */
    public static final int SLOT_HEADER_LENGTH = 64;

    /**
     * The smallest slot: its header and a 64-byte message.
     */
    public static final int SLOT_LENGTH_MIN = SLOT_HEADER_LENGTH + SLOT_ALIGNMENT;

    /**
     * The fewest slots of a link.
     */
    public static final int SLOT_COUNT_MIN = 2;

    /**
     * The largest link file: 1 GiB, well inside the int offsets of an Agrona buffer.
     */
    public static final long FILE_LENGTH_MAX = 1L << 30;

    /**
     * Suffix of every link file.
     */
    public static final String FILE_SUFFIX = ".shm";

    private ShmLinkDescriptor()
    {
    }

    /**
     * @param from writing rank.
     * @param to   reading rank.
     * @return the name of the link file from {@code from} to {@code to}: {@code link-<from>-<to>.shm}.
     */
    public static String fileName(final int from, final int to)
    {
        return "link-" + from + "-" + to + FILE_SUFFIX;
    }

    /**
     * @param slotCount  slots in the link.
     * @param slotLength bytes per slot.
     * @return the length of the link file.
     */
    public static long fileLength(final int slotCount, final int slotLength)
    {
        return HEADER_LENGTH + (long)slotCount * slotLength;
    }

    /**
     * @param slotLength bytes per slot.
     * @return the longest message a slot holds.
     */
    public static int messageCapacity(final int slotLength)
    {
        return slotLength - SLOT_HEADER_LENGTH;
    }

    /**
     * @param index      of the slot, 0 to slotCount - 1.
     * @param slotLength bytes per slot.
     * @return the offset of the slot in the file.
     */
    public static int slotOffset(final int index, final int slotLength)
    {
        return HEADER_LENGTH + index * slotLength;
    }

    /**
     * Check a slot length.
     *
     * @param slotLength bytes per slot.
     * @throws IllegalArgumentException unless it is a multiple of 64 of at least {@link #SLOT_LENGTH_MIN}.
     */
    public static void checkSlotLength(final int slotLength)
    {
        final String problem = slotLengthProblem(slotLength);
        if (null != problem)
        {
            throw new IllegalArgumentException("slotLength=" + slotLength + " " + problem +
                ": set slotLength(int), e.g. " + ShmTransport.SLOT_LENGTH_DEFAULT);
        }
    }

    /**
     * The rule a slot length must follow, for every layer that takes one from a user.
     *
     * @param slotLength bytes per slot.
     * @return null when it is valid, else what is wrong.
     */
    public static String slotLengthProblem(final int slotLength)
    {
        if (slotLength < SLOT_LENGTH_MIN || 0 != (slotLength & (SLOT_ALIGNMENT - 1)))
        {
            return "must be a multiple of " + SLOT_ALIGNMENT + " of at least " + SLOT_LENGTH_MIN + " (a " +
                SLOT_HEADER_LENGTH + "-byte slot header and the message)";
        }
        return null;
    }

    /**
     * Check a slot count, and that the file it makes with {@code slotLength} is not too long.
     *
     * @param slotCount  slots in the link.
     * @param slotLength bytes per slot, already checked.
     * @throws IllegalArgumentException unless there are at least {@link #SLOT_COUNT_MIN} slots and the file
     *                                  is at most {@link #FILE_LENGTH_MAX} bytes.
     */
    public static void checkSlotCount(final int slotCount, final int slotLength)
    {
        final String problem = slotCountProblem(slotCount, slotLength);
        if (null != problem)
        {
            throw new IllegalArgumentException("slotCount=" + slotCount + " " + problem +
                ": set slotCount(int) (and slotLength(int))");
        }
    }

    /**
     * The rule a slot count must follow, for every layer that takes one from a user.
     *
     * @param slotCount  slots in the link.
     * @param slotLength bytes per slot, already valid.
     * @return null when it is valid, else what is wrong.
     */
    public static String slotCountProblem(final int slotCount, final int slotLength)
    {
        if (slotCount < SLOT_COUNT_MIN)
        {
            return "must be at least " + SLOT_COUNT_MIN;
        }
        if (fileLength(slotCount, slotLength) > FILE_LENGTH_MAX)
        {
            return "with slots of " + slotLength + " bytes makes a link file of " + fileLength(slotCount, slotLength) +
                " bytes, above the limit of " + FILE_LENGTH_MAX;
        }
        return null;
    }

    /**
     * Write the identity line of a new link file, the magic last (release store). The positions and flags
     * must still be 0, as in a new file. The file must not yet be visible under its final name.
     *
     * @param buffer           over the whole file.
     * @param slotCount        slots in the link.
     * @param slotLength       bytes per slot.
     * @param jobId            of the job.
     * @param writerRank       the rank writing the link.
     * @param readerRank       the rank reading it.
     * @param writerPid        process id of the writer.
     * @param writerStartTimeMs start time of the writer process, epoch milliseconds, or 0.
     */
    public static void initialise(
        final AtomicBuffer buffer,
        final int slotCount,
        final int slotLength,
        final long jobId,
        final int writerRank,
        final int readerRank,
        final long writerPid,
        final long writerStartTimeMs)
    {
        buffer.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
        buffer.putInt(HEADER_LENGTH_OFFSET, HEADER_LENGTH);
        buffer.putInt(SLOT_COUNT_OFFSET, slotCount);
        buffer.putInt(SLOT_LENGTH_OFFSET, slotLength);
        buffer.putLong(JOB_ID_OFFSET, jobId);
        buffer.putInt(WRITER_RANK_OFFSET, writerRank);
        buffer.putInt(READER_RANK_OFFSET, readerRank);
        buffer.putLong(WRITER_PID_OFFSET, writerPid);
        buffer.putLong(WRITER_START_TIME_MS_OFFSET, writerStartTimeMs);
        buffer.putLongRelease(MAGIC_OFFSET, MAGIC);
    }

    /**
     * Check that a mapped file is a link of this layout for this job and this pair of ranks. Off the hot path.
     *
     * @param buffer     over the whole mapped file.
     * @param jobId      expected job id.
     * @param writerRank expected writer.
     * @param readerRank expected reader.
     * @return null when it is, else what is wrong, for a diagnostic.
     */
    public static String checkHeader(
        final AtomicBuffer buffer, final long jobId, final int writerRank, final int readerRank)
    {
        final int fileLength = buffer.capacity();
        if (fileLength < HEADER_LENGTH)
        {
            return "only " + fileLength + " bytes, shorter than the " + HEADER_LENGTH + "-byte header";
        }
        final long magic = buffer.getLongVolatile(MAGIC_OFFSET);
        if (MAGIC != magic)
        {
            return "magic 0x" + Long.toHexString(magic) + " is not 0x" + Long.toHexString(MAGIC) +
                " (not a ringsync shm link, or not fully written)";
        }
        final int version = buffer.getInt(LAYOUT_VERSION_OFFSET);
        if (LAYOUT_VERSION != version)
        {
            return "layout version " + version + ", this ringsync reads version " + LAYOUT_VERSION +
                " (ranks from different ringsync versions?)";
        }
        final long fileJobId = buffer.getLong(JOB_ID_OFFSET);
        if (jobId != fileJobId)
        {
            return "job id 0x" + Long.toHexString(fileJobId) + ", expected 0x" + Long.toHexString(jobId) +
                " (a file of another job: are all ranks started with the same job id?)";
        }
        final int fileWriter = buffer.getInt(WRITER_RANK_OFFSET);
        final int fileReader = buffer.getInt(READER_RANK_OFFSET);
        if (writerRank != fileWriter || readerRank != fileReader)
        {
            return "link from rank " + fileWriter + " to rank " + fileReader + ", expected " + writerRank + " to " +
                readerRank;
        }
        final int headerLength = buffer.getInt(HEADER_LENGTH_OFFSET);
        final int slotCount = buffer.getInt(SLOT_COUNT_OFFSET);
        final int slotLength = buffer.getInt(SLOT_LENGTH_OFFSET);
        if (HEADER_LENGTH != headerLength ||
            slotCount < SLOT_COUNT_MIN ||
            slotLength < SLOT_LENGTH_MIN ||
            0 != (slotLength & (SLOT_ALIGNMENT - 1)) ||
            fileLength(slotCount, slotLength) != fileLength)
        {
            return "header length " + headerLength + ", " + slotCount + " slots of " + slotLength +
                " bytes do not match a file of " + fileLength + " bytes";
        }
        return null;
    }
}
