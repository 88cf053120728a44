package io.ringsync.transport.tcp;

import io.ringsync.transport.security.FrameAuthenticator;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpProtocol.ACK_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_NONE;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_TAG_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.AUTH_TYPE_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.FROM_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.JOB_ID_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.LENGTH_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.MAGIC_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.MESH_ID_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.PREAMBLE_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.PREAMBLE_MAGIC;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_BAD_AUTH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_BAD_PROOF;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_BAD_VERSION;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_NO_SUCH_MESH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_OK;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WINDOW_MISMATCH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WRONG_JOB;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_WRONG_RANK;
import static io.ringsync.transport.tcp.TcpProtocol.TO_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.VERSION;
import static io.ringsync.transport.tcp.TcpProtocol.VERSION_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.WINDOW_LENGTH_OFFSET;

/**
 * One connection the listener accepted, until it is routed to its link or refused: it reads and checks the
 * preamble, asks a dialer of a job with a secret for its proof ({@link SecretHandshake}), then hands the connection
 * to the mesh and inbound link the preamble names and answers with a status. Used by the endpoint's thread alone.
 */
final class AcceptedConnection
{
    private static final byte TLS_HANDSHAKE_RECORD = 22;

    private final TcpEndpoint endpoint;
    private final TcpTransport.Context ctx;
    private final Selector selector;
    final SocketChannel channel;
    private final LinkIo io;
    private boolean isHandshaking;
    final long deadlineNs;
    final ByteBuffer in = ByteBuffer.allocateDirect(PREAMBLE_LENGTH).order(ORDER);
    boolean isDone;
    private SecretHandshake secretStep;
    private TcpTransport proving;
    private int provingFrom;
    private byte[] provingNonce;

    AcceptedConnection(final TcpEndpoint endpoint, final SocketChannel channel, final long deadlineNs)
    {
        this.endpoint = endpoint;
        this.ctx = endpoint.context();
        this.selector = endpoint.selector();
        this.channel = channel;
        this.deadlineNs = deadlineNs;
        this.io = ctx.tls() ? LinkIo.tls(channel, false) : LinkIo.plain(channel);
        this.isHandshaking = ctx.tls();
    }

    /**
     * @return why the connection is dropped when its deadline passes.
     */
    String timeoutReason()
    {
        return (isHandshaking ? "no TLS handshake within " :
            null == secretStep ? "no whole preamble within " : "no proof of the job secret within ") +
            TimeUnit.NANOSECONDS.toMillis(ctx.handshakeTimeoutNs()) + " ms";
    }

    void onReadable()
    {
        if (isHandshaking && !stepTls())
        {
            return;
        }
        if (null != secretStep)
        {
            onProofReadable();
            return;
        }
        final int count;
        try
        {
            count = io.read(in);
        }
        catch (final IOException ex)
        {
            reject("broke before its preamble: " + ex);
            return;
        }
        if (count < 0)
        {
            reject("closed before a whole preamble");
            return;
        }
        if (in.position() >= 8 && in.getLong(MAGIC_OFFSET) != PREAMBLE_MAGIC)
        {
            // a TLS record of type handshake (22) starts with a ClientHello
            reject(TLS_HANDSHAKE_RECORD == in.get(0) ? "a TLS handshake: the dialing rank has RINGSYNC_TLS on and " +
                "this one off" : "not a ringsync tcp preamble (magic 0x" +
                Long.toHexString(in.getLong(MAGIC_OFFSET)) + ")");
            return;
        }
        if (in.hasRemaining())
        {
            return;
        }

        final int version = in.getInt(VERSION_OFFSET);
        final int length = in.getInt(LENGTH_OFFSET);
        final long jobId = in.getLong(JOB_ID_OFFSET);
        final long meshId = in.getLong(MESH_ID_OFFSET);
        final int from = in.getInt(FROM_OFFSET);
        final int to = in.getInt(TO_OFFSET);
        final long windowLength = in.getLong(WINDOW_LENGTH_OFFSET);
        final int authType = in.getInt(AUTH_TYPE_OFFSET);
        final int authLength = in.getInt(AUTH_LENGTH_OFFSET);
        int status = STATUS_OK;
        String reason = null;
        TcpTransport mesh = null;
        if (VERSION != version || PREAMBLE_LENGTH != length)
        {
            status = STATUS_BAD_VERSION;
            reason = "protocol version " + version + " / preamble length " + length + ", this is " + VERSION +
                " / " + PREAMBLE_LENGTH;
        }
        else if (ctx.jobId() != jobId)
        {
            status = STATUS_WRONG_JOB;
            reason = "job id 0x" + Long.toHexString(jobId) + ", this job is 0x" + Long.toHexString(ctx.jobId());
        }
        else if (ctx.rank() != to)
        {
            status = STATUS_WRONG_RANK;
            reason = "addressed to rank " + to + ", this is rank " + ctx.rank();
        }
        else if (TcpProtocol.authType(ctx) != authType ||
            (ctx.hasJobSecret() ? FrameAuthenticator.NONCE_LENGTH : 0) != authLength)
        {
            status = STATUS_BAD_AUTH;
            reason = "frame authentication " + (AUTH_NONE == authType ? "none" : TcpProtocol.AUTH_PROOF_ONLY ==
                authType ? "by connection proof only" : "type " + authType) + ", this rank " +
                (ctx.tagsFrames() ? "authenticates frames with " + ctx.frameMac() + " (a job secret is set)" :
                ctx.hasJobSecret() ? "has a job secret and leaves frames untagged (RINGSYNC_FRAME_MAC=off)" :
                "has no job secret");
        }
        else if (null == (mesh = endpoint.mesh(meshId)))
        {
            status = STATUS_NO_SUCH_MESH;
            reason = "no open mesh " + meshId;
        }
        else if (mesh.windowLength() != windowLength)
        {
            status = STATUS_WINDOW_MISMATCH;
            reason = "windowLength " + windowLength + ", mesh " + meshId + " uses " + mesh.windowLength();
        }

        byte[] nonce = null;
        if (STATUS_OK == status && AUTH_NONE != authType)
        {
            nonce = new byte[FrameAuthenticator.NONCE_LENGTH];
            in.get(AUTH_TAG_OFFSET, nonce);
            // the link is taken only once the dialer proved it holds the secret: ask for the proof first
            try
            {
                secretStep = SecretHandshake.accepting(ctx, meshId, from, nonce, io.channelBinding());
            }
            catch (final IOException ex)
            {
                reject(ex.getMessage());
                return;
            }
            proving = mesh;
            provingFrom = from;
            provingNonce = nonce;
            if (!write(secretStep.toSend()))
            {
                reject("broke while sending the challenge");
            }
            return;
        }
        route(status, reason, mesh, from, nonce);
    }

