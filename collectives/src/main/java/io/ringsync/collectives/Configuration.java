package io.ringsync.collectives;

import java.util.Map;

/**
 * Every knob of a communicator in one place: its environment variable (what {@code ringsync launch}
 * sets and {@link Communicator#fromEnvironment()} reads), the system property that overrides it, and
 * its default. Environment names are a public contract: extend, never rename.
 */
public final class Configuration
{
    /**
     * This process' rank, 0 to world size - 1. Required.
     */
    public static final String RANK_ENV = "RINGSYNC_RANK";

    /**
     * Number of ranks in the job. Required.
     */
    public static final String WORLD_SIZE_ENV = "RINGSYNC_WORLD_SIZE";

    /**
     * Transport: {@code ipc} (Aeron IPC through one shared media driver, one host), {@code udp} (Aeron UDP,
     * across hosts) or {@code shm} (driverless shared memory, one host).
     */
    public static final String TRANSPORT_ENV = "RINGSYNC_TRANSPORT";

    /**
     * Default transport on one host.
     */
    public static final String TRANSPORT_DEFAULT = "ipc";

    /**
     * Job id, any 64-bit number in decimal or {@code 0x} hex; identical on every rank. Messages of other
     * jobs are dropped. The launcher draws a random one.
     */
    public static final String JOB_ID_ENV = "RINGSYNC_JOB_ID";

    /**
     * Directory for the job's files (Aeron directories of embedded drivers). The launcher makes one under
     * {@code /dev/shm} and removes it when the job ends.
     */
    public static final String JOB_DIR_ENV = "RINGSYNC_JOB_DIR";

    /**
     * Aeron directory of the media driver shared by the job's ranks: required for {@code ipc}; optional for
     * {@code udp} (each rank embeds a driver when it is not set).
     */
    public static final String AERON_DIR_ENV = "RINGSYNC_AERON_DIR";

    /**
     * For {@code udp}: one {@code host:port} per rank, comma-separated, in rank order. Rank r receives on
     * the r-th endpoint.
     */
    public static final String UDP_ENDPOINTS_ENV = "RINGSYNC_UDP_ENDPOINTS";

    /**
     * For {@code udp}: Aeron mtu in bytes (the largest datagram). Raise it for jumbo frames; the launcher
     * uses 65504 on loopback.
     */
    public static final String UDP_MTU_ENV = "RINGSYNC_UDP_MTU";

    /**
     * Default UDP mtu: fits a 1500-byte Ethernet frame without IP fragmentation (Aeron's default).
     */
    public static final int UDP_MTU_DEFAULT = 1408;

    /**
     * Aeron term length per link in bytes (power of two, at least 512 KiB for IPC).
     */
    public static final String TERM_LENGTH_ENV = "RINGSYNC_TERM_LENGTH";

    /**
     * Default term length: the spikes saw no difference from 1 to 64 MiB, so keep the /dev/shm footprint small.
     */
    public static final int TERM_LENGTH_DEFAULT = 1024 * 1024;

    /**
     * For {@code shm}: slots per link (one chunk each); default max(16, 2 (n + 2)). The ring needs at least n + 2.
     */
    public static final String SHM_SLOT_COUNT_ENV = "RINGSYNC_SHM_SLOT_COUNT";

    /**
     * For {@code shm}: bytes per slot, a multiple of 64; default the chunk size plus 128 bytes of headers.
     */
    public static final String SHM_SLOT_LENGTH_ENV = "RINGSYNC_SHM_SLOT_LENGTH";

    /**
     * For {@code shm}: data bytes of each rank's direct-mode window (accepts KiB/MiB suffixes), default 4 MiB.
     * Vectors larger than a window stream through it in rounds, so /dev/shm needs about n windows whatever the
     * vector size.
     */
    public static final String SHM_WINDOW_BYTES_ENV = "RINGSYNC_SHM_WINDOW_BYTES";

    /**
     * For {@code shm}: AllReduce calls of at least this many bytes read peers' windows directly instead of
     * passing messages; 0 means always (calls up to {@link #SMALL_MAX_BYTES_ENV} still take the small-vector path),
     * -1 never. Same on every rank.
     */
    public static final String SHM_DIRECT_MIN_BYTES_ENV = "RINGSYNC_SHM_DIRECT_MIN_BYTES";

    /**
     * Default switch to the direct mode: 1 MiB. Measured float32 SUM over shm, ring and direct alternated in one
     * session (perf-results/2026-11-25-shm-direct, AMD EPYC, 2 vCPUs): at np = 2 direct took 0.55-0.61x the ring's
     * p50 at 1 MiB and 0.51x at 4 MiB but 1.2x at 256 KiB and 1.07x at 64 KiB; at np = 4 it was at par or better
     * from 256 KiB, with wide run-to-run swings on 2 cores.
     */
    public static final long SHM_DIRECT_MIN_BYTES_DEFAULT = 1024 * 1024;

    /**
     * Deadline of every blocking call, in milliseconds.
     */
    public static final String TIMEOUT_MS_ENV = "RINGSYNC_TIMEOUT_MS";

    /**
     * Default deadline: 30 s.
     */
    public static final long TIMEOUT_MS_DEFAULT = 30_000;

    /**
     * Largest payload of one chunk message in bytes (capped by what the transport carries unfragmented).
     */
    public static final String CHUNK_BYTES_ENV = "RINGSYNC_CHUNK_BYTES";

    /**
     * Default chunk payload: 16-64 KiB performed alike in the spikes; 32 KiB keeps many chunks in flight.
     */
    public static final int CHUNK_BYTES_DEFAULT = 32 * 1024;

    /**
     * Largest allReduce, in bytes (count x element size), that takes the small-vector path (every rank sends
     * its whole vector to every other rank and folds all of them in rank order) instead of the ring; {@code 0}
     * always takes the ring. Accepts {@code KiB} suffixes; at most 1 MiB. Must be the same on every rank: the
     * two paths sum in different orders, and ranks that chose differently fail with a mismatch.
     */
    public static final String SMALL_MAX_BYTES_ENV = "RINGSYNC_SMALL_MAX_BYTES";

    /**
     * Default switch point, measured (perf-results/2026-11-26-small-vector): see {@link #SMALL_MAX_BYTES_ENV}.
     */
    public static final int SMALL_MAX_BYTES_DEFAULT = 16 * 1024;

    /**
     * How a waiting rank idles: {@code backoff} (spin, yield, then park: right when ranks may outnumber
     * cores), {@code yield}, {@code spin} (only with a core per busy thread).
     */
    public static final String IDLE_ENV = "RINGSYNC_IDLE";

    /**
     * Default idle strategy.
     */
    public static final String IDLE_DEFAULT = "backoff";

    private Configuration()
    {
    }

    /**
     * The system property that overrides an environment variable: {@code RINGSYNC_JOB_ID} is
     * {@code ringsync.job.id}.
     *
     * @param envName of the variable.
     * @return the property name.
     */
    public static String propertyName(final String envName)
    {
        return envName.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
    }

    /**
     * @param env     environment to read.
     * @param envName variable.
     * @return the system property if set, else the environment value, else null.
     */
    static String lookup(final Map<String, String> env, final String envName)
    {
        final String property = System.getProperty(propertyName(envName));
        if (null != property && !property.isBlank())
        {
            return property.trim();
        }
        final String value = env.get(envName);
        return null == value || value.isBlank() ? null : value.trim();
    }
}
