package io.ringsync.transport.agreement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(60)
class AgreementServerTest
{
    private static final byte[] SECRET = "agreement-test-secret".getBytes(StandardCharsets.US_ASCII);
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    private final List<String> log = new CopyOnWriteArrayList<>();

    private AgreementServer start() throws IOException
    {
        return AgreementServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), SECRET, log::add);
    }

    private static String endpoint(final AgreementServer server)
    {
        return "127.0.0.1:" + server.port();
    }

    @Test
    void putGetAndPutOnceAcrossClients() throws Exception
    {
        try (AgreementServer server = start();
            AgreementClient a = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS);
            AgreementClient b = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
        {
            assertNull(a.get("shrink-1/decision"));
            a.put("shrink-1/join-0", "1234");
            assertEquals("1234", b.get("shrink-1/join-0"));
            b.put("shrink-1/join-0", "5678");
            assertEquals("5678", a.get("shrink-1/join-0"));
            assertTrue(b.putOnce("shrink-1/decision", "0,2"));
            assertFalse(a.putOnce("shrink-1/decision", "0,1,2"));
            assertEquals("0,2", a.get("shrink-1/decision"));
            assertEquals("0,2", server.get("shrink-1/decision"));
            assertEquals(0, server.refusedConnections(), log.toString());
        }
    }

    @Test
    void aHeldNameGoesWithItsConnectionAndSaysTheProcessIsGone() throws Exception
    {
        try (AgreementServer server = start();
            AgreementClient watcher = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
        {
            final AgreementClient holder = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS);
            holder.hold("alive-1234", "1");
            holder.put("kept", "1");
            assertTrue(watcher.contains("alive-1234"));
            holder.close();
            final long deadlineNs = System.nanoTime() + TIMEOUT_NS;
            while (watcher.contains("alive-1234") && System.nanoTime() - deadlineNs < 0)
            {
                Thread.sleep(5);
            }
            assertFalse(watcher.contains("alive-1234"), "the held name outlived its connection");
            assertEquals("1", watcher.get("kept"), "a plain put stays");
        }
    }

    @Test
    void ofManyClientsRacingForOneNameExactlyOneTakesIt() throws Exception
    {
        final int clients = 16;
        final ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (AgreementServer server = start())
        {
            final CountDownLatch go = new CountDownLatch(1);
            final List<Future<Boolean>> takes = new ArrayList<>();
            for (int i = 0; i < clients; i++)
            {
                final String value = Integer.toString(i);
                takes.add(pool.submit(() ->
                {
                    try (AgreementClient client = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
                    {
                        go.await();
                        return client.putOnce("race", value);
                    }
                }));
            }
            go.countDown();
            int winner = -1;
            for (int i = 0; i < clients; i++)
            {
                if (takes.get(i).get(30, TimeUnit.SECONDS))
                {
                    assertEquals(-1, winner, "two clients took the name: " + winner + " and " + i);
                    winner = i;
                }
            }
            assertTrue(winner >= 0, "nobody took the name");
            assertEquals(Integer.toString(winner), server.get("race"));
        }
        finally
        {
            pool.shutdownNow();
        }
    }

    @Test
    void aClientWithoutTheSecretIsRefusedAndCounted() throws Exception
    {
        try (AgreementServer server = start())
        {
            final IOException ex = assertThrows(IOException.class, () -> AgreementClient.connect(endpoint(server),
                "wrong".getBytes(StandardCharsets.US_ASCII), TIMEOUT_NS));
            assertTrue(ex.getMessage().contains("refused this rank") &&
                ex.getMessage().contains("does not know the job secret"), ex.getMessage());
            assertEquals(1, server.refusedConnections());
            assertTrue(log.get(0).contains("does not know the job secret"), log.toString());
        }
    }

    @Test
    void aServerThatCannotProveTheSecretIsNotBelieved() throws Exception
    {
        try (ServerSocket impostor = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            final Thread thread = new Thread(() ->
            {
                try (Socket socket = impostor.accept())
                {
                    final DataOutputStream out = new DataOutputStream(socket.getOutputStream());
                    out.writeLong(AgreementProtocol.MAGIC);
                    out.writeInt(AgreementProtocol.VERSION);
                    out.writeInt(AgreementProtocol.STATUS_OK);
                    out.write(new byte[AgreementProtocol.NONCE_LENGTH]);
                    out.flush();
                    final DataInputStream in = new DataInputStream(socket.getInputStream());
                    in.readFully(new byte[8 + 4 + AgreementProtocol.NONCE_LENGTH + AgreementProtocol.TAG_LENGTH]);
                    out.writeInt(AgreementProtocol.STATUS_OK);
                    out.write(new byte[AgreementProtocol.TAG_LENGTH]);
                    out.flush();
                    in.read();
                }
                catch (final IOException ignore)
                {
                    // the client hangs up
                }
            });
            thread.start();
            final IOException ex = assertThrows(IOException.class, () -> AgreementClient.connect(
                "127.0.0.1:" + impostor.getLocalPort(), SECRET, TIMEOUT_NS));
            assertTrue(ex.getMessage().contains("cannot prove the job secret"), ex.getMessage());
            thread.join(10_000);
        }
    }

    @Test
    void aChangedMessageIsDroppedAndChangesNothing() throws Exception
    {
        try (AgreementServer server = start();
            Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port()))
        {
            // a proper handshake, then raw bytes on the same socket
            AgreementClient.handshake("test", socket, SECRET);
            final java.io.InputStream in = socket.getInputStream();
            final DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            // a well-formed put whose tag was made with another key: as if changed on the way
            final java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            final AgreementProtocol.Channel forged = new AgreementProtocol.Channel(
                new DataInputStream(new java.io.ByteArrayInputStream(new byte[0])), new DataOutputStream(raw),
                new byte[32], false);
            forged.send(AgreementProtocol.OP_PUT, "shrink-1/decision", "0");
            out.write(raw.toByteArray());
            out.flush();
            assertEquals(-1, in.read(), "the server closes the connection");
            assertNull(server.get("shrink-1/decision"));
            assertEquals(1, server.refusedConnections());
            assertTrue(log.get(0).contains("failed its tag"), log.toString());
        }
    }

    @Test
    void badNamesAndValuesAreRefusedBeforeTheyAreSent() throws Exception
    {
        try (AgreementServer server = start();
            AgreementClient client = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
        {
            final Set<String> messages = new HashSet<>();
            for (final String name : new String[]{ "", "a/../b", "a//b", "with space", "/abs" })
            {
                messages.add(assertThrows(IllegalArgumentException.class, () -> client.put(name, "v")).getMessage()
                    .replaceAll("'.*'", "NAME"));
            }
            assertTrue(messages.iterator().next().contains("agreement name"), messages.toString());
            assertThrows(IllegalArgumentException.class, () -> client.put("ok", "two\nlines"));
            client.put("ok", "still works");
            assertEquals("still works", client.get("ok"));
        }
    }

    @Test
    void withNothingListeningConnectGivesUpAtTheDeadlineNamingTheAddress() throws Exception
    {
        // TEST-NET-1 (RFC 5737): never anybody's, so the connect is refused as unreachable or times out, and no other
        // process can take it the way it can take a loopback port freed a moment before
        final IOException ex = assertThrows(IOException.class, () -> AgreementClient.connect("192.0.2.1:9",
            SECRET, TimeUnit.MILLISECONDS.toNanos(500)));
        assertTrue(ex.getMessage().startsWith("no agreement server at 192.0.2.1:9 within 500 ms"), ex.getMessage());
    }

    @Test
    void strangersSendingNothingCannotTakeTheSlotsOfTheRanks() throws Exception
    {
        final int perAddress = 8;
        final List<Socket> silent = new ArrayList<>();
        try (AgreementServer server = AgreementServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            SECRET, log::add, new UnprovenConnections(perAddress, 3 * perAddress)))
        {
            final InetAddress stranger = InetAddress.getByName("127.0.0.2");
            for (int i = 0; i < perAddress; i++)
            {
                final Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port(), stranger, 0);
                silent.add(socket);
                // greeted, so the server has counted it before the next
                assertEquals(AgreementProtocol.MAGIC, new DataInputStream(socket.getInputStream()).readLong());
            }
            // one more from the same address is told the server is busy
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port(), stranger, 0))
            {
                final DataInputStream in = new DataInputStream(socket.getInputStream());
                assertEquals(AgreementProtocol.MAGIC, in.readLong());
                assertEquals(AgreementProtocol.VERSION, in.readInt());
                assertEquals(AgreementProtocol.STATUS_BUSY, in.readInt());
                assertEquals(perAddress + " connections from 127.0.0.2 have not proven the job secret yet",
                    AgreementProtocol.readString(in));
                assertEquals(-1, in.read());
            }
            assertEquals(1, server.refusedConnections());
            // a rank on another address is served meanwhile
            try (AgreementClient rank = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
            {
                rank.put("shrink-1/join-0", "1");
                assertEquals("1", rank.get("shrink-1/join-0"));
            }
        }
        finally
        {
            for (final Socket socket : silent)
            {
                socket.close();
            }
        }
    }

    @Test
    void aClientToldBusyTriesAgainUntilServedOrItsDeadline() throws Exception
    {
        final List<Socket> silent = new ArrayList<>();
        try (AgreementServer server = AgreementServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            SECRET, log::add, new UnprovenConnections(2, 2)))
        {
            for (int i = 0; i < 2; i++)
            {
                final Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
                silent.add(socket);
                assertEquals(AgreementProtocol.MAGIC, new DataInputStream(socket.getInputStream()).readLong());
            }
            final IOException ex = assertThrows(IOException.class, () -> AgreementClient.connect(endpoint(server),
                SECRET, TimeUnit.MILLISECONDS.toNanos(400)));
            assertEquals("the agreement server at " + endpoint(server) + " stayed busy for 400 ms: 2 connections " +
                "have not proven the job secret yet", ex.getMessage());

            // the strangers leave while a rank is retrying: it gets in before its deadline
            final ExecutorService executor = Executors.newSingleThreadExecutor();
            try
            {
                final Future<String> rank = executor.submit(() ->
                {
                    try (AgreementClient client = AgreementClient.connect(endpoint(server), SECRET, TIMEOUT_NS))
                    {
                        client.put("a", "b");
                        return client.get("a");
                    }
                });
                Thread.sleep(300);
                assertFalse(rank.isDone(), "the rank should still be waiting for a slot");
                for (final Socket socket : silent)
                {
                    socket.close();
                }
                assertEquals("b", rank.get(10, TimeUnit.SECONDS));
            }
            finally
            {
                executor.shutdownNow();
            }
        }
        finally
        {
            for (final Socket socket : silent)
            {
                socket.close();
            }
        }
    }
}
