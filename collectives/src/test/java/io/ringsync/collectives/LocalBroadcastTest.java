package io.ringsync.collectives;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LocalBroadcastTest
{
    @ParameterizedTest(name = "np={0} count={1} root={2}")
    @CsvSource({ "1,10,0", "2,0,0", "2,1,1", "3,2,2", "3,1009,1", "4,100003,3", "5,70000,2", "8,33,5" })
    void everyRankGetsTheRootsVector(final int n, final int count, final int root) throws Exception
    {
        final float[] source = new float[count];
        final double[] sourceDoubles = new double[count];
        final Random random = new Random(count);
        for (int i = 0; i < count; i++)
        {
            source[i] = random.nextFloat();
            sourceDoubles[i] = random.nextDouble();
        }
        final List<Object[]> results = LocalCluster.runAll(n, comm ->
        {
            final float[] v = comm.rank() == root ? source.clone() : new float[count];
            final double[] d = comm.rank() == root ? sourceDoubles.clone() : new double[count];
            comm.broadcast(v, root);
            comm.broadcast(d, root);
            return new Object[]{ v, d };
        });
        for (final Object[] result : results)
        {
            assertArrayEquals(source, (float[])result[0]);
            assertArrayEquals(sourceDoubles, (double[])result[1]);
        }
    }
}
