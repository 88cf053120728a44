package io.ringsync.transport;

import io.ringsync.transport.aeron.AeronFootprint;
import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.shm.ShmWindow;
import org.agrona.IoUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finding 5 of issue 14: a full file system is a message with the figures, never a raw {@link InternalError}, and
 * leaves no partial file; Aeron drivers are sized so a two-rank job fits the 64 MiB of /dev/shm of a container.
 * The full file system is a real 8 MiB tmpfs, which only root can mount: without root those tests are skipped.
 */
@Timeout(60)
class FileSpaceTest
{
    private static final long MIB = 1024 * 1024;

    @Test
    void aTwoRankIpcOrUdpJobFitsTheSixtyFourMebibytesOfAContainer()
    {
        final int term = 1024 * 1024;
        assertTrue(AeronFootprint.ipcJobBytes(2, term) < 32 * MIB, "ipc: " + AeronFootprint.ipcJobBytes(2, term));
        assertTrue(2 * AeronFootprint.udpRankBytes(2, term) < 48 * MIB,
            "udp: " + 2 * AeronFootprint.udpRankBytes(2, term));
        // Aeron's defaults gave a 46 MiB cnc.dat per driver
        assertTrue(AeronFootprint.driverBytes(2) < 16 * MIB, "driver: " + AeronFootprint.driverBytes(2));
        assertTrue(AeronFootprint.counterValuesLength(64 * 63) > AeronFootprint.counterValuesLength(2));
    }

    @Test
    void aMissingDirectoryIsReportedAsMissingNotAsFull()
    {
        final File dir = new File("/nonexistent-ringsync-" + ProcessHandle.current().pid() + "/job");
        final String message = FileSpace.shortfall(dir, MIB, "a test job");
        assertTrue(message.contains("neither it nor its parent") && message.contains(dir.getPath()), message);
        assertFalse(message.contains("free"), message);
    }

    @Test
    void aFaultWhileTouchingPagesIsReportedWithTheFigures()
    {
        final IllegalStateException ex = FileSpace.failure("rank 1 cannot create its shm window",
            new File("/dev/shm/x/window-1.shm"), 3 * MIB, new InternalError("a fault occurred in an unsafe memory " +
            "access"));
        assertTrue(ex.getMessage().contains("ran out of space") && ex.getMessage().contains("3.0 MiB") &&
            ex.getMessage().contains("window-1.shm"), ex.getMessage());
    }

    @Test
    void aFullTmpfsRefusesWindowsAndDriversWithTheFiguresAndLeavesNoFiles() throws Exception
    {
        final Path mount = mountSmallTmpfs();
        try
        {
            final File dir = PrivateDirectory.ensure(mount.resolve("job").toFile());
            final IllegalStateException window = assertThrows(IllegalStateException.class, () -> ShmWindow.create(
                new File(dir, ShmWindow.windowFileName(0)), 1, 7, 0, 0, 8, 16 * MIB));
            assertTrue(window.getMessage().contains("needs 16.0 MiB") && window.getMessage().contains(
                "only ") && window.getMessage().contains(mount.toString()), window.getMessage());
            assertArrayEquals(new String[0], dir.list(), "no partial or .tmp file may stay");

            final File aeronDir = new File(dir, "aeron");
            final IllegalStateException driver = assertThrows(IllegalStateException.class,
                () -> MediaDriverHost.launch(aeronDir, AeronMedia.IPC, MediaDriverHost.IPC_TERM_LENGTH_DEFAULT));
            assertTrue(driver.getMessage().contains("a media driver") && driver.getMessage().contains("needs ") &&
                driver.getMessage().contains(" is free"), driver.getMessage());
            assertFalse(aeronDir.exists());

            // what fits is still made
            final ShmWindow small = ShmWindow.create(new File(dir, ShmWindow.windowFileName(0)), 1, 7, 0, 0, 8, MIB);
            small.close();
            assertNull(FileSpace.shortfall(dir, MIB, "a small job"));
        }
        finally
        {
            unmount(mount);
        }
    }

    /**
     * @return an 8 MiB tmpfs mounted on a fresh directory; the test is skipped without root.
     */
    static Path mountSmallTmpfs() throws Exception
    {
        assumeTrue(0 == PrivateDirectory.currentUid(), "skipped: mounting a small tmpfs needs root");
        final Path mount = Files.createTempDirectory("ringsync-small-tmpfs-");
        final Process process = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m,mode=700", "tmpfs",
            mount.toString()).redirectErrorStream(true).start();
        final boolean exited = process.waitFor(10, TimeUnit.SECONDS);
        final String output = new String(process.getInputStream().readAllBytes());
        if (!exited || 0 != process.exitValue())
        {
            process.destroyForcibly();
            Files.deleteIfExists(mount);
            assumeTrue(false, "skipped: cannot mount a tmpfs here (" + output.trim() + ")");
        }
        return mount;
    }

    static void unmount(final Path mount) throws Exception
    {
        final Process process = new ProcessBuilder("umount", "-l", mount.toString()).redirectErrorStream(true)
            .start();
        process.waitFor(10, TimeUnit.SECONDS);
        IoUtil.delete(mount.toFile(), true);
    }
}
