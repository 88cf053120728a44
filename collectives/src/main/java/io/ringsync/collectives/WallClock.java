package io.ringsync.collectives;

/**
 * Wall-clock milliseconds for the status board's heartbeats, derived from a {@code System.nanoTime()} reading the
 * engine has already taken, so a call does not pay a second clock read (tens of nanoseconds each under a
 * hypervisor's clock, a tenth of a small call). The wall clock is read again whenever the last reading is more than
 * {@link #RESAMPLE_NS} old, so the value never strays from {@code System.currentTimeMillis()} by more than the
 * drift of that interval or a step of the system clock within it; heartbeats are judged in hundreds of
 * milliseconds. Used by the thread that runs the calls only.
 */
final class WallClock
{
    /** How long one wall-clock reading serves. */
    static final long RESAMPLE_NS = 50_000_000L;

    private long anchorNs;
    private long anchorMs;
    private boolean anchored;

    /**
     * @param nowNs {@code System.nanoTime()}, just read.
     * @return epoch milliseconds at {@code nowNs}.
     */
    long millis(final long nowNs)
    {
        if (!anchored || nowNs - anchorNs > RESAMPLE_NS || nowNs - anchorNs < 0)
        {
            anchorMs = System.currentTimeMillis();
            anchorNs = nowNs;
            anchored = true;
            return anchorMs;
        }
        return anchorMs + (nowNs - anchorNs) / 1_000_000L;
    }
}
