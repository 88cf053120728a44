package io.ringsync.cli;

import io.ringsync.collectives.metrics.CommunicatorStats;
import io.ringsync.collectives.metrics.MetricsFile;
import io.ringsync.collectives.metrics.MetricsLayout;
import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.collectives.status.StatusFileReader;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the ranks of the jobs on this host, for {@code ringsync stat}: each rank's counters file (with a
 * {@code CountersReader}) and status file, and, against the previous sample, its rates. A rank that died leaves
 * both files behind, so it is still shown (not alive).
 */
final class StatSampler
{
    /**
     * One rank at one moment.
     *
     * @param directory     its job directory.
     * @param stats         its counters and flight recorder.
     * @param status        its status file, or null when it has none (one rank, no job directory) or it is gone.
     * @param alive         whether its process runs.
     * @param callsPerSec   calls per second since the previous sample, -1 on the first.
     * @param bytesPerSec   vector bytes per second since the previous sample, -1 on the first.
     * @param sampledMs     when it was read, epoch ms.
     */
    record RankRow(
        File directory, CommunicatorStats stats, StatusFileReader.Status status, boolean alive, double callsPerSec,
        double bytesPerSec, long sampledMs)
    {
    }

    private final List<File> explicit;
    private final File root;
    private final Map<String, long[]> previous = new HashMap<>();

    /**
     * @param explicit job directories to read, or empty for every job under {@code root}.
     * @param root     where job directories are ({@code /dev/shm}).
     */
    StatSampler(final List<File> explicit, final File root)
    {
        this.explicit = explicit;
        this.root = root;
    }

    /**
     * @return the job directories to read now.
     */
    List<File> jobDirectories()
    {
        if (!explicit.isEmpty())
        {
            return explicit;
        }
        final File[] found = root.listFiles((dir, name) -> name.startsWith(JobDirectory.PREFIX) &&
            new File(dir, name).isDirectory() && hasCounters(new File(dir, name)));
        if (null == found)
        {
            return List.of();
        }
        Arrays.sort(found);
        return List.of(found);
    }

    private static boolean hasCounters(final File dir)
    {
        final String[] names = dir.list((d, name) -> name.startsWith(MetricsLayout.FILE_PREFIX));
        return null != names && names.length > 0;
    }

    /**
     * Read every rank of every job now.
     *
     * @return the rows, by job directory then rank.
     */
    List<RankRow> sample()
    {
        final List<RankRow> rows = new ArrayList<>();
        final long nowNs = System.nanoTime();
        final long nowMs = System.currentTimeMillis();
        for (final File dir : jobDirectories())
        {
            final File[] files = dir.listFiles((d, name) -> name.startsWith(MetricsLayout.FILE_PREFIX) &&
                name.endsWith(MetricsLayout.FILE_SUFFIX));
            if (null == files)
            {
                continue;
            }
            final List<RankRow> job = new ArrayList<>();
            for (final File file : files)
            {
                final CommunicatorStats stats;
                try
                {
                    final MetricsFile metrics = MetricsFile.open(file);
                    try
                    {
                        stats = metrics.snapshot();
                    }
                    finally
                    {
                        metrics.close();
                    }
                }
                catch (final RuntimeException ex)
                {
                    continue; // being made or removed
                }
                final StatusFileReader.Status status = StatusFileReader.read(
                    new File(dir, StatusDescriptor.fileName(stats.rank())));
                final boolean alive = ProcessHandle.of(stats.pid()).map(ProcessHandle::isAlive).orElse(false);
                final String key = file.getAbsolutePath() + "@" + stats.pid();
                final long[] before = previous.put(key, new long[]{ nowNs, stats.calls(), stats.vectorBytes() });
                double callsPerSec = -1;
                double bytesPerSec = -1;
                if (null != before && nowNs > before[0])
                {
                    final double seconds = (nowNs - before[0]) / 1e9;
                    callsPerSec = (stats.calls() - before[1]) / seconds;
                    bytesPerSec = (stats.vectorBytes() - before[2]) / seconds;
                }
                job.add(new RankRow(dir, stats, status, alive, callsPerSec, bytesPerSec, nowMs));
            }
            job.sort((a, b) -> Integer.compare(a.stats().rank(), b.stats().rank()));
            rows.addAll(job);
        }
        return rows;
    }
}
