package io.ringsync.transport.tcp;

import tlschannel.ClientTlsChannel;
import tlschannel.DirectBufferAllocator;
import tlschannel.NeedsReadException;
import tlschannel.NeedsWriteException;
import tlschannel.ServerTlsChannel;
import tlschannel.TlsChannel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;

/**
 * How the bytes of one tcp connection reach its non-blocking socket, and only that: as they are, or through TLS
 * (Mariano Barrios' tls-channel over the JDK's {@code SSLEngine}: a well-kept implementation of the engine's
 * non-blocking states, which are easy to get subtly wrong). Both give the same non-blocking contract to the
 * handshake steps and the links, which use nothing else to read and write:
 * <ul>
 *     <li>{@link #read} returns the bytes read (0 when nothing is there yet, -1 at the end of the stream); with TLS
 *     it goes on until nothing more is there or the buffer is full, so a short read means no whole record waits
 *     in TLS's own buffers either, and waiting on the socket is safe;</li>
 *     <li>{@link #write} returns the bytes taken; with TLS some encrypted bytes may stay behind when the socket is
 *     full ({@link #hasPendingOutput}), sent by {@link #flush} or the next write.</li>
 * </ul>
 * The socket stays the one thing to register with a selector and to close. Each end of a connection is used by
 * one thread at a time (the endpoint's while it connects, the link's after).
 */
final class LinkIo implements AutoCloseable
{
    /**
     * {@link #handshake()}: done.
     */
    static final int DONE = 0;

    /**
     * {@link #handshake()}: wait until the socket is readable, then call again.
     */
    static final int NEEDS_READ = 1;

    /**
     * {@link #handshake()}: wait until the socket is writable, then call again.
     */
    static final int NEEDS_WRITE = 2;

    final SocketChannel socket;
    private final TlsChannel tls;
    private final boolean dialing;
    private boolean hasPendingOutput;
    private IOException readFailure;

    private LinkIo(final SocketChannel socket, final TlsChannel tls, final boolean dialing)
    {
        this.socket = socket;
        this.tls = tls;
        this.dialing = dialing;
    }

    /**
     * @param socket a connected non-blocking socket.
     * @return its bytes as they are.
     */
    static LinkIo plain(final SocketChannel socket)
    {
        return new LinkIo(socket, null, false);
    }

    /**
     * @param socket  a connected non-blocking socket.
     * @param dialing true at the end that dialed (the TLS client).
     * @return its bytes through TLS with this process' {@link TlsIdentity}; the handshake is still to run.
     */
    static LinkIo tls(final SocketChannel socket, final boolean dialing)
    {
        final TlsIdentity identity = TlsIdentity.get();
        final TlsChannel channel = dialing ?
            ClientTlsChannel.newBuilder(socket, identity.newEngine(true))
                .withEncryptedBufferAllocator(new DirectBufferAllocator())
                .withReleaseBuffers(false)
                .build() :
            ServerTlsChannel.newBuilder(socket, identity.sslContext())
                .withEngineFactory(sslContext -> identity.newEngine(false))
                .withEncryptedBufferAllocator(new DirectBufferAllocator())
                .withReleaseBuffers(false)
                .build();
        return new LinkIo(socket, channel, dialing);
    }

    boolean isTls()
    {
        return null != tls;
    }

    /**
     * One step of the TLS handshake (nothing to do without TLS).
     *
     * @return {@link #DONE}, {@link #NEEDS_READ} or {@link #NEEDS_WRITE}.
     * @throws IOException when the handshake failed or the connection broke.
     */
    int handshake() throws IOException
    {
        if (null == tls)
        {
            return DONE;
        }
        try
        {
            tls.handshake();
            return DONE;
        }
        catch (final NeedsReadException ex)
        {
            return NEEDS_READ;
        }
        catch (final NeedsWriteException ex)
        {
            return NEEDS_WRITE;
        }
    }

    /**
     * @return what the proofs of the job secret are bound to: the hashes of the two certificates of the TLS
     * handshake, the dialer's first; null without TLS.
     * @throws IOException when the session holds no certificates.
     */
    byte[] channelBinding() throws IOException
    {
        if (null == tls)
        {
            return null;
        }
        try
        {
            return TlsIdentity.channelBinding(tls.getSslEngine(), dialing);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IOException("the TLS handshake left nothing to bind the proof of the job secret to: " + ex, ex);
        }
    }

    /**
     * @param dst where the bytes go.
     * @return bytes read, 0 when none are there yet, -1 at the end of the stream.
     * @throws IOException when the connection broke (with TLS also: a record failed its check).
     */
    int read(final ByteBuffer dst) throws IOException
    {
        if (null == tls)
        {
            return socket.read(dst);
        }
        if (null != readFailure)
        {
            throw readFailure;
        }
        int total = 0;
        while (dst.hasRemaining())
        {
            final int count;
            try
            {
                count = tls.read(dst);
            }
            catch (final NeedsReadException ex)
            {
                break;
            }
            catch (final NeedsWriteException ex)
            {
                // TLS must answer something first (a key update): it goes out with the next write or flush
                hasPendingOutput = true;
                break;
            }
            catch (final IOException ex)
            {
                if (0 == total)
                {
                    throw ex;
                }
                // the records before the bad one were good: hand them over, fail the next read
                readFailure = ex;
                break;
            }
            if (count < 0)
            {
                return total > 0 ? total : -1;
            }
            total += count;
        }
        return total;
    }

    /**
     * @param src what to send.
     * @return bytes taken from {@code src}.
     * @throws IOException when the connection broke.
     */
    int write(final ByteBuffer src) throws IOException
    {
        if (null == tls)
        {
            return socket.write(src);
        }
        final int before = src.position();
        try
        {
            tls.write(src);
            hasPendingOutput = false;
        }
        catch (final NeedsWriteException ex)
        {
            // what was taken is encrypted and waits for room in the socket
            hasPendingOutput = true;
        }
        catch (final NeedsReadException ex)
        {
            hasPendingOutput = true;
        }
        return src.position() - before;
    }

    /**
     * @return true when encrypted bytes wait for room in the socket (never without TLS).
     */
    boolean hasPendingOutput()
    {
        return hasPendingOutput;
    }

    /**
     * Send what waits.
     *
     * @return true when nothing waits any more.
     * @throws IOException when the connection broke.
     */
    boolean flush() throws IOException
    {
        if (hasPendingOutput)
        {
            write(EMPTY); // never changed: a zero-length buffer
        }
        return !hasPendingOutput;
    }

    /**
     * End this side's stream (the peer reads its end once it has read everything before).
     *
     * @throws IOException when the socket is gone.
     */
    void shutdownOutput() throws IOException
    {
        socket.shutdownOutput();
    }

    /**
     * Close the socket; never throws.
     */
    public void close()
    {
        TcpEndpoint.closeQuietly(socket);
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocateDirect(0);
}
