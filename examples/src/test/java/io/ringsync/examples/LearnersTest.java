package io.ringsync.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

@Timeout(30)
class LearnersTest
{
    private static SparseShard twoExamples()
    {
        return new SparseShard.Builder(2, 3)
            .feature(0, 1).feature(2, 2).endExample(1, 1)   // margin 0.5 with the model below
            .feature(1, 1).endExample(0, 1)                 // margin -1
            .build();
    }

    @Test
    void oneExampleStepMatchesHandComputation()
    {
        final float[] model = { 0.5f, -1, 0, 0 };
        final double loss = LogisticSgd.trainBatch(model, twoExamples(), 0, 1, 0.1f, new float[1]);
        // p = sigmoid(0.5) = 0.6224593312, loss = log(1 + e^-0.5), gradient coefficient p - 1 = -0.3775406688
        assertEquals(0.4740769842, loss, 1e-9);
        assertEquals(0.5 + 0.1 * 0.3775406688, model[0], 1e-6);
        assertEquals(-1f, model[1]);
        assertEquals(0.1 * 0.3775406688 * 2, model[2], 1e-6);
        assertEquals(0f, model[3]);
    }

    @Test
    void miniBatchUsesMarginsBeforeTheStepAndTheMeanGradient()
    {
        final float[] model = { 0.5f, -1, 0, 0 };
        final double loss = LogisticSgd.trainBatch(model, twoExamples(), 0, 2, 0.1f, new float[2]);
        // second example: label 0, margin -1: loss log(1 + e^-1) = 0.3132616875, coefficient sigmoid(-1) = 0.2689414214
        assertEquals(0.4740769842 + 0.3132616875, loss, 1e-9);
        assertEquals(0.5 + 0.05 * 0.3775406688, model[0], 1e-6);
        assertEquals(-1 - 0.05 * 0.2689414214, model[1], 1e-6);
        assertEquals(0.05 * 0.3775406688 * 2, model[2], 1e-6);
        assertEquals(1.0, LogisticSgd.accuracy(model, twoExamples()));
        assertEquals(0.0, LogisticSgd.trainBatch(model, twoExamples(), 2, 2, 0.1f, new float[1]), "empty batch");
    }

    @Test
    void logLossAndSigmoidAreStableForLargeMargins()
    {
        assertEquals(1000, LogisticSgd.logLoss(-1000, 1), 1e-9);
        assertEquals(0, LogisticSgd.logLoss(1000, 1), 1e-300);
        assertEquals(Math.log(2), LogisticSgd.logLoss(0, 0), 1e-15);
        assertEquals(1, LogisticSgd.sigmoid(1000));
        assertEquals(0, LogisticSgd.sigmoid(-1000), 1e-300);
    }

    @Test
    void sculleyStepMatchesHandComputation()
    {
        // 1-D, centres 0 and 10; points 1, 2 go to centre 0 and 9 to centre 1
        final float[] centres = { 0, 10 };
        final double[] counts = new double[2];
        final DensePoints points = new DensePoints(new float[]{ 1, 2, 9 }, 1, 3);
        final float[] syncVector = new float[4];
        final double inertia = MiniBatchKMeans.trainBatch(centres, counts, points, 0, 3, new int[3], syncVector);
        assertEquals(1 + 4 + 1, inertia, 0);
        // centre 0: count 1, rate 1 -> 1; count 2, rate 1/2 -> 1.5; centre 1: count 1 -> 9
        assertArrayEquals(new float[]{ 1.5f, 9 }, centres);
        assertArrayEquals(new double[]{ 2, 1 }, counts);
        assertArrayEquals(new float[]{ 3, 9, 2, 1 }, syncVector, "sums then counts");
    }

    @Test
    void mergeKeepsEveryCentreTheRunningMeanOfItsPoints()
    {
        final float[] centres = { 0, 10 };
        final double[] counts = new double[2];
        MiniBatchKMeans.merge(centres, counts, new float[]{ 3, 9, 2, 1 }, 1);
        assertArrayEquals(new float[]{ 1.5f, 9 }, centres);
        assertArrayEquals(new double[]{ 2, 1 }, counts);
        // points 2 and 4 join centre 0 (mean of 1, 2, 2, 4 = 2.25); centre 1 gets nothing and stays
        MiniBatchKMeans.merge(centres, counts, new float[]{ 6, 0, 2, 0 }, 1);
        assertArrayEquals(new float[]{ 2.25f, 9 }, centres);
        assertArrayEquals(new double[]{ 4, 1 }, counts);
    }

    @Test
    void kMeansPlusPlusPicksDistinctPointsAndIsDeterministic()
    {
        final DensePoints points = new DensePoints(new float[]{ 0, 0, 0.1f, 0, 50, 50, 50.1f, 50, -50, 50 }, 2, 5);
        final float[] a = MiniBatchKMeans.kMeansPlusPlus(points, 3, 11);
        assertArrayEquals(a, MiniBatchKMeans.kMeansPlusPlus(points, 3, 11));
        // three far-apart groups: k-means++ takes one point of each
        assertEquals(3, java.util.stream.IntStream.range(0, 3)
            .map(c -> (int)Math.signum(a[2 * c]) + 1).distinct().count());
        assertEquals(0.0, MiniBatchKMeans.meanInertia(new float[]{ 0, 0, 50, 50, -50, 50 }, 3,
            new DensePoints(new float[]{ 0, 0, -50, 50 }, 2, 2)));
    }
}
