package io.ringsync.transport.aeron;

import io.aeron.Aeron;
import io.aeron.CncFileDescriptor;
import io.aeron.driver.ThreadingMode;
import org.agrona.CloseHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MediaDriverHostTest
{
    private File testDir;
    private MediaDriverHost driver;

    @BeforeEach
    void setUp()
    {
        testDir = AeronTestSupport.newTestDirectory("driver");
    }

    @AfterEach
    void tearDown()
    {
        CloseHelper.quietClose(driver);
        AeronTestSupport.deleteDirectory(testDir);
    }

    @Test
    void launchesInItsDirectoryAndDeletesItOnClose()
    {
        final File dir = new File(testDir, "aeron");
        driver = MediaDriverHost.launch(dir, AeronMedia.IPC, 1024 * 1024);
        assertEquals(dir.getAbsolutePath(), driver.aeronDirectoryName());
        assertTrue(new File(dir, CncFileDescriptor.CNC_FILE).isFile());
        assertNull(driver.lastError());

        driver.close();
        assertFalse(dir.exists());
        driver.close();
    }

    @Test
    void invokerDriverRunsOnCallersAndItsKeeperUntilClosed() throws InterruptedException
    {
        final File dir = new File(testDir, "aeron");
        driver = MediaDriverHost.launch(new MediaDriverHost.Context()
            .aeronDirectory(dir).media(AeronMedia.UDP).threadingMode(ThreadingMode.INVOKER));
        assertTrue(keeperThreads() > 0, "no keeper thread runs the driver while nobody calls doWork");

        // the keeper alone keeps the driver alive: a client connects without anyone calling doWork
        try (Aeron client = Aeron.connect(new Aeron.Context().aeronDirectoryName(driver.aeronDirectoryName())))
        {
            assertTrue(client.clientId() >= 0);
        }

        // the conductor has timers and heartbeats to do: a caller gets work within a few attempts
        int work = 0;
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (work == 0 && System.nanoTime() < deadlineNs)
        {
            work = driver.doWork();
            Thread.sleep(1);
        }
        assertTrue(work > 0, "doWork never ran a duty cycle that did something");

        driver.close();
        assertEquals(0, driver.doWork());
        assertEquals(0, keeperThreads(), "the keeper thread outlived close()");
        assertFalse(dir.exists());
    }

    @Test
    void aUdpDriverSendsStatusMessagesAndRetransmitsOnRingsyncsLossTimings()
    {
        final long[] seen = new long[2];
        driver = MediaDriverHost.launch(new MediaDriverHost.Context()
            .aeronDirectory(new File(testDir, "aeron")).media(AeronMedia.UDP)
            .driverContextCustomizer(driverCtx ->
            {
                // the customizer runs last: it sees what ringsync set
                seen[0] = driverCtx.statusMessageTimeoutNs();
                seen[1] = driverCtx.retransmitUnicastLingerNs();
            }));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(2), seen[0]);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1), seen[1]);
    }

    @Test
    void threadedDriverLeavesDoWorkToItsOwnThreads()
    {
        driver = MediaDriverHost.launch(new File(testDir, "aeron"), AeronMedia.IPC, 1024 * 1024);
        assertEquals(0, driver.doWork());
    }

    private static long keeperThreads()
    {
        return Thread.getAllStackTraces().keySet().stream()
            .filter((thread) -> MediaDriverHost.KEEPER_THREAD_NAME.equals(thread.getName()) && thread.isAlive())
            .count();
    }

    @Test
    void refusesTheDirectoryOfALiveDriver()
    {
        final File dir = new File(testDir, "aeron");
        driver = MediaDriverHost.launch(dir, AeronMedia.UDP, 1024 * 1024);
        final IllegalStateException ex = assertThrows(IllegalStateException.class,
            () -> MediaDriverHost.launch(dir, AeronMedia.IPC, 1024 * 1024));
        assertTrue(ex.getMessage().contains("active media driver"), ex.getMessage());
        assertTrue(new File(dir, CncFileDescriptor.CNC_FILE).isFile(), "the live driver's directory was touched");
    }

    @Test
    void rejectsBadSettings()
    {
        final File dir = new File(testDir, "aeron");
        final IllegalArgumentException term = assertThrows(IllegalArgumentException.class,
            () -> MediaDriverHost.launch(dir, AeronMedia.IPC, 256 * 1024));
        assertTrue(term.getMessage().contains("ipcTermLength=262144"), term.getMessage());

        final IllegalArgumentException unblock = assertThrows(IllegalArgumentException.class,
            () -> MediaDriverHost.launch(new MediaDriverHost.Context().aeronDirectory(dir)
                .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(5))));
        assertTrue(unblock.getMessage().contains("publicationUnblockTimeoutNs"), unblock.getMessage());

        final IllegalArgumentException noDir = assertThrows(IllegalArgumentException.class,
            () -> MediaDriverHost.launch(new MediaDriverHost.Context()));
        assertTrue(noDir.getMessage().contains("aeronDirectory"), noDir.getMessage());
        assertFalse(dir.exists());
    }
}
