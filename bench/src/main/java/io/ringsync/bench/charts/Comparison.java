package io.ringsync.bench.charts;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The rounds of a comparison folded into one figure per series and size: the median over rounds of each
 * statistic (rounds alternate the systems, and the CPU under a cloud VM flips between fast and slow states,
 * so the median of a few rounds is the robust middle; the spread over rounds is kept to show the noise),
 * and ringsync / peer ratios of those medians.
 */
public final class Comparison
{
    /**
     * One series at one size, over all rounds.
     *
     * @param bytes     vector size.
     * @param rounds    how many rounds measured it.
     * @param p50Us     median over rounds of p50.
     * @param p99Us     median over rounds of p99.
     * @param meanUs    median over rounds of the mean.
     * @param busbwGBps median over rounds of busbw.
     * @param p50MinUs  the fastest round's p50.
     * @param p50MaxUs  the slowest round's p50.
     */
    public record Point(
        long bytes, int rounds, double p50Us, double p99Us, double meanUs, double busbwGBps, double p50MinUs, double p50MaxUs)
    {
    }

    /**
     * Which statistic a ratio compares.
     */
    public enum Metric
    {
        /** median latency. */
        P50(Point::p50Us),
        /** 99th percentile latency. */
        P99(Point::p99Us),
        /**
         * Each system's fastest round's p50: when the host flips between a fast and a slow state within a
         * session, the median of a few rounds can pair one system's fast state with the other's slow one; the
         * best rounds compare both in the fast state.
         */
        BEST_P50(Point::p50MinUs);

        private final ToDoubleFunction<Point> value;

        Metric(final ToDoubleFunction<Point> value)
        {
            this.value = value;
        }

        /**
         * @param point a series at one size.
         * @return this statistic of it.
         */
        public double of(final Point point)
        {
            return value.applyAsDouble(point);
        }
    }

    private final NavigableMap<Series, NavigableMap<Long, Point>> points = new TreeMap<>(Series.ORDER);

    /**
     * @param rows every row of every round.
     */
    public Comparison(final List<ResultRow> rows)
    {
        final Map<Series, NavigableMap<Long, List<ResultRow>>> grouped = new TreeMap<>(Series.ORDER);
        for (final ResultRow row : rows)
        {
            grouped.computeIfAbsent(row.series(), s -> new TreeMap<>())
                .computeIfAbsent(row.bytes(), b -> new ArrayList<>())
                .add(row);
        }
        grouped.forEach((series, bySize) ->
        {
            final NavigableMap<Long, Point> folded = new TreeMap<>();
            bySize.forEach((bytes, sameSize) -> folded.put(bytes, fold(bytes, sameSize)));
            points.put(series, Collections.unmodifiableNavigableMap(folded));
        });
    }

    /**
     * @return every series, ringsync's first, with its points by size.
     */
    public NavigableMap<Series, NavigableMap<Long, Point>> points()
    {
        return Collections.unmodifiableNavigableMap(points);
    }

    /**
     * @return every series in {@link Series#ORDER}.
     */
    public List<Series> series()
    {
        return new ArrayList<>(points.keySet());
    }

    /**
     * @return every (np, type) pair present, each one chart.
     */
    public List<Series> groups()
    {
        final List<Series> groups = new ArrayList<>();
        for (final Series series : points.keySet())
        {
            final Series group = new Series("", "", series.np(), series.type());
            if (groups.isEmpty() || !groups.get(groups.size() - 1).equals(group))
            {
                groups.add(group);
            }
        }
        return groups;
    }

    /**
     * @param np   rank count.
     * @param type element type.
     * @return the series measured with that rank count and type, in {@link Series#ORDER}.
     */
    public List<Series> seriesOf(final int np, final String type)
    {
        final List<Series> selected = new ArrayList<>();
        for (final Series series : points.keySet())
        {
            if (series.np() == np && series.type().equals(type))
            {
                selected.add(series);
            }
        }
        return selected;
    }

    /**
     * @return every size measured by any series, ascending.
     */
    public List<Long> sizes()
    {
        final TreeSet<Long> sizes = new TreeSet<>();
        points.values().forEach(bySize -> sizes.addAll(bySize.keySet()));
        return new ArrayList<>(sizes);
    }

    /**
     * @param series a series.
     * @param bytes  a size.
     * @return its point, or null when that series did not measure that size.
     */
    public Point point(final Series series, final long bytes)
    {
        final NavigableMap<Long, Point> bySize = points.get(series);
        return null == bySize ? null : bySize.get(bytes);
    }

    /**
     * @param ringsync a ringsync series.
     * @param peer     a peer's series (same np and type).
     * @param bytes    a size.
     * @param metric   p50 or p99.
     * @return ringsync's median over the peer's median (below 1: ringsync is faster), or NaN if either is missing
     *         or the peer's is 0.
     */
    public double ratio(final Series ringsync, final Series peer, final long bytes, final Metric metric)
    {
        final Point ours = point(ringsync, bytes);
        final Point theirs = point(peer, bytes);
        if (null == ours || null == theirs || metric.of(theirs) <= 0)
        {
            return Double.NaN;
        }
        return metric.of(ours) / metric.of(theirs);
    }

    /**
     * @param values some numbers (not modified).
     * @return their median: the middle value, or the mean of the two middle values for an even count.
     * @throws IllegalArgumentException if there are none.
     */
    public static double median(final double[] values)
    {
        if (values.length == 0)
        {
            throw new IllegalArgumentException("median of no values");
        }
        final double[] sorted = values.clone();
        Arrays.sort(sorted);
        final int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
    }

    private static Point fold(final long bytes, final List<ResultRow> rows)
    {
        final double[] p50 = rows.stream().mapToDouble(ResultRow::p50Us).toArray();
        return new Point(
            bytes,
            rows.size(),
            median(p50),
            median(rows.stream().mapToDouble(ResultRow::p99Us).toArray()),
            median(rows.stream().mapToDouble(ResultRow::meanUs).toArray()),
            median(rows.stream().mapToDouble(ResultRow::busbwGBps).toArray()),
            Arrays.stream(p50).min().orElseThrow(),
            Arrays.stream(p50).max().orElseThrow());
    }
}
