package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class ModelAveragerTest
{
    /**
     * With maxStaleness 0 every sync is blocking and nothing happens between snapshot and merge, so after each
     * sync the model is exactly the weighted average of the ranks' models.
     */
    @Test
    void blockingSyncsReplaceTheModelByTheWeightedAverage() throws Exception
    {
        final List<float[]> models = LocalCluster.runAll(3, comm ->
        {
            final float[] model = new float[1000];
            final ModelAverager averager = new ModelAverager(comm, model, 2, 0);
            final int r = comm.rank();
            // step 1 adds r + 1 everywhere with weight (r + 1); step 2 adds nothing with weight 0
            for (int i = 0; i < model.length; i++)
            {
                model[i] += r + 1;
            }
            averager.step(r + 1);
            averager.step(0);
            // weights 1, 2, 3 over models 1, 2, 3: (1 + 4 + 9) / 6
            for (final float x : model)
            {
                assertEquals(14f / 6f, x, 1e-6f);
            }
            assertEquals(1, averager.merges());
            assertEquals(0, averager.maxStalenessSeen());
            averager.finish();
            return model;
        });
        assertArrayEquals(models.get(0), models.get(1));
        assertArrayEquals(models.get(0), models.get(2));
    }

    @Test
    void stalenessIsBoundedAndFinishLeavesIdenticalModels() throws Exception
    {
        final int maxStaleness = 3;
        final List<ModelAverager> averagers = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<float[]> models = LocalCluster.runAll(2, comm ->
        {
            final float[] model = new float[50_000];
            final ModelAverager averager = new ModelAverager(comm, model, 2, maxStaleness);
            averagers.add(averager);
            final java.util.SplittableRandom random = new java.util.SplittableRandom(comm.rank());
            for (int step = 0; step < 200; step++)
            {
                for (int i = 0; i < 64; i++)
                {
                    model[random.nextInt(model.length)] += (float)random.nextDouble(-1, 1);
                }
                if (comm.rank() == 1 && step % 50 == 0)
                {
                    Thread.sleep(20); // a slow rank: its peer's averages arrive late
                }
                averager.step(64);
                assertTrue(averager.maxStalenessSeen() <= maxStaleness,
                    "staleness " + averager.maxStalenessSeen() + " > " + maxStaleness);
            }
            assertEquals(2 * 200 * 64, averager.finish(), "final weight sum");
            return model;
        });
        assertArrayEquals(models.get(0), models.get(1), "bitwise identical after finish()");
        for (final ModelAverager averager : averagers)
        {
            assertEquals(101, averager.syncs(), "100 background averages and the final one");
            assertEquals(100, averager.merges());
            assertTrue(averager.maxStalenessSeen() <= maxStaleness);
        }
    }

    @Test
    void badArgumentsAreRefused() throws Exception
    {
        LocalCluster.runAll(1, comm ->
        {
            assertThrows(IllegalArgumentException.class, () -> new ModelAverager(comm, new float[1], 0, 1));
            assertThrows(IllegalArgumentException.class, () -> new ModelAverager(comm, new float[1], 1, -1));
            final ModelAverager averager = new ModelAverager(comm, new float[1], 1, 1);
            assertThrows(IllegalArgumentException.class, () -> averager.step(Double.NaN));
            assertThrows(IllegalArgumentException.class, () -> averager.step(-1));
            averager.finish();
            assertThrows(IllegalStateException.class, () -> averager.step(1));
            assertThrows(IllegalStateException.class, averager::finish);
            return null;
        });
    }
}
