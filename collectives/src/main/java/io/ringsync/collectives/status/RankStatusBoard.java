package io.ringsync.collectives.status;

import io.ringsync.transport.FileSpace;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;

/**
 * Every rank's liveness and progress, readable by every other rank of the job on this host: one small mapped
 * file per rank, {@code <job directory>/status-<rank>.shm}, owner-only, written by its rank alone and read by
 * all (layout: {@link StatusDescriptor}). A rank publishes its process, the collective call it is in or last
 * finished, the chunks it has received in it, and a heartbeat; a rank whose call times out reads them all and
 * can name the rank that is behind, stopped or gone, even when that rank is not its ring neighbour.
 * <p>
 * Publishing is a few ordered stores and is done off the hot path (at the start and end of a call and while
 * waiting); reading maps a peer's file once, when it first appears, and then costs a few volatile loads.
 * A file of another job, another layout or written by a process that is gone when we first look is ignored.
 * Not thread safe: one thread publishes and reads, as for a transport.
 */
public final class RankStatusBoard implements AutoCloseable
{
    /**
     * {@link #state(int)} of a rank whose file has not been seen (not started yet, on another host, or gone).
     */
    public static final int UNKNOWN = -1;

    /**
     * State of a rank between calls; {@link #sequence(int)} is the last call it finished.
     */
    public static final int IDLE = StatusDescriptor.IDLE;

    /**
     * State of a rank inside call {@link #sequence(int)}.
     */
    public static final int IN_CALL = StatusDescriptor.IN_CALL;

    /**
     * State of a rank whose communicator failed in call {@link #sequence(int)}.
     */
    public static final int FAILED = StatusDescriptor.FAILED;

    /**
     * State of a rank that closed its communicator.
     */
    public static final int CLOSED = StatusDescriptor.CLOSED;

    private static final long START_TIME_SLACK_MS = 1_000;

    private final File directory;
    private final int rank;
    private final int worldSize;
    private final long jobId;
    private final File ownFile;
    private final MappedByteBuffer ownMapped;
    private final UnsafeBuffer own;
    private final MappedByteBuffer[] peerMapped;
    private final UnsafeBuffer[] peers;
    private final ProcessHandle[] peerProcesses;
    private boolean closed;

    private RankStatusBoard(
        final File directory, final int rank, final int worldSize, final long jobId, final File ownFile,
        final MappedByteBuffer ownMapped)
    {
        this.directory = directory;
        this.rank = rank;
        this.worldSize = worldSize;
        this.jobId = jobId;
        this.ownFile = ownFile;
        this.ownMapped = ownMapped;
        this.own = new UnsafeBuffer(ownMapped);
        this.peerMapped = new MappedByteBuffer[worldSize];
        this.peers = new UnsafeBuffer[worldSize];
        this.peerProcesses = new ProcessHandle[worldSize];
    }

    /**
     * Publish this rank's status file in {@code directory} (which must exist), replacing one an earlier process
     * left under the same name.
     *
     * @param directory the job directory.
     * @param rank      this rank.
     * @param worldSize ranks in the job.
     * @param jobId     of the job.
     * @return the board.
     * @throws IllegalStateException when the file cannot be created.
     */
    public static RankStatusBoard create(final File directory, final int rank, final int worldSize, final long jobId)
    {
        final File file = new File(directory, StatusDescriptor.fileName(rank));
        final ProcessHandle self = ProcessHandle.current();
        final Path temp = file.toPath().resolveSibling(file.getName() + "." + self.pid() + ".tmp");
        MappedByteBuffer mapped = null;
        try
        {
            Files.deleteIfExists(temp);
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (RandomAccessFile raf = new RandomAccessFile(temp.toFile(), "rw"))
            {
                raf.setLength(StatusDescriptor.FILE_LENGTH);
            }
            mapped = IoUtil.mapExistingFile(temp.toFile(), "ringsync status " + file);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            final long startMs = self.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
            StatusDescriptor.initialise(buffer, jobId, rank, worldSize, self.pid(), startMs,
                System.currentTimeMillis());
            Files.move(temp, file.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return new RankStatusBoard(directory, rank, worldSize, jobId, file, mapped);
        }
        catch (final IOException | RuntimeException | InternalError ex)
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
            throw FileSpace.failure("rank " + rank + " cannot create its status file", file,
                StatusDescriptor.FILE_LENGTH, ex);
        }
    }

