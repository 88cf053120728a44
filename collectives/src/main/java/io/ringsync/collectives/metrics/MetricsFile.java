package io.ringsync.collectives.metrics;

import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * The memory of one rank's counters and flight recorder ({@link MetricsLayout}): a mapped file in the job directory
 * that other processes read ({@link #open(File)}), or plain memory for a communicator without a job directory.
 * The writer side hands out a {@link CountersManager}; both sides give a {@link CountersReader} and the history.
 */
public final class MetricsFile implements AutoCloseable
{
    private final File file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer buffer;
    private final UnsafeBuffer metadata;
    private final UnsafeBuffer values;
    private final UnsafeBuffer history;
    private final UnsafeBuffer histogram;
    private boolean closed;

    private MetricsFile(final File file, final MappedByteBuffer mapped, final UnsafeBuffer buffer)
    {
        this.file = file;
        this.mapped = mapped;
        this.buffer = buffer;
        this.metadata = new UnsafeBuffer(buffer, buffer.getInt(MetricsLayout.METADATA_OFFSET_OFFSET),
            buffer.getInt(MetricsLayout.METADATA_LENGTH_OFFSET));
        this.values = new UnsafeBuffer(buffer, buffer.getInt(MetricsLayout.VALUES_OFFSET_OFFSET),
            buffer.getInt(MetricsLayout.VALUES_LENGTH_OFFSET));
        this.history = new UnsafeBuffer(buffer, buffer.getInt(MetricsLayout.HISTORY_OFFSET_OFFSET),
            buffer.getInt(MetricsLayout.HISTORY_CAPACITY_OFFSET) * MetricsLayout.HISTORY_RECORD_LENGTH);
        this.histogram = new UnsafeBuffer(buffer, buffer.getInt(MetricsLayout.HISTOGRAM_OFFSET_OFFSET),
            LatencyHistogram.LENGTH);
    }

    /**
     * @param worldSize ranks in the communicator.
     * @return how many counters a rank of it may need.
     */
    static int maxCounters(final int worldSize)
    {
        final int peers = worldSize <= MetricsLayout.MAX_WORLD_PER_PEER ? worldSize : 1;
        return 64 + MetricsLayout.COLLECTIVES.length * io.ringsync.collectives.Path.values().length + 7 * peers;
    }

    /**
     * Create {@code <directory>/counters-<rank>.shm}, owner-only, replacing one an earlier process left; or, with
     * a null directory, the same layout in plain memory.
     *
     * @throws IllegalStateException when the file cannot be made.
     */
    static MetricsFile create(final File directory, final int rank, final int worldSize, final long jobId)
    {
        final int counters = maxCounters(worldSize);
        // the CountersManager wants exactly METADATA_LENGTH / COUNTER_LENGTH times as much metadata as values
        final int valuesLength = BitUtil.align(counters * CountersReader.COUNTER_LENGTH, 4096);
        final int metadataLength = valuesLength * (CountersReader.METADATA_LENGTH / CountersReader.COUNTER_LENGTH);
        final int historyLength = MetricsLayout.HISTORY_CAPACITY * MetricsLayout.HISTORY_RECORD_LENGTH;
        final int historyOffset = MetricsLayout.HEADER_LENGTH;
        final int histogramOffset = BitUtil.align(historyOffset + historyLength, 4096);
        final int metadataOffset = BitUtil.align(histogramOffset + LatencyHistogram.LENGTH, 4096);
        final int valuesOffset = metadataOffset + metadataLength;
        final int length = valuesOffset + valuesLength;
        if (null == directory)
        {
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
            initialise(buffer, rank, worldSize, jobId, historyOffset, histogramOffset, metadataOffset, metadataLength,
                valuesOffset, valuesLength);
            return new MetricsFile(null, null, buffer);
        }
        final File file = new File(directory, MetricsLayout.fileName(rank));
        final Path temp = file.toPath().resolveSibling(file.getName() + "." + ProcessHandle.current().pid() + ".tmp");
        MappedByteBuffer mapped = null;
        try
        {
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (RandomAccessFile raf = new RandomAccessFile(temp.toFile(), "rw"))
            {
                raf.setLength(length);
            }
            mapped = IoUtil.mapExistingFile(temp.toFile(), "ringsync counters " + file);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            initialise(buffer, rank, worldSize, jobId, historyOffset, histogramOffset, metadataOffset, metadataLength,
                valuesOffset, valuesLength);
            Files.move(temp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new MetricsFile(file, mapped, buffer);
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            try
            {
                Files.deleteIfExists(temp);
            }
            catch (final IOException ignore)
            {
                // nothing more to do
            }
            throw new IllegalStateException("rank " + rank + " cannot create its counters file " + file + ": " + ex,
                ex);
        }
    }

    private static void initialise(
        final UnsafeBuffer buffer, final int rank, final int worldSize, final long jobId, final int historyOffset,
        final int histogramOffset, final int metadataOffset, final int metadataLength, final int valuesOffset, final int valuesLength)
    {
        buffer.putInt(MetricsLayout.VERSION_OFFSET, MetricsLayout.LAYOUT_VERSION);
        buffer.putInt(MetricsLayout.RANK_OFFSET, rank);
        buffer.putInt(MetricsLayout.WORLD_SIZE_OFFSET, worldSize);
        buffer.putInt(MetricsLayout.HISTORY_CAPACITY_OFFSET, MetricsLayout.HISTORY_CAPACITY);
        buffer.putLong(MetricsLayout.JOB_ID_OFFSET, jobId);
        buffer.putLong(MetricsLayout.PID_OFFSET, ProcessHandle.current().pid());
        buffer.putLong(MetricsLayout.CREATED_MS_OFFSET, System.currentTimeMillis());
        buffer.putInt(MetricsLayout.METADATA_OFFSET_OFFSET, metadataOffset);
        buffer.putInt(MetricsLayout.METADATA_LENGTH_OFFSET, metadataLength);
        buffer.putInt(MetricsLayout.VALUES_OFFSET_OFFSET, valuesOffset);
        buffer.putInt(MetricsLayout.VALUES_LENGTH_OFFSET, valuesLength);
        buffer.putInt(MetricsLayout.HISTORY_OFFSET_OFFSET, historyOffset);
        buffer.putInt(MetricsLayout.HISTOGRAM_OFFSET_OFFSET, histogramOffset);
        buffer.putLongRelease(MetricsLayout.MAGIC_OFFSET, MetricsLayout.MAGIC);
    }

    /**
     * Map another rank's counters file to read it (read only).
     *
     * @param file a {@code counters-<rank>.shm}.
     * @return the mapped file.
     * @throws IllegalStateException when it is not a counters file of this layout.
     */
    public static MetricsFile open(final File file)
    {
        MappedByteBuffer mapped = null;
        try (FileChannel channel = FileChannel.open(file.toPath()))
        {
            final long size = channel.size();
            if (size < MetricsLayout.HEADER_LENGTH)
            {
                throw new IllegalStateException(file + " is not a ringsync counters file (" + size + " bytes)");
            }
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            if (buffer.getLongVolatile(MetricsLayout.MAGIC_OFFSET) != MetricsLayout.MAGIC ||
                buffer.getInt(MetricsLayout.VERSION_OFFSET) != MetricsLayout.LAYOUT_VERSION ||
                (long)buffer.getInt(MetricsLayout.VALUES_OFFSET_OFFSET) +
                    buffer.getInt(MetricsLayout.VALUES_LENGTH_OFFSET) > size)
            {
                throw new IllegalStateException(file + " is not a ringsync counters file of layout " +
                    MetricsLayout.LAYOUT_VERSION);
            }
            return new MetricsFile(file, mapped, buffer);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot read " + file + ": " + ex, ex);
        }
        catch (final RuntimeException ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            throw ex;
        }
    }

    /**
     * @return a manager over this file's counters, for its writer.
     */
    CountersManager newCountersManager()
    {
        return new CountersManager(metadata, values, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * @return a reader of this file's counters.
     */
    public CountersReader countersReader()
    {
        return new CountersReader(metadata, values);
    }

    /**
     * @return every counter's value by its label, in counter id order (as AeronStat lists them).
     */
    public java.util.Map<String, Long> countersByLabel()
    {
        final CountersReader reader = countersReader();
        final java.util.Map<String, Long> values = new java.util.LinkedHashMap<>();
        reader.forEach((counterId, label) -> values.put(label, reader.getCounterValue(counterId)));
        return values;
    }

    UnsafeBuffer historyBuffer()
    {
        return history;
    }

    UnsafeBuffer histogramBuffer()
    {
        return histogram;
    }

    UnsafeBuffer header()
    {
        return buffer;
    }

    /**
     * @return the file, or null for one in plain memory.
     */
    public File file()
    {
        return file;
    }

    /**
     * @return the rank that writes it.
     */
    public int rank()
    {
        return buffer.getInt(MetricsLayout.RANK_OFFSET);
    }

    /**
     * @return ranks in its communicator.
     */
    public int worldSize()
    {
        return buffer.getInt(MetricsLayout.WORLD_SIZE_OFFSET);
    }

    /**
     * @return its job id.
     */
    public long jobId()
    {
        return buffer.getLong(MetricsLayout.JOB_ID_OFFSET);
    }

    /**
     * @return the process that writes it.
     */
    public long pid()
    {
        return buffer.getLong(MetricsLayout.PID_OFFSET);
    }

    /**
     * @return the calls its flight recorder holds, oldest first (at most {@link MetricsLayout#HISTORY_CAPACITY}).
     */
    public List<CallRecord> history()
    {
        return FlightRecorder.read(rank(), history, buffer);
    }

    /**
     * @return a snapshot of every counter and the history.
     */
    public CommunicatorStats snapshot()
    {
        return CommunicatorStats.read(this);
    }

    /**
     * Unmap; with {@code delete}, remove the file too. Never throws.
     *
     * @param delete whether to remove the file.
     */
    public void close(final boolean delete)
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (null != mapped)
        {
            IoUtil.unmap(mapped);
        }
        if (delete && null != file)
        {
            try
            {
                Files.deleteIfExists(file.toPath());
            }
            catch (final IOException | RuntimeException ignore)
            {
                // the job directory may be gone already
            }
        }
    }

    /**
     * Unmap, leaving the file in place.
     */
    public void close()
    {
        close(false);
    }
}
