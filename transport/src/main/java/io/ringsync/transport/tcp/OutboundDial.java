package io.ringsync.transport.tcp;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

import static io.ringsync.transport.tcp.TcpProtocol.ACK_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.ACK_MAGIC;
import static io.ringsync.transport.tcp.TcpProtocol.ACK_STATUS_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.MAGIC_OFFSET;
import static io.ringsync.transport.tcp.TcpProtocol.ORDER;
import static io.ringsync.transport.tcp.TcpProtocol.PREAMBLE_LENGTH;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_OK;
import static io.ringsync.transport.tcp.TcpProtocol.STATUS_PROVE;

/**
 * Connecting one outbound link: resolve, connect, with TLS on run its handshake, send the preamble, prove the job secret when there is one
 * ({@link SecretHandshake}), read the answer; on any failure wait and start over, until the link's connect deadline.
 * Used by the endpoint's thread alone.
 */
final class OutboundDial
{
    private static final long RETRY_INTERVAL_MAX_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private static final int WAITING = 0;
    private static final int CONNECTING = 1;
    private static final int SENDING = 2;
    private static final int AWAITING_ACK = 3;
    private static final int AWAITING_CHALLENGE = 4;
    private static final int SENDING_PROOF = 5;
    private static final int TLS_HANDSHAKE = 6;

    private final TcpTransport.Context ctx;
    private final Selector selector;
    final TcpOutboundLink link;
    final long meshId;
    final int fromRank;
    final long deadlineNs;
    final String host;
    final int port;
    final ByteBuffer out = BufferUtil.allocateDirectAligned(PREAMBLE_LENGTH, 64);
    final ByteBuffer in = ByteBuffer.allocateDirect(ACK_LENGTH).order(ORDER);
    int phase = WAITING;
    long nextAttemptNs;
    long phaseDeadlineNs;
    long retryIntervalNs;
    SocketChannel channel;
    LinkIo io;
    String lastProblem = "no attempt yet";
    boolean isDone;
    private SecretHandshake secretStep;

    OutboundDial(final TcpEndpoint endpoint, final TcpOutboundLink link, final long meshId, final int fromRank,
        final long windowLength, final long deadlineNs)
    {
        this.ctx = endpoint.context();
        this.selector = endpoint.selector();
        this.link = link;
        this.meshId = meshId;
        this.fromRank = fromRank;
        this.deadlineNs = deadlineNs;
        this.host = ctx.host(link.peerRank());
        this.port = ctx.port(link.peerRank());
        this.retryIntervalNs = ctx.connectRetryIntervalNs();
        this.nextAttemptNs = System.nanoTime();
        TcpProtocol.encodePreamble(new UnsafeBuffer(out), ctx.jobId(), meshId, fromRank, link.peerRank(),
            windowLength, TcpProtocol.authType(ctx), link.nonce());
    }

    /**
     * @return when this dial wants to be looked at again.
     */
    long onTimer(final long nowNs)
    {
        if (link.isClosed())
        {
            abandon();
            return Long.MAX_VALUE;
        }
        if (WAITING == phase)
        {
            if (nowNs - nextAttemptNs >= 0)
            {
                if (nowNs - deadlineNs >= 0)
                {
                    giveUp();
                    return Long.MAX_VALUE;
                }
                attempt(nowNs);
            }
        }
        else if (nowNs - phaseDeadlineNs >= 0)
        {
            retry(nowNs, "no answer within " + TimeUnit.NANOSECONDS.toMillis(ctx.handshakeTimeoutNs()) + " ms");
        }
        if (isDone)
        {
            return Long.MAX_VALUE;
        }
        return WAITING == phase ? nextAttemptNs : Math.min(phaseDeadlineNs, deadlineNs);
    }

