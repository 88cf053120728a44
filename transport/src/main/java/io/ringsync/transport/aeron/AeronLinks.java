package io.ringsync.transport.aeron;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import org.agrona.CloseHelper;

import java.util.ArrayList;
import java.util.List;

/**
 * The lifecycle of a mesh's links, and only that: admits the job's inbound streams and sessions to the embedded
 * driver's {@link SessionGuard}, adds a subscription from every peer (first, so that peers' publications find them
 * as soon as they are added) and an exclusive publication to every peer, and closes them all again. The arrays it
 * fills belong to {@link AeronTransport}, which reads them on the hot path; nothing here runs per message.
 */
final class AeronLinks
{
    private AeronLinks()
    {
    }

    /**
     * Add this rank's links; on failure those added so far stay in the arrays for {@link #close}.
     *
     * @param ctx        concluded settings of the mesh.
     * @param connection the rank's connection to Aeron.
     * @param outbound   filled with a link to every peer, indexed by peer.
     * @param inbound    filled with a link from every peer, indexed by peer.
     */
    static void open(
        final AeronTransport.Context ctx,
        final AeronConnection connection,
        final AeronOutboundLink[] outbound,
        final AeronInboundLink[] inbound)
    {
        final int rank = ctx.rank();
        final int worldSize = ctx.worldSize();
        final Aeron client = connection.aeron;
        for (int peer = 0; null != connection.guard && peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                connection.guard.admit(ctx.streamId(peer, rank), ctx.sessionId(peer, rank));
            }
        }

        // subscriptions first, so that peers' publications find them as soon as they are added
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                final AeronInboundLink link = new AeronInboundLink(peer, ctx.isSessionBound(),
                    ctx.sessionId(peer, rank), AeronMessageAuthenticator.forLink(ctx, peer, rank));
                link.subscription = client.addSubscription(
                    AeronChannels.subscriptionChannel(ctx, peer), ctx.streamId(peer, rank), link, link);
                inbound[peer] = link;
            }
        }

        final long windowLength = ctx.termLength() / 2;
        for (int peer = 0; peer < worldSize; peer++)
        {
            if (peer != rank)
            {
                final ExclusivePublication publication = client.addExclusivePublication(
                    AeronChannels.publicationChannel(ctx, peer), ctx.streamId(rank, peer));
                outbound[peer] = new AeronOutboundLink(
                    peer, publication, windowLength, AeronMessageAuthenticator.forLink(ctx, rank, peer));
            }
        }
    }

    /**
     * Close every publication and subscription in the arrays, once what the publications hold has been sent (at most
     * {@link SentDataWait#BUDGET_NS}), and take the mesh's inbound streams off the session
     * guard again; never throws.
     *
     * @param ctx        concluded settings of the mesh.
     * @param connection the rank's connection to Aeron.
     * @param outbound   links to peers, null entries skipped.
     * @param inbound    links from peers, null entries and those without a subscription skipped.
     */
    static void close(
        final AeronTransport.Context ctx,
        final AeronConnection connection,
        final AeronOutboundLink[] outbound,
        final AeronInboundLink[] inbound)
    {
        final List<ExclusivePublication> publications = publications(outbound);
        if (!publications.isEmpty() && !connection.aeron.isClosed())
        {
            // an abort just offered must leave before the driver stops (the peers learn why this rank failed)
            SentDataWait.await(connection.aeron.countersReader(), publications, SentDataWait.BUDGET_NS);
        }
        final List<AutoCloseable> closeables = new ArrayList<>(outbound.length + inbound.length);
        closeables.addAll(publications);
        for (final AeronInboundLink link : inbound)
        {
            if (null != link && null != link.subscription)
            {
                closeables.add(link.subscription);
            }
        }
        CloseHelper.quietCloseAll(closeables);
        for (int peer = 0; null != connection.guard && peer < ctx.worldSize(); peer++)
        {
            if (peer != ctx.rank())
            {
                connection.guard.revoke(ctx.streamId(peer, ctx.rank()), ctx.sessionId(peer, ctx.rank()));
            }
        }
    }

    /**
     * @param outbound links to peers, null entries skipped.
     * @return their publications, in peer order.
     */
    static List<ExclusivePublication> publications(final AeronOutboundLink[] outbound)
    {
        final List<ExclusivePublication> publications = new ArrayList<>(outbound.length);
        for (final AeronOutboundLink link : outbound)
        {
            if (null != link)
            {
                publications.add(link.publication);
            }
        }
        return publications;
    }
}
