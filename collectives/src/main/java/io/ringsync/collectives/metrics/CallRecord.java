package io.ringsync.collectives.metrics;

/**
 * One call as a rank's flight recorder kept it.
 *
 * @param rank         the rank that made it.
 * @param sequence     the call's number on that rank's communicator (1, 2, ...).
 * @param collective   {@code allReduce}, {@code broadcast}, ...
 * @param path         the algorithm's label ({@code small}, {@code ring}, {@code direct}, ...).
 * @param bytes        bytes of the vector.
 * @param startEpochUs when it started, wall clock, epoch microseconds.
 * @param startNanos   when it started, {@code System.nanoTime()}: comparable between processes of one host.
 * @param durationNs   how long it took, -1 while it runs.
 * @param waitedOn     the peer whose first chunk came last, -1 when none was heard.
 * @param waitedNs     how long after this rank's start that chunk came; -1 when the call was not timed (a small
 *                     vector: one call in 8 is).
 * @param outcome      {@code running}, {@code ok} or {@code failed}.
 */
public record CallRecord(
    int rank, long sequence, String collective, String path, long bytes, long startEpochUs, long startNanos,
    long durationNs, int waitedOn, long waitedNs, String outcome)
{
}
