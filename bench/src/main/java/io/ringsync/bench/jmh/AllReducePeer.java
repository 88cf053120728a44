package io.ringsync.bench.jmh;

import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.ReduceOp;

/**
 * A peer rank of {@link ProcessAllReduceBenchmark}: a process of its own that answers every allReduce(SUM) of the
 * benchmark's rank 0 with a vector of zeros, until rank 0 puts {@link #STOP} into element 0. Reads its rank and
 * links from the environment like any ringsync program.
 * <p>
 * It also leaves when the process that started it (the benchmark JVM) is gone, however that ended: a benchmark JVM
 * killed mid-trial never gets to tell its peers to stop, and they must not outlive it.
 */
public final class AllReducePeer
{
    /**
     * Rank 0 puts this into element 0 of its last call; the sum tells every peer to leave.
     */
    public static final float STOP = 1e30f;

    private AllReducePeer()
    {
    }

    /**
     * @param args the vector size in bytes (float32 elements).
     */
    public static void main(final String[] args)
    {
        final int count = Integer.parseInt(args[0]) / Float.BYTES;
        ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() ->
        {
            System.err.println("AllReducePeer: the benchmark JVM (pid " + parent.pid() + ") is gone; leaving");
            Runtime.getRuntime().halt(3);
        }));
        try (Communicator comm = Communicator.fromEnvironment())
        {
            final float[] vector = new float[count];
            do
            {
                vector[0] = 0;
                comm.allReduce(vector, ReduceOp.SUM);
            }
            while (vector[0] < STOP);
        }
        catch (final RuntimeException ex)
        {
            System.err.println("AllReducePeer: " + ex);
            System.exit(1);
        }
    }
}
