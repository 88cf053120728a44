package io.ringsync.collectives;

import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.rendezvous.PortRange;
import io.ringsync.transport.shm.ShmTransport;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every knob of ringsync in one place, the Aeron way: its environment variable (what {@code ringsync launch}
 * sets and {@link Communicator#fromEnvironment()} reads; a system property of the same name in lower case with
 * dots, {@code ringsync.timeout.ms}, overrides it), its default, and a getter that reads it from an environment
 * and says which variable is wrong when it cannot be read. {@link Context#fromEnvironment(Map)} is made of these
 * getters, and the launcher reads the knobs it needs through them too, so ranks and launcher can never parse a
 * value differently. Environment names are a public contract: extend, never rename.
 * <p>
 * Byte counts share one grammar ({@link #parseSize}): {@code 4096}, {@code 4k}, {@code 4KiB}, {@code 1m},
 * {@code 1MiB}, {@code 1g}, {@code 1GiB} (powers of 1024; a trailing {@code B} is allowed, letters in any case).
 * {@code 1MB} or {@code 1KB} are refused: half the world reads them as powers of 1000, the other half as powers of
 * 1024, and a wrong guess here would silently resize a buffer.
 */
public final class Configuration
{
    /**
     * This process' rank, 0 to world size - 1. When it is not set, the rank comes from the scheduler, in this
     * order: torchrun's {@code RANK}, Open MPI's {@code OMPI_COMM_WORLD_RANK}, PMI's {@code PMI_RANK}, Slurm's
     * {@code SLURM_PROCID}, a Kubernetes indexed job's {@code JOB_COMPLETION_INDEX} ({@link #rankSetting}).
     */
    public static final String RANK_ENV = "RINGSYNC_RANK";

    /**
     * Number of ranks in the job. When it is not set: torchrun's {@code WORLD_SIZE}, Open MPI's
     * {@code OMPI_COMM_WORLD_SIZE}, PMI's {@code PMI_SIZE}, Slurm's {@code SLURM_NTASKS}; a Kubernetes indexed job
     * must set it ({@link #worldSizeSetting}).
     */
    public static final String WORLD_SIZE_ENV = "RINGSYNC_WORLD_SIZE";

    /**
     * Transport: {@code shm} (driverless shared memory, one host), {@code ipc} (Aeron IPC through one shared media
     * driver, one host), {@code tcp} (across hosts, the default there) or {@code udp} (Aeron UDP, across hosts).
     * When it is not set, a rank takes {@code udp} if {@link #UDP_ENDPOINTS_ENV} is set, {@code ipc} if
     * {@link #AERON_DIR_ENV} is set, {@code tcp} if a rendezvous is known ({@link #rendezvousSetting}), else
     * {@code shm}.
     */
    public static final String TRANSPORT_ENV = "RINGSYNC_TRANSPORT";

    /**
     * Default transport on one host: the driverless shared memory measured 2-3x faster than Aeron IPC here.
     */
    public static final String TRANSPORT_DEFAULT = "shm";

    /**
     * Job id, any 64-bit number in decimal or {@code 0x} hex; identical on every rank. Messages of other
     * jobs are dropped. The launcher draws a random one.
     */
    public static final String JOB_ID_ENV = "RINGSYNC_JOB_ID";

    /**
     * Default job id of ranks started by hand without one.
     */
    public static final long JOB_ID_DEFAULT = 0;

    /**
     * Directory for the job's files (shm links and windows, status files, Aeron directories of embedded
     * drivers). The launcher makes one under {@code /dev/shm} and removes it when the job ends; without it a
     * rank uses {@code /dev/shm/ringsync-<job id>} and the last rank out removes it.
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
    public static final int UDP_MTU_DEFAULT = AeronTransport.UDP_MTU_LENGTH_DEFAULT;

    /**
     * Aeron term length per link in bytes (power of two, at least 512 KiB for IPC).
     */
    public static final String TERM_LENGTH_ENV = "RINGSYNC_TERM_LENGTH";

    /**
     * Default term length: the spikes saw no difference from 1 to 64 MiB, so keep the /dev/shm footprint small.
     */
    public static final int TERM_LENGTH_DEFAULT = AeronTransport.TERM_LENGTH_DEFAULT;

    /**
     * For {@code shm}: slots per link (one chunk each), at least 2; default 32, fewer for jobs of more than 6 ranks
     * so that their links stay within 32 MiB (never below 8).
     */
    public static final String SHM_SLOT_COUNT_ENV = "RINGSYNC_SHM_SLOT_COUNT";

    /**
     * Default slot count: derived from the world size ({@link ShmTransport#defaultSlotCount(int, int)}).
     */
    public static final int SHM_SLOT_COUNT_DEFAULT = ShmTransport.SLOT_COUNT_FROM_WORLD_SIZE;

    /**
     * For {@code shm}: bytes per slot, a multiple of 64; default the chunk size plus 128 bytes of headers.
     */
    public static final String SHM_SLOT_LENGTH_ENV = "RINGSYNC_SHM_SLOT_LENGTH";

    /**
     * Bytes a slot holds beyond its chunk's payload: the slot header and the chunk header, 64 each.
     */
    public static final int SHM_SLOT_OVERHEAD = 128;

    /**
     * For {@code shm}: data bytes of each rank's direct-mode window, default 4 MiB. Vectors larger than a window
     * stream through it in rounds, so /dev/shm needs about n windows whatever the vector size.
     */
    public static final String SHM_WINDOW_BYTES_ENV = "RINGSYNC_SHM_WINDOW_BYTES";

    /**
     * Default window data per rank.
     */
    public static final long SHM_WINDOW_BYTES_DEFAULT = ShmTransport.WINDOW_LENGTH_DEFAULT;

    /**
     * For {@code shm}: AllReduce calls of at least this many bytes read peers' windows directly instead of
     * passing messages; 0 means always (calls up to {@link #SMALL_MAX_BYTES_ENV} still take the small-vector path),
     * -1 never, which also turns off the inline path of vectors up to 88 bytes (it needs the windows). Same on
     * every rank.
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
     * Longest deadline accepted, for calls and the rendezvous alike: 30 days, far below where a deadline of
     * {@code System.nanoTime()} plus it could overflow.
     */
    public static final long TIMEOUT_MS_MAX = 30L * 24 * 3600 * 1000;

    /**
     * Largest payload of one chunk message in bytes (capped by what the transport carries unfragmented), 64 to
     * {@link #CHUNK_BYTES_MAX}.
     */
    public static final String CHUNK_BYTES_ENV = "RINGSYNC_CHUNK_BYTES";

    /**
     * Default chunk payload: 16-64 KiB performed alike in the spikes; 32 KiB keeps many chunks in flight.
     */
    public static final int CHUNK_BYTES_DEFAULT = 32 * 1024;

    /**
     * Largest chunk payload accepted: Aeron's largest message (16 MiB); no transport carries more in one piece.
     */
    public static final int CHUNK_BYTES_MAX = 16 * 1024 * 1024;

    /**
     * Share of each link's window that the ring AllReduce keeps free for forwarded chunks: a new chunk (step 0)
     * is sent only while more than this share plus one message is free. 0 keeps one message (the least that
     * keeps the ring deadlock-free on fixed slots; n + 1 messages on Aeron links), values up to just below 1
     * keep more; forwards may always fill the link.
     */
    public static final String RING_RESERVE_ENV = "RINGSYNC_RING_RESERVE";

    /**
     * Default share kept for forwards: half the window, measured faster than one message.
     */
    public static final double RING_RESERVE_DEFAULT = 0.5;

    /**
     * Largest allReduce, in bytes (count x element size), that takes the small-vector path (every rank sends
     * its whole vector to every other rank and folds all of them in rank order) instead of the ring; {@code 0}
     * always takes the ring. At most {@link #SMALL_MAX_BYTES_LIMIT}. Unset, the switch depends on the group
     * ({@link #SMALL_MAX_BYTES_BY_GROUP}). Must be the same on every rank: the two paths sum in different orders
     * from three ranks on, and ranks that chose differently fail with a mismatch.
     */
    public static final String SMALL_MAX_BYTES_ENV = "RINGSYNC_SMALL_MAX_BYTES";

    /**
     * {@link #SMALL_MAX_BYTES_ENV} unset: {@link #SMALL_MAX_BYTES_TCP_PAIR_DEFAULT} in a group of two over tcp, whose
     * small path moves the ring's bytes in one step instead of two, else {@link #SMALL_MAX_BYTES_DEFAULT}.
     */
    public static final int SMALL_MAX_BYTES_BY_GROUP = -1;

    /**
     * Switch point of groups of three ranks or more and of pairs over shm, udp and ipc, measured
     * (perf-results/2026-11-25-small-vector): from three ranks the small path moves n/2 times the ring's bytes, so
     * it wins only while a call's latency dominates. A pair over shm is not moved: its small path took 0.60-0.82x
     * the ring's and the direct mode's p50 from 32 KiB to 1 MiB in the host's slow state but 1.07-1.18x from
     * 128 KiB in its fast state (perf-results/2026-12-08-small-pairs).
     */
    public static final int SMALL_MAX_BYTES_DEFAULT = 16 * 1024;

    /**
     * Switch point of a group of two over tcp: 256 KiB. Between two simulated hosts the small path took 0.82-0.97x
     * the ring's p50 from 64 to 256 KiB, 0.95-1.01x at 512 KiB and 1.06-1.34x at 1 MiB
     * (perf-results/2026-12-08-small-pairs).
     */
    public static final int SMALL_MAX_BYTES_TCP_PAIR_DEFAULT = 256 * 1024;

    /**
     * Upper bound of {@link #SMALL_MAX_BYTES_ENV}: beyond this the n/2 times larger traffic loses to the ring on
     * any machine, and the small path's accumulator stays small.
     */
    public static final int SMALL_MAX_BYTES_LIMIT = 1024 * 1024;

    /**
     * {@code auto} (the default): when ranks share hosts across several hosts, AllReduce calls above the
     * small-vector size reduce inside each host over shared memory and across hosts between the ranks that hold the
     * same share ({@code HostAwareAllReduce}); {@code flat}: always one ring over the job's transport, for
     * comparison. Must be the same on every rank.
     */
    public static final String HIERARCHY_ENV = "RINGSYNC_HIERARCHY";

    /**
     * Default hierarchy: {@code auto}.
     */
    public static final String HIERARCHY_DEFAULT = "auto";

    /**
     * How float32 values of AllReduce calls on the ring cross the links between hosts: {@code float32} (the default)
     * or {@code bf16}, the top half of each value rounded to nearest even: half the bytes, a relative error of at
     * most 2^-8 per rounding (each partial sum is rounded as it leaves a rank, the final value once by its owner),
     * and still the same bits on every rank. For bandwidth-bound vectors between hosts; links over shared memory or
     * an Aeron driver on one host never narrow. Must be the same on every rank.
     */
    public static final String WIRE_ENV = "RINGSYNC_WIRE";

    /**
     * Default wire format: {@code float32}, exact.
     */
    public static final String WIRE_DEFAULT = "float32";

    /**
     * {@code 1} (or {@code true}): a NaN or an infinity in any rank's input fails the call on every rank, naming the
     * lowest rank that holds one and the index of its first; the communicator remains usable. Each rank scans its own
     * input before sending it (see {@code perf-results} for the cost). Default off: such values are reduced as any
     * other. May differ between ranks: only the ranks that check refuse.
     */
    public static final String CHECK_FINITE_ENV = "RINGSYNC_CHECK_FINITE";

    /**
     * How a waiting rank idles: {@code backoff} (spin, yield, then park: right when ranks may outnumber
     * cores), {@code yield}, {@code spin} (only with a core per busy thread).
     */
    public static final String IDLE_ENV = "RINGSYNC_IDLE";

    /**
     * Default idle strategy.
     */
    public static final String IDLE_DEFAULT = "backoff";

    // ---- Across hosts: the rendezvous, the schedulers' variables, interfaces and ports, the job secret ----

    /**
     * {@code host:port} of the rendezvous: rank 0 serves there (on every interface, on that port), every other rank
     * connects there to learn where its peers listen. When it is not set: torchrun's {@code MASTER_ADDR} and
     * {@code MASTER_PORT} (the port after it when {@code TORCHELASTIC_USE_AGENT_STORE=True}: torchrun's agent then
     * serves its own store on MASTER_PORT); under Slurm, the first host of {@code SLURM_STEP_NODELIST} on a port derived from the job
     * ({@link #SLURM_RENDEZVOUS_PORT_BASE}).
     */
    public static final String RENDEZVOUS_ENV = "RINGSYNC_RENDEZVOUS";

    /**
     * How long, in milliseconds, a rank waits at the rendezvous for all ranks to arrive (ranks of a cluster job may
     * start minutes apart).
     */
    public static final String RENDEZVOUS_TIMEOUT_MS_ENV = "RINGSYNC_RENDEZVOUS_TIMEOUT_MS";

    /**
     * Default rendezvous deadline: 5 minutes.
     */
    public static final long RENDEZVOUS_TIMEOUT_MS_DEFAULT = 300_000;

    /**
     * Under Slurm without a rendezvous: the port is this plus (SLURM_JOB_ID x 31 + SLURM_STEP_ID) mod
     * {@link #SLURM_RENDEZVOUS_PORT_COUNT}, i.e. from 24000 to 28999, below Linux's ephemeral range.
     */
    public static final int SLURM_RENDEZVOUS_PORT_BASE = 24_000;

    /**
     * Number of ports the Slurm rendezvous port is drawn from.
     */
    public static final int SLURM_RENDEZVOUS_PORT_COUNT = 5_000;

    /**
     * This process' rank among the job's ranks on its host. When it is not set: torchrun's {@code LOCAL_RANK}, Open
     * MPI's {@code OMPI_COMM_WORLD_LOCAL_RANK}, Slurm's {@code SLURM_LOCALID}; otherwise the rendezvous tells it.
     */
    public static final String LOCAL_RANK_ENV = "RINGSYNC_LOCAL_RANK";

    /**
     * The interface the rank listens on: a name ({@code eth0}) or a CIDR block ({@code 10.0.0.0/8}). Default: the
     * one that routes to the rendezvous host.
     */
    public static final String INTERFACE_ENV = "RINGSYNC_INTERFACE";

    /**
     * The ports a rank may listen on, {@code lo-hi} (the first free one is taken) or one port, for firewalls.
     * Default: any free port.
     */
    public static final String PORTS_ENV = "RINGSYNC_PORTS";

    /**
     * A secret every rank of the job must know to join it at the rendezvous (challenge and response with
     * HMAC-SHA256; it never crosses the wire). Without it anyone who can reach the rendezvous port can join.
     * {@code bin/ringsync launch} draws one per job.
     */
    public static final String JOB_SECRET_ENV = "RINGSYNC_JOB_SECRET";

    /**
     * {@code host:port} of the job's agreement server, where the survivors of a job on several hosts agree who
     * they are ({@code Communicator.shrink()}); it needs {@link #JOB_SECRET_ENV}. {@code bin/ringsync launch --hosts}
     * serves one and sets this. Ranks of one host agree through their job directory and need none.
     */
    public static final String AGREEMENT_ENV = "RINGSYNC_AGREEMENT";

    /**
     * Whether tcp frames and udp messages carry a tag under the job secret (ipc and shm never leave the host):
     * {@code hmac-sha256} (the default when {@link #JOB_SECRET_ENV} is set), {@code aes-gmac}, or {@code off}. Tags cost about 1.3 ms of CPU per MiB
     * each rank sends and receives (perf-results/2026-12-06-frame-mac), so {@code bin/ringsync launch}, which draws a
     * secret of its own when you set none, sets {@code off} with it: the rendezvous is guarded, the frames are not.
     * Set a secret yourself, or this variable, to tag them. The same on every rank.
     */
    public static final String FRAME_MAC_ENV = "RINGSYNC_FRAME_MAC";

    /**
     * {@code 1} (or {@code true}): every tcp connection of the job runs over TLS 1.3, for a network that is itself
     * hostile: the model is encrypted on the wire, and TLS's record checks replace the frame tags. Needs
     * {@link #JOB_SECRET_ENV} (each rank's certificate is its own; the secret proves the peer, bound to the
     * handshake). tcp only (udp messages are tagged, not encrypted); shm and ipc never leave the host. The same on
     * every rank. Its cost is in perf-results/2026-12-07-tls.
     */
    public static final String TLS_ENV = "RINGSYNC_TLS";

    /**
     * Pid of the {@code ringsync launch} process that started this rank, set by it for ranks on its own host: the
     * rank stops (exit code 143) and removes the job directory when that process is gone, e.g. killed with
     * SIGKILL, which gives it no chance to stop its ranks.
     */
    public static final String LAUNCHER_PID_ENV = "RINGSYNC_LAUNCHER_PID";

    /**
     * {@code 1} (or {@code true}): {@code Communicator.fromEnvironment()} joins the running job of
     * {@link #JOB_ID_ENV} and {@link #JOB_DIR_ENV} as a new rank ({@code Communicator.join}) instead of starting
     * one with the others; {@link #RANK_ENV}, when set, is the job rank it takes. Set by
     * {@code ringsync launch --restart N} for a rank it respawns. One host, any transport.
     */
    public static final String JOIN_ENV = "RINGSYNC_JOIN";

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmg])(?:ib)?|b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DECIMAL_SIZE = Pattern.compile("\\d+\\s*[kmg]b", Pattern.CASE_INSENSITIVE);
    private static final String SIZE_FORMS = "a whole number of bytes, optionally with k/KiB, m/MiB or g/GiB " +
        "(powers of 1024), e.g. 4096, 64KiB, 1m";

    private Configuration()
    {
    }

    /**
     * @param env variables to read.
     * @return the rank ({@link #rankSetting}).
     * @throws ConfigurationException when no source gives it, or the first that does is not a whole number.
     */
    public static int rank(final Map<String, String> env)
    {
        return required(rankSetting(env), RANK_ENV);
    }

    /**
     * @param env variables to read.
     * @return the world size ({@link #worldSizeSetting}).
     * @throws ConfigurationException when no source gives it, or the first that does is not a whole number.
     */
    public static int worldSize(final Map<String, String> env)
    {
        return required(worldSizeSetting(env), WORLD_SIZE_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #TRANSPORT_ENV} in lower case when set; otherwise what the other variables imply: endpoints
     * mean a job across hosts (udp), a media driver's directory a job sharing that driver (ipc), anything else a
     * job on this host, which gets the default.
     */
    public static String transport(final Map<String, String> env)
    {
        return transportSetting(env).value();
    }

    /**
     * @param env variables to read.
     * @return the transport as {@link #transport(Map)} takes it, and why.
     */
    public static Setting<String> transportSetting(final Map<String, String> env)
    {
        final String name = lookup(env, TRANSPORT_ENV);
        if (null != name)
        {
            return Setting.of(name.toLowerCase(Locale.ROOT), TRANSPORT_ENV);
        }
        if (null != lookup(env, UDP_ENDPOINTS_ENV))
        {
            return Setting.of("udp", "default: " + UDP_ENDPOINTS_ENV + " is set");
        }
        if (null != lookup(env, AERON_DIR_ENV))
        {
            return Setting.of("ipc", "default: " + AERON_DIR_ENV + " is set");
        }
        final Setting<String> rendezvous = rendezvousSetting(env);
        return rendezvous.isSet() ? Setting.of("tcp", "default: a rendezvous is known (" + rendezvous.source() + ")") :
            Setting.of(TRANSPORT_DEFAULT, "default: one host");
    }

    /**
     * @param env variables to read.
     * @return {@link #JOB_ID_ENV}, decimal or {@code 0x} hex, else {@link #JOB_ID_DEFAULT}.
     */
    public static long jobId(final Map<String, String> env)
    {
        final String value = lookup(env, JOB_ID_ENV);
        final long jobId = null == value ? JOB_ID_DEFAULT : parseLong(JOB_ID_ENV, value);
        if (null != value && JOB_ID_DEFAULT == jobId)
        {
            throw new ConfigurationException(JOB_ID_ENV + "=" + value + " must not be 0, which means no job id: " +
                "use any other 64-bit number, decimal or 0x hex, the same on every rank (or leave it unset)", -1);
        }
        return jobId;
    }

    /**
     * @param env variables to read.
     * @return {@link #LAUNCHER_PID_ENV}, or -1 when it is not set.
     */
    public static long launcherPid(final Map<String, String> env)
    {
        final String value = lookup(env, LAUNCHER_PID_ENV);
        final long pid = null == value ? -1 : parseLong(LAUNCHER_PID_ENV, value);
        if (null != value && pid <= 0)
        {
            throw new ConfigurationException(LAUNCHER_PID_ENV + "=" + value + " must be a process id, 1 or more " +
                "(the launcher sets it; leave it unset when starting ranks by hand)", -1);
        }
        return pid;
    }

    /**
     * @param env variables to read.
     * @return {@link #JOB_DIR_ENV}, or null.
     */
    public static String jobDirectory(final Map<String, String> env)
    {
        return lookup(env, JOB_DIR_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #AERON_DIR_ENV}, or null.
     */
    public static String aeronDirectory(final Map<String, String> env)
    {
        return lookup(env, AERON_DIR_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #UDP_ENDPOINTS_ENV} split at commas, or null.
     */
    public static String[] udpEndpoints(final Map<String, String> env)
    {
        final String value = lookup(env, UDP_ENDPOINTS_ENV);
        return null == value ? null : value.split(",");
    }

    /**
     * @param env variables to read.
     * @return {@link #UDP_MTU_ENV}, else {@link #UDP_MTU_DEFAULT}.
     */
    public static int udpMtu(final Map<String, String> env)
    {
        return intSize(env, UDP_MTU_ENV, UDP_MTU_DEFAULT);
    }

    /**
     * @param env variables to read.
     * @return {@link #TERM_LENGTH_ENV}, else {@link #TERM_LENGTH_DEFAULT}.
     */
    public static int termLength(final Map<String, String> env)
    {
        return intSize(env, TERM_LENGTH_ENV, TERM_LENGTH_DEFAULT);
    }

    /**
     * @param env variables to read.
     * @return {@link #SHM_SLOT_COUNT_ENV}, else {@link #SHM_SLOT_COUNT_DEFAULT} (derive it from the world size).
     */
    public static int shmSlotCount(final Map<String, String> env)
    {
        final String value = lookup(env, SHM_SLOT_COUNT_ENV);
        if (null == value)
        {
            return SHM_SLOT_COUNT_DEFAULT;
        }
        final int count = toInt(SHM_SLOT_COUNT_ENV, value, parseLong(SHM_SLOT_COUNT_ENV, value));
        if (count < 2)
        {
            throw new ConfigurationException(SHM_SLOT_COUNT_ENV + "=" + value + " must be at least 2 (leave it unset " +
                "for the default, which depends on the number of ranks)", -1);
        }
        return count;
    }

    /**
     * @param env variables to read.
     * @return {@link #SHM_SLOT_LENGTH_ENV}, else 0 (one chunk of {@link #CHUNK_BYTES_ENV} and its headers).
     */
    public static int shmSlotLength(final Map<String, String> env)
    {
        return intSize(env, SHM_SLOT_LENGTH_ENV, 0);
    }

    /**
     * @param env variables to read.
     * @return {@link #SHM_WINDOW_BYTES_ENV}, else {@link #SHM_WINDOW_BYTES_DEFAULT}.
     */
    public static long shmWindowBytes(final Map<String, String> env)
    {
        final String value = lookup(env, SHM_WINDOW_BYTES_ENV);
        return null == value ? SHM_WINDOW_BYTES_DEFAULT : parseSize(SHM_WINDOW_BYTES_ENV, value);
    }

    /**
     * @param env variables to read.
     * @return {@link #SHM_DIRECT_MIN_BYTES_ENV} (a size, or -1 for never), else
     * {@link #SHM_DIRECT_MIN_BYTES_DEFAULT}.
     */
    public static long shmDirectMinBytes(final Map<String, String> env)
    {
        final String value = lookup(env, SHM_DIRECT_MIN_BYTES_ENV);
        if (null == value)
        {
            return SHM_DIRECT_MIN_BYTES_DEFAULT;
        }
        return "-1".equals(value) ? -1 : parseSize(SHM_DIRECT_MIN_BYTES_ENV, value);
    }

    /**
     * @param env variables to read.
     * @return {@link #TIMEOUT_MS_ENV}, else {@link #TIMEOUT_MS_DEFAULT}.
     */
    public static long timeoutMs(final Map<String, String> env)
    {
        final String value = lookup(env, TIMEOUT_MS_ENV);
        return null == value ? TIMEOUT_MS_DEFAULT : parseLong(TIMEOUT_MS_ENV, value);
    }

    /**
     * @param env variables to read.
     * @return {@link #CHUNK_BYTES_ENV}, else {@link #CHUNK_BYTES_DEFAULT}.
     */
    public static int chunkBytes(final Map<String, String> env)
    {
        return intSize(env, CHUNK_BYTES_ENV, CHUNK_BYTES_DEFAULT);
    }

    /**
     * @param env variables to read.
     * @return {@link #RING_RESERVE_ENV}, else {@link #RING_RESERVE_DEFAULT}.
     */
    public static double ringReserve(final Map<String, String> env)
    {
        final String value = lookup(env, RING_RESERVE_ENV);
        if (null == value)
        {
            return RING_RESERVE_DEFAULT;
        }
        try
        {
            return Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigurationException(RING_RESERVE_ENV + "=" + value + " is not a number; use a share of " +
                "the window from 0 to below 1, such as 0.5", -1, ex);
        }
    }

    /**
     * @param env variables to read.
     * @return {@link #SMALL_MAX_BYTES_ENV}, else {@link #SMALL_MAX_BYTES_BY_GROUP}.
     */
    public static int smallMaxBytes(final Map<String, String> env)
    {
        return intSize(env, SMALL_MAX_BYTES_ENV, SMALL_MAX_BYTES_BY_GROUP);
    }

    /**
     * @param env variables to read.
     * @return {@link #HIERARCHY_ENV} in lower case, else {@link #HIERARCHY_DEFAULT}.
     */
    public static String hierarchy(final Map<String, String> env)
    {
        final String value = lookup(env, HIERARCHY_ENV);
        return null == value ? HIERARCHY_DEFAULT : value.toLowerCase(Locale.ROOT);
    }

    /**
     * @param env variables to read.
     * @return {@link #WIRE_ENV} in lower case, else {@link #WIRE_DEFAULT}.
     */
    public static String wire(final Map<String, String> env)
    {
        final String value = lookup(env, WIRE_ENV);
        return null == value ? WIRE_DEFAULT : value.toLowerCase(Locale.ROOT);
    }

    /**
     * @param env variables to read.
     * @return whether {@link #CHECK_FINITE_ENV} is {@code 1} or {@code true}; false when unset.
     * @throws ConfigurationException for any other value.
     */
    public static boolean checkFinite(final Map<String, String> env)
    {
        return flag(env, CHECK_FINITE_ENV, "use 1 (check) or 0");
    }

    /**
     * @param env variables to read.
     * @return whether {@link #JOIN_ENV} is {@code 1} or {@code true}; false when unset.
     * @throws ConfigurationException for any other value.
     */
    public static boolean joins(final Map<String, String> env)
    {
        return flag(env, JOIN_ENV, "use 1 (join the running job) or 0");
    }

    /**
     * @param env variables to read.
     * @return whether {@link #TLS_ENV} is {@code 1} or {@code true}; false when unset.
     * @throws ConfigurationException for any other value.
     */
    public static boolean tls(final Map<String, String> env)
    {
        return flag(env, TLS_ENV, "use 1 (TLS on every tcp connection) or 0");
    }

    private static boolean flag(final Map<String, String> env, final String name, final String forms)
    {
        final String value = lookup(env, name);
        if (null == value || "0".equals(value) || "false".equalsIgnoreCase(value))
        {
            return false;
        }
        if ("1".equals(value) || "true".equalsIgnoreCase(value))
        {
            return true;
        }
        throw new ConfigurationException(name + "=" + value + " is not valid: " + forms, -1);
    }

    /**
     * @param env variables to read.
     * @return {@link #IDLE_ENV} in lower case, else {@link #IDLE_DEFAULT}.
     */
    public static String idle(final Map<String, String> env)
    {
        final String value = lookup(env, IDLE_ENV);
        return null == value ? IDLE_DEFAULT : value.toLowerCase(Locale.ROOT);
    }

    // ---- Across hosts: getters ----

    /**
     * The rank, from the first of {@link #RANK_ENV}, torchrun's {@code RANK}, {@code OMPI_COMM_WORLD_RANK},
     * {@code PMI_RANK}, {@code SLURM_PROCID}, {@code JOB_COMPLETION_INDEX} that is set.
     *
     * @param env variables to read.
     * @return the rank, its source and the other sources that are set.
     * @throws ConfigurationException naming a source whose value is not a whole number.
     */
    public static Setting<Integer> rankSetting(final Map<String, String> env)
    {
        return Schedulers.firstInt(env, Schedulers.RANK_SOURCES);
    }

    /**
     * The world size, from the first of {@link #WORLD_SIZE_ENV}, {@code WORLD_SIZE}, {@code OMPI_COMM_WORLD_SIZE},
     * {@code PMI_SIZE}, {@code SLURM_NTASKS} that is set.
     *
     * @param env variables to read.
     * @return the world size, its source and the other sources that are set.
     * @throws ConfigurationException naming a source whose value is not a whole number.
     */
    public static Setting<Integer> worldSizeSetting(final Map<String, String> env)
    {
        return Schedulers.firstInt(env, Schedulers.WORLD_SIZE_SOURCES);
    }

    /**
     * The local rank, from the first of {@link #LOCAL_RANK_ENV}, {@code LOCAL_RANK},
     * {@code OMPI_COMM_WORLD_LOCAL_RANK}, {@code SLURM_LOCALID} that is set.
     *
     * @param env variables to read.
     * @return the local rank (unset when no source gives it: the rendezvous then tells it).
     */
    public static Setting<Integer> localRankSetting(final Map<String, String> env)
    {
        return Schedulers.firstInt(env, Schedulers.LOCAL_RANK_SOURCES);
    }

    /**
     * The rendezvous: {@link #RENDEZVOUS_ENV}, else {@code MASTER_ADDR:MASTER_PORT}, else under Slurm the first host
     * of {@code SLURM_STEP_NODELIST} (or {@code SLURM_JOB_NODELIST}) on the port derived from {@code SLURM_JOB_ID}
     * and {@code SLURM_STEP_ID}.
     *
     * @param env variables to read.
     * @return {@code host:port}, or unset.
     * @throws ConfigurationException when only one of MASTER_ADDR and MASTER_PORT is set, or a Slurm variable is
     *                                malformed.
     */
    public static Setting<String> rendezvousSetting(final Map<String, String> env)
    {
        return Schedulers.rendezvous(env);
    }

    /**
     * The settings taken from one source while a later one disagrees: not silently resolved, but said.
     *
     * @param env variables to read.
     * @return one line per such setting, e.g. {@code rank 3 is taken from RANK; SLURM_PROCID=1 differs (ignored)}.
     */
    public static List<String> conflicts(final Map<String, String> env)
    {
        final List<String> lines = new ArrayList<>();
        conflict(lines, "rank", rankSetting(env));
        conflict(lines, "world size", worldSizeSetting(env));
        conflict(lines, "local rank", localRankSetting(env));
        conflict(lines, "rendezvous", rendezvousSetting(env));
        return lines;
    }

    private static void conflict(final List<String> lines, final String what, final Setting<?> setting)
    {
        if (!setting.conflicts().isEmpty())
        {
            lines.add(what + " " + setting.value() + " is taken from " + setting.source() + "; " +
                String.join(", ", setting.conflicts()) + " " + (setting.conflicts().size() == 1 ? "differs" :
                "differ") + " (ignored; `bin/ringsync env` shows every source)");
        }
    }

    /**
     * @param env variables to read.
     * @return {@link #RENDEZVOUS_TIMEOUT_MS_ENV}, else {@link #RENDEZVOUS_TIMEOUT_MS_DEFAULT}.
     */
    public static long rendezvousTimeoutMs(final Map<String, String> env)
    {
        final String value = lookup(env, RENDEZVOUS_TIMEOUT_MS_ENV);
        return null == value ? RENDEZVOUS_TIMEOUT_MS_DEFAULT : parseLong(RENDEZVOUS_TIMEOUT_MS_ENV, value);
    }

    /**
     * @param env variables to read.
     * @return {@link #AGREEMENT_ENV}, or null (no agreement server: shrink works on one host only).
     */
    public static String agreement(final Map<String, String> env)
    {
        return lookup(env, AGREEMENT_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #INTERFACE_ENV}, or null (the route to the rendezvous host decides).
     */
    public static String interfaceSpec(final Map<String, String> env)
    {
        return lookup(env, INTERFACE_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #PORTS_ENV}, else {@link PortRange#EPHEMERAL}.
     * @throws ConfigurationException naming the variable when it is not a port range.
     */
    public static PortRange ports(final Map<String, String> env)
    {
        final String value = lookup(env, PORTS_ENV);
        if (null == value)
        {
            return PortRange.EPHEMERAL;
        }
        try
        {
            return PortRange.parse(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ConfigurationException(PORTS_ENV + "=" + value + " " + ex.getMessage(), -1, ex);
        }
    }

    /**
     * @param env variables to read.
     * @return {@link #JOB_SECRET_ENV}, or null. Never print it.
     */
    public static String jobSecret(final Map<String, String> env)
    {
        return lookup(env, JOB_SECRET_ENV);
    }

    /**
     * @param env variables to read.
     * @return {@link #FRAME_MAC_ENV} lower-cased, or null when unset.
     * @throws ConfigurationException when it is not one of {@code hmac-sha256}, {@code aes-gmac}, {@code off}.
     */
    public static String frameMac(final Map<String, String> env)
    {
        final String value = lookup(env, FRAME_MAC_ENV);
        if (null == value)
        {
            return null;
        }
        final String lower = value.trim().toLowerCase(java.util.Locale.ROOT);
        if (!lower.equals("hmac-sha256") && !lower.equals("aes-gmac") && !lower.equals("off"))
        {
            throw new ConfigurationException(FRAME_MAC_ENV + "=" + value + " is not one of hmac-sha256, aes-gmac, off",
                -1);
        }
        return lower;
    }

    /**
     * @param env variables to read.
     * @return whether {@link #UDP_MTU_ENV} is set (else the mtu of a rank across hosts comes from its interface).
     */
    public static boolean isUdpMtuSet(final Map<String, String> env)
    {
        return null != lookup(env, UDP_MTU_ENV);
    }

    /**
     * A byte count in the one grammar ranks and launcher share: a whole number, optionally followed by
     * {@code k}/{@code KiB}, {@code m}/{@code MiB} or {@code g}/{@code GiB} (powers of 1024) and an optional
     * {@code B}, in any case. Decimal units ({@code KB}, {@code MB}, {@code GB}) are refused as ambiguous.
     *
     * @param name  of the setting, for the message ({@code RINGSYNC_CHUNK_BYTES}, {@code --sizes}).
     * @param value as written.
     * @return the bytes, >= 0.
     * @throws ConfigurationException naming the setting and the accepted forms.
     */
    public static long parseSize(final String name, final String value)
    {
        final String problem = sizeProblem(value);
        if (null != problem)
        {
            throw new ConfigurationException(name + "=" + value + " " + problem, -1);
        }
        final Matcher matcher = SIZE.matcher(value.trim());
        matcher.matches();
        final String unit = matcher.group(2);
        return Long.parseLong(matcher.group(1)) << (null == unit ? 0 : unitShift(unit));
    }

    /**
     * The rule of {@link #parseSize}, for callers that phrase their own message (the command line).
     *
     * @param value as written.
     * @return null when it is a size, else what is wrong with it and the accepted forms.
     */
    public static String sizeProblem(final String value)
    {
        final String text = value.trim();
        final Matcher matcher = SIZE.matcher(text);
        if (!matcher.matches())
        {
            return (DECIMAL_SIZE.matcher(text).matches() ? "is ambiguous (powers of 1000 or of 1024?): write " :
                "is not a size: write ") + SIZE_FORMS;
        }
        final String unit = matcher.group(2);
        final int shift = null == unit ? 0 : unitShift(unit);
        try
        {
            return Long.parseLong(matcher.group(1)) > (Long.MAX_VALUE >> shift) ? "is too large" : null;
        }
        catch (final NumberFormatException ex)
        {
            return "is too large";
        }
    }

    private static int unitShift(final String unit)
    {
        return 10 * (1 + "kmg".indexOf(Character.toLowerCase(unit.charAt(0))));
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
        return envName.toLowerCase(Locale.ROOT).replace('_', '.');
    }

    /**
     * @param env     environment to read.
     * @param envName variable.
     * @return the system property if set, else the environment value, else null; trimmed.
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

    /**
     * @return a whole number, decimal or {@code 0x} hex.
     * @throws ConfigurationException naming the variable.
     */
    static long parseLong(final String name, final String value)
    {
        try
        {
            if (value.startsWith("0x") || value.startsWith("0X"))
            {
                return Long.parseUnsignedLong(value.substring(2), 16);
            }
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigurationException(name + "=" + value + " is not a whole number", -1, ex);
        }
    }

    private static int intSize(final Map<String, String> env, final String name, final int defaultValue)
    {
        final String value = lookup(env, name);
        return null == value ? defaultValue : toInt(name, value, parseSize(name, value));
    }

    private static int toInt(final String name, final String value, final long number)
    {
        if (number > Integer.MAX_VALUE || number < Integer.MIN_VALUE)
        {
            throw new ConfigurationException(name + "=" + value + " is too large (at most " + Integer.MAX_VALUE +
                ")", -1);
        }
        return (int)number;
    }

    private static int required(final Setting<Integer> setting, final String name)
    {
        if (!setting.isSet())
        {
            throw new ConfigurationException(name + " is not set (" + setting.source() + "): start every rank with " +
                "`bin/ringsync launch`, torchrun, mpirun or srun, which set it, or set it yourself (see README, " +
                "\"Across hosts\")", -1);
        }
        return setting.value();
    }
}
