package io.ringsync.collectives.status;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Layout of a rank's status file, {@code <job directory>/status-<rank>.shm} (see {@link RankStatusBoard}); one
 * page, written by its rank only, little endian.
 * <pre>
 * offset  field                       written
 *      0  magic "RSYNCSTA"    (long)  last, before the file is renamed into place
 *      8  layout version       (int)
 *     12  rank                 (int)
 *     16  world size           (int)
 *     24  job id              (long)
 *     32  pid                 (long)
 *     40  process start ms    (long)  0 when the OS does not say
 *     48  created ms          (long)  wall clock when the file was made
 *    128  state                (int)  IDLE, IN_CALL, FAILED, CLOSED (release stores)
 *    136  sequence            (long)  call the rank is in, or last left
 *    144  progress            (long)  chunks received in the call, as of the heartbeat
 *    152  heartbeat ms        (long)  wall clock of the last update
 * </pre>
 */
public final class StatusDescriptor
{
    /**
     * "RSYNCSTA" in ASCII.
     */
    public static final long MAGIC = 0x4154534E59535352L;

    /**
     * Version of this layout; readers ignore any other.
     */
    public static final int LAYOUT_VERSION = 1;

    /**
     * Length of every status file: one page.
     */
    public static final int FILE_LENGTH = 4096;

    static final int MAGIC_OFFSET = 0;
    static final int LAYOUT_VERSION_OFFSET = 8;
    static final int RANK_OFFSET = 12;
    static final int WORLD_SIZE_OFFSET = 16;
    static final int JOB_ID_OFFSET = 24;
    static final int PID_OFFSET = 32;
    static final int START_TIME_MS_OFFSET = 40;
    static final int CREATED_MS_OFFSET = 48;
    static final int STATE_OFFSET = 128;
    static final int SEQUENCE_OFFSET = 136;
    static final int PROGRESS_OFFSET = 144;
    static final int HEARTBEAT_MS_OFFSET = 152;

    static final int IDLE = 0;
    static final int IN_CALL = 1;
    static final int FAILED = 2;
    static final int CLOSED = 3;

    /**
     * Prefix of every status file's name.
     */
    public static final String FILE_PREFIX = "status-";

    /**
     * Suffix of a status file, as of the shm transport's own files: the job directory's memory-backed files.
     */
    public static final String FILE_SUFFIX = ".shm";

    /**
     * Prefix of the file a launcher writes into the job directory when a rank exits with a failure, holding the
     * exit code in decimal: it tells the other ranks about a rank that died before it could publish anything.
     */
    public static final String EXIT_FILE_PREFIX = "exit-";

    private StatusDescriptor()
    {
    }

    /**
     * @param rank a rank.
     * @return the name of the file that reports its failed exit: {@code exit-<rank>}.
     */
    public static String exitFileName(final int rank)
    {
        return EXIT_FILE_PREFIX + rank;
    }

    /**
     * @param rank a rank.
     * @return the name of its status file: {@code status-<rank>.shm}.
     */
    public static String fileName(final int rank)
    {
        return FILE_PREFIX + rank + FILE_SUFFIX;
    }

    static void initialise(
        final AtomicBuffer buffer,
        final long jobId,
        final int rank,
        final int worldSize,
        final long pid,
        final long startTimeMs,
        final long nowMs)
    {
        buffer.putInt(LAYOUT_VERSION_OFFSET, LAYOUT_VERSION);
        buffer.putInt(RANK_OFFSET, rank);
        buffer.putInt(WORLD_SIZE_OFFSET, worldSize);
        buffer.putLong(JOB_ID_OFFSET, jobId);
        buffer.putLong(PID_OFFSET, pid);
        buffer.putLong(START_TIME_MS_OFFSET, startTimeMs);
        buffer.putLong(CREATED_MS_OFFSET, nowMs);
        buffer.putInt(STATE_OFFSET, IDLE);
        buffer.putLong(HEARTBEAT_MS_OFFSET, nowMs);
        buffer.putLongRelease(MAGIC_OFFSET, MAGIC);
    }

    /**
     * @return null when the file is a status file of this layout for this job and rank, else what is wrong.
     */
    static String checkHeader(final AtomicBuffer buffer, final long jobId, final int rank, final int worldSize)
    {
        if (buffer.capacity() != FILE_LENGTH || MAGIC != buffer.getLongVolatile(MAGIC_OFFSET))
        {
            return "not a ringsync status file";
        }
        if (LAYOUT_VERSION != buffer.getInt(LAYOUT_VERSION_OFFSET))
        {
            return "layout version " + buffer.getInt(LAYOUT_VERSION_OFFSET);
        }
        if (jobId != buffer.getLong(JOB_ID_OFFSET) || rank != buffer.getInt(RANK_OFFSET) ||
            worldSize != buffer.getInt(WORLD_SIZE_OFFSET))
        {
            return "another job's or rank's status";
        }
        return null;
    }
}
