package io.ringsync.bench.charts;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Charts of a simulated-cluster comparison ({@code bench/cluster/compare-cluster.sh}), from its {@code combined.csv}
 * (columns {@code cap,hosts,per_host,round,system} then those of {@code ringsync bench}): one PNG per cap and layout,
 * {@code p50-<cap>-h<H>x<L>.png}, p50 (median over rounds) against size, log-log, one line per system; under a cap
 * also the wire time of the flat ring's bytes over one host's link, 2 (n-1)/n S / rate, as a dashed limit line.
 * <p>
 * Usage: {@code java -cp bench/target/benchmarks.jar io.ringsync.bench.charts.ClusterCharts DIR}. Prints the files it
 * wrote.
 */
public final class ClusterCharts
{
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)([kmg]?)bit");
    private static final Map<String, Color> COLOURS = Map.of(
        "tcp", new Color(0x1F77B4), "udp", new Color(0x17BECF), "gloo", new Color(0xD62728),
        "openmpi", new Color(0xFF7F0E));

    static
    {
        System.setProperty("java.awt.headless", "true");
    }

    private ClusterCharts()
    {
    }

    public static void main(final String[] args) throws IOException
    {
        final Path dir = Path.of(args[0]);
        for (final Path written : write(dir))
        {
            System.out.println(written);
        }
    }

    /** Draws every chart of {@code dir/combined.csv} into {@code dir}; returns the files written. */
    static List<Path> write(final Path dir) throws IOException
    {
        final List<String> lines = Files.readAllLines(dir.resolve("combined.csv"), StandardCharsets.UTF_8);
        final List<String> header = Arrays.asList(lines.get(0).split(","));
        final int cap = header.indexOf("cap");
        final int hosts = header.indexOf("hosts");
        final int perHost = header.indexOf("per_host");
        final int system = header.indexOf("system");
        final int bytes = header.indexOf("bytes");
        final int p50 = header.indexOf("p50_us");
        // chart key -> system -> size -> p50 of each round
        final Map<String, Map<String, TreeMap<Long, List<Double>>>> charts = new TreeMap<>();
        for (final String line : lines.subList(1, lines.size()))
        {
            final String[] cells = line.split(",");
            final String key = cells[cap] + "-h" + cells[hosts] + "x" + cells[perHost];
            charts.computeIfAbsent(key, k -> new TreeMap<>())
                .computeIfAbsent(cells[system], s -> new TreeMap<>())
                .computeIfAbsent(Long.parseLong(cells[bytes]), b -> new ArrayList<>())
                .add(Double.parseDouble(cells[p50]));
        }
        final List<Path> written = new ArrayList<>();
        for (final Map.Entry<String, Map<String, TreeMap<Long, List<Double>>>> chart : charts.entrySet())
        {
            final String key = chart.getKey();
            final String capName = key.substring(0, key.lastIndexOf("-h"));
            final String[] layout = key.substring(key.lastIndexOf("-h") + 2).split("x");
            final int h = Integer.parseInt(layout[0]);
            final int l = Integer.parseInt(layout[1]);
            final XYChart xy = new XYChartBuilder().width(900).height(560)
                .title(String.format(Locale.ROOT, "AllReduce float32 SUM, %d hosts x %d rank%s, MTU 1500, cap %s",
                    h, l, l > 1 ? "s" : "", capName))
                .xAxisTitle("bytes").yAxisTitle("p50 (us), median over rounds").build();
            xy.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(7);
            final TreeMap<Long, Boolean> allSizes = new TreeMap<>();
            for (final Map.Entry<String, TreeMap<Long, List<Double>>> series : chart.getValue().entrySet())
            {
                final List<Double> x = new ArrayList<>();
                final List<Double> y = new ArrayList<>();
                for (final Map.Entry<Long, List<Double>> point : series.getValue().entrySet())
                {
                    allSizes.put(point.getKey(), true);
                    x.add((double)point.getKey());
                    y.add(median(point.getValue()));
                }
                final XYSeries s = xy.addSeries(series.getKey(), x, y);
                s.setLineColor(COLOURS.getOrDefault(series.getKey(), Color.GRAY));
                s.setMarkerColor(COLOURS.getOrDefault(series.getKey(), Color.GRAY));
                s.setMarker(SeriesMarkers.CIRCLE);
            }
            final double rate = rateBits(capName);
            if (rate > 0 && h > 1 && !allSizes.isEmpty())
            {
                final int n = h * l;
                final List<Double> x = new ArrayList<>();
                final List<Double> y = new ArrayList<>();
                for (final long size : allSizes.keySet())
                {
                    x.add((double)size);
                    y.add(2.0 * (n - 1) / n * size * 8 / rate * 1e6);
                }
                final XYSeries wire = xy.addSeries("wire time at " + capName + " (flat ring)", x, y);
                wire.setLineColor(Color.BLACK);
                wire.setLineStyle(SeriesLines.DASH_DASH);
                wire.setMarker(SeriesMarkers.NONE);
            }
            final Path file = dir.resolve("p50-" + key + ".png");
            BitmapEncoder.saveBitmap(xy, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(file);
        }
        return written;
    }

    static double rateBits(final String cap)
    {
        final Matcher m = RATE.matcher(cap.toLowerCase(Locale.ROOT));
        if (!m.matches())
        {
            return 0;
        }
        final double scale = switch (m.group(2))
        {
            case "k" -> 1e3;
            case "m" -> 1e6;
            case "g" -> 1e9;
            default -> 1;
        };
        return Double.parseDouble(m.group(1)) * scale;
    }

    private static double median(final List<Double> values)
    {
        final double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
