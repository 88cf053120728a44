package io.ringsync.collectives;

import java.io.File;
import java.util.Arrays;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One rank of a {@link RejoinTest} job, a process of its own (a joiner when {@link Configuration#JOIN_ENV} is set).
 * Arguments: {@code scenario target}.
 * <ul>
 *     <li>{@code grow}: the members call {@link Communicator#admit()} every 2 ms until the group has {@code target}
 *     ranks; each growth is followed by a broadcast from rank 0 (which the joiners take first); then every rank
 *     allReduces {@code jobRank * 1000 + i} and prints {@code GROWN rank=<r> size=<n> members=<job ranks>
 *     exact=<sum as expected> hash=<bits of the result>}.</li>
 *     <li>{@code none}: nobody joins; admit() {@code target} times, each must return the same communicator; prints
 *     {@code NONE same=<true> perCallNs=<mean ns per admit>
 *     broadcastNs=<mean ns of a broadcast of the same size>}.</li>
 *     <li>{@code loop}: rounds of an allReduce (checked exact), a stop vote (rank 0 votes stop when the file
 *     {@code target} exists) and an admit(); a lost rank is shrunk away and the round number agreed again, a joiner
 *     is handed the round number. Prints {@code AT <round>} every 20 rounds, {@code SHRANK size=<n>} and
 *     {@code GREW size=<n> members=<job ranks>}, and at the stop {@code DONE size=<n> members=<job ranks>
 *     exact=<every round exact> hash=<bits of a last allReduce>}.</li>
 *     <li>{@code averager}: an elastic {@link ModelAverager} (sync every 4 steps, at most 2 stale) over {@code target}
 *     steps of 1 ms; a joiner's averager takes the hand-over and goes on from the job's step. Prints
 *     {@code STEP <n>} every 100 steps, {@code SIZE <n>} when the group changes, and at the end {@code AVERAGED
 *     size=<n> shrinks=<n> rejoins=<n> hash=<model bits>}.</li>
 * </ul>
 * A rank that gets an exception prints {@code FAILED <class>: <message>} and exits 1.
 */
public final class RejoinRankMain
{
    private static final int COUNT = 4099;

    private RejoinRankMain()
    {
    }

    public static void main(final String[] args)
    {
        final String scenario = args[0];
        final String target = args[1];
        int status = 0;
        try
        {
            Communicator comm = Communicator.fromEnvironment();
            if (comm.joined())
            {
                System.out.println("JOINED rank=" + comm.rank() + " size=" + comm.size());
            }
            switch (scenario)
            {
                case "grow":
                    comm = grow(comm, Integer.parseInt(target));
                    break;
                case "none":
                    none(comm, Integer.parseInt(target));
                    break;
                case "averager":
                    comm = averager(comm, Integer.parseInt(target));
                    break;
                default:
                    comm = loop(comm, new File(target));
                    break;
            }
            comm.close();
        }
        catch (final RuntimeException ex)
        {
            System.out.println("FAILED " + ex.getClass().getSimpleName() + ": " + ex.getMessage());
            ex.printStackTrace();
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    private static Communicator grow(final Communicator initial, final int target)
    {
        Communicator comm = initial;
        final double[] welcome = { 0 };
        if (comm.joined())
        {
            comm.broadcast(welcome, 0);
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        System.out.println("ADMITTING");
        while (comm.size() < target)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new IllegalStateException("still " + comm.size() + " ranks after 60 s");
            }
            final Communicator grown = comm.admit();
            if (grown != comm)
            {
                comm.close();
                comm = grown;
                welcome[0] = comm.size();
                comm.broadcast(welcome, 0);
                System.out.println("GREW size=" + comm.size() + " members=" + members(comm));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        final double[] values = values(comm);
        comm.allReduce(values, ReduceOp.SUM);
        System.out.println("GROWN rank=" + comm.rank() + " size=" + comm.size() + " members=" + members(comm) +
            " exact=" + exact(comm, values, 0) + " hash=" + hash(values));
        return comm;
    }

    private static Communicator averager(final Communicator comm, final int total)
    {
        final float[] model = new float[4099];
        final ModelAverager averager = new ModelAverager(comm, model, 4, 2).elastic(true);
        final int jobRank = comm.jobRank(comm.rank());
        int size = averager.communicator().size();
        for (long step = averager.steps() + 1; step <= total; step++)
        {
            for (int i = 0; i < model.length; i++)
            {
                model[i] += (float)((jobRank + 1) * 1e-3 * ((i + step) % 7 - 3));
            }
            averager.step(jobRank + 1);
            if (averager.communicator().size() != size)
            {
                size = averager.communicator().size();
                System.out.println("SIZE " + size + " at step " + step);
            }
            if (step % 100 == 0)
            {
                System.out.println("STEP " + step);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        averager.finish();
        long hash = 17;
        for (final float value : model)
        {
            hash = hash * 31 + Float.floatToRawIntBits(value);
        }
        System.out.println("AVERAGED size=" + averager.communicator().size() + " shrinks=" + averager.shrinks() +
            " rejoins=" + averager.rejoins() + " hash=" + Long.toHexString(hash));
        return averager.communicator();
    }

    private static void none(final Communicator comm, final int calls)
    {
        // alternated rounds, the last of each kind counted: a warm JIT and the same load for both
        boolean same = true;
        final double[] table = new double[1 + 3 * Admission.MAX_PER_ROUND];
        long perCallNs = 0;
        long broadcastNs = 0;
        long allocated = 0;
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 4; round++)
        {
            final long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
            final long startNs = System.nanoTime();
            for (int i = 0; i < calls; i++)
            {
                same &= comm.admit() == comm;
            }
            perCallNs = (System.nanoTime() - startNs) / calls;
            allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
            // what the same number of plain broadcasts of the same size cost here, for comparison
            final long broadcastStartNs = System.nanoTime();
            for (int i = 0; i < calls; i++)
            {
                comm.broadcast(table, 0);
            }
            broadcastNs = (System.nanoTime() - broadcastStartNs) / calls;
        }
        System.out.println("NONE same=" + same + " perCallNs=" + perCallNs + " broadcastNs=" + broadcastNs +
            " allocatedBytes=" + allocated);
    }

    private static Communicator loop(final Communicator initial, final File stopFile)
    {
        Communicator comm = initial;
        final double[] round = { 0 };
        if (comm.joined())
        {
            comm.broadcast(round, 0);
        }
        boolean exact = true;
        while (true)
        {
            round[0]++;
            try
            {
                final double[] values = values(comm);
                for (int i = 0; i < COUNT; i++)
                {
                    values[i] += round[0];
                }
                comm.allReduce(values, ReduceOp.SUM);
                exact &= exact(comm, values, round[0]);
                final double[] stop = { comm.rank() == 0 && stopFile.exists() ? 1 : 0 };
                comm.allReduce(stop, ReduceOp.MAX);
                if (stop[0] > 0)
                {
                    break;
                }
                final Communicator grown = comm.admit();
                if (grown != comm)
                {
                    comm.close();
                    comm = grown;
                    comm.broadcast(round, 0);
                    System.out.println("GREW size=" + comm.size() + " members=" + members(comm));
                }
            }
            catch (final PeerFailedException | CollectiveTimeoutException lost)
            {
                while (true)
                {
                    final Communicator failed = comm;
                    comm = failed.shrink();
                    failed.close();
                    System.out.println("SHRANK size=" + comm.size() + " members=" + members(comm));
                    try
                    {
                        // survivors may be a round apart when the loss hit: go on from the furthest
                        comm.allReduce(round, ReduceOp.MAX);
                        break;
                    }
                    catch (final PeerFailedException | CollectiveTimeoutException again)
                    {
                        // another loss meanwhile: shrink again
                    }
                }
            }
            if ((long)round[0] % 20 == 0)
            {
                System.out.println("AT " + (long)round[0]);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
        }
        final double[] values = values(comm);
        comm.allReduce(values, ReduceOp.SUM);
        System.out.println("DONE size=" + comm.size() + " members=" + members(comm) + " exact=" +
            (exact && exact(comm, values, 0)) + " hash=" + hash(values));
        return comm;
    }

    private static double[] values(final Communicator comm)
    {
        final double[] values = new double[COUNT];
        for (int i = 0; i < COUNT; i++)
        {
            values[i] = comm.jobRank(comm.rank()) * 1000.0 + i;
        }
        return values;
    }

    private static boolean exact(final Communicator comm, final double[] values, final double offset)
    {
        boolean exact = true;
        for (int i = 0; i < COUNT; i++)
        {
            double expected = 0;
            for (int member = 0; member < comm.size(); member++)
            {
                expected += comm.jobRank(member) * 1000.0 + i + offset;
            }
            exact &= expected == values[i];
        }
        return exact;
    }

    private static String members(final Communicator comm)
    {
        final StringJoiner joined = new StringJoiner(",");
        for (int member = 0; member < comm.size(); member++)
        {
            joined.add(Integer.toString(comm.jobRank(member)));
        }
        return joined.toString();
    }

    private static String hash(final double[] values)
    {
        return Long.toHexString(Arrays.hashCode(Arrays.stream(values).mapToLong(Double::doubleToRawLongBits)
            .toArray()));
    }
}
