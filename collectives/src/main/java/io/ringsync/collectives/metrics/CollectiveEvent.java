package io.ringsync.collectives.metrics;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * A JDK Flight Recorder event for one collective call of a communicator, {@code io.ringsync.Collective}. Made only
 * while a recording has it enabled; its duration is the call's.
 */
@Name(CollectiveEvent.NAME)
@Label("Collective Call")
@Category({ "ringsync" })
@Description("One collective call of a ringsync communicator")
@StackTrace(false)
public final class CollectiveEvent extends Event
{
    /**
     * The event's name, for {@code jfr print --events} and {@code Recording.enable}.
     */
    public static final String NAME = "io.ringsync.Collective";

    @Label("Collective")
    String collective;

    @Label("Path")
    @Description("The algorithm the call took: small, ring, direct, ...")
    String path;

    @Label("Sequence")
    long sequence;

    @Label("Rank")
    int rank;

    @Label("Bytes")
    @DataAmount
    long bytes;

    @Label("Waited On Rank")
    @Description("The peer whose first chunk came last, -1 when none")
    int waitedOnRank;

    @Label("Wait")
    @Description("How long after this rank's start that peer's first chunk came")
    @Timespan
    long waitedNs;

    @Label("Failed")
    boolean failed;
}
