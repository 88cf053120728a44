package io.ringsync.collectives;

import io.ringsync.collectives.metrics.MetricsFile;
import io.ringsync.collectives.metrics.MetricsLayout;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * What a job left in its directory that it should not have: everything but the counters files of communicators
 * whose calls failed, which stay on purpose as their flight record.
 */
final class LeftFiles
{
    private LeftFiles()
    {
    }

    static List<String> unexpected(final File dir)
    {
        final List<String> left = new ArrayList<>();
        final String[] names = dir.list();
        if (null != names)
        {
            for (final String name : names)
            {
                if (!(name.startsWith(MetricsLayout.FILE_PREFIX) && holdsAFailedCall(new File(dir, name))))
                {
                    left.add(name);
                }
            }
        }
        return left;
    }

    private static boolean holdsAFailedCall(final File file)
    {
        try
        {
            final MetricsFile metrics = MetricsFile.open(file);
            try
            {
                return metrics.history().stream().anyMatch(call -> "failed".equals(call.outcome()));
            }
            finally
            {
                metrics.close();
            }
        }
        catch (final RuntimeException ex)
        {
            return false;
        }
    }
}