    /**
     * Count the ranks of whatever job uses {@code directory} whose processes still run, from their status files:
     * a directory whose launcher is gone may still be in use by ranks it left behind.
     *
     * @param directory a job directory.
     * @return ranks with a status file whose writer runs.
     */
    public static int liveRanks(final File directory)
    {
        final File[] files = directory.listFiles((d, name) -> name.startsWith(StatusDescriptor.FILE_PREFIX) &&
            name.endsWith(StatusDescriptor.FILE_SUFFIX));
        int live = 0;
        if (null != files)
        {
            for (final File file : files)
            {
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file.toPath()))
                {
                    final java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(64)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    channel.read(header, 0);
                    if (header.getLong(StatusDescriptor.MAGIC_OFFSET) == StatusDescriptor.MAGIC &&
                        ProcessHandle.of(header.getLong(StatusDescriptor.PID_OFFSET)).map(ProcessHandle::isAlive)
                            .orElse(false))
                    {
                        live++;
                    }
                }
                catch (final IOException | RuntimeException ignore)
                {
                    // gone or unreadable: not a live rank
                }
            }
        }
        return live;
    }

    /**
     * @return this rank's status file.
     */
    public File file()
    {
        return ownFile;
    }

    /**
     * Publish that this rank entered call {@code sequence}.
     *
     * @param sequence of the call.
     * @param nowMs    wall clock, epoch milliseconds.
     */
    public void enterCall(final long sequence, final long nowMs)
    {
        // The state before the sequence: a rank stopped (SIGSTOP) between the two stores must read as still in, or
        // behind, its previous call, which a peer's deadline blames; the other order left "idle at the new call",
        // which looks like neither a rank behind nor one silent in the call, so nobody was named.
        own.putLongRelease(StatusDescriptor.PROGRESS_OFFSET, 0);
        own.putIntRelease(StatusDescriptor.STATE_OFFSET, IN_CALL);
        own.putLongRelease(StatusDescriptor.SEQUENCE_OFFSET, sequence);
        own.putLongRelease(StatusDescriptor.HEARTBEAT_MS_OFFSET, nowMs);
    }

    /**
     * Publish the progress of the current call and a heartbeat.
     *
     * @param progress chunks received so far in the call.
     * @param nowMs    wall clock, epoch milliseconds.
     */
    public void heartbeat(final long progress, final long nowMs)
    {
        own.putLongRelease(StatusDescriptor.PROGRESS_OFFSET, progress);
        own.putLongRelease(StatusDescriptor.HEARTBEAT_MS_OFFSET, nowMs);
    }

    /**
     * Publish that this rank left its current call: {@link #IDLE} when it completed, {@link #FAILED} or
     * {@link #CLOSED}.
     *
     * @param state  the new state.
     * @param nowMs  wall clock, epoch milliseconds.
     */
    public void leaveCall(final int state, final long nowMs)
    {
        own.putIntRelease(StatusDescriptor.STATE_OFFSET, state);
        own.putLongRelease(StatusDescriptor.HEARTBEAT_MS_OFFSET, nowMs);
    }

    /**
     * Map the file of {@code peer} if it has appeared and is valid; cheap once mapped.
     *
     * @param peer a rank.
     * @return true when its status can be read.
     */
    public boolean refresh(final int peer)
    {
        if (closed)
        {
            return false;
        }
        if (peer == rank || null != peers[peer])
        {
            return true;
        }
        final File file = new File(directory, StatusDescriptor.fileName(peer));
        if (!file.exists() || file.length() != StatusDescriptor.FILE_LENGTH)
        {
            return false;
        }
        MappedByteBuffer mapped = null;
        try
        {
            mapped = IoUtil.mapExistingFile(file, "ringsync status " + file);
            final UnsafeBuffer buffer = new UnsafeBuffer(mapped);
            if (null != StatusDescriptor.checkHeader(buffer, jobId, peer, worldSize))
            {
                IoUtil.unmap(mapped);
                return false;
            }
            final long pid = buffer.getLong(StatusDescriptor.PID_OFFSET);
            final Optional<ProcessHandle> process = ProcessHandle.of(pid);
            final long startTimeMs = buffer.getLong(StatusDescriptor.START_TIME_MS_OFFSET);
            if (process.isPresent() && startTimeMs != 0)
            {
                final Optional<Instant> started = process.get().info().startInstant();
                if (started.isPresent() && Math.abs(started.get().toEpochMilli() - startTimeMs) > START_TIME_SLACK_MS)
                {
                    // a newer process got the pid: the file's writer is gone, the process handle would lie
                    peerProcesses[peer] = null;
                    peerMapped[peer] = mapped;
                    peers[peer] = buffer;
                    return true;
                }
            }
            peerProcesses[peer] = process.orElse(null);
            peerMapped[peer] = mapped;
            peers[peer] = buffer;
            return true;
        }
        catch (final RuntimeException ex)
        {
            if (null != mapped)
            {
                IoUtil.unmap(mapped);
            }
            return false;
        }
    }

    /**
     * @param peer a rank.
     * @return whether the process that wrote its status file still runs; true for this rank, false when unknown.
     */
    public boolean isAlive(final int peer)
    {
        if (peer == rank)
        {
            return true;
        }
        if (!refresh(peer))
        {
            return false;
        }
        final ProcessHandle process = peerProcesses[peer];
        return null != process && process.isAlive();
    }

    /**
     * @param peer a rank.
     * @return the exit code a launcher reported for it ({@link StatusDescriptor#exitFileName(int)}), or -1.
     */
    public int reportedExitCode(final int peer)
    {
        final File file = new File(directory, StatusDescriptor.exitFileName(peer));
        if (closed || !file.exists())
        {
            return -1;
        }
        try
        {
            return Integer.parseInt(Files.readString(file.toPath()).trim());
        }
        catch (final IOException | RuntimeException ex)
        {
            return -1;
        }
    }

    /**
     * @param peer a rank.
     * @return when the launcher reported its exit (the report's modification time, epoch microseconds: tmpfs keeps
     * nanoseconds), or 0 when it did not.
     */
    public long reportedExitUs(final int peer)
    {
        if (closed)
        {
            return 0;
        }
        try
        {
            final java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(
                new File(directory, StatusDescriptor.exitFileName(peer)).toPath());
            return Math.max(1, time.to(java.util.concurrent.TimeUnit.MICROSECONDS));
        }
        catch (final IOException | RuntimeException ex)
        {
            return 0;
        }
    }

    /**
     * @param peer a rank.
     * @return its process id, or 0 when unknown.
     */
    public long pid(final int peer)
    {
        return refresh(peer) ? buffer(peer).getLong(StatusDescriptor.PID_OFFSET) : 0;
    }

    /**
     * @param peer a rank.
     * @return {@link #IDLE}, {@link #IN_CALL}, {@link #FAILED}, {@link #CLOSED} or {@link #UNKNOWN}.
     */
    public int state(final int peer)
    {
        return refresh(peer) ? buffer(peer).getIntVolatile(StatusDescriptor.STATE_OFFSET) : UNKNOWN;
    }

    /**
     * @param peer a rank.
     * @return the call it is in, or the last it left; 0 before its first call or when unknown.
     */
    public long sequence(final int peer)
    {
        return refresh(peer) ? buffer(peer).getLongVolatile(StatusDescriptor.SEQUENCE_OFFSET) : 0;
    }

    /**
     * @param peer a rank.
     * @return chunks it received in its current call, as of its last heartbeat.
     */
    public long progress(final int peer)
    {
        return refresh(peer) ? buffer(peer).getLongVolatile(StatusDescriptor.PROGRESS_OFFSET) : 0;
    }

    /**
     * @param peer a rank.
     * @return wall clock time its status file was made, epoch milliseconds; 0 when unknown.
     */
    public long createdMs(final int peer)
    {
        return refresh(peer) ? buffer(peer).getLong(StatusDescriptor.CREATED_MS_OFFSET) : 0;
    }

    /**
     * @param peer a rank.
     * @return wall clock time of its last heartbeat, epoch milliseconds; 0 when unknown.
     */
    public long heartbeatMs(final int peer)
    {
        return refresh(peer) ? buffer(peer).getLongVolatile(StatusDescriptor.HEARTBEAT_MS_OFFSET) : 0;
    }

    /**
     * One line on a rank, for error messages: {@code rank 2 (pid 123): in call #57, 12 chunks, heartbeat 30 ms
     * ago}.
     *
     * @param peer  a rank.
     * @param nowMs wall clock, epoch milliseconds.
     * @return the description.
     */
    public String describe(final int peer, final long nowMs)
    {
        if (!refresh(peer))
        {
            return "rank " + peer + ": no status file";
        }
        final StringBuilder sb = new StringBuilder("rank ").append(peer).append(" (pid ").append(pid(peer))
            .append(isAlive(peer) ? "" : ", exited").append("): ");
        final long sequence = sequence(peer);
        switch (state(peer))
        {
            case IN_CALL:
                sb.append("in call #").append(sequence).append(", ").append(progress(peer)).append(" chunks received");
                break;
            case FAILED:
                sb.append("failed in call #").append(sequence);
                break;
            case CLOSED:
                sb.append("closed after call #").append(sequence);
                break;
            default:
                sb.append(0 == sequence ? "connected, no call yet" : "finished call #" + sequence);
                break;
        }
        return sb.append(", heartbeat ").append(Math.max(0, nowMs - heartbeatMs(peer))).append(" ms ago").toString();
    }

    /**
     * Unmap every file and delete this rank's own. Never throws; safe to call more than once.
     */
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (null != peerMapped[peer])
            {
                peers[peer] = null;
                IoUtil.unmap(peerMapped[peer]);
                peerMapped[peer] = null;
            }
        }
        IoUtil.unmap(ownMapped);
        try
        {
            Files.deleteIfExists(ownFile.toPath());
        }
        catch (final IOException | RuntimeException ignore)
        {
            // the job directory may be gone already
        }
    }

    private UnsafeBuffer buffer(final int peer)
    {
        return peer == rank ? own : peers[peer];
    }
}
