package io.ringsync.collectives.metrics;

import java.io.File;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The flight recorders of a job's ranks on this host merged into one timeline, ordered by start (System.nanoTime,
 * which all processes of a host share), with a last line per rank that says where each one stopped: where the
 * ranks diverged. What {@code ringsync stat --history} prints and the launcher prints when a rank fails. Each file is
 * read at its own moment, so in a job that still runs the ranks' last calls may differ by a call or two; after a
 * failure they stand still.
 */
public final class FlightTimeline
{
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS")
        .withZone(ZoneOffset.UTC);

    private FlightTimeline()
    {
    }

    /**
     * @param directory a job directory.
     * @return the ranks' flight recorders found in it (counters files that can be read), by rank.
     */
    public static Map<Integer, List<CallRecord>> read(final File directory)
    {
        final Map<Integer, List<CallRecord>> byRank = new TreeMap<>();
        final File[] files = directory.listFiles((d, name) -> name.startsWith(MetricsLayout.FILE_PREFIX) &&
            name.endsWith(MetricsLayout.FILE_SUFFIX));
        if (null != files)
        {
            for (final File file : files)
            {
                try
                {
                    final MetricsFile metrics = MetricsFile.open(file);
                    try
                    {
                        byRank.put(metrics.rank(), metrics.history());
                    }
                    finally
                    {
                        metrics.close();
                    }
                }
                catch (final RuntimeException ignore)
                {
                    // gone, or being created: not part of the timeline
                }
            }
        }
        return byRank;
    }

    /**
     * Render the last {@code lastPerRank} calls of every rank as one timeline.
     *
     * @param byRank      each rank's calls, oldest first.
     * @param lastPerRank calls of each rank to show.
     * @return the lines, with a header and a summary; empty when there are no calls.
     */
    public static List<String> render(final Map<Integer, List<CallRecord>> byRank, final int lastPerRank)
    {
        final List<CallRecord> merged = new ArrayList<>();
        for (final List<CallRecord> records : byRank.values())
        {
            merged.addAll(records.subList(Math.max(0, records.size() - lastPerRank), records.size()));
        }
        final List<String> lines = new ArrayList<>();
        if (merged.isEmpty())
        {
            return lines;
        }
        merged.sort(Comparator.comparingLong(CallRecord::startNanos).thenComparingInt(CallRecord::rank));
        final long origin = merged.get(0).startNanos();
        lines.add(String.format("%-15s %9s %4s %7s %-15s %-15s %11s %11s %-16s %s", "start (UTC)", "+ms", "rank",
            "call", "collective", "path", "bytes", "duration us", "waited on", "outcome"));
        for (final CallRecord record : merged)
        {
            lines.add(String.format("%-15s %9.3f %4d %7s %-15s %-15s %11d %11s %-16s %s",
                TIME.format(Instant.EPOCH.plusNanos(record.startEpochUs() * 1000)),
                (record.startNanos() - origin) / 1e6, record.rank(), "#" + record.sequence(), record.collective(),
                record.path(), record.bytes(), record.durationNs() < 0 ? "-" :
                    String.format("%.1f", record.durationNs() / 1e3),
                record.waitedOn() < 0 ? "-" : record.waitedNs() < 0 ? "rank " + record.waitedOn() :
                    String.format("rank %d %.1f us", record.waitedOn(), record.waitedNs() / 1e3), record.outcome()));
        }
        long highest = 0;
        for (final List<CallRecord> records : byRank.values())
        {
            if (!records.isEmpty())
            {
                highest = Math.max(highest, records.get(records.size() - 1).sequence());
            }
        }
        for (final Map.Entry<Integer, List<CallRecord>> entry : byRank.entrySet())
        {
            final List<CallRecord> records = entry.getValue();
            if (records.isEmpty())
            {
                lines.add("rank " + entry.getKey() + ": no call recorded");
                continue;
            }
            final CallRecord last = records.get(records.size() - 1);
            lines.add("rank " + entry.getKey() + ": last call #" + last.sequence() + " " + last.collective() + " " +
                last.outcome() + (last.sequence() < highest ? " (others reached #" + highest + ")" : ""));
        }
        return lines;
    }
}
