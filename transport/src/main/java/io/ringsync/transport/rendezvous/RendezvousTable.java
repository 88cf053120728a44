package io.ringsync.transport.rendezvous;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the rendezvous agreed on, the same on every rank: for each rank its host identity and the endpoints it listens
 * on, a fresh job id, and a random 128-bit session id (not secret: with the job secret it is what later
 * per-connection authentication derives its keys from).
 */
public final class RendezvousTable
{
    private final int rank;
    private final long jobId;
    private final byte[] sessionId;
    private final String[] hosts;
    private final String[][] endpoints;

    RendezvousTable(final int rank, final long jobId, final byte[] sessionId, final String[] hosts,
        final String[][] endpoints)
    {
        this.rank = rank;
        this.jobId = jobId;
        this.sessionId = sessionId.clone();
        this.hosts = hosts.clone();
        this.endpoints = new String[endpoints.length][];
        for (int i = 0; i < endpoints.length; i++)
        {
            this.endpoints[i] = endpoints[i].clone();
        }
    }

    /**
     * @return this process' rank.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return ranks in the job.
     */
    public int worldSize()
    {
        return hosts.length;
    }

    /**
     * @return the job id rank 0 chose (its {@code RINGSYNC_JOB_ID}, else a random non-zero one).
     */
    public long jobId()
    {
        return jobId;
    }

    /**
     * @return the session id, 16 random bytes drawn by rank 0.
     */
    public byte[] sessionId()
    {
        return sessionId.clone();
    }

    /**
     * @return the session id as 32 hex digits.
     */
    public String sessionIdHex()
    {
        final StringBuilder sb = new StringBuilder(32);
        for (final byte b : sessionId)
        {
            sb.append(String.format("%02x", b & 0xFF));
        }
        return sb.toString();
    }

    /**
     * @param rank a rank.
     * @return its host identity ({@code host/boot-id}, see {@link io.ringsync.transport.HostIdentity}).
     */
    public String host(final int rank)
    {
        return hosts[rank];
    }

    /**
     * @param rank a rank.
     * @return the endpoints it listens on, in the order it gave them (empty when its transport needs none).
     */
    public String[] endpoints(final int rank)
    {
        return endpoints[rank].clone();
    }

    /**
     * @param index which of each rank's endpoints (0 for the first).
     * @return that endpoint of every rank, in rank order.
     * @throws IllegalStateException when a rank has fewer endpoints.
     */
    public String[] endpointColumn(final int index)
    {
        final String[] column = new String[hosts.length];
        for (int r = 0; r < hosts.length; r++)
        {
            if (endpoints[r].length <= index)
            {
                throw new IllegalStateException("rank " + r + " gave " + endpoints[r].length + " endpoint(s) at the " +
                    "rendezvous, not " + (index + 1) + ": do all ranks use the same transport?");
            }
            column[r] = endpoints[r][index];
        }
        return column;
    }

    /**
     * @param rank a rank.
     * @return the ranks on its host (same host identity), in rank order, itself included.
     */
    public int[] ranksOnHostOf(final int rank)
    {
        final List<Integer> same = new ArrayList<>();
        for (int r = 0; r < hosts.length; r++)
        {
            if (hosts[r].equals(hosts[rank]))
            {
                same.add(r);
            }
        }
        return same.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * @return this rank's index among the ranks of its host.
     */
    public int localRank()
    {
        return Arrays.binarySearch(ranksOnHostOf(rank), rank);
    }

    /**
     * @return number of distinct hosts.
     */
    public int hostCount()
    {
        return (int)Arrays.stream(hosts).distinct().count();
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("RendezvousTable{jobId=0x").append(Long.toHexString(jobId))
            .append(", session=").append(sessionIdHex());
        for (int r = 0; r < hosts.length; r++)
        {
            sb.append(", ").append(r).append('=').append(hosts[r]).append(Arrays.toString(endpoints[r]));
        }
        return sb.append('}').toString();
    }
}
