package io.ringsync.transport.aeron;

/**
 * The Aeron channel URIs of a rank's links, and only that: which options each subscription and publication is
 * added with, over IPC or UDP, derived from the concluded {@link AeronTransport.Context}. Over UDP both ends of a
 * link name its session id, so the driver makes an image of the link's own session only; every publication pins
 * its window to term/2, so {@link AeronOutboundLink#windowLength()} is exact.
 */
final class AeronChannels
{
    private AeronChannels()
    {
    }

    /**
     * @param ctx  concluded settings of the receiving rank.
     * @param peer the sending rank.
     * @return the channel of the subscription from {@code peer}: {@code aeron:ipc}, or over UDP this rank's own
     * endpoint with its socket buffer, receiver window and the link's session id.
     */
    static String subscriptionChannel(final AeronTransport.Context ctx, final int peer)
    {
        if (AeronMedia.IPC == ctx.media())
        {
            return "aeron:ipc";
        }

        // session-id: the driver makes images of the link's own session only; a stranger's SETUP is ignored
        return "aeron:udp?endpoint=" + ctx.udpEndpoints()[ctx.rank()] +
            "|so-rcvbuf=" + ctx.socketBufferLength() +
            "|rcv-wnd=" + ctx.socketBufferLength() +
            "|session-id=" + ctx.sessionId(peer, ctx.rank());
    }

    /**
     * @param ctx  concluded settings of the sending rank.
     * @param peer the receiving rank.
     * @return the channel of the publication to {@code peer}: mtu, term length and a publisher window of term/2,
     * over UDP also the peer's endpoint, the socket buffer and the link's session id.
     */
    static String publicationChannel(final AeronTransport.Context ctx, final int peer)
    {
        // pub-wnd pins the publisher window to term/2 whatever the driver's defaults, so windowLength() is exact
        final String common = "mtu=" + ctx.mtuLength() +
            "|term-length=" + ctx.termLength() +
            "|pub-wnd=" + (ctx.termLength() / 2);
        if (AeronMedia.IPC == ctx.media())
        {
            return "aeron:ipc?" + common;
        }

        return "aeron:udp?endpoint=" + ctx.udpEndpoints()[peer] + "|" + common +
            "|so-sndbuf=" + ctx.socketBufferLength() +
            "|session-id=" + ctx.sessionId(ctx.rank(), peer);
    }
}
