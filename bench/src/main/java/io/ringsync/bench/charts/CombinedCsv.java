package io.ringsync.bench.charts;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a combined comparison CSV ({@code bench/peers/compare.sh} writes it): a header, then one row per size,
 * system and round. Columns are found by name, so their order does not matter and columns a newer bench
 * appends are ignored; {@code round} (default 1) and {@code system} (default: from the transport) are
 * optional, which also reads the older files and a single {@code ringsync bench} CSV. Blank lines and lines
 * starting with {@code #} are skipped. A missing column or a value that does not parse is an
 * {@link IllegalArgumentException} naming the source and line, never a silently dropped row.
 */
public final class CombinedCsv
{
    /**
     * The columns every bench prints, in the contract's order.
     */
    public static final String CONTRACT_HEADER =
        "bytes,type,np,transport,algorithm,iters,p50_us,p99_us,mean_us,algbw_GBps,busbw_GBps";

    private static final String[] REQUIRED = CONTRACT_HEADER.split(",");

    private CombinedCsv()
    {
    }

    /**
     * @param file a combined CSV.
     * @return its rows in file order.
     * @throws IOException if it cannot be read.
     */
    public static List<ResultRow> read(final Path file) throws IOException
    {
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8))
        {
            return parse(reader, file.toString());
        }
    }

    /**
     * @param input  the CSV text.
     * @param source name of the input for error messages.
     * @return its rows in input order.
     * @throws IOException if reading fails.
     */
    public static List<ResultRow> parse(final Reader input, final String source) throws IOException
    {
        final BufferedReader reader = input instanceof BufferedReader ? (BufferedReader)input : new BufferedReader(input);
        final List<ResultRow> rows = new ArrayList<>();
        Map<String, Integer> columns = null;
        int lineNumber = 0;
        String line;
        while (null != (line = reader.readLine()))
        {
            lineNumber++;
            final String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#"))
            {
                continue;
            }
            final String[] cells = trimmed.split(",", -1);
            if (null == columns)
            {
                columns = header(cells, source, lineNumber);
                continue;
            }
            if (cells.length < columns.size())
            {
                throw new IllegalArgumentException(source + ":" + lineNumber + ": " + cells.length +
                    " cells, the header has " + columns.size() + ": " + trimmed);
            }
            rows.add(row(cells, columns, source, lineNumber));
        }
        if (null == columns)
        {
            throw new IllegalArgumentException(source + ": no header line (expected at least " + CONTRACT_HEADER + ")");
        }
        return rows;
    }

    private static Map<String, Integer> header(final String[] cells, final String source, final int lineNumber)
    {
        final Map<String, Integer> columns = new HashMap<>();
        for (int i = 0; i < cells.length; i++)
        {
            final String name = cells[i].strip();
            if (null != columns.putIfAbsent(name, i))
            {
                throw new IllegalArgumentException(source + ":" + lineNumber + ": column '" + name + "' appears twice");
            }
        }
        final List<String> missing = new ArrayList<>();
        for (final String name : REQUIRED)
        {
            if (!columns.containsKey(name))
            {
                missing.add(name);
            }
        }
        if (!missing.isEmpty())
        {
            throw new IllegalArgumentException(source + ":" + lineNumber + ": the header lacks " + missing +
                " (expected at least " + CONTRACT_HEADER + ")");
        }
        return columns;
    }

    private static ResultRow row(
        final String[] cells, final Map<String, Integer> columns, final String source, final int lineNumber)
    {
        final String transport = text(cells, columns, "transport", source, lineNumber);
        final Integer systemColumn = columns.get("system");
        final String system = null == systemColumn ? ResultRow.systemOf(transport) : cells[systemColumn].strip();
        final Integer roundColumn = columns.get("round");
        final int round = null == roundColumn ? 1 : (int)integer(cells, columns, "round", source, lineNumber);
        final long bytes = integer(cells, columns, "bytes", source, lineNumber);
        final int np = (int)integer(cells, columns, "np", source, lineNumber);
        if (bytes < 0 || np < 1 || round < 0 || system.isEmpty())
        {
            throw new IllegalArgumentException(source + ":" + lineNumber + ": bytes " + bytes + ", np " + np +
                ", round " + round + ", system '" + system + "': expected bytes >= 0, np >= 1, round >= 0 and a system");
        }
        return new ResultRow(
            round,
            system,
            bytes,
            text(cells, columns, "type", source, lineNumber),
            np,
            transport,
            text(cells, columns, "algorithm", source, lineNumber),
            integer(cells, columns, "iters", source, lineNumber),
            decimal(cells, columns, "p50_us", source, lineNumber),
            decimal(cells, columns, "p99_us", source, lineNumber),
            decimal(cells, columns, "mean_us", source, lineNumber),
            decimal(cells, columns, "algbw_GBps", source, lineNumber),
            decimal(cells, columns, "busbw_GBps", source, lineNumber));
    }

    private static String text(
        final String[] cells, final Map<String, Integer> columns, final String name, final String source, final int line)
    {
        final String value = cells[columns.get(name)].strip();
        if (value.isEmpty())
        {
            throw new IllegalArgumentException(source + ":" + line + ": column '" + name + "' is empty");
        }
        return value;
    }

    private static long integer(
        final String[] cells, final Map<String, Integer> columns, final String name, final String source, final int line)
    {
        final String value = text(cells, columns, name, source, line);
        try
        {
            return Long.parseLong(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(source + ":" + line + ": column '" + name + "' is '" + value +
                "', not a whole number", ex);
        }
    }

    private static double decimal(
        final String[] cells, final Map<String, Integer> columns, final String name, final String source, final int line)
    {
        final String value = text(cells, columns, name, source, line);
        final double parsed;
        try
        {
            parsed = Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException(source + ":" + line + ": column '" + name + "' is '" + value +
                "', not a number", ex);
        }
        if (!Double.isFinite(parsed) || parsed < 0)
        {
            throw new IllegalArgumentException(source + ":" + line + ": column '" + name + "' is " + value +
                ", expected a finite value >= 0");
        }
        return parsed;
    }
}
