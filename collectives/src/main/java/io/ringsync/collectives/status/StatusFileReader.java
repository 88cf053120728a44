package io.ringsync.collectives.status;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Reads a status file ({@link StatusDescriptor}) of any job from outside it, as {@code ringsync stat} does: one
 * read of the page, no mapping kept.
 */
public final class StatusFileReader
{
    /**
     * What a rank last published.
     *
     * @param rank        the rank.
     * @param worldSize   ranks in its job.
     * @param jobId       its job.
     * @param pid         its process.
     * @param state       {@code idle}, {@code in-call}, {@code failed} or {@code closed}.
     * @param sequence    the call it is in or last left.
     * @param progress    chunks received in the call as of the heartbeat.
     * @param heartbeatMs wall clock of its last heartbeat, epoch ms.
     */
    public record Status(
        int rank, int worldSize, long jobId, long pid, String state, long sequence, long progress, long heartbeatMs)
    {
    }

    private StatusFileReader()
    {
    }

    /**
     * @param file a {@code status-<rank>.shm}.
     * @return what it holds, or null when it is missing or not a status file of this layout.
     */
    public static Status read(final File file)
    {
        try (FileChannel channel = FileChannel.open(file.toPath()))
        {
            final ByteBuffer page = ByteBuffer.allocate(StatusDescriptor.FILE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            while (page.hasRemaining() && channel.read(page) > 0)
            {
                // read the whole page
            }
            if (page.position() < 256 || page.getLong(StatusDescriptor.MAGIC_OFFSET) != StatusDescriptor.MAGIC ||
                page.getInt(StatusDescriptor.LAYOUT_VERSION_OFFSET) != StatusDescriptor.LAYOUT_VERSION)
            {
                return null;
            }
            return new Status(page.getInt(StatusDescriptor.RANK_OFFSET), page.getInt(StatusDescriptor.WORLD_SIZE_OFFSET),
                page.getLong(StatusDescriptor.JOB_ID_OFFSET), page.getLong(StatusDescriptor.PID_OFFSET),
                stateName(page.getInt(StatusDescriptor.STATE_OFFSET)), page.getLong(StatusDescriptor.SEQUENCE_OFFSET),
                page.getLong(StatusDescriptor.PROGRESS_OFFSET), page.getLong(StatusDescriptor.HEARTBEAT_MS_OFFSET));
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    private static String stateName(final int state)
    {
        switch (state)
        {
            case StatusDescriptor.IDLE:
                return "idle";
            case StatusDescriptor.IN_CALL:
                return "in-call";
            case StatusDescriptor.FAILED:
                return "failed";
            case StatusDescriptor.CLOSED:
                return "closed";
            default:
                return "state " + state;
        }
    }
}
