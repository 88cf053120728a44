package io.ringsync.transport;

import io.ringsync.transport.aeron.AeronMedia;
import io.ringsync.transport.aeron.MediaDriverHost;
import io.ringsync.transport.shm.ShmTransport;
import org.agrona.IoUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finding 2 of issue 14: a job's directories and files are the user's alone, whatever the umask, and a directory
 * another user prepared (or left open) is refused, naming its path, owner and mode.
 */
@Timeout(60)
class PrivateDirectoryTest
{
    private Path root;

    @BeforeEach
    void createRoot() throws IOException
    {
        final File shm = new File("/dev/shm");
        final Path parent = (shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"))).toPath();
        root = Files.createDirectory(parent.resolve("ringsync-private-test-" + UUID.randomUUID()),
            PosixFilePermissions.asFileAttribute(PrivateDirectory.DIRECTORY_MODE));
    }

    @AfterEach
    void deleteRoot()
    {
        IoUtil.delete(root.toFile(), true);
    }

    @Test
    void aNewDirectoryIsMode700AndFilesMode600() throws IOException
    {
        final Path dir = PrivateDirectory.ensure(root.resolve("job"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        PrivateDirectory.writeFile(dir.resolve("launcher.pid"), "42\n");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
            dir.resolve("launcher.pid"))));
        // an existing private directory of this user is used as it is
        assertEquals(dir, PrivateDirectory.ensure(dir));
    }

    @Test
    void aDirectoryOpenToOthersIsRefusedNamingPathModeAndWhatToDo() throws IOException
    {
        final Path dir = Files.createDirectory(root.resolve("job"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(dir));
        assertTrue(ex.getMessage().contains(dir.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("mode 777"), ex.getMessage());
        assertTrue(ex.getMessage().contains("chmod 700"), ex.getMessage());
    }

    @Test
    void aDirectoryOfAnotherUserIsRefusedNamingItsOwner() throws IOException
    {
        assumeTrue(0 == PrivateDirectory.currentUid(), "skipped: giving a directory to another user needs root");
        final Path dir = Files.createDirectory(root.resolve("job"), PosixFilePermissions.asFileAttribute(
            PrivateDirectory.DIRECTORY_MODE));
        Files.setAttribute(dir, "unix:uid", 65534);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(dir));
        assertTrue(ex.getMessage().contains(dir.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("belongs to another user") && ex.getMessage().contains("uid 65534"),
            ex.getMessage());
        assertTrue(ex.getMessage().contains("mode 700"), ex.getMessage());
    }

    @Test
    void aSymbolicLinkIsRefused() throws IOException
    {
        final Path target = PrivateDirectory.ensure(root.resolve("elsewhere"));
        final Path link = Files.createSymbolicLink(root.resolve("job"), target);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> PrivateDirectory.ensure(link));
        assertTrue(ex.getMessage().contains("symbolic link"), ex.getMessage());
    }

    @Test
    void theShmTransportRefusesAnOpenJobDirectoryAndCreatesNothingThere() throws IOException
    {
        final Path dir = Files.createDirectory(root.resolve("job"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> ShmTransport.connect(
            new ShmTransport.Context().rank(0).worldSize(2).jobId(7).directory(dir.toFile())));
        assertTrue(ex.getMessage().contains(dir.toString()) && ex.getMessage().contains("mode 777"), ex.getMessage());
        try (Stream<Path> files = Files.list(dir))
        {
            assertEquals(List.of(), files.collect(Collectors.toList()));
        }
    }

    @Test
    void anEmbeddedMediaDriverKeepsItsDirectoryAndFilesPrivate() throws IOException
    {
        final File aeronDir = root.resolve("job").resolve("aeron-rank-0").toFile();
        try (MediaDriverHost driver = MediaDriverHost.launch(aeronDir, AeronMedia.IPC,
            MediaDriverHost.IPC_TERM_LENGTH_DEFAULT))
        {
            assertTrue(new File(aeronDir, "cnc.dat").isFile());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                aeronDir.getParentFile().toPath())));
            try (Stream<Path> tree = Files.walk(aeronDir.toPath()))
            {
                for (final Path path : tree.collect(Collectors.toList()))
                {
                    final String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
                    assertEquals(Files.isDirectory(path) ? "rwx------" : "rw-------", mode, path.toString());
                }
            }
        }
        assertFalse(aeronDir.exists());
    }
}
