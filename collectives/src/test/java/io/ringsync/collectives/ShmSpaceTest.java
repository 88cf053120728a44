package io.ringsync.collectives;

import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.shm.ShmFootprint;
import org.junit.jupiter.api.Test;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pre-flight check of a shm job: the transport's files plus a status page per rank, against the free space,
 * and a refusal that gives the figures and the settings to change.
 */
class ShmSpaceTest
{
    private static final long MIB = 1L << 20;
    private static final File DIR = new File("/dev/shm/ringsync-0000000000000001");

    private static Context job(final int worldSize)
    {
        return new Context().worldSize(worldSize).conclude();
    }

    @Test
    void aJobIsTheTransportsFilesPlusAStatusPagePerRank()
    {
        assertEquals(ShmFootprint.jobBytes(3, 16, 4096, MIB) + 3 * StatusDescriptor.FILE_LENGTH,
            ShmSpace.jobBytes(3, 16, 4096, MIB));
    }

    @Test
    void aFourRankJobWithTheDefaultsFitsSixtyFourMebibytes()
    {
        assertNull(ShmSpace.shortfall(job(4), DIR, 0, 64 * MIB));
    }

    @Test
    void aJobThatDoesNotFitIsRefusedWithTheFiguresAndWhatToDo()
    {
        final Context ctx = new Context().worldSize(4).shmSlotCount(64).shmSlotLength(64 * 1024 + 128)
            .shmWindowBytes(4 * MIB).conclude();
        final String message = ShmSpace.shortfall(ctx, DIR, 0, 32 * MIB);
        assertNotNull(message);
        assertTrue(message.startsWith("a 4-rank shm job needs "), message);
        assertTrue(message.contains("12 links of 64 slots x 65664 bytes"), message);
        assertTrue(message.contains("only 32.0 MiB is free"), message);
        assertTrue(message.contains("--shm-size="), message);
        assertTrue(message.contains("RINGSYNC_SHM_SLOT_COUNT"), message);
        assertTrue(message.contains("--transport ipc"), message);
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> ShmSpace.check(ctx, DIR, 32 * MIB));
        assertEquals(message, ex.getMessage());
    }

    @Test
    void filesTheJobAlreadyHasAreNotCountedTwiceAndUnknownFreeSpaceChecksNothing()
    {
        final Context ctx = new Context().worldSize(2).shmSlotCount(16).shmSlotLength(4096).shmWindowBytes(MIB)
            .conclude();
        final long needed = ShmSpace.jobBytes(2, 16, 4096, MIB);
        assertNotNull(ShmSpace.shortfall(ctx, DIR, 0, needed - 1));
        assertNull(ShmSpace.shortfall(ctx, DIR, 4096, needed - 1));
        assertNull(ShmSpace.shortfall(ctx, DIR, 0, -1));
    }

    @Test
    void withoutTheDirectModeNoWindowIsCounted()
    {
        final Context ctx = new Context().worldSize(2).shmSlotCount(16).shmSlotLength(4096).directMinBytes(-1)
            .conclude();
        final long needed = ShmSpace.jobBytes(2, 16, 4096, 0);
        assertNull(ShmSpace.shortfall(ctx, DIR, 0, needed));
        assertNotNull(ShmSpace.shortfall(ctx, DIR, 0, needed - 1));
    }
}
