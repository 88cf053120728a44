package io.ringsync.bench.charts;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.function.ToDoubleFunction;

/**
 * Charts and tables of a peer comparison, from its {@code combined.csv}: for each rank count (and element type),
 * latency against size (p50 solid, p99 dashed) and busbw against size, both log-log, one line per system and
 * transport, each point the median over rounds; plus {@code tables.md} with the ratio and median tables
 * ({@link SummaryTables}). Drawn with XChart, headless.
 * <p>
 * Usage: {@code java -cp bench/target/benchmarks.jar io.ringsync.bench.charts.ChartMain --in combined.csv
 * --out DIR [--format png|svg|both] [--title TEXT]}. Prints the files it wrote.
 */
public final class ChartMain
{
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 600;
    private static final Color[] RINGSYNC_COLOURS =
    {
        new Color(0x1F77B4), new Color(0x17BECF), new Color(0x9467BD), new Color(0x2CA02C), new Color(0x8C564B),
    };
    private static final Color OPENMPI_COLOUR = new Color(0xFF7F0E);
    private static final Color GLOO_COLOUR = new Color(0xD62728);
    private static final Color OTHER_COLOUR = new Color(0x7F7F7F);
    private static final BasicStroke DASHED =
        new BasicStroke(2.0f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10.0f, new float[] { 6.0f, 4.0f }, 0.0f);

    static
    {
        // drawing needs no display: set before the first AWT class loads, also when write() is called directly
        System.setProperty("java.awt.headless", "true");
    }

    private ChartMain()
    {
    }