    void onReady(final SelectionKey key)
    {
        final long nowNs = System.nanoTime();
        try
        {
            if (CONNECTING == phase && key.isConnectable())
            {
                if (channel.finishConnect())
                {
                    startSession(key);
                }
            }
            else if (TLS_HANDSHAKE == phase && (key.isReadable() || key.isWritable()))
            {
                stepTls(key);
            }
            else if (SENDING == phase && key.isWritable())
            {
                send(key);
            }
            else if (AWAITING_ACK == phase && key.isReadable())
            {
                readAck(key, nowNs);
            }
            else if (AWAITING_CHALLENGE == phase && key.isReadable())
            {
                readChallenge(key, nowNs);
            }
            else if (SENDING_PROOF == phase && key.isWritable())
            {
                sendProof(key);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            retry(nowNs, phaseName() + ": " + ex);
        }
    }

    private void attempt(final long nowNs)
    {
        final InetAddress address;
        try
        {
            // resolved afresh on each attempt: a peer's name may appear only once cluster DNS has it
            address = InetAddress.getByName(host);
        }
        catch (final IOException | RuntimeException ex)
        {
            retry(nowNs, "cannot resolve " + host + ": " + ex);
            return;
        }
        try
        {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            TcpEndpoint.configure(channel, ctx);
            phaseDeadlineNs = nowNs + ctx.handshakeTimeoutNs();
            out.clear();
            in.clear();
            secretStep = null;
            final SelectionKey key = channel.register(selector, 0, this);
            if (channel.connect(new InetSocketAddress(address, port)))
            {
                startSession(key);
            }
            else
            {
                phase = CONNECTING;
                key.interestOps(SelectionKey.OP_CONNECT);
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            retry(nowNs, "connect to " + address + ":" + port + ": " + ex);
        }
    }

    /**
     * The connection is up: the TLS handshake first when TLS is on, else the preamble.
     */
    private void startSession(final SelectionKey key) throws IOException
    {
        if (ctx.tls())
        {
            io = LinkIo.tls(channel, true);
            phase = TLS_HANDSHAKE;
            stepTls(key);
        }
        else
        {
            io = LinkIo.plain(channel);
            send(key);
        }
    }

    private void stepTls(final SelectionKey key) throws IOException
    {
        final int state = io.handshake();
        if (LinkIo.DONE == state)
        {
            send(key);
        }
        else
        {
            key.interestOps(LinkIo.NEEDS_READ == state ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
        }
    }

    private void send(final SelectionKey key) throws IOException
    {
        phase = SENDING;
        io.write(out);
        if (out.hasRemaining() || io.hasPendingOutput())
        {
            key.interestOps(SelectionKey.OP_WRITE);
        }
        else
        {
            phase = AWAITING_ACK;
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void readAck(final SelectionKey key, final long nowNs) throws IOException
    {
        if (io.read(in) < 0)
        {
            retry(nowNs, "closed by " + host + ":" + port + " without an answer: not a ringsync tcp " +
                "listener, or it did not take the preamble");
            return;
        }
        if (in.hasRemaining())
        {
            return;
        }
        if (in.getLong(MAGIC_OFFSET) != ACK_MAGIC)
        {
            retry(nowNs, host + ":" + port + " answered with something other than a ringsync acknowledgement");
            return;
        }
        final int status = in.getInt(ACK_STATUS_OFFSET);
        if (STATUS_PROVE == status && null != link.nonce() && null == secretStep)
        {
            secretStep = SecretHandshake.dialing(ctx, meshId, fromRank, link.peerRank(), link.nonce(),
                io.channelBinding());
            phase = AWAITING_CHALLENGE;
            readChallenge(key, nowNs);
            return;
        }
        if (STATUS_OK != status)
        {
            retry(nowNs, host + ":" + port + " " + TcpProtocol.statusText(status));
            return;
        }
        if (null != link.nonce() && null == secretStep)
        {
            // whoever listens there took the connection without proving it belongs to the job: it gets no frame
            retry(nowNs, host + ":" + port + " accepted the connection without proving it holds the job secret: " +
                "not a rank of this job (or one of a ringsync without connection proofs)");
            return;
        }
        key.cancel();
        final LinkIo connected = io;
        channel = null;
        io = null;
        isDone = true;
        link.dialStatus("connected");
        if (!link.offer(connected))
        {
            TcpEndpoint.closeQuietly(connected);
        }
    }

    private void readChallenge(final SelectionKey key, final long nowNs) throws IOException
    {
        final int state = secretStep.readChallenge(io);
        if (SecretHandshake.CLOSED == state)
        {
            retry(nowNs, "closed by " + host + ":" + port + " before its proof of the job secret");
        }
        else if (SecretHandshake.NOT_PROVEN == state)
        {
            retry(nowNs, host + ":" + port + " could not prove it holds the job secret: another " +
                "RINGSYNC_JOB_SECRET, or not a rank of this job; no frame is sent to it");
        }
        else if (SecretHandshake.PROVEN == state)
        {
            sendProof(key);
        }
    }

    private void sendProof(final SelectionKey key) throws IOException
    {
        phase = SENDING_PROOF;
        final ByteBuffer proof = secretStep.toSend();
        io.write(proof);
        if (proof.hasRemaining() || io.hasPendingOutput())
        {
            key.interestOps(SelectionKey.OP_WRITE);
        }
        else
        {
            phase = AWAITING_ACK;
            in.clear();
            key.interestOps(SelectionKey.OP_READ);
        }
    }

    private void retry(final long nowNs, final String problem)
    {
        TcpEndpoint.closeQuietly(channel);
        channel = null;
        io = null;
        lastProblem = problem;
        link.dialStatus(problem);
        phase = WAITING;
        nextAttemptNs = nowNs + retryIntervalNs;
        retryIntervalNs = Math.min(RETRY_INTERVAL_MAX_NS, 2 * retryIntervalNs);
    }

    private void giveUp()
    {
        link.fail("could not connect to rank " + link.peer() + " at " + host + ":" + port + " within " +
            TimeUnit.NANOSECONDS.toMillis(ctx.connectTimeoutNs()) + " ms; last attempt: " + lastProblem);
        abandon();
    }

    void abandon()
    {
        isDone = true;
        TcpEndpoint.closeQuietly(channel);
        channel = null;
        io = null;
    }

    private String phaseName()
    {
        switch (phase)
        {
            case CONNECTING:
                return "connect to " + host + ":" + port;
            case TLS_HANDSHAKE:
                return "TLS handshake with " + host + ":" + port + " (does that rank have " +
                    "RINGSYNC_TLS on too?)";
            case SENDING:
                return "send preamble to " + host + ":" + port;
            case AWAITING_CHALLENGE:
                return "await the proof of " + host + ":" + port;
            case SENDING_PROOF:
                return "send the proof to " + host + ":" + port;
            default:
                return "await answer from " + host + ":" + port;
        }
    }
}
