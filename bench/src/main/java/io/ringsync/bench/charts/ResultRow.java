package io.ringsync.bench.charts;

/**
 * One row of a combined comparison CSV: one size measured by one system in one round. The fields after
 * {@code system} are the columns every bench of the project prints ({@code ringsync bench}, the Open MPI and
 * the Gloo peers).
 *
 * @param round     which alternation round the row comes from (1-based).
 * @param system    who measured: {@code ringsync}, {@code openmpi} or {@code gloo}.
 * @param bytes     vector size in bytes.
 * @param type      element type, {@code float32} or {@code float64}.
 * @param np        number of ranks.
 * @param transport ringsync's transport ({@code shm}, {@code ipc}, {@code udp}) or the peer's.
 * @param algorithm the algorithm column as printed.
 * @param iters     timed calls.
 * @param p50Us     median of the per-call times (slowest rank of each call), microseconds.
 * @param p99Us     99th percentile of those, microseconds.
 * @param meanUs    their mean, microseconds.
 * @param algbwGBps bytes / mean time, 1e9 bytes per second.
 * @param busbwGBps algbw * 2 (np - 1) / np.
 */
public record ResultRow(
    int round,
    String system,
    long bytes,
    String type,
    int np,
    String transport,
    String algorithm,
    long iters,
    double p50Us,
    double p99Us,
    double meanUs,
    double algbwGBps,
    double busbwGBps)
{
    /**
     * The system that wrote a row of the older combined files, which had no {@code system} column.
     *
     * @param transport the row's transport column.
     * @return {@code openmpi}, {@code gloo} or {@code ringsync}.
     */
    public static String systemOf(final String transport)
    {
        if (transport.startsWith("openmpi"))
        {
            return "openmpi";
        }
        if (transport.startsWith("gloo"))
        {
            return "gloo";
        }
        return "ringsync";
    }

    /**
     * @return the line this row contributes to a chart: system and transport, np and type.
     */
    public Series series()
    {
        return new Series(system, transport, np, type);
    }
}
