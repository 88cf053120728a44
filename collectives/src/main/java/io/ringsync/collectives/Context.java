package io.ringsync.collectives;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Settings of a communicator, validated once by {@link #conclude()}.
 */
public final class Context
{
    private static final int BACKOFF_SPINS = 100;
    private static final int BACKOFF_YIELDS = 10_000;

    private long timeoutNs = TimeUnit.MILLISECONDS.toNanos(Configuration.TIMEOUT_MS_DEFAULT);
    private int chunkBytes = Configuration.CHUNK_BYTES_DEFAULT;
    private String idle = Configuration.IDLE_DEFAULT;
    private double ringReserve = Configuration.RING_RESERVE_DEFAULT;
    private java.io.File statusDirectory;
    private int smallMaxBytes = Configuration.SMALL_MAX_BYTES_DEFAULT;
    private long jobId;
    private int epoch;
    private long directMinBytes = Configuration.SHM_DIRECT_MIN_BYTES_DEFAULT;

    /**
     * Read every setting from the environment (and system properties), as {@code ringsync launch} sets it.
     *
     * @param env variables.
     * @return a context.
     */
    public static Context fromEnvironment(final Map<String, String> env)
    {
        final Context ctx = new Context();
        final String jobId = Configuration.lookup(env, Configuration.JOB_ID_ENV);
        if (null != jobId)
        {
            ctx.jobId(parseLong(Configuration.JOB_ID_ENV, jobId));
        }
        final String timeout = Configuration.lookup(env, Configuration.TIMEOUT_MS_ENV);
        if (null != timeout)
        {
            ctx.timeoutNs(TimeUnit.MILLISECONDS.toNanos(parseLong(Configuration.TIMEOUT_MS_ENV, timeout)));
        }
        final String chunk = Configuration.lookup(env, Configuration.CHUNK_BYTES_ENV);
        if (null != chunk)
        {
            ctx.chunkBytes((int)parseSize(Configuration.CHUNK_BYTES_ENV, chunk));
        }
        final String small = Configuration.lookup(env, Configuration.SMALL_MAX_BYTES_ENV);
        if (null != small)
        {
            final long bytes = parseSize(Configuration.SMALL_MAX_BYTES_ENV, small);
            ctx.smallMaxBytes(bytes > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int)bytes);
        }
        final String idle = Configuration.lookup(env, Configuration.IDLE_ENV);
        if (null != idle)
        {
            ctx.idle(idle);
        }
        final String reserve = Configuration.lookup(env, Configuration.RING_RESERVE_ENV);
        if (null != reserve)
        {
            try
            {
                ctx.ringReserve(Double.parseDouble(reserve));
            }
            catch (final NumberFormatException ex)
            {
                throw new ConfigurationException(Configuration.RING_RESERVE_ENV + "=" + reserve +
                    " is not a number; use a share of the window such as 0.5", -1, ex);
            }
        }
        final String directMin = Configuration.lookup(env, Configuration.SHM_DIRECT_MIN_BYTES_ENV);
        if (null != directMin)
        {
            ctx.directMinBytes(directMin.trim().startsWith("-") ?
                parseLong(Configuration.SHM_DIRECT_MIN_BYTES_ENV, directMin.trim()) :
                parseSize(Configuration.SHM_DIRECT_MIN_BYTES_ENV, directMin));
        }
        return ctx;
    }

    /**
     * A byte count: a whole number, optionally with a binary suffix k/K/KiB, m/M/MiB, g/G/GiB.
     */
    static long parseSize(final String name, final String value)
    {
        final String v = value.trim();
        long scale = 1;
        String digits = v;
        final String lower = v.toLowerCase(java.util.Locale.ROOT);
        for (final String[] suffix : new String[][]{ { "kib", "10" }, { "mib", "20" }, { "gib", "30" },
            { "k", "10" }, { "m", "20" }, { "g", "30" } })
        {
            if (lower.endsWith(suffix[0]))
            {
                scale = 1L << Integer.parseInt(suffix[1]);
                digits = v.substring(0, v.length() - suffix[0].length());
                break;
            }
        }
        return Math.multiplyExact(parseLong(name, digits.trim()), scale);
    }

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
            throw new ConfigurationException(name + "=" + value + " is not a number", -1, ex);
        }
    }

    /**
     * Check every setting; called by {@link Communicator#connect}.
     *
     * @return this.
     */
    public Context conclude()
    {
        if (timeoutNs <= 0)
        {
            throw new ConfigurationException(Configuration.TIMEOUT_MS_ENV + " must be positive, got " +
                TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms", -1);
        }
        if (chunkBytes < 64)
        {
            throw new ConfigurationException(Configuration.CHUNK_BYTES_ENV + " must be at least 64, got " +
                chunkBytes, -1);
        }
        if (!(ringReserve >= 0 && ringReserve < 1))
        {
            throw new ConfigurationException(Configuration.RING_RESERVE_ENV + " must be at least 0 and below 1, " +
                "got " + ringReserve, -1);
        }
        if (smallMaxBytes < 0 || smallMaxBytes > SmallAllReduce.MAX_BYTES_LIMIT)
        {
            throw new ConfigurationException(Configuration.SMALL_MAX_BYTES_ENV + " must be 0 (never) to " +
                SmallAllReduce.MAX_BYTES_LIMIT + " bytes, got " + smallMaxBytes, -1);
        }
        idleStrategy();
        return this;
    }

    /**
     * @param timeoutNs deadline of every blocking call.
     * @return this.
     */
    public Context timeoutNs(final long timeoutNs)
    {
        this.timeoutNs = timeoutNs;
        return this;
    }

    /**
     * @return deadline of every blocking call in nanoseconds.
     */
    public long timeoutNs()
    {
        return timeoutNs;
    }

    /**
     * @param chunkBytes largest chunk payload; the transport may lower it.
     * @return this.
     */
    public Context chunkBytes(final int chunkBytes)
    {
        this.chunkBytes = chunkBytes;
        return this;
    }

    /**
     * @return largest chunk payload requested.
     */
    public int chunkBytes()
    {
        return chunkBytes;
    }

    /**
     * @param statusDirectory the job directory on this host, where each rank publishes its liveness and progress
     *                        in a small file so that every rank can name one that died or stalled; null (the
     *                        default) publishes nothing. {@code fromEnvironment} sets it for jobs on one host.
     * @return this.
     */
    public Context statusDirectory(final java.io.File statusDirectory)
    {
        this.statusDirectory = statusDirectory;
        return this;
    }

    /**
     * @param smallMaxBytes largest allReduce in bytes that takes the small-vector path, 0 for never; the
     *                      same on every rank.
     * @return this.
     */
    public Context smallMaxBytes(final int smallMaxBytes)
    {
        this.smallMaxBytes = smallMaxBytes;
        return this;
    }

    /**
     * @return the directory of the ranks' status files, or null.
     */
    public java.io.File statusDirectory()
    {
        return statusDirectory;
    }

    /**
     * @param ringReserve share of each link's window that the ring's new chunks leave free for forwarded ones,
     *                    0 (one message, the least that keeps the ring deadlock-free) to below 1; see
     *                    {@link Configuration#RING_RESERVE_ENV}.
     * @return this.
     */
    public Context ringReserve(final double ringReserve)
    {
        this.ringReserve = ringReserve;
        return this;
    }

    /**
     * @return share of each link's window kept for forwarded chunks.
     */
    public double ringReserve()
    {
        return ringReserve;
    }

    /**
     * @return largest allReduce in bytes that takes the small-vector path, 0 for never.
     */
    public int smallMaxBytes()
    {
        return smallMaxBytes;
    }

    /**
     * @param idle backoff, yield or spin.
     * @return this.
     */
    public Context idle(final String idle)
    {
        this.idle = idle;
        return this;
    }

    /**
     * @return the idle strategy's name.
     */
    public String idle()
    {
        return idle;
    }

    /**
     * @param jobId identical on every rank of a job.
     * @return this.
     */
    public Context jobId(final long jobId)
    {
        this.jobId = jobId;
        return this;
    }

    /**
     * @return the job id.
     */
    public long jobId()
    {
        return jobId;
    }

    /**
     * @param epoch communicator generation, identical on every rank.
     * @return this.
     */
    public Context epoch(final int epoch)
    {
        this.epoch = epoch;
        return this;
    }

    /**
     * @return the epoch.
     */
    public int epoch()
    {
        return epoch;
    }

    /**
     * @param directMinBytes over the shm transport, AllReduce calls of at least this many bytes run in direct
     *                       mode ({@link DirectAllReduce}), smaller ones as a ring of messages; 0 for always,
     *                       -1 for never. Must be the same on every rank.
     * @return this.
     */
    public Context directMinBytes(final long directMinBytes)
    {
        this.directMinBytes = directMinBytes;
        return this;
    }

    /**
     * @return the size from which shm AllReduce calls run in direct mode; -1 for never.
     */
    public long directMinBytes()
    {
        return directMinBytes;
    }

    /**
     * A new idle strategy for a waiting rank. Backoff spins briefly, then yields up to 10,000 times (a few
     * milliseconds) and only then parks, 1 us growing to 100 us. Measured with {@code ringsync bench --np 2}
     * over ipc (AMD EPYC, 2 vCPUs): parking after 32 yields put every 4 KiB call at 14-18 us p50, yielding
     * brought it to 1.4-2.7 us (Open MPI: 1.4 us); pure spinning starved the media driver (1 MiB: 4.3 ms
     * instead of 0.4 ms) and any rank sharing a core. A yield hands the core to a runnable peer, so four
     * ranks on two cores still progress; the final parking keeps a rank whose peer is really late from
     * burning a core.
     *
     * @return the strategy named by {@link #idle()}.
     */
    IdleStrategy idleStrategy()
    {
        return idleStrategy(1);
    }

    /**
     * As {@link #idleStrategy()}, for a rank that shares its host with {@code ranksOnHost - 1} others. When
     * ranks outnumber the cores, backoff yields at once instead of spinning first: a spinning rank holds the
     * core its peer needs to answer. Measured with {@code ringsync bench --transport shm}, 4 ranks on 2
     * vCPUs (perf-results/2026-11-25-small-vector): 4 KiB p50 28 us (small-vector path) and 34 us (ring)
     * after 100 spins, 10-21 us and 19-21 us yielding at once; with 2 ranks on 2 cores spinning first stays
     * better (ring 4 KiB 1.1 us vs 4.0 us yielding at once).
     *
     * @param ranksOnHost ranks of the job on this host, this one included.
     * @return the strategy named by {@link #idle()}.
     */
    IdleStrategy idleStrategy(final int ranksOnHost)
    {
        switch (idle)
        {
            case "backoff":
                final boolean oversubscribed = ranksOnHost > Runtime.getRuntime().availableProcessors();
                return new BackoffIdleStrategy(oversubscribed ? 0 : BACKOFF_SPINS, BACKOFF_YIELDS,
                    TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            case "yield":
                return new YieldingIdleStrategy();
            case "spin":
                return new BusySpinIdleStrategy();
            default:
                throw new ConfigurationException(Configuration.IDLE_ENV + "=" + idle +
                    " is not one of backoff, yield, spin", -1);
        }
    }
}