    /**
     * The dialer's proof, after the challenge: route the connection when it holds, else refuse it.
     */
    private void onProofReadable()
    {
        final int state;
        try
        {
            state = secretStep.readProof(io);
        }
        catch (final IOException ex)
        {
            reject("broke before proving the job secret: " + ex);
            return;
        }
        if (SecretHandshake.CLOSED == state)
        {
            reject("closed before proving the job secret");
        }
        else if (SecretHandshake.NOT_PROVEN == state)
        {
            route(STATUS_BAD_PROOF, "rank " + provingFrom + " of mesh " + proving.meshId() + " did not prove " +
                "it holds the job secret: another RINGSYNC_JOB_SECRET, or not a rank of this job", null, -1,
                null);
        }
        else if (SecretHandshake.PROVEN == state)
        {
            route(STATUS_OK, null, proving, provingFrom, provingNonce);
        }
    }

    /**
     * Hand a checked connection to its link, or refuse it, and answer with the status.
     */
    private void route(
        final int checkStatus, final String checkReason, final TcpTransport mesh, final int from,
        final byte[] nonce)
    {
        int status = checkStatus;
        String reason = checkReason;
        isDone = true;
        final SelectionKey key = channel.keyFor(selector);
        if (null != key)
        {
            key.cancel();
        }
        if (STATUS_OK == status)
        {
            status = mesh.acceptInbound(from, io, nonce);
            if (STATUS_OK != status)
            {
                reason = "mesh " + mesh.meshId() + " cannot take a link from rank " + from + ": " +
                    TcpProtocol.statusText(status);
            }
        }

        final ByteBuffer ack = ByteBuffer.allocateDirect(ACK_LENGTH);
        TcpProtocol.encodeAck(new UnsafeBuffer(ack), status);
        try
        {
            io.write(ack);
        }
        catch (final IOException ex)
        {
            // an accepted link then sees the connection broken; a refused one is closed anyway
        }
        if (STATUS_OK != status)
        {
            endpoint.countRejection(remote(), reason);
            TcpEndpoint.closeQuietly(channel);
        }
    }

    /**
     * One step of the TLS handshake.
     *
     * @return true once it is done (the preamble is next), false while it waits or after it failed.
     */
    private boolean stepTls()
    {
        final int state;
        try
        {
            state = io.handshake();
        }
        catch (final IOException | RuntimeException ex)
        {
            reject("TLS handshake failed (does the dialing rank have RINGSYNC_TLS on too?): " + ex);
            return false;
        }
        final SelectionKey key = channel.keyFor(selector);
        if (LinkIo.DONE != state)
        {
            if (null != key && key.isValid())
            {
                key.interestOps(LinkIo.NEEDS_READ == state ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
            }
            return false;
        }
        isHandshaking = false;
        if (null != key && key.isValid())
        {
            key.interestOps(SelectionKey.OP_READ);
        }
        return true;
    }

    void reject(final String reason)
    {
        isDone = true;
        endpoint.countRejection(remote(), reason);
        TcpEndpoint.closeQuietly(channel);
    }

    /**
     * @return false when the connection broke; a fresh socket's buffer takes the few bytes whole.
     */
    private boolean write(final ByteBuffer buffer)
    {
        try
        {
            io.write(buffer);
            return !buffer.hasRemaining();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private SocketAddress remote()
    {
        try
        {
            return channel.getRemoteAddress();
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }
}
