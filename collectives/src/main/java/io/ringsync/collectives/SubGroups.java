package io.ringsync.collectives;

import io.ringsync.transport.Transport;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * Sub-communicators, as {@code MPI_Comm_split} makes them. Every rank of the parent contributes its colour and
 * key to an allgather (the {@code SPLIT} collective, so a rank making another call meanwhile fails as a mismatch
 * on every rank); each then computes the same groups from the same table: the ranks of one colour, ordered by key,
 * ties by their rank in the parent. A group gets a mesh of its own from the parent's transport
 * ({@link Transport#openMesh}), identified by a mesh id that every member derives alike from the parent's id, the
 * split's call number and the colour, and connects over it like any communicator: its own call numbers, deadline,
 * status files and failure handling, so it runs while the parent does and closes on its own.
 */
final class SubGroups
{
    private SubGroups()
    {
    }

    /**
     * @return the split's allgather vector: two float64 per rank, colour (negative as -1) then key, exact for ints.
     */
    static double[] table(final int rank, final int size, final int color, final int key)
    {
        final double[] table = new double[2 * size];
        table[2 * rank] = color < 0 ? Communicator.UNDEFINED : color;
        table[2 * rank + 1] = key;
        return table;
    }

    /**
     * @param table the gathered colours and keys.
     * @param color this rank's colour, >= 0.
     * @return the parent ranks of the group of {@code color}, in the new rank order: by key, then parent rank.
     */
    static int[] members(final double[] table, final int color)
    {
        final int size = table.length / 2;
        final long[] order = new long[size];
        int count = 0;
        for (int rank = 0; rank < size; rank++)
        {
            if ((int)table[2 * rank] == color)
            {
                // the signed key in the high half, the parent rank (never negative) in the low half
                order[count++] = (long)(int)table[2 * rank + 1] << 32 | rank;
            }
        }
        Arrays.sort(order, 0, count);
        final int[] members = new int[count];
        for (int i = 0; i < count; i++)
        {
            members[i] = (int)order[i];
        }
        return members;
    }

    /**
     * @return the id of the group of {@code color} made by the split numbered {@code sequence} of the communicator
     * with mesh id {@code parentMeshId}: the same on every member, different for every group of a job (a 64-bit
     * mix, so distinct groups collide only by chance of 2^-64).
     */
    static long meshId(final long parentMeshId, final long sequence, final int color)
    {
        long x = parentMeshId * 0x9E3779B97F4A7C15L + sequence;
        x = mix(x) ^ (color & 0xFFFFFFFFL);
        x = mix(x + 0x632BE59BD9B4E019L);
        return 0 == x ? 1 : x;
    }

    /**
     * Opens the mesh of a new group: by default the parent transport's own {@link Transport#openMesh}; the
     * host-aware path opens the groups of one host over shared memory instead.
     */
    @FunctionalInterface
    interface MeshOpener
    {
        /**
         * @param meshId  of the group, the same on every member.
         * @param members parent ranks of the group, in its rank order.
         * @return this rank's mesh of the group.
         */
        Transport open(long meshId, int[] members);
    }

    /**
     * What this rank needs to connect its group after the split's exchange: the group's own mesh (opened here) and
     * its settings.
     */
    static final class Member
    {
        final Transport mesh;
        final Context ctx;
        final int[] jobRanks;
        final ProcessHandle[] knownProcesses;
        final long meshId;

        Member(final Transport mesh, final Context ctx, final int[] jobRanks, final ProcessHandle[] knownProcesses,
            final long meshId)
        {
            this.mesh = mesh;
            this.ctx = ctx;
            this.jobRanks = jobRanks;
            this.knownProcesses = knownProcesses;
            this.meshId = meshId;
        }
    }

    /**
     * Join this rank's group after the split's exchange: open its mesh and derive its settings; its status
     * directory (where the parent has one) is made here and removed, once empty, when the group closes.
     *
     * @param table           the gathered colours and keys.
     * @param color           this rank's colour; negative for no group.
     * @param splitSequence   the split's call number in the parent.
     * @param parentMeshId    the parent's mesh id.
     * @param parent          the parent's ranks and links.
     * @param parentCtx       the parent's settings, which the group inherits.
     * @param parentProcesses the parent's peers on this host, by parent rank.
     * @param opener          opens the group's mesh.
     * @param statusParent    where the group's status directory goes, or null for the parent's status directory.
     * @return what to connect, or null for a negative colour.
     */
    static Member join(
        final double[] table, final int color, final long splitSequence, final long parentMeshId, final Group parent,
        final Context parentCtx, final ProcessHandle[] parentProcesses, final MeshOpener opener,
        final File statusParent)
    {
        if (color < 0)
        {
            return null;
        }
        final int[] members = members(table, color);
        return open(members, meshId(parentMeshId, splitSequence, color), parent, parentCtx, parentProcesses, opener,
            statusParent, "split cannot open a mesh for the group of colour " + color);
    }

    /**
     * Open the mesh of a group whose members are known (after a split's exchange, or a shrink's agreement) and
     * derive its settings; its status directory (where the parent has one) is made here and removed, once empty,
     * when the group closes.
     *
     * @param members         parent ranks of the group, in its rank order; this rank is one of them.
     * @param meshId          of the group, the same on every member.
     * @param parent          the parent's ranks and links.
     * @param parentCtx       the parent's settings, which the group inherits.
     * @param parentProcesses the parent's peers on this host, by parent rank.
     * @param opener          opens the group's mesh.
     * @param statusParent    where the group's status directory goes, or null for the parent's status directory.
     * @param what            what failed, for the message.
     * @return what to connect.
     */
    static Member open(
        final int[] members, final long meshId, final Group parent, final Context parentCtx,
        final ProcessHandle[] parentProcesses, final MeshOpener opener, final File statusParent, final String what)
    {
        final int[] jobRanks = new int[members.length];
        final ProcessHandle[] known = new ProcessHandle[members.length];
        for (int i = 0; i < members.length; i++)
        {
            jobRanks[i] = parent.jobRank(members[i]);
            known[i] = members[i] == parent.rank ? null : parentProcesses[members[i]];
        }
        final Context ctx = parentCtx.copy().epoch((int)(meshId ^ (meshId >>> 32)));
        final File statusRoot = null != statusParent ? statusParent : parentCtx.statusDirectory();
        final File statusDirectory = null == statusRoot ? null :
            new File(statusRoot, String.format("comm-%016x", meshId));
        ctx.statusDirectory(statusDirectory);
        try
        {
            if (null != statusDirectory)
            {
                Files.createDirectories(statusDirectory.toPath(), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            }
            return new Member(opener.open(meshId, members), ctx, jobRanks, known, meshId);
        }
        catch (final UnsupportedOperationException | IOException ex)
        {
            throw new ConfigurationException("rank " + parent.rank + ": " + what + " (" + members.length +
                " ranks) over " + parent.transport().name() + ": " + ex, -1, ex);
        }
    }

    private static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
