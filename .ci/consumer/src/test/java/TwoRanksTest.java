import io.ringsync.collectives.Communicator;
import io.ringsync.collectives.Context;
import io.ringsync.collectives.ReduceOp;
import io.ringsync.transport.LocalTransport;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * A user's own unit test: two ranks as threads of the test JVM, as the README describes for tests. It runs only
 * with the README's Surefire argLine (without it, ringsync's class initialisation refuses to start).
 */
class TwoRanksTest
{
    @Test
    void twoThreadRanksAverageTheirVectors() throws Exception
    {
        final LocalTransport[] transports = LocalTransport.createJob(2, LocalTransport.LINK_CAPACITY_DEFAULT);
        final CompletableFuture<float[]> rank1 = CompletableFuture.supplyAsync(() -> average(transports[1]));
        final float[] rank0 = average(transports[0]);
        assertArrayEquals(new float[]{ 0.5f, 1.5f, 2.5f }, rank0);
        assertArrayEquals(rank0, rank1.get(30, TimeUnit.SECONDS));
    }

    private static float[] average(final LocalTransport transport)
    {
        final float[] v = { transport.rank(), transport.rank() + 1, transport.rank() + 2 };
        try (Communicator comm = Communicator.connect(transport, new Context()))
        {
            comm.allReduce(v, ReduceOp.AVG);
        }
        return v;
    }
}
