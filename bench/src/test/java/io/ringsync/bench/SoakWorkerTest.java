package io.ringsync.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What {@link SoakWorker} calls a leak, from the samples of the second and the last window (resident set KiB,
 * open file descriptors, live threads).
 */
class SoakWorkerTest
{
    @Test
    void growthOfFileDescriptorsThreadsOrMemoryBeyondTheSlackIsNamed()
    {
        assertNull(SoakWorker.leak("small", new long[]{ 100_000, 40, 12 }, new long[]{ 100_000, 40, 12 }));
        assertNull(SoakWorker.leak("small", new long[]{ 100_000, 40, 12 }, new long[]{ 90_000, 39, 11 }),
            "shrinking is no leak");
        assertNull(SoakWorker.leak("small", new long[]{ 100_000, 40, 12 },
            new long[]{ 100_000 + SoakWorker.RSS_SLACK_KIB, 40, 12 }), "within the slack");
        assertNull(SoakWorker.leak("large", new long[]{ 100_000, 40, 12 }, new long[]{ 100_000, 42, 12 }),
            "a file or two opened late (a jar) is within the slack");
        assertEquals("large phase: open file descriptors grew from 40 to 43",
            SoakWorker.leak("large", new long[]{ 100_000, 40, 12 }, new long[]{ 100_000, 43, 12 }));
        assertEquals("large phase: live threads grew from 12 to 13",
            SoakWorker.leak("large", new long[]{ 100_000, 40, 12 }, new long[]{ 100_000, 40, 13 }));
        assertEquals("small phase: the resident set grew from 100000 KiB to 140000 KiB",
            SoakWorker.leak("small", new long[]{ 100_000, 40, 12 }, new long[]{ 140_000, 40, 12 }));
    }
}
