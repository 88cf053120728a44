package io.ringsync.collectives;

/**
 * The AllReduce result computed the way the ring must compute it, written independently of the ring code:
 * segment s starts as rank s's input and picks up ranks s+1, s+2, ... in turn (received value first), and
 * its owner, rank s-1, applies the op last (and divides for AVG). Bitwise equality with this proves the
 * summation order.
 */
final class RingReference
{
    private RingReference()
    {
    }

    static float[] floats(final float[][] inputs, final ReduceOp op)
    {
        final int n = inputs.length;
        final int count = inputs[0].length;
        final float[] result = new float[count];
        final Partition partition = new Partition().reset(count, n, 1);
        for (int segment = 0; segment < n; segment++)
        {
            final int start = partition.segmentStart(segment);
            for (int i = start; i < start + partition.segmentLength(segment); i++)
            {
                float acc = inputs[segment][i];
                for (int hop = 1; hop < n; hop++)
                {
                    final float local = inputs[(segment + hop) % n][i];
                    acc = op == ReduceOp.MIN ? Math.min(acc, local) : op == ReduceOp.MAX ? Math.max(acc, local) :
                        acc + local;
                }
                result[i] = op == ReduceOp.AVG && n > 1 ? acc / n : acc;
            }
        }
        return result;
    }

    static double[] doubles(final double[][] inputs, final ReduceOp op)
    {
        final int n = inputs.length;
        final int count = inputs[0].length;
        final double[] result = new double[count];
        final Partition partition = new Partition().reset(count, n, 1);
        for (int segment = 0; segment < n; segment++)
        {
            final int start = partition.segmentStart(segment);
            for (int i = start; i < start + partition.segmentLength(segment); i++)
            {
                double acc = inputs[segment][i];
                for (int hop = 1; hop < n; hop++)
                {
                    final double local = inputs[(segment + hop) % n][i];
                    acc = op == ReduceOp.MIN ? Math.min(acc, local) : op == ReduceOp.MAX ? Math.max(acc, local) :
                        acc + local;
                }
                result[i] = op == ReduceOp.AVG && n > 1 ? acc / n : acc;
            }
        }
        return result;
    }
}
