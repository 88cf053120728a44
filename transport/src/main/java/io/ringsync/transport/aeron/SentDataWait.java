package io.ringsync.transport.aeron;

import io.aeron.AeronCounters;
import io.aeron.ExclusivePublication;
import org.agrona.concurrent.status.CountersReader;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Before a rank closes its udp publications, waits (briefly, bounded) until the driver's sender has put on the wire
 * everything the rank offered, and only that. A udp publication's data leaves from the driver's sender thread, after
 * {@code offer} has returned; a rank that fails sends its peers an abort and then usually closes, and its process
 * exits: closed at once, the driver would stop with the abort still in the term, and the peers would see only a
 * link going away, without the reason or the rank to blame. A publication is waited for while it is connected and
 * its sender position (the driver's counter) is behind what was offered; ipc publications have no sender and are
 * never waited for.
 */
final class SentDataWait
{
    /**
     * The most a close waits: enough for a sender that is only late to send a few frames, short enough that a peer
     * that stopped reading (its window closed) delays the close by no more than this.
     */
    static final long BUDGET_NS = TimeUnit.MILLISECONDS.toNanos(200);

    private static final long PAUSE_NS = TimeUnit.MICROSECONDS.toNanos(200);

    private SentDataWait()
    {
    }

    /**
     * @param counters    the driver's counters, as the rank's client reads them.
     * @param publications the publications about to be closed.
     * @param budgetNs    the most to wait.
     * @return how many publications still held unsent data when the wait ended (0: all sent).
     */
    static int await(final CountersReader counters, final List<ExclusivePublication> publications, final long budgetNs)
    {
        final int[] senderPositionIds = new int[publications.size()];
        for (int i = 0; i < senderPositionIds.length; i++)
        {
            senderPositionIds[i] = counters.findByTypeIdAndRegistrationId(
                AeronCounters.DRIVER_SENDER_POSITION_TYPE_ID, publications.get(i).registrationId());
        }
        final long deadlineNs = System.nanoTime() + budgetNs;
        while (true)
        {
            int unsent = 0;
            for (int i = 0; i < senderPositionIds.length; i++)
            {
                if (isUnsent(counters, senderPositionIds[i], publications.get(i)))
                {
                    unsent++;
                }
            }
            if (0 == unsent || System.nanoTime() - deadlineNs >= 0)
            {
                return unsent;
            }
            LockSupport.parkNanos(PAUSE_NS);
        }
    }

    private static boolean isUnsent(
        final CountersReader counters, final int senderPositionId, final ExclusivePublication publication)
    {
        if (CountersReader.NULL_COUNTER_ID == senderPositionId || publication.isClosed() ||
            !publication.isConnected() ||
            counters.getCounterState(senderPositionId) != CountersReader.RECORD_ALLOCATED)
        {
            return false;
        }
        return counters.getCounterValue(senderPositionId) < publication.position();
    }
}
