package io.ringsync.transport;

/**
 * The rule a rank and the size of its job follow, and only that: one place for every settings class that takes
 * them from a user (a transport's context, the rendezvous'), so that all of them refuse the same values with the
 * same words.
 */
public final class Ranks
{
    private Ranks()
    {
    }

    /**
     * @param rank      as set: 0 to {@code worldSize - 1}.
     * @param worldSize as set: at least 1.
     * @throws IllegalArgumentException naming the bad one and the setter to call ({@code worldSize(int)},
     *                                  {@code rank(int)}).
     */
    public static void check(final int rank, final int worldSize)
    {
        if (worldSize < 1)
        {
            throw new IllegalArgumentException("worldSize=" + worldSize +
                " must be >= 1: set worldSize(int) to the number of ranks");
        }

        if (rank < 0 || rank >= worldSize)
        {
            throw new IllegalArgumentException("rank=" + rank + " must be in [0, worldSize=" + worldSize +
                "): set rank(int)");
        }
    }
}
