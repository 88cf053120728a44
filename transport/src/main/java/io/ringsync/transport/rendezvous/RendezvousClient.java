package io.ringsync.transport.rendezvous;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.rendezvous.RendezvousProtocol.FAILED;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.FLAG_SECRET;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.JOIN;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.MAGIC;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.MAX_FRAME;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.MAX_SMALL_FRAME;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.NONCE_LENGTH;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.REFUSED;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.TABLE;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.VERSION;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.WAITING;
import static io.ringsync.transport.rendezvous.RendezvousProtocol.WELCOME;

/**
 * A rank other than 0 joining the rendezvous: connect (resolving the host afresh and retrying with a growing pause
 * while it does not resolve, refuses or does not answer), join, and wait for the table, until the deadline.
 */
final class RendezvousClient
{
    private static final long RETRY_MIN_MS = 20;
    private static final long RETRY_MAX_MS = 1_000;
    private static final long READ_SLICE_MS = 5_000;
    private static final long ABORT_CHECK_MS = 100;

    private final Rendezvous.Context ctx;
    private final long deadlineNs;
    private final SecureRandom random = new SecureRandom();
    private String lastProblem = "no attempt yet";
    private String lastWaiting;

    RendezvousClient(final Rendezvous.Context ctx)
    {
        this.ctx = ctx;
        this.deadlineNs = System.nanoTime() + ctx.timeoutNs();
    }

    RendezvousTable run()
    {
        long pauseMs = RETRY_MIN_MS;
        while (true)
        {
            if (System.nanoTime() - deadlineNs >= 0)
            {
                throw new RendezvousException(timeoutMessage());
            }
            checkAbort();
            final Socket socket = connect();
            if (null != socket)
            {
                try
                {
                    return session(socket);
                }
                catch (final IOException ex)
                {
                    // before the join was accepted: rank 0 may be restarting, try again
                    lastProblem = "connected to " + socket.getRemoteSocketAddress() + " but " + ex.getMessage();
                }
                finally
                {
                    RendezvousServer.closeQuietly(socket);
                }
            }
            final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            sleepMs(Math.max(0, Math.min(Math.min(pauseMs, ABORT_CHECK_MS), remainingMs)));
            pauseMs = Math.min(RETRY_MAX_MS, pauseMs * 2);
        }
    }

    private Socket connect()
    {
        final InetAddress[] addresses;
        try
        {
            // resolved afresh on every attempt: the name may appear only once cluster DNS has it
            addresses = InetAddress.getAllByName(ctx.host());
        }
        catch (final UnknownHostException ex)
        {
            lastProblem = "cannot resolve " + ctx.host() + " (yet): " + ex.getMessage();
            return null;
        }
        for (final InetAddress address : addresses)
        {
            final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            if (remainingMs <= 0)
            {
                return null;
            }
            final Socket socket = new Socket();
            try
            {
                socket.connect(new InetSocketAddress(address, ctx.port()), (int)Math.max(1, Math.min(remainingMs,
                    TimeUnit.NANOSECONDS.toMillis(ctx.connectionTimeoutNs()))));
                socket.setTcpNoDelay(true);
                return socket;
            }
            catch (final IOException ex)
            {
                RendezvousServer.closeQuietly(socket);
                lastProblem = "connect to " + address.getHostAddress() + ":" + ctx.port() + ": " + ex.getMessage();
            }
        }
        return null;
    }

