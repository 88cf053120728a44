package io.ringsync.collectives;

import io.ringsync.collectives.status.StatusDescriptor;
import io.ringsync.transport.aeron.AeronFootprint;
import io.ringsync.transport.shm.ShmFootprint;
import org.junit.jupiter.api.Test;

import java.io.File;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        // an ipc job of 4 ranks needs more than the 32 MiB free: suggesting it would not be true
        assertTrue(AeronFootprint.ipcJobBytes(4, Configuration.TERM_LENGTH_DEFAULT) > 32 * MIB);
        assertFalse(message.contains("--transport ipc"), message);
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
    void anotherTransportIsSuggestedOnlyWhenItFits()
    {
        final Context shm = new Context().worldSize(2).shmSlotCount(64).shmSlotLength(1024 * 1024).conclude();
        final String message = ShmSpace.shortfall(shm, DIR, 0, 32 * MIB);
        assertTrue(message.contains("--transport ipc") && message.contains("which needs "), message);

        final Context ipc = new Context().worldSize(4).transport("ipc").shmSlotCount(8).directMinBytes(-1).conclude();
        final String ipcMessage = ShmSpace.shortfall(ipc, DIR, 0, 16 * MIB);
        assertTrue(ipcMessage.startsWith("a 4-rank ipc job"), ipcMessage);
        assertTrue(ipcMessage.contains(Configuration.TERM_LENGTH_ENV) && ipcMessage.contains("only 16.0 MiB is free"),
            ipcMessage);
        assertTrue(ipcMessage.contains("--transport shm"), ipcMessage);
        assertNull(ShmSpace.shortfall(new Context().worldSize(2).transport("ipc").conclude(), DIR, 0, 64 * MIB));
        // and not when it does not fit either
        assertFalse(ShmSpace.shortfall(new Context().worldSize(4).transport("ipc").conclude(), DIR, 0, 16 * MIB)
            .contains("--transport shm"));
    }

    @Test
    void aTwoRankUdpJobOnOneHostFitsTheSixtyFourMebibytesOfAContainer()
    {
        final Context udp = new Context().worldSize(2).transport("udp").conclude();
        assertNull(ShmSpace.shortfall(udp, DIR, 0, 64 * MIB, 2));
        final String message = ShmSpace.shortfall(udp, DIR, 0, 8 * MIB, 2);
        assertTrue(message.startsWith("2 ranks of a 2-rank udp job"), message);
    }

    @Test
    void aJobDirectoryWhoseParentDoesNotExistIsSaidToBeMissingNotFull()
    {
        final File missing = new File("/nonexistent-ringsync/job");
        final String message = ShmSpace.shortfall(job(2), missing, 0, 0);
        assertTrue(message.contains("does not exist") && message.contains(missing.getPath()), message);
        assertFalse(message.contains("--shm-size"), message);
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
