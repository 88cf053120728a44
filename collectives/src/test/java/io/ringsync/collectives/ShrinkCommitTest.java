package io.ringsync.collectives;

import io.ringsync.transport.LocalTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ShrinkCommit}: the members of a shrink epoch, ranks of one failed communicator of three, agree through
 * the job directory's files whether each connected the new communicator; each rank a thread here.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ShrinkCommitTest
{
    private static final String DIRECTORY = "shrink-0000000000000001-0000000000000002-1/";
    private static final long POLL_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int[] MEMBERS = { 0, 1, 2 };

    @TempDir
    Path directory;

    @Test
    void whenEveryMemberConnectedAllKeepTheCommunicator() throws Exception
    {
        final List<int[]> outcomes = settleAll(new boolean[]{ true, true, true }, alive(), 10_000);
        for (final int[] missing : outcomes)
        {
            assertArrayEquals(new int[0], missing);
        }
    }

    @Test
    void oneMemberThatFailedToConnectMakesEveryMemberDropIt() throws Exception
    {
        // the case that split a shrink before: ranks 0 and 1 received a dying rank's hello, rank 2 did not
        final List<int[]> outcomes = settleAll(new boolean[]{ true, true, false }, alive(), 10_000);
        // one outcome stands, naming rank 2 (and any whose mark came after it was decided)
        for (int rank = 0; rank < 3; rank++)
        {
            assertArrayEquals(outcomes.get(2), outcomes.get(rank), "rank " + rank + " takes the same outcome");
        }
        assertTrue(Arrays.binarySearch(outcomes.get(2), 2) >= 0, Arrays.toString(outcomes.get(2)));
    }

    @Test
    void aMemberThatDiedBeforeItsMarkMakesTheOthersDropItAtOnce() throws Exception
    {
        final ProcessHandle[] processes = alive();
        processes[1] = exitedProcess();
        final long startNs = System.nanoTime();
        final CompletableFuture<int[]> rank0 = settle(0, true, processes, 20_000);
        final CompletableFuture<int[]> rank2 = settle(2, true, processes, 20_000);
        final int[] missing = rank0.get(15, TimeUnit.SECONDS);
        // one outcome stands: the mark of whichever survivor came second may have come after it was decided (on a
        // loaded host rank 2's thread can get there first), so that survivor may be named too
        assertArrayEquals(missing, rank2.get(15, TimeUnit.SECONDS), "the same outcome on both");
        assertTrue(Arrays.equals(new int[]{ 1 }, missing) || Arrays.equals(new int[]{ 1, 2 }, missing) ||
            Arrays.equals(new int[]{ 0, 1 }, missing), Arrays.toString(missing));
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        assertTrue(tookMs < 10_000, "decided when the process was seen gone, not at the deadline: " + tookMs + " ms");
    }

    @Test
    void aMemberThatNeverMarksIsDroppedAtTheDeadline() throws Exception
    {
        // rank 1 runs (a stopped process) but never comes: the others must not wait for ever
        final CompletableFuture<int[]> rank0 = settle(0, true, alive(), 300);
        final CompletableFuture<int[]> rank2 = settle(2, true, alive(), 300);
        final int[] missing = rank0.get(15, TimeUnit.SECONDS);
        assertArrayEquals(missing, rank2.get(15, TimeUnit.SECONDS), "the same outcome on both");
        assertTrue(Arrays.equals(new int[]{ 1 }, missing) || Arrays.equals(new int[]{ 1, 2 }, missing) ||
            Arrays.equals(new int[]{ 0, 1 }, missing), Arrays.toString(missing));
    }

    private List<int[]> settleAll(final boolean[] connected, final ProcessHandle[] processes, final long timeoutMs)
        throws Exception
    {
        final List<CompletableFuture<int[]>> futures = new ArrayList<>();
        for (int rank = 0; rank < 3; rank++)
        {
            futures.add(settle(rank, connected[rank], processes, timeoutMs));
        }
        final List<int[]> outcomes = new ArrayList<>();
        for (final CompletableFuture<int[]> future : futures)
        {
            outcomes.add(future.get(20, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    private CompletableFuture<int[]> settle(
        final int rank, final boolean connected, final ProcessHandle[] processes, final long timeoutMs)
    {
        final Membership membership = membership(rank, processes);
        return CompletableFuture.supplyAsync(() ->
        {
            try (DirectoryStore store = new DirectoryStore(directory, Integer.toString(rank)))
            {
                return ShrinkCommit.settle(store, DIRECTORY, membership, MEMBERS, connected,
                    TimeUnit.MILLISECONDS.toNanos(timeoutMs), POLL_NS);
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
    }

    private static Membership membership(final int rank, final ProcessHandle[] processes)
    {
        final LocalTransport[] job = LocalTransport.createJob(3, LocalTransport.LINK_CAPACITY_DEFAULT);
        final long[] pids = new long[3];
        final ProcessHandle[] peers = new ProcessHandle[3];
        for (int r = 0; r < 3; r++)
        {
            pids[r] = 1000 + r; // the marks carry these
            peers[r] = r == rank ? null : processes[r];
        }
        return new Membership(new Group(job[rank], null), new Context(), 1, peers, pids, new String[3], true);
    }

    private static ProcessHandle[] alive()
    {
        final ProcessHandle self = ProcessHandle.current();
        return new ProcessHandle[]{ self, self, self };
    }

    private static ProcessHandle exitedProcess() throws Exception
    {
        final Process process = new ProcessBuilder("true").start();
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
        return process.toHandle();
    }
}
