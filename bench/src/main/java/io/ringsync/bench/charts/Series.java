package io.ringsync.bench.charts;

import java.util.Comparator;

/**
 * One line on a chart and one column group in a table: a system over one transport, at one rank count and
 * element type.
 *
 * @param system    {@code ringsync}, {@code openmpi} or {@code gloo}.
 * @param transport as in the CSV.
 * @param np        number of ranks.
 * @param type      element type.
 */
public record Series(String system, String transport, int np, String type)
{
    /**
     * ringsync first (shm, ipc, udp, then any other transport), then the peers: Open MPI, Gloo, others.
     */
    public static final Comparator<Series> ORDER = Comparator
        .comparingInt(Series::np)
        .thenComparing(Series::type)
        .thenComparingInt(Series::systemRank)
        .thenComparingInt(Series::transportRank)
        .thenComparing(Series::system)
        .thenComparing(Series::transport);

    /**
     * @return true for ringsync's own rows, false for a peer's.
     */
    public boolean isRingsync()
    {
        return "ringsync".equals(system);
    }

    /**
     * @return a legend label such as {@code ringsync shm}, {@code Open MPI (shm)} or {@code Gloo/torch (TCP lo)}.
     */
    public String label()
    {
        switch (system)
        {
            case "ringsync":
                return "ringsync " + transport;
            case "openmpi":
                return "Open MPI (shm)";
            case "gloo":
                return "Gloo/torch (TCP lo)";
            default:
                return system + " " + transport;
        }
    }

    /**
     * @return the peer's name for table headers ({@code Open MPI}, {@code Gloo}), or the label.
     */
    public String shortLabel()
    {
        switch (system)
        {
            case "openmpi":
                return "Open MPI";
            case "gloo":
                return "Gloo";
            default:
                return label();
        }
    }

    private int systemRank()
    {
        switch (system)
        {
            case "ringsync":
                return 0;
            case "openmpi":
                return 1;
            case "gloo":
                return 2;
            default:
                return 3;
        }
    }

    private int transportRank()
    {
        switch (transport)
        {
            case "shm":
                return 0;
            case "ipc":
                return 1;
            case "udp":
                return 2;
            default:
                return 3;
        }
    }
}
