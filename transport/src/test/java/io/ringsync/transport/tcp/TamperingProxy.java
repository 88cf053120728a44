package io.ringsync.transport.tcp;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A man in the middle for tests: a loopback listener that forwards each accepted connection to a target, the
 * target's answers back unchanged, and what the client sends through a {@link Tamper} that sees every byte after
 * the first {@code skip} (a link's preamble, and its proof of the secret) with its offset and may change it or add
 * bytes after it. Blocking sockets, two threads per connection; {@link #close()} ends them all.
 */
public final class TamperingProxy implements AutoCloseable
{
    /**
     * Changes the client's stream.
     */
    public interface Tamper
    {
        /**
         * @param offset of the byte in the stream after the skipped part.
         * @param value  the byte as the client sent it.
         * @param out    where extra bytes may be written after it.
         * @return the byte to forward.
         */
        int onByte(long offset, int value, OutputStream out) throws IOException;
    }

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final int skip;
    private final Tamper tamper;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong tampered = new AtomicLong();
    private volatile boolean isClosed;

    public TamperingProxy(final InetSocketAddress target, final int skip, final Tamper tamper) throws IOException
    {
        this.listener = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        this.target = target;
        this.skip = skip;
        this.tamper = tamper;
        start("proxy-accept", this::acceptAll);
    }

    /**
     * @return the endpoint to give the client instead of the target's.
     */
    public String endpoint()
    {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /**
     * @return client bytes forwarded past the skipped part, over all connections.
     */
    public long forwarded()
    {
        return tampered.get();
    }

    private void acceptAll()
    {
        while (!isClosed)
        {
            try
            {
                final Socket client = listener.accept();
                final Socket server;
                try
                {
                    server = new Socket(target.getAddress(), target.getPort());
                }
                catch (final IOException ex)
                {
                    // the target does not listen yet: the client's dial retries
                    client.close();
                    continue;
                }
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                synchronized (sockets)
                {
                    sockets.add(client);
                    sockets.add(server);
                }
                start("proxy-up", () -> pump(client, server, true));
                start("proxy-down", () -> pump(server, client, false));
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private void pump(final Socket from, final Socket to, final boolean isUpstream)
    {
        final byte[] chunk = new byte[64 * 1024];
        long offset = -skip;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
        {
            while (true)
            {
                final int count = in.read(chunk);
                if (count < 0)
                {
                    to.shutdownOutput();
                    return;
                }
                if (!isUpstream)
                {
                    out.write(chunk, 0, count);
                    continue;
                }
                final java.io.ByteArrayOutputStream forwarded = new java.io.ByteArrayOutputStream(count + 64);
                for (int i = 0; i < count; i++, offset++)
                {
                    final int value = chunk[i] & 0xff;
                    if (offset < 0)
                    {
                        forwarded.write(value);
                    }
                    else
                    {
                        final java.io.ByteArrayOutputStream extra = new java.io.ByteArrayOutputStream();
                        forwarded.write(tamper.onByte(offset, value, extra));
                        extra.writeTo(forwarded);
                        tampered.incrementAndGet();
                    }
                }
                forwarded.writeTo(out);
                out.flush();
            }
        }
        catch (final IOException ex)
        {
            // the connection ended (a link closing it on a failed frame, or close())
        }
    }

    private void start(final String name, final Runnable body)
    {
        final Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        synchronized (threads)
        {
            threads.add(thread);
        }
        thread.start();
    }

    public void close()
    {
        isClosed = true;
        try
        {
            listener.close();
        }
        catch (final IOException ignore)
        {
            // closing
        }
        synchronized (sockets)
        {
            for (final Socket socket : sockets)
            {
                try
                {
                    socket.close();
                }
                catch (final IOException ignore)
                {
                    // closing
                }
            }
        }
        final List<Thread> all;
        synchronized (threads)
        {
            all = new ArrayList<>(threads);
        }
        for (final Thread thread : all)
        {
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive())
            {
                throw new IllegalStateException(thread.getName() + " did not stop");
            }
        }
    }
}
