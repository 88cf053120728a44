package io.ringsync.collectives;

import io.ringsync.transport.PrivateDirectory;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;

/**
 * Which ranks of a communicator share a host, by the one test that matters for shared memory: whether they see
 * each other's files in it. A host name is not proof (two containers on one machine may share one, and a kernel's
 * boot id too); a file is. Every rank writes a random nonce into {@code probe-<rank>} of the job's directory in
 * shared memory, the ranks exchange their nonces (an allgather), and each reads its peers' probe files: a peer
 * whose file holds its nonce shares this rank's shared memory. Then each rank names its host by the lowest rank it
 * shares with, and a second allgather gives every rank the same table of hosts.
 */
final class Topology
{
    private static final SecureRandom RANDOM = new SecureRandom();

    private final int[] hostOf;
    private final int[] localRank;
    private final int[] hostSize;
    private final int hosts;

    private Topology(final int[] hostColour)
    {
        final int n = hostColour.length;
        this.hostOf = new int[n];
        this.localRank = new int[n];
        this.hostSize = new int[n];
        int count = 0;
        final int[] indexOfColour = new int[n];
        java.util.Arrays.fill(indexOfColour, -1);
        final int[] members = new int[n];
        for (int rank = 0; rank < n; rank++)
        {
            final int colour = hostColour[rank];
            if (indexOfColour[colour] < 0)
            {
                indexOfColour[colour] = count++;
            }
            hostOf[rank] = indexOfColour[colour];
            localRank[rank] = members[hostOf[rank]]++;
        }
        for (int rank = 0; rank < n; rank++)
        {
            hostSize[rank] = members[hostOf[rank]];
        }
        this.hosts = count;
    }

    /**
     * Find the hosts of {@code comm}'s ranks. Collective: every rank of {@code comm} calls it.
     *
     * @param comm           the communicator, open.
     * @param probeDirectory the job's directory in shared memory on this host (made owner-only when missing).
     * @return the table, the same on every rank.
     * @throws ConfigurationException when the probe file cannot be written.
     */
    static Topology discover(final Communicator comm, final File probeDirectory)
    {
        final int n = comm.size();
        final int rank = comm.rank();
        final long nonce = RANDOM.nextLong() | 1; // never 0, which stands for "no probe file"
        final File probe = new File(probeDirectory, "probe-" + rank);
        write(probe, nonce);
        try
        {
            final double[] nonces = new double[n];
            nonces[rank] = Double.longBitsToDouble(nonce);
            comm.allGather(nonces, 1);
            int colour = rank;
            for (int peer = 0; peer < n; peer++)
            {
                if (peer != rank && Double.doubleToRawLongBits(nonces[peer]) == read(new File(probeDirectory,
                    "probe-" + peer)))
                {
                    colour = Math.min(colour, peer);
                }
            }
            final double[] colours = new double[n];
            colours[rank] = colour;
            // also the barrier after which no rank reads a probe file any more
            comm.allGather(colours, 1);
            final int[] hostColour = new int[n];
            for (int peer = 0; peer < n; peer++)
            {
                hostColour[peer] = (int)colours[peer];
            }
            return new Topology(hostColour);
        }
        finally
        {
            probe.delete();
        }
    }

    /**
     * @return the number of hosts.
     */
    int hosts()
    {
        return hosts;
    }

    /**
     * @return the host of {@code rank}, 0 to hosts - 1, numbered in the order of their lowest ranks.
     */
    int hostOf(final int rank)
    {
        return hostOf[rank];
    }

    /**
     * @return the place of {@code rank} among the ranks of its host, in rank order.
     */
    int localRank(final int rank)
    {
        return localRank[rank];
    }

    /**
     * @return the ranks on the host of {@code rank}.
     */
    int hostSize(final int rank)
    {
        return hostSize[rank];
    }

    /**
     * @return whether every host has the same number of ranks.
     */
    boolean isEven()
    {
        for (final int size : hostSize)
        {
            if (size != hostSize[0])
            {
                return false;
            }
        }
        return true;
    }

    private static void write(final File probe, final long nonce)
    {
        try
        {
            final File directory = probe.getParentFile();
            if (!directory.isDirectory())
            {
                PrivateDirectory.ensureWithParents(directory);
            }
            final File temp = new File(directory, probe.getName() + "." + ProcessHandle.current().pid() + ".tmp");
            PrivateDirectory.writeFile(temp.toPath(),
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, nonce).array());
            Files.move(temp.toPath(), probe.toPath(), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new ConfigurationException("cannot write the shared-memory probe " + probe + " that tells which " +
                "ranks share a host: " + ex + "; set " + Configuration.HIERARCHY_ENV + "=flat to skip it", -1, ex);
        }
    }

    private static long read(final File probe)
    {
        try
        {
            final byte[] bytes = Files.readAllBytes(probe.toPath());
            return bytes.length == 8 ? ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0) : 0;
        }
        catch (final IOException ex)
        {
            // not there: that rank's shared memory is not this rank's
            return 0;
        }
    }
}