    /**
     * @throws IOException when the connection broke before rank 0 accepted the join (worth another attempt).
     * @throws RendezvousException for an outcome: refused, failed, timed out, or a peer that is not ours.
     */
    private RendezvousTable session(final Socket socket) throws IOException
    {
        final String server = ctx.host() + ":" + ctx.port();
        socket.setSoTimeout(sliceMs(TimeUnit.NANOSECONDS.toMillis(ctx.connectionTimeoutNs())));
        final DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        final DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));

        final RendezvousProtocol.Frame welcome;
        try
        {
            welcome = RendezvousProtocol.read(in, MAX_SMALL_FRAME);
        }
        catch (final SocketTimeoutException ex)
        {
            throw new IOException("it sent no welcome within " + socket.getSoTimeout() + " ms");
        }
        catch (final EOFException ex)
        {
            throw new IOException("it closed the connection before its welcome");
        }
        catch (final IOException ex)
        {
            throw new RendezvousException("rank " + ctx.rank() + ": " + server + " (" + ctx.addressSource() +
                ") is not a ringsync rendezvous: what it sent is not a welcome (" + ex.getMessage() + "). Is the " +
                "port taken by another program?", ex);
        }
        final DataInputStream w = welcome.in();
        final long magic = welcome.payload.length >= 12 ? w.readLong() : 0;
        final int version = welcome.payload.length >= 12 ? w.readInt() : 0;
        if (WELCOME != welcome.type || MAGIC != magic)
        {
            throw new RendezvousException("rank " + ctx.rank() + ": " + server + " (" + ctx.addressSource() +
                ") is not a ringsync rendezvous: it answered with something else. Is the port taken by another " +
                "program?");
        }
        if (VERSION != version)
        {
            throw new RendezvousException("rank " + ctx.rank() + ": the rendezvous at " + server + " speaks " +
                "protocol version " + version + ", this rank " + VERSION + ": run the same ringsync on every rank");
        }
        final boolean secretRequired = 0 != (w.readInt() & FLAG_SECRET);
        final byte[] serverNonce = new byte[NONCE_LENGTH];
        w.readFully(serverNonce);

        final byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(nonce);
        final byte[] body = new RendezvousProtocol.Join(ctx.rank(), ctx.worldSize(), ctx.hasSecret(), nonce,
            ctx.hostIdentity(), ctx.endpoints()).encode();
        RendezvousProtocol.write(out, JOIN, RendezvousProtocol.signed(body,
            RendezvousProtocol.joinTag(ctx.secret(), serverNonce, nonce, body)));

        boolean accepted = false;
        while (true)
        {
            final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
            if (remainingMs <= 0)
            {
                throw new RendezvousException(timeoutMessage());
            }
            checkAbort();
            socket.setSoTimeout(sliceMs(ABORT_CHECK_MS));
            final RendezvousProtocol.Frame frame;
            try
            {
                // a frame that started arriving gets the longer slice to complete
                if (0 == in.available())
                {
                    in.mark(1);
                    if (in.read() < 0)
                    {
                        throw new EOFException("end of stream");
                    }
                    in.reset();
                }
                socket.setSoTimeout(sliceMs(READ_SLICE_MS));
                frame = RendezvousProtocol.read(in, accepted ? MAX_FRAME : MAX_SMALL_FRAME);
            }
            catch (final SocketTimeoutException ex)
            {
                continue;
            }
            catch (final IOException ex)
            {
                if (!accepted)
                {
                    throw ex;
                }
                throw new RendezvousException("rank " + ctx.rank() + ": rank 0 (the rendezvous at " + server +
                    ") closed the connection before sending the table: " + ex.getMessage() + ". Did rank 0 fail or " +
                    "stop? See its output", ex);
            }
            switch (frame.type)
            {
                case WAITING:
                    accepted = true;
                    lastWaiting = RendezvousProtocol.decodeWaiting(frame);
                    break;
                case REFUSED:
                    throw new RendezvousException("rank " + ctx.rank() + ": refused by the rendezvous at " + server +
                        " (rank 0): " + RendezvousProtocol.text(frame));
                case FAILED:
                    throw new RendezvousException("rank " + ctx.rank() + ": the rendezvous at " + server +
                        " failed: " + RendezvousProtocol.text(frame));
                case TABLE:
                    return table(frame, serverNonce, nonce, secretRequired, server);
                default:
                    throw new RendezvousException("rank " + ctx.rank() + ": the rendezvous at " + server +
                        " sent a frame of unknown type " + frame.type + ": run the same ringsync on every rank");
            }
        }
    }

    private RendezvousTable table(
        final RendezvousProtocol.Frame frame, final byte[] serverNonce, final byte[] nonce,
        final boolean secretRequired, final String server) throws IOException
    {
        final byte[][] signed = RendezvousProtocol.unsign(frame);
        if (ctx.hasSecret() && (!secretRequired || !RendezvousProtocol.tagsMatch(
            RendezvousProtocol.tableTag(ctx.secret(), serverNonce, nonce, signed[0]), signed[1])))
        {
            throw new RendezvousException("rank " + ctx.rank() + ": the rendezvous at " + server + " does not know " +
                "this job's RINGSYNC_JOB_SECRET (its table failed authentication): it is not this job's rank 0");
        }
        final RendezvousTable table = RendezvousProtocol.decodeTable(ctx.rank(), signed[0]);
        if (table.worldSize() != ctx.worldSize() || !table.host(ctx.rank()).equals(ctx.hostIdentity()) ||
            !Arrays.equals(table.endpoints(ctx.rank()), ctx.endpoints()))
        {
            throw new RendezvousException("rank " + ctx.rank() + ": the rendezvous at " + server + " sent a table " +
                "that does not match this rank (world size " + table.worldSize() + ", this rank's entry " +
                table.host(Math.min(ctx.rank(), table.worldSize() - 1)) + "): is another job's rank 0 serving there?");
        }
        return table;
    }

    private String timeoutMessage()
    {
        final String server = ctx.host() + ":" + ctx.port();
        final long timeoutMs = TimeUnit.NANOSECONDS.toMillis(ctx.timeoutNs());
        if (null != lastWaiting)
        {
            return "rank " + ctx.rank() + ": the rendezvous at " + server + " (" + ctx.addressSource() + ") did " +
                "not complete within " + timeoutMs + " ms: " + lastWaiting + ". Were all ranks started, with the " +
                "same rendezvous address?";
        }
        return "rank " + ctx.rank() + " could not join the rendezvous at " + server + " (" + ctx.addressSource() +
            ") within " + timeoutMs + " ms; last attempt: " + lastProblem + ". Is rank 0 running, on that host?";
    }

    private void checkAbort()
    {
        final RuntimeException abort = ctx.abortCheck().get();
        if (null != abort)
        {
            throw abort;
        }
    }

    private int sliceMs(final long maxMs)
    {
        final long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNs - System.nanoTime());
        return (int)Math.max(1, Math.min(maxMs, remainingMs));
    }

    private static void sleepMs(final long ms)
    {
        try
        {
            Thread.sleep(ms);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new RendezvousException("interrupted while joining the rendezvous", ex);
        }
    }
}
