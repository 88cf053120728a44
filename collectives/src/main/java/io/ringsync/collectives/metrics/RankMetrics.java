package io.ringsync.collectives.metrics;

import io.ringsync.collectives.Path;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.io.File;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One communicator's counters, latency histogram, flight recorder and JFR events, kept by the thread that runs its
 * calls: {@link #begin} when a call starts and {@link #end} when it ends, a few ordered stores each and no
 * allocation once every (collective, path) pair seen has its counter. The counters live in a {@link MetricsFile}
 * that other processes read with a {@code CountersReader} ({@code ringsync stat}), next to the histogram's counts
 * from which readers compute percentiles.
 */
public final class RankMetrics implements AutoCloseable
{
    private static final Path[] PATHS = Path.values();
    private static final int CLOSE_INDEX = MetricsLayout.collectiveIndex("close");
    /** Calls of a vector this large always time the peers' first chunks: a clock read is nothing next to them. */
    static final long TIMED_MIN_BYTES = 64 * 1024;
    /** Smaller calls time them when {@code sequence & UNTIMED_MASK} is 0: one call in 8. */
    static final long UNTIMED_MASK = 7;
    /** The waited time of a call in which the peers' first chunks were not timed. */
    static final long NOT_TIMED = -1;

    private final MetricsFile file;
    private final CountersManager counters;
    private final LinkTally tally;
    private final int rank;
    private final int worldSize;
    private final boolean perPeer;
    private final FlightRecorder recorder;
    private final LatencyHistogram histogram;
    private final long epochOffsetUs;
    private final AtomicCounter[][] calls = new AtomicCounter[MetricsLayout.COLLECTIVES.length][PATHS.length];
    private final AtomicCounter failedCalls;
    private final AtomicCounter vectorBytes;
    private final AtomicCounter lastCallNs;
    private final AtomicCounter totalCallNs;
    private final AtomicCounter maxNs;
    private final AtomicCounter[] bytesSent;
    private final AtomicCounter[] bytesReceived;
    private final AtomicCounter[] chunksSent;
    private final AtomicCounter[] chunksReceived;
    private final AtomicCounter[] backPressure;
    private final AtomicCounter[] lastIntoCall;
    private final AtomicCounter[] skewNs;
    private final AtomicCounter[] dropped = new AtomicCounter[LinkTally.DROP_CAUSES.length];
    private final CollectiveEvent probe = new CollectiveEvent();

    private CollectiveEvent event;
    private boolean inCall;
    private long sequence;
    private int collective;
    private int path;
    private long bytes;
    private long startNs;
    private boolean closed;
    private boolean keepFile;
    private CommunicatorStats finalStats;
    private long publishedDrops;

    private RankMetrics(final MetricsFile file, final LinkTally tally, final int rank, final int worldSize)
    {
        this.file = file;
        this.tally = tally;
        this.rank = rank;
        this.worldSize = worldSize;
        this.perPeer = worldSize <= MetricsLayout.MAX_WORLD_PER_PEER;
        this.counters = file.newCountersManager();
        this.recorder = new FlightRecorder(file.historyBuffer(), file.header());
        this.histogram = new LatencyHistogram(file.histogramBuffer());
        final Instant now = Instant.now();
        this.epochOffsetUs = TimeUnit.SECONDS.toMicros(now.getEpochSecond()) + now.getNano() / 1000 -
            System.nanoTime() / 1000;
        final String prefix = "rank " + rank + ": ";
        failedCalls = counters.newCounter(prefix + "failed calls", MetricsLayout.FAILED_CALLS_TYPE);
        vectorBytes = counters.newCounter(prefix + "vector bytes", MetricsLayout.VECTOR_BYTES_TYPE);
        lastCallNs = counters.newCounter(prefix + "last call ns", MetricsLayout.LAST_CALL_NS_TYPE);
        totalCallNs = counters.newCounter(prefix + "total call ns", MetricsLayout.TOTAL_CALL_NS_TYPE);
        maxNs = counters.newCounter(prefix + "max call ns", MetricsLayout.MAX_NS_TYPE);
        final int slots = perPeer ? worldSize : 1;
        bytesSent = peerCounters(prefix, "bytes sent", MetricsLayout.BYTES_SENT_TYPE, slots);
        bytesReceived = peerCounters(prefix, "bytes received", MetricsLayout.BYTES_RECEIVED_TYPE, slots);
        chunksSent = peerCounters(prefix, "chunks sent", MetricsLayout.CHUNKS_SENT_TYPE, slots);
        chunksReceived = peerCounters(prefix, "chunks received", MetricsLayout.CHUNKS_RECEIVED_TYPE, slots);
        backPressure = peerCounters(prefix, "back pressure", MetricsLayout.BACK_PRESSURE_TYPE, slots);
        lastIntoCall = peerCounters(prefix, "last into call", MetricsLayout.LAST_INTO_CALL_TYPE, slots);
        skewNs = peerCounters(prefix, "skew ns", MetricsLayout.SKEW_NS_TYPE, slots);
        for (int cause = 0; cause < dropped.length; cause++)
        {
            final int key = cause;
            dropped[cause] = counters.newCounter(prefix + "dropped " + LinkTally.DROP_CAUSES[cause],
                MetricsLayout.DROPPED_TYPE, buffer -> buffer.putInt(0, key));
        }
    }

    /**
     * Counters for a communicator: in {@code <directory>/counters-<rank>.shm}, or in plain memory when
     * {@code directory} is null.
     *
     * @param directory the job (status) directory, or null.
     * @param tally     where the links count what crosses them.
     * When the file cannot be made (a full /dev/shm), they are kept in memory, with a warning: the job goes on,
     * {@code Communicator.stats()} still works, only {@code ringsync stat} cannot see this rank.
     */
    public static RankMetrics open(
        final File directory, final LinkTally tally, final int rank, final int worldSize, final long jobId)
    {
        MetricsFile file;
        try
        {
            file = MetricsFile.create(directory, rank, worldSize, jobId);
        }
        catch (final IllegalStateException ex)
        {
            System.err.println("ringsync: " + ex.getMessage() + "; its counters stay in memory");
            file = MetricsFile.create(null, rank, worldSize, jobId);
        }
        try
        {
            return new RankMetrics(file, tally, rank, worldSize);
        }
        catch (final RuntimeException ex)
        {
            file.close(true);
            throw ex;
        }
    }

    private AtomicCounter[] peerCounters(final String prefix, final String name, final int type, final int slots)
    {
        final AtomicCounter[] result = new AtomicCounter[slots];
        for (int i = 0; i < slots; i++)
        {
            final int key = perPeer ? i : -1;
            result[i] = counters.newCounter(prefix + name + (perPeer ? " peer " + i : " all peers"), type,
                buffer -> buffer.putInt(0, key));
        }
        return result;
    }

    /**
     * A call started.
     *
     * @param collective the call's index, {@link #collectiveIndex(String)} of its name.
     * @param path       the path it takes.
     * @param sequence   its number.
     * @param bytes      bytes of its vector.
     * @param nowNs      {@code System.nanoTime()} at its start, as the engine read it.
     */
    public void begin(final int collective, final Path path, final long sequence, final long bytes, final long nowNs)
    {
        if (closed)
        {
            return;
        }
        this.inCall = true;
        this.sequence = sequence;
        this.collective = collective;
        this.path = path.ordinal();
        this.bytes = bytes;
        this.startNs = nowNs;
        final boolean recording = probe.isEnabled();
        tally.beginCall(recording || bytes >= TIMED_MIN_BYTES || 0 == (sequence & UNTIMED_MASK));
        recorder.begin(sequence, collective, this.path, bytes, epochOffsetUs + nowNs / 1000, nowNs);
        if (recording)
        {
            event = new CollectiveEvent();
            event.begin();
        }
    }

    /**
     * @param callName the engine's name of a call: {@code allReduce}, {@code weightedAverage}, ...
     * @return its index for {@link #begin}; look it up once, not per call.
     */
    public static int collectiveIndex(final String callName)
    {
        return MetricsLayout.collectiveIndex(callName);
    }

    /**
     * @return whether a call started by {@link #begin} has not ended yet.
     */
    public boolean inCall()
    {
        return inCall && !closed;
    }

    /**
     * The call started by {@link #begin} ended; nothing when none did.
     *
     * @param failed whether it failed.
     * @param nowNs  {@code System.nanoTime()} at its end, as the engine read it.
     */
    public void end(final boolean failed, final long nowNs)
    {
        if (!inCall || closed)
        {
            return;
        }
        inCall = false;
        final long durationNs = nowNs - startNs;
        final int waitedOn = tally.lastNewPeer();
        final long arrivalNs = tally.lastNewPeerNs();
        final long waitedNs = waitedOn < 0 ? 0 : 0 == arrivalNs ? NOT_TIMED : Math.max(0, arrivalNs - startNs);
        recorder.end(sequence, durationNs, waitedOn, waitedNs, failed);
        // a failed call other than close's last barrier (which fails quietly when a peer is already gone)
        keepFile |= failed && collective != CLOSE_INDEX;
        callCounter(collective, path).incrementRelease();
        if (failed)
        {
            failedCalls.incrementRelease();
        }
        vectorBytes.getAndAddRelease(bytes);
        lastCallNs.setRelease(durationNs);
        totalCallNs.getAndAddRelease(durationNs);
        histogram.record(durationNs);
        maxNs.proposeMaxRelease(durationNs);
        if (waitedOn >= 0)
        {
            final int slot = perPeer ? waitedOn : 0;
            lastIntoCall[slot].incrementRelease();
            if (waitedNs > 0)
            {
                skewNs[slot].getAndAddRelease(waitedNs);
            }
        }
        publishLinks();
        final CollectiveEvent current = event;
        if (null != current)
        {
            event = null;
            current.end();
            if (current.shouldCommit())
            {
                current.collective = MetricsLayout.collectiveName(collective);
                current.path = PATHS[path].label();
                current.sequence = sequence;
                current.rank = rank;
                current.bytes = bytes;
                current.waitedOnRank = waitedOn;
                current.waitedNs = Math.max(0, waitedNs);
                current.failed = failed;
                current.commit();
            }
        }
    }

    private AtomicCounter callCounter(final int collective, final int path)
    {
        AtomicCounter counter = calls[collective][path];
        if (null == counter)
        {
            counter = counters.newCounter("rank " + rank + ": calls " + MetricsLayout.COLLECTIVES[collective] + " " +
                PATHS[path].label(), MetricsLayout.CALLS_TYPE, buffer ->
                {
                    buffer.putInt(0, collective);
                    buffer.putInt(4, path);
                });
            calls[collective][path] = counter;
        }
        return counter;
    }

    private void publishLinks()
    {
        if (perPeer)
        {
            for (int peer = 0; peer < worldSize; peer++)
            {
                bytesSent[peer].setRelease(tally.bytesSent(peer));
                bytesReceived[peer].setRelease(tally.bytesReceived(peer));
                chunksSent[peer].setRelease(tally.chunksSent(peer));
                chunksReceived[peer].setRelease(tally.chunksReceived(peer));
                backPressure[peer].setRelease(tally.backPressure(peer));
            }
        }
        else
        {
            long sent = 0, received = 0, chunksOut = 0, chunksIn = 0, pressure = 0;
            for (int peer = 0; peer < worldSize; peer++)
            {
                sent += tally.bytesSent(peer);
                received += tally.bytesReceived(peer);
                chunksOut += tally.chunksSent(peer);
                chunksIn += tally.chunksReceived(peer);
                pressure += tally.backPressure(peer);
            }
            bytesSent[0].setRelease(sent);
            bytesReceived[0].setRelease(received);
            chunksSent[0].setRelease(chunksOut);
            chunksReceived[0].setRelease(chunksIn);
            backPressure[0].setRelease(pressure);
        }
        final long drops = tally.droppedTotal();
        if (drops != publishedDrops)
        {
            publishedDrops = drops;
            for (int cause = 0; cause < dropped.length; cause++)
            {
                dropped[cause].setRelease(tally.droppedFor(cause));
            }
        }
    }

    /**
     * @return a snapshot of the counters, the histogram's percentiles and the flight recorder, for a service's own
     * metrics (allocates).
     */
    public synchronized CommunicatorStats snapshot()
    {
        return closed ? finalStats : file.snapshot();
    }

    /**
     * @return the counters file, or null when they are in plain memory.
     */
    public File file()
    {
        return file.file();
    }

    /**
     * Publish what is left and unmap. The file stays in the job directory when a call other than close failed (the
     * record of a failed communicator, for the launcher and {@code ringsync stat --history}), else it is removed.
     * Never throws; safe to call more than once.
     */
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        end(true, System.nanoTime());
        publishLinks();
        finalStats = file.snapshot();
        closed = true;
        file.close(!keepFile);
    }
}