    /**
     * @param args {@code --in FILE --out DIR [--format png|svg|both] [--title TEXT]}.
     */
    public static void main(final String[] args)
    {
        Path in = null;
        Path out = null;
        String format = "png";
        String title = "";
        try
        {
            for (int i = 0; i < args.length; i++)
            {
                final String name = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                final String value = args[++i];
                switch (name)
                {
                    case "--in":
                        in = Path.of(value);
                        break;
                    case "--out":
                        out = Path.of(value);
                        break;
                    case "--format":
                        format = value;
                        break;
                    case "--title":
                        title = value;
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (null == in || null == out)
            {
                throw new IllegalArgumentException("--in and --out are required");
            }
            if (!List.of("png", "svg", "both").contains(format))
            {
                throw new IllegalArgumentException("--format must be png, svg or both, got " + format);
            }
            for (final Path written : write(in, out, format, title))
            {
                System.out.println(written);
            }
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("charts: " + ex.getMessage());
            System.err.println("usage: ChartMain --in combined.csv --out DIR [--format png|svg|both] [--title TEXT]");
            System.exit(2);
        }
        catch (final IOException ex)
        {
            System.err.println("charts: " + ex);
            System.exit(1);
        }
    }

    /**
     * Reads a combined CSV and writes every chart and {@code tables.md} into a directory.
     *
     * @param in     the combined CSV.
     * @param outDir where the files go (created if missing).
     * @param format png, svg or both.
     * @param title  prefix of every chart title, may be empty.
     * @return the files written.
     * @throws IOException if reading or writing fails.
     */
    public static List<Path> write(final Path in, final Path outDir, final String format, final String title)
        throws IOException
    {
        final Comparison comparison = new Comparison(CombinedCsv.read(in));
        if (comparison.series().isEmpty())
        {
            throw new IllegalArgumentException(in + " has a header but no rows");
        }
        Files.createDirectories(outDir);
        final List<Path> written = new ArrayList<>();
        final Path tables = outDir.resolve("tables.md");
        Files.writeString(tables, SummaryTables.markdown(comparison), StandardCharsets.UTF_8);
        written.add(tables);
        final String prefix = title.isEmpty() ? "" : title + ": ";
        for (final Series group : comparison.groups())
        {
            final String suffix = "np" + group.np() + (comparison.groups().stream().anyMatch(
                g -> !g.type().equals(group.type())) ? "-" + group.type() : "");
            final String what = "AllReduce " + group.type() + " SUM, np = " + group.np();
            written.addAll(save(latencyChart(comparison, group, prefix + "latency, " + what), outDir, "latency-" + suffix, format));
            written.addAll(save(busbwChart(comparison, group, prefix + "bus bandwidth, " + what), outDir, "busbw-" + suffix, format));
        }
        return written;
    }

    /**
     * @param comparison the folded rounds.
     * @param group      np and type of the chart.
     * @param title      chart title.
     * @return p50 (solid) and p99 (dashed) against size, log-log.
     */
    static XYChart latencyChart(final Comparison comparison, final Series group, final String title)
    {
        final XYChart chart = chart(title, "latency (us; solid p50, dashed p99; median over rounds)");
        for (final Series series : comparison.seriesOf(group.np(), group.type()))
        {
            final Color colour = colourOf(comparison, series);
            add(chart, comparison, series, series.label() + " p50", Comparison.Point::p50Us, colour, false);
            add(chart, comparison, series, series.label() + " p99", Comparison.Point::p99Us, colour, true);
        }
        return chart;
    }

    /**
     * @param comparison the folded rounds.
     * @param group      np and type of the chart.
     * @param title      chart title.
     * @return busbw against size, log-log.
     */
    static XYChart busbwChart(final Comparison comparison, final Series group, final String title)
    {
        final XYChart chart = chart(title, "busbw (GB/s; median over rounds)");
        for (final Series series : comparison.seriesOf(group.np(), group.type()))
        {
            add(chart, comparison, series, series.label(), Comparison.Point::busbwGBps,
                colourOf(comparison, series), false);
        }
        return chart;
    }

    private static XYChart chart(final String title, final String yTitle)
    {
        final XYChart chart = new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle("vector size (bytes, log scale)")
            .yAxisTitle(yTitle)
            .build();
        final var styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setPlotBackgroundColor(Color.WHITE);
        styler.setPlotGridLinesColor(new Color(0xDDDDDD));
        styler.setXAxisLogarithmic(true);
        styler.setYAxisLogarithmic(true);
        styler.setXAxisLogarithmicDecadeOnly(true);
        styler.setYAxisLogarithmicDecadeOnly(true);
        // one entry per line at the right: a row below the plot runs out of width with 5 systems x p50/p99
        styler.setLegendPosition(Styler.LegendPosition.OutsideE);
        styler.setLegendLayout(Styler.LegendLayout.Vertical);
        // plain decimal tick labels (10,000 rather than 1E4); the log axes put them at decades
        styler.setXAxisDecimalPattern("#,##0");
        styler.setYAxisDecimalPattern("#,##0.###");
        styler.setAntiAlias(true);
        return chart;
    }

    private static void add(
        final XYChart chart,
        final Comparison comparison,
        final Series series,
        final String name,
        final ToDoubleFunction<Comparison.Point> value,
        final Color colour,
        final boolean dashed)
    {
        final NavigableMap<Long, Comparison.Point> points = comparison.points().get(series);
        final List<Double> x = new ArrayList<>();
        final List<Double> y = new ArrayList<>();
        for (final Comparison.Point point : points.values())
        {
            final double v = value.applyAsDouble(point);
            if (point.bytes() > 0 && v > 0)
            {
                // a log axis cannot show 0: a 0 figure (too small to print) is left out, not drawn as a cliff
                x.add((double)point.bytes());
                y.add(v);
            }
        }
        if (x.isEmpty())
        {
            return;
        }
        final XYSeries line = chart.addSeries(name, x, y);
        line.setLineColor(colour);
        line.setMarkerColor(colour);
        line.setMarker(dashed ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        line.setLineStyle(dashed ? DASHED : SeriesLines.SOLID);
    }

    private static Color colourOf(final Comparison comparison, final Series series)
    {
        switch (series.system())
        {
            case "ringsync":
                int index = 0;
                for (final Series other : comparison.seriesOf(series.np(), series.type()))
                {
                    if (other.equals(series))
                    {
                        break;
                    }
                    if (other.isRingsync())
                    {
                        index++;
                    }
                }
                return RINGSYNC_COLOURS[index % RINGSYNC_COLOURS.length];
            case "openmpi":
                return OPENMPI_COLOUR;
            case "gloo":
                return GLOO_COLOUR;
            default:
                return OTHER_COLOUR;
        }
    }

    private static List<Path> save(final XYChart chart, final Path dir, final String name, final String format)
        throws IOException
    {
        final List<Path> written = new ArrayList<>();
        if (!"svg".equals(format))
        {
            final Path png = dir.resolve(name + ".png");
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
            written.add(png);
        }
        if (!"png".equals(format))
        {
            final Path svg = dir.resolve(name + ".svg");
            VectorGraphicsEncoder.saveVectorGraphic(chart, svg.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            written.add(svg);
        }
        return written;
    }
}
