package io.ringsync.transport.agreement;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Serves an {@link AgreementStore} to the ranks of a job on several hosts ({@link AgreementClient}): the launcher
 * of a {@code --hosts} job runs one for as long as the job runs, so that it outlives any rank. Only clients that
 * prove the job secret are served ({@link AgreementProtocol}); a connection that fails the proof is refused, counted
 * and logged. A name a client holds ({@link AgreementClient#hold}) is removed when its connection ends, which tells
 * the others that its process is gone. A thread per connection (a job has a few hundred ranks at most; each holds one
 * connection idle, and talks on it when a rank was lost or joins), blocking JDK sockets, the map in memory.
 * <p>
 * Limits: {@link #MAX_CONNECTIONS} connections at once, {@link #MAX_STORED_CHARS} characters stored in all (an
 * agreement takes a few hundred), and a connection must prove itself within {@link #HANDSHAKE_TIMEOUT_MS}; of the
 * connections not proven yet, at most {@link #MAX_UNPROVEN_PER_ADDRESS} from one address and
 * {@link #MAX_UNPROVEN} in all ({@link UnprovenConnections}), so that a stranger sending nothing cannot take the
 * slots the ranks need. A connection over a limit is told the server is busy, and its client tries again until its
 * deadline.
 */
public final class AgreementServer implements Closeable
{
    /**
     * Most connections served at once; more are closed at once.
     */
    public static final int MAX_CONNECTIONS = 4096;

    /**
     * Most characters of names and values stored; a put beyond it is refused.
     */
    public static final long MAX_STORED_CHARS = 64L * 1024 * 1024;

    /**
     * How long a new connection has to prove the secret.
     */
    public static final int HANDSHAKE_TIMEOUT_MS = 10_000;

    /**
     * Most connections from one address that have not proven the secret yet: a host starting its ranks opens one
     * each at once (and a rank over it tries again).
     */
    public static final int MAX_UNPROVEN_PER_ADDRESS = 256;

    /**
     * Most connections that have not proven the secret yet, in all.
     */
    public static final int MAX_UNPROVEN = 1024;

    private final ServerSocket socket;
    private final byte[] secret;
    private final Consumer<String> log;
    private final ConcurrentHashMap<String, String> entries = new ConcurrentHashMap<>();
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong storedChars = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final UnprovenConnections unproven;
    private final Thread acceptor;
    private volatile boolean closed;

    private AgreementServer(
        final ServerSocket socket, final byte[] secret, final Consumer<String> log, final UnprovenConnections unproven)
    {
        this.socket = socket;
        this.unproven = unproven;
        this.secret = secret.clone();
        this.log = log;
        this.acceptor = new Thread(this::accept, "ringsync-agreement-" + socket.getLocalPort());
        this.acceptor.setDaemon(true);
    }

    /**
     * Bind and start serving.
     *
     * @param address where to listen (port 0: an ephemeral port).
     * @param secret  the job secret clients must prove; not empty.
     * @param log     where refusals are reported, one line each.
     * @return the running server.
     * @throws IOException when it cannot bind.
     */
    public static AgreementServer start(final InetSocketAddress address, final byte[] secret,
        final Consumer<String> log) throws IOException
    {
        return start(address, secret, log, new UnprovenConnections(MAX_UNPROVEN_PER_ADDRESS, MAX_UNPROVEN));
    }

    /**
     * {@link #start(InetSocketAddress, byte[], Consumer)} with other limits on unproven connections, for tests.
     */
    static AgreementServer start(final InetSocketAddress address, final byte[] secret, final Consumer<String> log,
        final UnprovenConnections unproven) throws IOException
    {
        if (null == secret || secret.length == 0)
        {
            throw new IllegalArgumentException("an agreement server needs the job secret: without one anybody who " +
                "reaches its port could decide who the survivors of a job are");
        }
        final ServerSocket socket = new ServerSocket();
        try
        {
            socket.bind(address, 256);
        }
        catch (final IOException ex)
        {
            socket.close();
            throw new IOException("the agreement server cannot listen on " + address + ": " + ex.getMessage(), ex);
        }
        final AgreementServer server = new AgreementServer(socket, secret, log, unproven);
        server.acceptor.start();
        return server;
    }

    /**
     * @return the port it listens on.
     */
    public int port()
    {
        return socket.getLocalPort();
    }

    /**
     * @return connections refused so far (failed proof, bad message, over a limit).
     */
    public long refusedConnections()
    {
        return refused.get();
    }

    /**
     * @return how many names have a value.
     */
    public int entryCount()
    {
        return entries.size();
    }

    /**
     * @param name a name.
     * @return its value, or null: what a client's {@link AgreementStore#get} would return.
     */
    public String get(final String name)
    {
        return entries.get(name);
    }

    @Override
    public void close()
    {
        closed = true;
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // closing: nothing to do
        }
        for (final Socket connection : connections)
        {
            closeQuietly(connection);
        }
        try
        {
            acceptor.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void accept()
    {
        while (!closed)
        {
            final Socket connection;
            try
            {
                connection = socket.accept();
            }
            catch (final IOException ex)
            {
                if (!closed)
                {
                    log.accept("ringsync agreement server: accept failed, serving no more: " + ex);
                }
                return;
            }
            final InetAddress from = connection.getInetAddress();
            final String busy = connections.size() >= MAX_CONNECTIONS ? MAX_CONNECTIONS + " connections at once" :
                unproven.admit(from);
            if (null != busy)
            {
                tellBusy(connection, busy);
                continue;
            }
            connections.add(connection);
            final Thread thread = new Thread(() -> serve(connection, from), "ringsync-agreement-connection");
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void serve(final Socket connection, final InetAddress from)
    {
        final String peer = String.valueOf(connection.getRemoteSocketAddress());
        final java.util.Map<String, String> held = new java.util.HashMap<>();
        boolean counted = true;
        try
        {
            connection.setTcpNoDelay(true);
            connection.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            final DataInputStream in = new DataInputStream(new BufferedInputStream(connection.getInputStream()));
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(connection.getOutputStream()));
            final byte[] serverNonce = AgreementProtocol.nonce();
            out.writeLong(AgreementProtocol.MAGIC);
            out.writeInt(AgreementProtocol.VERSION);
            out.writeInt(AgreementProtocol.STATUS_OK);
            out.write(serverNonce);
            out.flush();
            final long magic = in.readLong();
            final int version = in.readInt();
            final byte[] clientNonce = new byte[AgreementProtocol.NONCE_LENGTH];
            in.readFully(clientNonce);
            final byte[] proof = new byte[AgreementProtocol.TAG_LENGTH];
            in.readFully(proof);
            final String problem = magic != AgreementProtocol.MAGIC ? "not a ringsync agreement client" :
                version != AgreementProtocol.VERSION ? "protocol version " + version + ", this server speaks " +
                AgreementProtocol.VERSION :
                !AgreementProtocol.matches(AgreementProtocol.clientProof(secret, serverNonce, clientNonce), proof) ?
                "it does not know the job secret" : null;
            if (null != problem)
            {
                refused.incrementAndGet();
                log.accept("ringsync agreement server: refused " + peer + ": " + problem);
                out.writeInt(AgreementProtocol.STATUS_REFUSED);
                AgreementProtocol.writeString(out, "refused by the agreement server: " + problem);
                out.flush();
                return;
            }
            out.writeInt(AgreementProtocol.STATUS_OK);
            out.write(AgreementProtocol.serverProof(secret, serverNonce, clientNonce));
            out.flush();
            connection.setSoTimeout(0);
            counted = false;
            unproven.release(from);
            final AgreementProtocol.Channel channel = new AgreementProtocol.Channel(in, out,
                AgreementProtocol.connectionKey(secret, serverNonce, clientNonce), true);
            while (!closed)
            {
                final AgreementProtocol.Message request = channel.receive();
                answer(channel, request, held);
            }
        }
        catch (final SocketTimeoutException ex)
        {
            refused.incrementAndGet();
            log.accept("ringsync agreement server: refused " + peer + ": no proof within " + HANDSHAKE_TIMEOUT_MS +
                " ms");
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            // a client that closed its end between requests is the normal end of a connection
            if (!closed && !(ex instanceof java.io.EOFException))
            {
                refused.incrementAndGet();
                log.accept("ringsync agreement server: dropped " + peer + ": " + ex.getMessage());
            }
        }
        finally
        {
            if (counted)
            {
                unproven.release(from);
            }
            // the names this connection held go with it (unless put again since)
            for (final java.util.Map.Entry<String, String> entry : held.entrySet())
            {
                if (entries.remove(entry.getKey(), entry.getValue()))
                {
                    storedChars.addAndGet(-(entry.getKey().length() + entry.getValue().length()));
                }
            }
            // counted and logged above before the client can see its connection end
            closeQuietly(connection);
            connections.remove(connection);
        }
    }

    private void answer(
        final AgreementProtocol.Channel channel, final AgreementProtocol.Message request,
        final java.util.Map<String, String> held) throws IOException
    {
        AgreementStore.checkName(request.name);
        switch (request.code)
        {
            case AgreementProtocol.OP_GET:
            {
                final String value = entries.get(request.name);
                channel.send(null == value ? AgreementProtocol.STATUS_ABSENT : AgreementProtocol.STATUS_OK, null,
                    value);
                break;
            }
            case AgreementProtocol.OP_PUT:
            case AgreementProtocol.OP_PUT_ONCE:
            case AgreementProtocol.OP_HOLD:
            {
                AgreementStore.checkValue(request.value);
                final long size = request.name.length() + request.value.length();
                if (storedChars.addAndGet(size) > MAX_STORED_CHARS)
                {
                    storedChars.addAndGet(-size);
                    channel.send(AgreementProtocol.STATUS_REFUSED, null, "the agreement server holds " +
                        MAX_STORED_CHARS + " characters at most");
                    break;
                }
                if (request.code != AgreementProtocol.OP_PUT_ONCE)
                {
                    if (request.code == AgreementProtocol.OP_HOLD)
                    {
                        held.put(request.name, request.value);
                    }
                    final String old = entries.put(request.name, request.value);
                    if (null != old)
                    {
                        storedChars.addAndGet(-(request.name.length() + old.length()));
                    }
                    channel.send(AgreementProtocol.STATUS_OK, null, null);
                }
                else
                {
                    final String taken = entries.putIfAbsent(request.name, request.value);
                    if (null != taken)
                    {
                        storedChars.addAndGet(-size);
                    }
                    channel.send(null == taken ? AgreementProtocol.STATUS_OK : AgreementProtocol.STATUS_TAKEN, null,
                        null);
                }
                break;
            }
            default:
                throw new IOException("unknown agreement operation " + request.code);
        }
    }

    /**
     * Tell a connection over a limit that the server is busy, so its client tries again, and close it. The greeting
     * fits the socket's send buffer: the write does not wait for the client.
     */
    private void tellBusy(final Socket connection, final String why)
    {
        refused.incrementAndGet();
        log.accept("ringsync agreement server: busy for " + connection.getRemoteSocketAddress() + ": " + why);
        try
        {
            final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(connection.getOutputStream()));
            out.writeLong(AgreementProtocol.MAGIC);
            out.writeInt(AgreementProtocol.VERSION);
            out.writeInt(AgreementProtocol.STATUS_BUSY);
            AgreementProtocol.writeString(out, why);
            out.flush();
        }
        catch (final IOException ignore)
        {
            // the client is gone already
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(final Socket connection)
    {
        try
        {
            connection.close();
        }
        catch (final IOException ignore)
        {
            // closing: nothing to do
        }
    }
}
