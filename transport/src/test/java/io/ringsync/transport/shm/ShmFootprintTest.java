package io.ringsync.transport.shm;

import org.junit.jupiter.api.Test;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The /dev/shm footprint of the transport's files is fixed by the settings, and a 4-rank job with the defaults fits
 * the 64 MiB a container gets (the refusal with advice is the collectives' ShmSpaceTest).
 */
class ShmFootprintTest
{
    private static final long MIB = 1L << 20;

    @Test
    void countsEveryFileOfTheJobInWholePages()
    {
        final long link = ShmLinkDescriptor.fileLength(16, 4096 + 128);
        final long linkPages = (link + 4095) / 4096 * 4096;
        final long window = ShmWindow.fileLength((int)(MIB / ShmWindows.MIN_CHUNK_BYTES) + 6, MIB);
        assertEquals(0, window % 4096);
        assertEquals(linkPages, ShmFootprint.linkFileBytes(16, 4096 + 128));
        assertEquals(3 * 2 * linkPages + 3 * window, ShmFootprint.jobBytes(3, 16, 4096 + 128, MIB));
    }

    @Test
    void aFourRankJobWithTheDefaultsFitsSixtyFourMebibytes()
    {
        final int slots = ShmTransport.defaultSlotCount(4, ShmTransport.SLOT_LENGTH_DEFAULT);
        assertEquals(ShmTransport.SLOT_COUNT_DEFAULT, slots);
        final long bytes = ShmFootprint.jobBytes(4, slots, ShmTransport.SLOT_LENGTH_DEFAULT,
            ShmTransport.WINDOW_LENGTH_DEFAULT);
        // with room to spare for the layer above's status pages
        assertTrue(bytes <= 63 * MIB, bytes + " bytes for 4 ranks of " + slots + " slots");
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
    void filesAlreadyThereAreCountedInWholePages()
    {
        final File dir = new File(System.getProperty("java.io.tmpdir"), "ringsync-footprint-" + ProcessHandle.current().pid());
        try
        {
            assertTrue(dir.mkdirs());
            java.nio.file.Files.write(new File(dir, "a").toPath(), new byte[10]);
            java.nio.file.Files.write(new File(dir, "b").toPath(), new byte[4097]);
            assertEquals(3 * 4096, ShmFootprint.existingBytes(dir));
            assertEquals(0, ShmFootprint.existingBytes(new File(dir, "missing")));
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError(ex);
        }
        finally
        {
            new File(dir, "a").delete();
            new File(dir, "b").delete();
            dir.delete();
        }
    }

    @Test
    void usableBytesLooksAtTheNearestExistingParent()
    {
        final long usable = ShmFootprint.usableBytes(new File(System.getProperty("java.io.tmpdir"),
            "ringsync-not-there/deeper"));
        assertTrue(usable > 0, "usable " + usable);
    }
}
