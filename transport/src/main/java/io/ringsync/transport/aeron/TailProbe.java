package io.ringsync.transport.aeron;

import io.aeron.ExclusivePublication;
import io.aeron.logbuffer.BufferClaim;
import io.ringsync.transport.CallStarts;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes a lost last frame of a udp burst show sooner, and only that. Aeron's receiver finds a gap when a later
 * frame arrives; when the frame lost is the last one a link sends before it falls quiet (a chunk's tail: the sender
 * waits for its own inbound chunks), nothing later comes until the sender's heartbeat, which Aeron's driver sends
 * after 100 ms without data, a constant. So a collective under loss waited 100 ms now and then (1 MiB at 5 % loss:
 * p99 about 100 ms against a p50 under 1 ms).
 * <p>
 * While a rank waits in a call, each of its udp links that has sent nothing for {@link #PROBE_INTERVAL_NS} sends a
 * probe: an empty claim aborted, which Aeron sends as a 32-byte padding frame at the next position. The receiver
 * never hands padding over, so nothing changes for the collectives, but the frame's position reveals a gap behind
 * it, which the receiver NAKs at once. Up to {@link #MAX_PROBES} probes per quiet spell, one per interval (a probe
 * can be lost too); then Aeron's heartbeat takes over. A link that had everything received costs one 32-byte
 * datagram per probe. Used by the rank's thread from {@link AeronTransport#doWork()}.
 * <p>
 * Quiet time counts only while the rank waits in a call: from a link's last data or the start of the current call
 * ({@link #callStarted}), whichever is later. A rank that computed between calls does not probe every link at the
 * first look of the next call, and a rank descheduled for a while inside a call (an oversubscribed host) keeps its
 * links' quiet time and probes as soon as it runs again.
 */
final class TailProbe implements CallStarts
{
    /**
     * Quiet time before a link's first probe and between its probes: far shorter than Aeron's 100 ms heartbeat,
     * and longer than a link is quiet in most loss-free calls of a ~1 MiB vector. At 1 ms the probes fired inside
     * ordinary calls and slowed them (np 2, 1 MiB, no loss: p50 0.83-1.89 ms against 0.70-0.75 ms without probes);
     * at 4 ms they did not (perf-results/2026-12-06-udp-loss).
     */
    static final long PROBE_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(4);

    /**
     * Probes per quiet spell, 4, 8, 12, ... 80 ms into it: a probe, the NAK it brings about and the retransmission
     * can each be lost too, and each loss costs one interval more.
     */
    static final int MAX_PROBES = 20;

    private final ExclusivePublication[] publications;
    private final long[] lastPosition;
    private final long[] quietSinceNs;
    private final int[] probes;
    private final BufferClaim claim = new BufferClaim();
    private long probeCount;

    /**
     * @param publications the links' publications.
     */
    TailProbe(final List<ExclusivePublication> publications)
    {
        this.publications = publications.toArray(new ExclusivePublication[0]);
        this.lastPosition = new long[this.publications.length];
        this.quietSinceNs = new long[this.publications.length];
        this.probes = new int[this.publications.length];
        final long nowNs = System.nanoTime();
        for (int i = 0; i < this.publications.length; i++)
        {
            lastPosition[i] = this.publications[i].position();
            quietSinceNs[i] = nowNs;
            probes[i] = MAX_PROBES; // nothing sent yet: nothing to reveal
        }
    }

    /**
     * A call begins: every link's quiet time and probe schedule start again now (a link whose probes of the last
     * spell ran out keeps them spent until it sends data).
     */
    public void callStarted(final long nowNs)
    {
        for (int i = 0; i < quietSinceNs.length; i++)
        {
            quietSinceNs[i] = nowNs;
            if (probes[i] < MAX_PROBES)
            {
                probes[i] = 0;
            }
        }
    }

    /**
     * Probe each link that has been quiet long enough since it last sent data.
     *
     * @param nowNs {@link System#nanoTime()}.
     * @return probes sent.
     */
    int doWork(final long nowNs)
    {
        int sent = 0;
        for (int i = 0; i < publications.length; i++)
        {
            final ExclusivePublication publication = publications[i];
            final long position = publication.position();
            if (position != lastPosition[i])
            {
                // data went out since the last look: a new quiet spell starts
                lastPosition[i] = position;
                quietSinceNs[i] = nowNs;
                probes[i] = 0;
            }
            else if (probes[i] < MAX_PROBES && nowNs - quietSinceNs[i] >= PROBE_INTERVAL_NS * (probes[i] + 1))
            {
                probes[i]++;
                if (publication.tryClaim(0, claim) > 0)
                {
                    claim.abort();
                    sent++;
                    probeCount++;
                }
                // the probe's own padding is not data: it must not start a new spell
                lastPosition[i] = publication.position();
            }
        }
        return sent;
    }

    /**
     * @return probes sent so far.
     */
    long probeCount()
    {
        return probeCount;
    }
}
