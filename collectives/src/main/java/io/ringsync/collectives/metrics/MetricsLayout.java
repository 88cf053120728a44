package io.ringsync.collectives.metrics;

/**
 * Layout of a rank's counters file, {@code <job directory>/counters-<rank>.shm} (see {@link MetricsFile}), written
 * by its rank only and read by anyone with an Agrona {@code CountersReader}; little endian.
 * <pre>
 * offset  field
 *      0  magic "RSYNCCTR"         (long)  stored last, before the file is renamed into place
 *      8  layout version            (int)
 *     12  rank                      (int)
 *     16  world size                (int)
 *     20  history capacity K        (int)
 *     24  job id                   (long)
 *     32  pid                      (long)
 *     40  created, epoch ms        (long)
 *     48  metadata offset, length   (int, int)  the CountersManager's metadata buffer
 *     56  values offset, length     (int, int)  the CountersManager's values buffer
 *     64  history offset            (int)       K records of HISTORY_RECORD_LENGTH bytes, a ring
 *     72  calls recorded           (long)       release store: the ring's next slot is this modulo K
 *     80  histogram offset          (int)       call durations, {@link LatencyHistogram}: a long per bucket
 * </pre>
 * A history record (the flight recorder, {@link FlightRecorder}):
 * <pre>
 *      0  sequence                 (long)  0 while the record is being written
 *      8  start, epoch us          (long)
 *     16  start, System.nanoTime   (long)  comparable between ranks on one host
 *     24  duration ns              (long)  -1 while the call runs
 *     32  vector bytes             (long)
 *     40  wait for the last peer ns(long)
 *     48  collective                (int)  index in {@link #COLLECTIVES}
 *     52  path                      (int)  ordinal of {@link io.ringsync.collectives.Path}
 *     56  last peer into the call   (int)  -1 when no peer sent to this rank
 *     60  outcome                   (int)  RUNNING, OK, FAILED
 * </pre>
 */
public final class MetricsLayout
{
    /**
     * "RSYNCCTR" in ASCII, little endian.
     */
    public static final long MAGIC = 0x525443434E595352L;

    /**
     * Version of this layout; readers ignore any other.
     */
    public static final int LAYOUT_VERSION = 1;

    /**
     * Prefix of a counters file's name.
     */
    public static final String FILE_PREFIX = "counters-";

    /**
     * Suffix of a counters file's name.
     */
    public static final String FILE_SUFFIX = ".shm";

    /**
     * Calls each rank's flight recorder keeps.
     */
    public static final int HISTORY_CAPACITY = 128;

    /**
     * World sizes up to this get counters per peer; larger ones one counter for all peers (key -1).
     */
    public static final int MAX_WORLD_PER_PEER = 64;

    /**
     * The collectives as counters and history name them; the index is what a history record stores.
     */
    static final String[] COLLECTIVES = {
        "allReduce", "weightedAverage", "reduceScatter", "allGather", "broadcast", "barrier", "close", "split",
        "other" };

    static final int HEADER_LENGTH = 4096;
    static final int HISTORY_RECORD_LENGTH = 64;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 8;
    static final int RANK_OFFSET = 12;
    static final int WORLD_SIZE_OFFSET = 16;
    static final int HISTORY_CAPACITY_OFFSET = 20;
    static final int JOB_ID_OFFSET = 24;
    static final int PID_OFFSET = 32;
    static final int CREATED_MS_OFFSET = 40;
    static final int METADATA_OFFSET_OFFSET = 48;
    static final int METADATA_LENGTH_OFFSET = 52;
    static final int VALUES_OFFSET_OFFSET = 56;
    static final int VALUES_LENGTH_OFFSET = 60;
    static final int HISTORY_OFFSET_OFFSET = 64;
    static final int CALLS_RECORDED_OFFSET = 72;
    static final int HISTOGRAM_OFFSET_OFFSET = 80;

    static final int REC_SEQUENCE = 0;
    static final int REC_START_EPOCH_US = 8;
    static final int REC_START_NANO = 16;
    static final int REC_DURATION_NS = 24;
    static final int REC_BYTES = 32;
    static final int REC_WAITED_NS = 40;
    static final int REC_COLLECTIVE = 48;
    static final int REC_PATH = 52;
    static final int REC_WAITED_ON = 56;
    static final int REC_OUTCOME = 60;

    static final int OUTCOME_RUNNING = 0;
    static final int OUTCOME_OK = 1;
    static final int OUTCOME_FAILED = 2;

    // counter type ids (the key says which collective and path, peer or cause)
    /** Calls, key: collective index, path ordinal. */
    public static final int CALLS_TYPE = 15_001;
    /** Calls that failed. */
    public static final int FAILED_CALLS_TYPE = 15_002;
    /** Bytes of the vectors of all calls. */
    public static final int VECTOR_BYTES_TYPE = 15_003;
    /** Bytes sent in chunks to a peer, key: peer (-1: all). */
    public static final int BYTES_SENT_TYPE = 15_010;
    /** Bytes received in chunks from a peer, key: peer. */
    public static final int BYTES_RECEIVED_TYPE = 15_011;
    /** Chunks sent to a peer, key: peer. */
    public static final int CHUNKS_SENT_TYPE = 15_012;
    /** Chunks received from a peer, key: peer. */
    public static final int CHUNKS_RECEIVED_TYPE = 15_013;
    /** Claims refused because the link to a peer was full, key: peer. */
    public static final int BACK_PRESSURE_TYPE = 15_014;
    /** Messages dropped, key: cause index in {@link LinkTally#DROP_CAUSES}. */
    public static final int DROPPED_TYPE = 15_020;
    /** Duration of the last call, ns. */
    public static final int LAST_CALL_NS_TYPE = 15_030;
    /** Sum of all call durations, ns. */
    public static final int TOTAL_CALL_NS_TYPE = 15_031;
    /** Longest call, ns. */
    public static final int MAX_NS_TYPE = 15_034;
    /** Calls in which a peer's first chunk came last, key: peer. */
    public static final int LAST_INTO_CALL_TYPE = 15_040;
    /** Time this rank waited for that last peer's first chunk, summed over the timed calls, ns, key: peer. */
    public static final int SKEW_NS_TYPE = 15_041;

    private MetricsLayout()
    {
    }

    /**
     * @param rank a rank.
     * @return the name of its counters file: {@code counters-<rank>.shm}.
     */
    public static String fileName(final int rank)
    {
        return FILE_PREFIX + rank + FILE_SUFFIX;
    }

    /**
     * @param index a collective index of a history record or counter key.
     * @return its name, {@code allReduce}, ...
     */
    public static String collectiveName(final int index)
    {
        return index >= 0 && index < COLLECTIVES.length ? COLLECTIVES[index] : "other";
    }

    /**
     * @param callName the engine's name of a call.
     * @return its index in {@link #COLLECTIVES}.
     */
    static int collectiveIndex(final String callName)
    {
        switch (callName)
        {
            case "allReduce":
                return 0;
            case "weightedAverage":
                return 1;
            case "reduceScatter":
                return 2;
            case "allGather":
                return 3;
            case "broadcast":
                return 4;
            case "barrier":
                return 5;
            case "close":
                return 6;
            case "split":
                return 7;
            default:
                return 8;
        }
    }
}
