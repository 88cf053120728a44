package io.ringsync.collectives;

import io.ringsync.collectives.metrics.CollectiveEvent;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JFR event of each collective call: recorded in process with {@code jdk.jfr.Recording} while two ranks (threads)
 * make known calls, read back with {@code RecordingFile}, one event per call and rank with its fields.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CollectiveEventTest
{
    @Test
    void oneEventPerCallWithItsCollectivePathBytesAndWaitedOnRank() throws Exception
    {
        final Path file = Files.createTempFile("ringsync-jfr", ".jfr");
        try
        {
            try (Recording recording = new Recording())
            {
                recording.enable(CollectiveEvent.NAME).withThreshold(java.time.Duration.ZERO);
                recording.start();
                LocalCluster.runAll(2, (comm) ->
                {
                    final float[] small = new float[256];
                    final float[] big = new float[50_000];
                    comm.allReduce(small, ReduceOp.SUM);
                    comm.allReduce(big, ReduceOp.SUM);
                    comm.broadcast(small, 1);
                    return null;
                });
                recording.stop();
                recording.dump(file);
            }
            final List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals(CollectiveEvent.NAME))
                .sorted(Comparator.comparingInt((RecordedEvent e) -> e.getInt("rank"))
                    .thenComparingLong(e -> e.getLong("sequence")))
                .collect(Collectors.toList());
            // the close barrier of each rank's communicator comes after its three calls
            final List<RecordedEvent> calls = events.stream().filter(e -> !"close".equals(e.getString("collective")))
                .filter(e -> !"barrier".equals(e.getString("collective"))).collect(Collectors.toList());
            assertEquals(6, calls.size(), "three calls on each of two ranks: " + events);
            for (int rank = 0; rank < 2; rank++)
            {
                final List<RecordedEvent> own = calls.subList(3 * rank, 3 * rank + 3);
                check(own.get(0), rank, 1, "allReduce", "small", 1024);
                check(own.get(1), rank, 2, "allReduce", "ring", 200_000);
                check(own.get(2), rank, 3, "broadcast", "chain-broadcast", 1024);
                assertEquals(1 - rank, own.get(0).getInt("waitedOnRank"));
            }
        }
        finally
        {
            Files.deleteIfExists(file);
        }
    }

    private static void check(
        final RecordedEvent event, final int rank, final long sequence, final String collective, final String path,
        final long bytes)
    {
        assertEquals(rank, event.getInt("rank"));
        assertEquals(sequence, event.getLong("sequence"));
        assertEquals(collective, event.getString("collective"));
        assertEquals(path, event.getString("path"));
        assertEquals(bytes, event.getLong("bytes"));
        assertFalse(event.getBoolean("failed"));
        assertTrue(event.getDuration().toNanos() > 0, "duration " + event.getDuration());
    }
}
