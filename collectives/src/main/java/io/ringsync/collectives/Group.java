package io.ringsync.collectives;

import io.ringsync.transport.InboundLink;
import io.ringsync.transport.OutboundLink;
import io.ringsync.transport.Transport;

/**
 * The ranks of one communicator and this rank's links to them: who this rank is, who its ring neighbours are,
 * and how a rank is named in messages. A sub-communicator's ranks also carry their rank in the job, so that a
 * message about "rank 1" of a group of three can say which process that is.
 */
final class Group
{
    final int rank;
    final int size;
    final int left;
    final int right;

    private final Transport transport;
    private final OutboundLink[] outbound;
    private final InboundLink[] inbound;
    private final InboundLink[] inboundFromPeers;
    private final int[] jobRanks;

    /**
     * @param transport this rank's mesh.
     * @param jobRanks  each member's rank in the job, or null for the job's own group.
     */
    Group(final Transport transport, final int[] jobRanks)
    {
        this.transport = transport;
        this.rank = transport.rank();
        this.size = transport.worldSize();
        this.left = (rank - 1 + size) % size;
        this.right = (rank + 1) % size;
        this.jobRanks = null == jobRanks ? null : jobRanks.clone();
        this.outbound = new OutboundLink[size];
        this.inbound = new InboundLink[size];
        this.inboundFromPeers = new InboundLink[size - 1];
        for (int peer = 0, i = 0; peer < size; peer++)
        {
            if (peer != rank)
            {
                outbound[peer] = transport.outbound(peer);
                inbound[peer] = transport.inbound(peer);
                inboundFromPeers[i++] = inbound[peer];
            }
        }
    }

    Transport transport()
    {
        return transport;
    }

    OutboundLink outbound(final int peer)
    {
        return outbound[peer];
    }

    InboundLink inbound(final int peer)
    {
        return inbound[peer];
    }

    /**
     * @param link one of this group's outbound links, or null.
     * @return the rank it sends to in this group, or -1 for null or a link of another group.
     */
    int peerOf(final OutboundLink link)
    {
        for (int peer = 0; null != link && peer < size; peer++)
        {
            if (outbound[peer] == link)
            {
                return peer;
            }
        }
        return -1;
    }

    /**
     * @return the links from every peer, for polling.
     */
    InboundLink[] inboundFromPeers()
    {
        return inboundFromPeers;
    }

    /**
     * @param member a rank of this group.
     * @return its rank in the job.
     */
    int jobRank(final int member)
    {
        return null == jobRanks ? member : jobRanks[member];
    }

    /**
     * @return whether this is a sub-communicator (made by split).
     */
    boolean isSubGroup()
    {
        return null != jobRanks;
    }

    /**
     * @param member a rank of this group.
     * @return "rank 2", or "rank 2 (job rank 5)" in a sub-communicator.
     */
    String name(final int member)
    {
        return null == jobRanks || member < 0 || member >= size ? "rank " + member :
            "rank " + member + " (job rank " + jobRanks[member] + ")";
    }
}
