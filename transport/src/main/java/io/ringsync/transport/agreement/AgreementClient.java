package io.ringsync.transport.agreement;

import io.ringsync.transport.rendezvous.HostAddresses;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A rank's connection to the job's {@link AgreementServer}: one TCP connection, each operation a request and its
 * answer, both authenticated ({@link AgreementProtocol}). The server proves the secret too, so a stranger posing as
 * the server cannot tell the ranks who survived. An operation that fails closes the connection and throws: it is
 * not retried, since a {@link #putOnce} whose answer was lost may have taken the name.
 */
public final class AgreementClient implements AgreementStore
{
    private static final long RETRY_PARK_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String endpoint;
    private final Socket socket;
    private final AgreementProtocol.Channel channel;
    private final int timeoutMs;

    private AgreementClient(
        final String endpoint, final Socket socket, final AgreementProtocol.Channel channel, final int timeoutMs)
    {
        this.endpoint = endpoint;
        this.socket = socket;
        this.channel = channel;
        this.timeoutMs = timeoutMs;
    }

    /**
     * Connect, retrying while nothing listens yet or the server is busy, until the deadline.
     *
     * @param endpoint  {@code host:port} of the server (an IPv6 address in brackets).
     * @param secret    the job secret; not empty.
     * @param timeoutNs how long connecting may take, and each operation after it.
     * @return the connected client.
     * @throws IOException saying why: refused by the server, a server that cannot prove the secret, nothing
     *                     listening until the deadline, a host that does not resolve.
     */
    public static AgreementClient connect(final String endpoint, final byte[] secret, final long timeoutNs)
        throws IOException
    {
        if (null == secret || secret.length == 0)
        {
            throw new IllegalArgumentException("the agreement store needs the job secret");
        }
        final int colon = endpoint.lastIndexOf(':');
        final int port;
        try
        {
            port = Integer.parseInt(endpoint.substring(colon + 1));
        }
        catch (final NumberFormatException | IndexOutOfBoundsException ex)
        {
            throw new IllegalArgumentException("the agreement store's address is host:port, not '" + endpoint + "'");
        }
        final String host = HostAddresses.host(endpoint);
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final int timeoutMs = (int)Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(timeoutNs)));
        BusyException lastBusy = null;
        while (true)
        {
            final Socket socket = new Socket();
            try
            {
                final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
                socket.connect(new InetSocketAddress(host, port), (int)Math.max(1, Math.min(timeoutMs, remainingMs)));
            }
            catch (final IOException ex)
            {
                // refused, unreachable, not resolved yet, or no answer in time: try again until the deadline
                socket.close();
                if (System.nanoTime() - deadlineNs >= 0 && lastBusy != null)
                {
                    // the server was there and turned us away; the last attempt just ran out of time
                    throw stayedBusy(endpoint, timeoutNs, lastBusy);
                }
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    throw new IOException("no agreement server at " + endpoint + " within " +
                        TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms: " + ex, ex);
                }
                LockSupport.parkNanos(RETRY_PARK_NS);
                continue;
            }
            try
            {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(timeoutMs);
                return new AgreementClient(endpoint, socket, handshake(endpoint, socket, secret), timeoutMs);
            }
            catch (final BusyException ex)
            {
                socket.close();
                lastBusy = ex;
                if (System.nanoTime() - deadlineNs >= 0)
                {
                    throw stayedBusy(endpoint, timeoutNs, ex);
                }
                // spread the clients a busy server turned away, so they do not all come back at once
                LockSupport.parkNanos(RETRY_PARK_NS / 4 + ThreadLocalRandom.current().nextLong(RETRY_PARK_NS));
            }
            catch (final java.io.EOFException ex)
            {
                socket.close();
                throw new IOException("the peer at " + endpoint + " closed the connection during the handshake: it " +
                    "is not this job's agreement server", ex);
            }
            catch (final IOException | RuntimeException ex)
            {
                socket.close();
                throw ex;
            }
        }
    }

    private static IOException stayedBusy(final String endpoint, final long timeoutNs, final BusyException busy)
    {
        return new IOException("the agreement server at " + endpoint + " stayed busy for " +
            TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms: " + busy.getMessage(), busy);
    }

    /**
     * Prove the secret to the server on a connected socket and check its proof.
     *
     * @return the authenticated messages of this connection.
     * @throws IOException when either side cannot prove it, or the server is not one.
     */
    static AgreementProtocol.Channel handshake(final String endpoint, final Socket socket, final byte[] secret)
        throws IOException
    {
        final DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        if (in.readLong() != AgreementProtocol.MAGIC)
        {
            throw new IOException(endpoint + " is not a ringsync agreement server");
        }
        final int version = in.readInt();
        if (version != AgreementProtocol.VERSION)
        {
            throw new IOException("the agreement server at " + endpoint + " speaks protocol version " + version +
                ", this rank " + AgreementProtocol.VERSION);
        }
        final int greeting = in.readInt();
        if (greeting == AgreementProtocol.STATUS_BUSY)
        {
            throw new BusyException(AgreementProtocol.readString(in));
        }
        if (greeting != AgreementProtocol.STATUS_OK)
        {
            throw new IOException("the agreement server at " + endpoint + " greeted with status " + greeting);
        }
        final byte[] serverNonce = new byte[AgreementProtocol.NONCE_LENGTH];
        in.readFully(serverNonce);
        final byte[] clientNonce = AgreementProtocol.nonce();
        out.writeLong(AgreementProtocol.MAGIC);
        out.writeInt(AgreementProtocol.VERSION);
        out.write(clientNonce);
        out.write(AgreementProtocol.clientProof(secret, serverNonce, clientNonce));
        out.flush();
        final int status = in.readInt();
        if (status != AgreementProtocol.STATUS_OK)
        {
            throw new IOException("the agreement server at " + endpoint + " " +
                (status == AgreementProtocol.STATUS_REFUSED ? "refused this rank: " + AgreementProtocol.readString(in)
                : "answered status " + status));
        }
        final byte[] proof = new byte[AgreementProtocol.TAG_LENGTH];
        in.readFully(proof);
        if (!AgreementProtocol.matches(AgreementProtocol.serverProof(secret, serverNonce, clientNonce), proof))
        {
            throw new IOException("the agreement server at " + endpoint + " cannot prove the job secret: it is " +
                "not this job's");
        }
        return new AgreementProtocol.Channel(in, out, AgreementProtocol.connectionKey(secret, serverNonce,
            clientNonce), false);
    }

    @Override
    public synchronized void put(final String name, final String value) throws IOException
    {
        AgreementStore.checkValue(value);
        call(AgreementProtocol.OP_PUT, name, value);
    }

    @Override
    public synchronized boolean putOnce(final String name, final String value) throws IOException
    {
        AgreementStore.checkValue(value);
        return call(AgreementProtocol.OP_PUT_ONCE, name, value).code == AgreementProtocol.STATUS_OK;
    }

    /**
     * Put {@code value} at {@code name} for as long as this connection lasts: the server removes it when the
     * connection ends, at {@link #close()} or when this process exits (its kernel closes the socket). So others
     * can ask whether this process still runs.
     *
     * @param name  where.
     * @param value what.
     * @throws IOException when the server cannot be written.
     */
    public synchronized void hold(final String name, final String value) throws IOException
    {
        AgreementStore.checkValue(value);
        call(AgreementProtocol.OP_HOLD, name, value);
    }

    @Override
    public synchronized String get(final String name) throws IOException
    {
        return call(AgreementProtocol.OP_GET, name, null).value;
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }

    @Override
    public String toString()
    {
        return "agreement server " + endpoint;
    }

    private AgreementProtocol.Message call(final int op, final String name, final String value) throws IOException
    {
        AgreementStore.checkName(name);
        if (socket.isClosed())
        {
            throw new IOException("the connection to the agreement server at " + endpoint + " was closed");
        }
        try
        {
            channel.send(op, name, value);
            final AgreementProtocol.Message answer = channel.receive();
            if (answer.code == AgreementProtocol.STATUS_REFUSED)
            {
                throw new IOException("the agreement server at " + endpoint + " refused: " + answer.value);
            }
            return answer;
        }
        catch (final IOException ex)
        {
            socket.close();
            throw ex instanceof java.net.SocketTimeoutException ? new IOException("the agreement server at " +
                endpoint + " did not answer within " + timeoutMs + " ms", ex) : ex;
        }
    }

    /**
     * The server is over a limit on connections for now; the connect tries again.
     */
    static final class BusyException extends IOException
    {
        private static final long serialVersionUID = 1L;

        BusyException(final String why)
        {
            super(why);
        }
    }
}
