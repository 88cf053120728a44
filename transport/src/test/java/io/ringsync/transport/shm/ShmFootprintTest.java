package io.ringsync.transport.shm;

import org.junit.jupiter.api.Test;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The /dev/shm footprint of a job is fixed by its settings, a 4-rank job with the defaults fits the 64 MiB a
 * container gets, and a job that does not fit is refused with the figures and what to do.
 */
class ShmFootprintTest
{
    private static final long MIB = 1L << 20;
    private static final File DIR = new File("/dev/shm/ringsync-0000000000000001");

    @Test
    void countsEveryFileOfTheJobInWholePages()
    {
        final long link = ShmLinkDescriptor.fileLength(16, 4096 + 128);
        final long linkPages = (link + 4095) / 4096 * 4096;
        final long window = ShmWindow.fileLength((int)(MIB / ShmWindows.MIN_CHUNK_BYTES) + 6, MIB);
        assertEquals(0, window % 4096);
        assertEquals(3 * 2 * linkPages + 3 * (4096 + window), ShmFootprint.jobBytes(3, 16, 4096 + 128, MIB));
    }

    @Test
    void aFourRankJobWithTheDefaultsFitsSixtyFourMebibytes()
    {
        final int slots = ShmTransport.defaultSlotCount(4, ShmTransport.SLOT_LENGTH_DEFAULT);
        assertEquals(ShmTransport.SLOT_COUNT_DEFAULT, slots);
        final long bytes = ShmFootprint.jobBytes(4, slots, ShmTransport.SLOT_LENGTH_DEFAULT,
            ShmFootprint.WINDOW_BYTES_DEFAULT);
        assertTrue(bytes <= 64 * MIB, bytes + " bytes for 4 ranks of " + slots + " slots");
        assertNull(ShmFootprint.shortfall(DIR, 4, slots, ShmTransport.SLOT_LENGTH_DEFAULT,
            ShmFootprint.WINDOW_BYTES_DEFAULT, 0, 64 * MIB));
    }

    @Test
    void largeJobsGetFewerSlotsByDefaultSoTheirLinksStayWithinTheBudget()
    {
        final int slotLength = ShmTransport.SLOT_LENGTH_DEFAULT;
        assertEquals(ShmTransport.SLOT_COUNT_DEFAULT, ShmTransport.defaultSlotCount(6, slotLength));
        for (final int n : new int[]{ 7, 8, 10 })
        {
            final int slots = ShmTransport.defaultSlotCount(n, slotLength);
            assertTrue(slots < ShmTransport.SLOT_COUNT_DEFAULT && slots >= ShmTransport.SLOT_COUNT_DEFAULT_MIN, "n=" + n);
            assertTrue((long)n * (n - 1) * ShmLinkDescriptor.fileLength(slots, slotLength) <=
                ShmTransport.LINKS_BUDGET_DEFAULT, "n=" + n);
        }
        assertEquals(ShmTransport.SLOT_COUNT_DEFAULT_MIN, ShmTransport.defaultSlotCount(64, slotLength));
    }

    @Test
    void aJobThatDoesNotFitIsRefusedWithTheFiguresAndWhatToDo()
    {
        final String message = ShmFootprint.shortfall(DIR, 4, 64, 64 * 1024 + 128, 4 * MIB, 0, 32 * MIB);
        assertNotNull(message);
        assertTrue(message.startsWith("a 4-rank shm job needs "), message);
        assertTrue(message.contains("12 links of 64 slots x 65664 bytes"), message);
        assertTrue(message.contains("only 32.0 MiB is free"), message);
        assertTrue(message.contains("--shm-size="), message);
        assertTrue(message.contains("RINGSYNC_SHM_SLOT_COUNT"), message);
        assertTrue(message.contains("--transport ipc"), message);
    }

    @Test
    void filesTheJobAlreadyHasAreNotCountedTwiceAndUnknownFreeSpaceChecksNothing()
    {
        final long needed = ShmFootprint.jobBytes(2, 16, 4096, MIB);
        assertNotNull(ShmFootprint.shortfall(DIR, 2, 16, 4096, MIB, 0, needed - 1));
        assertNull(ShmFootprint.shortfall(DIR, 2, 16, 4096, MIB, 4096, needed - 1));
        assertNull(ShmFootprint.shortfall(DIR, 2, 16, 4096, MIB, 0, -1));
    }

    @Test
    void usableBytesLooksAtTheNearestExistingParent()
    {
        final long usable = ShmFootprint.usableBytes(new File(System.getProperty("java.io.tmpdir"),
            "ringsync-not-there/deeper"));
        assertTrue(usable > 0, "usable " + usable);
    }
}
