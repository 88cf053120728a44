package io.ringsync.bench.charts;

import java.util.List;
import java.util.Locale;

/**
 * The markdown tables of a comparison's {@code summary.md}: ringsync / peer ratios of the p50 and p99 medians
 * per rank count, transport and size, then every series' medians with the spread of p50 over rounds.
 */
public final class SummaryTables
{
    private SummaryTables()
    {
    }

    /**
     * @param comparison the folded rounds.
     * @return markdown, ending with a newline.
     */
    public static String markdown(final Comparison comparison)
    {
        final StringBuilder out = new StringBuilder();
        final List<Long> sizes = comparison.sizes();
        for (final Comparison.Metric metric : Comparison.Metric.values())
        {
            out.append("### ").append(title(metric)).append("\n\n");
            out.append("| np | type | ringsync transport | peer |");
            sizes.forEach(bytes -> out.append(' ').append(size(bytes)).append(" |"));
            out.append("\n|---:|---|---|---|");
            sizes.forEach(bytes -> out.append("---:|"));
            out.append('\n');
            int lines = 0;
            for (final Series group : comparison.groups())
            {
                final List<Series> all = comparison.seriesOf(group.np(), group.type());
                for (final Series ours : all)
                {
                    if (!ours.isRingsync())
                    {
                        continue;
                    }
                    for (final Series peer : all)
                    {
                        if (peer.isRingsync())
                        {
                            continue;
                        }
                        out.append("| ").append(group.np()).append(" | ").append(group.type()).append(" | ")
                            .append(ours.transport()).append(" | ").append(peer.shortLabel()).append(" |");
                        for (final long bytes : sizes)
                        {
                            final double ratio = comparison.ratio(ours, peer, bytes, metric);
                            out.append(' ').append(Double.isNaN(ratio) ? "-" : ratio(ratio))
                                .append(" |");
                        }
                        out.append('\n');
                        lines++;
                    }
                }
            }
            if (lines == 0)
            {
                out.append("| - | - | - | (needs ringsync and at least one peer in the file) |\n");
            }
            out.append('\n');
        }

        out.append("### Medians over rounds\n\n");
        out.append("p50 range = fastest and slowest round's p50. busbw = algbw * 2 (np - 1) / np, GB = 1e9 bytes.\n\n");
        out.append("| np | type | system | bytes | rounds | p50 us | p50 range us | p99 us | mean us | busbw GB/s |\n");
        out.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        comparison.points().forEach((series, bySize) -> bySize.values().forEach(point ->
            out.append("| ").append(series.np())
                .append(" | ").append(series.type())
                .append(" | ").append(series.label())
                .append(" | ").append(size(point.bytes()))
                .append(" | ").append(point.rounds())
                .append(" | ").append(micros(point.p50Us()))
                .append(" | ").append(micros(point.p50MinUs())).append(" - ").append(micros(point.p50MaxUs()))
                .append(" | ").append(micros(point.p99Us()))
                .append(" | ").append(micros(point.meanUs()))
                .append(" | ").append(String.format(Locale.ROOT, "%.3f", point.busbwGBps()))
                .append(" |\n")));
        return out.toString();
    }

    private static String title(final Comparison.Metric metric)
    {
        switch (metric)
        {
            case P50:
                return "p50 ratio: ringsync / peer (medians over rounds; below 1 = ringsync faster)";
            case P99:
                return "p99 ratio: ringsync / peer (medians over rounds)";
            default:
                return "p50 ratio of each system's best round: ringsync / peer (both at their fastest; read this " +
                    "one when the p50 range below is wide, i.e. the host changed state during the session)";
        }
    }

    /**
     * @param bytes a size.
     * @return {@code 4 KiB}, {@code 16 MiB}, {@code 1 GiB} for whole binary units, else {@code 1000 B}.
     */
    public static String size(final long bytes)
    {
        final String[] units = { "GiB", "MiB", "KiB" };
        final int[] shifts = { 30, 20, 10 };
        for (int i = 0; i < units.length; i++)
        {
            final long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0)
            {
                return (bytes / unit) + " " + units[i];
            }
        }
        return bytes + " B";
    }

    /**
     * @param ratio ringsync / peer.
     * @return two decimals from 0.1 up (0.67, 2.53, 47.56); below, three significant digits (0.00625), so a
     *         ratio far below 1 never reads as 0.
     */
    public static String ratio(final double ratio)
    {
        return ratio >= 0.1 ? String.format(Locale.ROOT, "%.2f", ratio) : String.format(Locale.ROOT, "%.3g", ratio);
    }

    /**
     * @param micros a latency.
     * @return three significant digits or more: 1.23, 12.3, 123, 12345.
     */
    public static String micros(final double micros)
    {
        if (micros < 10)
        {
            return String.format(Locale.ROOT, "%.2f", micros);
        }
        if (micros < 100)
        {
            return String.format(Locale.ROOT, "%.1f", micros);
        }
        return String.format(Locale.ROOT, "%.0f", micros);
    }
}
