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
        final long[] steady = { 100_000, 40, 12 };
        assertNull(SoakWorker.leak("small", windows(steady, steady)));
        assertNull(SoakWorker.leak("small", windows(steady, new long[]{ 90_000, 39, 11 })), "shrinking is no leak");
        assertNull(SoakWorker.leak("small", windows(steady, new long[]{ 100_000 + SoakWorker.RSS_SLACK_KIB, 40, 12 })),
            "within the slack");
        assertNull(SoakWorker.leak("large", windows(steady, new long[]{ 100_000, 42, 12 })),
            "a file or two opened late (a jar) is within the slack");
        assertEquals("large phase: open file descriptors grew from 40 to 43",
            SoakWorker.leak("large", windows(steady, new long[]{ 100_000, 43, 12 })));
        assertEquals("large phase: live threads grew from 12 to 13",
            SoakWorker.leak("large", windows(steady, new long[]{ 100_000, 40, 13 })));
        assertEquals("small phase: the resident set grew from 100000 KiB (window 2) to 140000 KiB (window 4); KiB " +
            "by window: 100000 100000 100000 100000 140000",
            SoakWorker.leak("small", windows(steady, new long[]{ 140_000, 40, 12 })));
    }

    @Test
    void theResidentSetIsJudgedFromTheMiddleWindowOnly()
    {
        // the JIT's growth early in the phase is not a leak; steady growth in the second half is
        final long[][] early = { { 100_000, 40, 12 }, { 110_000, 40, 12 }, { 160_000, 40, 12 }, { 161_000, 40, 12 },
            { 162_000, 40, 12 } };
        assertNull(SoakWorker.leak("small", early));
        final long[][] steady = { { 100_000, 40, 12 }, { 120_000, 40, 12 }, { 140_000, 40, 12 }, { 160_000, 40, 12 },
            { 180_000, 40, 12 } };
        assertEquals("small phase: the resident set grew from 140000 KiB (window 2) to 180000 KiB (window 4); KiB " +
            "by window: 100000 120000 140000 160000 180000", SoakWorker.leak("small", steady));
    }

    /**
     * Five windows: the first four as {@code first}, the last as {@code last}.
     */
    private static long[][] windows(final long[] first, final long[] last)
    {
        return new long[][]{ first, first, first, first, last };
    }
}
