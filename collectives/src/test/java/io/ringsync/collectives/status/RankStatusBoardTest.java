package io.ringsync.collectives.status;

import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each rank's status file is readable by the other ranks of its job, ignored by other jobs, owner-only, and
 * gone when its rank closes.
 */
class RankStatusBoardTest
{
    private File dir;

    @BeforeEach
    void setUp() throws Exception
    {
        dir = new File(new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir"),
            "ringsync-status-test-" + UUID.randomUUID());
        Files.createDirectory(dir.toPath());
    }

    @AfterEach
    void tearDown()
    {
        IoUtil.delete(dir, true);
    }

    @Test
    void everyRankReadsWhatAnotherPublishes() throws Exception
    {
        try (RankStatusBoard zero = RankStatusBoard.create(dir, 0, 3, 42);
            RankStatusBoard one = RankStatusBoard.create(dir, 1, 3, 42))
        {
            assertEquals(RankStatusBoard.UNKNOWN, zero.state(2), "rank 2 has published nothing");
            assertEquals(RankStatusBoard.IDLE, zero.state(1));
            assertTrue(zero.isAlive(1));
            assertEquals(ProcessHandle.current().pid(), zero.pid(1));

            one.enterCall(7, 1_000);
            one.heartbeat(12, 1_500);
            assertEquals(RankStatusBoard.IN_CALL, zero.state(1));
            assertEquals(7, zero.sequence(1));
            assertEquals(12, zero.progress(1));
            assertEquals(1_500, zero.heartbeatMs(1));
            assertEquals("rank 1 (pid " + ProcessHandle.current().pid() + "): in call #7, 12 chunks received, " +
                "heartbeat 500 ms ago", zero.describe(1, 2_000));

            one.leaveCall(RankStatusBoard.IDLE, 1_600);
            assertEquals(RankStatusBoard.IDLE, zero.state(1));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(one.file().toPath())));

            one.leaveCall(RankStatusBoard.CLOSED, 1_700);
            one.close();
            assertFalse(one.file().exists(), "closing removes the file");
            assertEquals(RankStatusBoard.CLOSED, zero.state(1), "a mapped peer still reads its last state");
        }
        final String[] left = dir.list();
        assertEquals(0, null == left ? 0 : left.length, "files left behind");
    }

    @Test
    void aStatusFileOfAnotherJobIsIgnoredAndALauncherReportIsRead() throws Exception
    {
        try (RankStatusBoard foreign = RankStatusBoard.create(dir, 1, 2, 99);
            RankStatusBoard zero = RankStatusBoard.create(dir, 0, 2, 42))
        {
            assertFalse(zero.refresh(1), "job 99's rank 1 is not job 42's");
            assertEquals(RankStatusBoard.UNKNOWN, zero.state(1));
            assertEquals(-1, zero.reportedExitCode(1));
            Files.writeString(dir.toPath().resolve(StatusDescriptor.exitFileName(1)), "137\n");
            assertEquals(137, zero.reportedExitCode(1));
        }
    }
}
