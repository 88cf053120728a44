package io.ringsync.collectives;

/**
 * Element-wise reduction of an AllReduce. {@code AVG} is the sum divided by the number of ranks,
 * computed once by the element's owner so every rank gets the same bits.
 */
public enum ReduceOp
{
    /**
     * The sum.
     */
    SUM,

    /**
     * The smallest value.
     */
    MIN,

    /**
     * The largest value.
     */
    MAX,

    /**
     * The sum divided by the number of ranks.
     */
    AVG
}
