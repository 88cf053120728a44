package io.ringsync.examples;

/**
 * Logistic regression trained by mini-batch SGD over sparse features, the model a float32 vector: the learner
 * of the averaged-SGD demo and of its single-process baseline.
 * <p>
 * For label y in {0, 1}, margin m = w . x and p = sigmoid(m), an example's log loss is
 * {@code -y log p - (1 - y) log(1 - p)} and its gradient {@code (p - y) x}. A mini-batch step computes every
 * margin with the model as it is, then moves the model by the learning rate times the mean (importance
 * weighted) gradient. Both passes touch only the batch's features, so a step costs O(non-zeros) whatever the
 * dimension; there is no regulariser, which would touch every weight.
 */
public final class LogisticSgd
{
    private LogisticSgd()
    {
    }

    /**
     * One mini-batch step over examples {@code [from, to)}.
     *
     * @param model        updated in place.
     * @param data         the examples.
     * @param from         first example of the batch.
     * @param to           after its last; an empty batch changes nothing.
     * @param learningRate step size.
     * @param scratch      room for one coefficient per example of the batch (to - from), reused across calls.
     * @return the batch's summed (importance weighted) log loss, before the step.
     */
    public static double trainBatch(
        final float[] model, final SparseShard data, final int from, final int to, final float learningRate,
        final float[] scratch)
    {
        final int[] index = data.indices();
        final float[] value = data.values();
        double loss = 0;
        for (int row = from; row < to; row++)
        {
            final double margin = margin(model, data, row);
            final float label = data.label(row);
            final float weight = data.weight(row);
            loss += weight * logLoss(margin, label);
            scratch[row - from] = (float)(weight * (sigmoid(margin) - label));
        }
        final float step = learningRate / Math.max(1, to - from);
        for (int row = from; row < to; row++)
        {
            final float coefficient = step * scratch[row - from];
            for (int i = data.start(row), end = data.end(row); i < end; i++)
            {
                model[index[i]] -= coefficient * value[i];
            }
        }
        return loss;
    }

    /**
     * @param model the weights.
     * @param data  the examples.
     * @param row   one of them.
     * @return {@code w . x}.
     */
    public static double margin(final float[] model, final SparseShard data, final int row)
    {
        final int[] index = data.indices();
        final float[] value = data.values();
        double margin = 0;
        for (int i = data.start(row), end = data.end(row); i < end; i++)
        {
            margin += model[index[i]] * value[i];
        }
        return margin;
    }

    /**
     * @param margin {@code w . x}.
     * @param label  0 or 1.
     * @return the log loss, computed without overflow for large margins.
     */
    public static double logLoss(final double margin, final float label)
    {
        // log(1 + e^-z) with z = +margin for a positive label, -margin for a negative one
        final double z = label > 0 ? margin : -margin;
        return z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
    }

    /**
     * @param margin any.
     * @return 1 / (1 + e^-margin).
     */
    public static double sigmoid(final double margin)
    {
        if (margin >= 0)
        {
            return 1 / (1 + Math.exp(-margin));
        }
        final double e = Math.exp(margin);
        return e / (1 + e);
    }

    /**
     * @param model the weights.
     * @param data  the examples.
     * @return how many the model classifies right (margin > 0 predicts 1).
     */
    public static long correct(final float[] model, final SparseShard data)
    {
        long correct = 0;
        for (int row = 0; row < data.size(); row++)
        {
            final boolean positive = margin(model, data, row) > 0;
            if (positive == (data.label(row) > 0))
            {
                correct++;
            }
        }
        return correct;
    }

    /**
     * @param model the weights.
     * @param data  the examples, at least one.
     * @return the fraction classified right.
     */
    public static double accuracy(final float[] model, final SparseShard data)
    {
        return data.size() == 0 ? Double.NaN : correct(model, data) / (double)data.size();
    }
}
