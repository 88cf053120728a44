package io.ringsync.collectives;

import io.ringsync.codecs.Collective;

/**
 * What a call asks for, as the facade hands it to the engine. Several kinds share a wire collective: a weighted
 * average is an AllReduce on the wire, with {@code WEIGHTED_AVG} as its reduction.
 */
enum CallKind
{
    ALL_REDUCE(Collective.ALL_REDUCE),
    WEIGHTED_AVERAGE(Collective.ALL_REDUCE),
    REDUCE_SCATTER(Collective.REDUCE_SCATTER),
    ALL_GATHER(Collective.ALL_GATHER),
    BROADCAST(Collective.BROADCAST),
    BARRIER(Collective.BARRIER),
    CLOSE(Collective.CLOSE),
    SPLIT(Collective.SPLIT);

    private final Collective collective;

    CallKind(final Collective collective)
    {
        this.collective = collective;
    }

    /**
     * @return the collective the call's messages carry.
     */
    Collective collective()
    {
        return collective;
    }
}
