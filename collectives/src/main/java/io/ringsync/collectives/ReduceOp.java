package io.ringsync.collectives;

/**
 * Element-wise reduction of an AllReduce. {@code AVG} is the sum divided by the number of ranks,
 * computed once by the element's owner so every rank gets the same bits.
 */
public enum ReduceOp
{
    SUM,
    MIN,
    MAX,
    AVG
}
