package io.ringsync.transport.aeron;

import io.aeron.CncFileDescriptor;
import io.aeron.driver.Configuration;
import io.aeron.logbuffer.LogBufferDescriptor;
import org.agrona.BitUtil;
import org.agrona.concurrent.status.CountersReader;

/**
 * How much of /dev/shm an Aeron job takes, as figures, and the driver buffers sized for it. Aeron's defaults are
 * for a production host: 8 MiB of counter values with 32 MiB of their metadata make a 46 MiB cnc.dat per driver, so two UDP ranks (a driver each) overflowed the 64 MiB of /dev/shm a container gets. A job
 * of ringsync needs a few counters per link (publisher and sender positions and limits, subscriber and receiver
 * positions, channel status): the counter buffer is sized for the job's links, never below Aeron's minimum.
 * <p>
 * A link's log is three terms plus a metadata page; an IPC link has one log (its subscriber reads the
 * publication's), a UDP link two (the sender's publication and the receiver's image).
 */
public final class AeronFootprint
{
    /**
     * Bytes of a page.
     */
    public static final int PAGE = 4096;

    /**
     * Counters allowed per link, with room to spare (Aeron allocates about six per publication and image).
     */
    public static final int COUNTERS_PER_LINK = 8;

    /**
     * Counters allowed besides the links' (the driver's own and each client's).
     */
    public static final int COUNTERS_FIXED = 512;

    /**
     * Length of the driver's error log: Aeron's default, which is also its minimum.
     */
    public static final int ERROR_BUFFER_LENGTH = 4 * 1024 * 1024;

    /**
     * Links a driver is sized for when the job is not known ({@code ringsync driver}): a 32-rank IPC job.
     */
    public static final int LINKS_DEFAULT = 32 * 31;

    private AeronFootprint()
    {
    }

    /**
     * @param links publications and images the driver will hold at most.
     * @return the length of its counter values buffer: a power of two, at least Aeron's minimum.
     */
    public static int counterValuesLength(final long links)
    {
        final long bytes = (Math.max(0, links) * COUNTERS_PER_LINK + COUNTERS_FIXED) *
            CountersReader.COUNTER_LENGTH;
        final long length = Math.max(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN, bytes);
        return (int)Math.min(BitUtil.findNextPositivePowerOfTwo(length),
            Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MAX);
    }

    /**
     * @param links publications and images the driver will hold at most.
     * @return the bytes of the files a driver sized for them makes at start: its cnc.dat and loss report.
     */
    public static long driverBytes(final long links)
    {
        final int values = counterValuesLength(links);
        final long buffers = (long)Configuration.CONDUCTOR_BUFFER_LENGTH_DEFAULT +
            Configuration.TO_CLIENTS_BUFFER_LENGTH_DEFAULT + values +
            (long)values * (CountersReader.METADATA_LENGTH / CountersReader.COUNTER_LENGTH) + ERROR_BUFFER_LENGTH;
        return pages(CncFileDescriptor.END_OF_METADATA_OFFSET + buffers) +
            pages(Configuration.LOSS_REPORT_BUFFER_LENGTH_DEFAULT);
    }

    /**
     * @param termLength of the link.
     * @return the bytes of one log: three terms and the metadata.
     */
    public static long logBytes(final int termLength)
    {
        return pages(LogBufferDescriptor.computeLogLength(termLength, PAGE));
    }

    /**
     * @param worldSize  ranks of the job.
     * @param termLength of every link.
     * @return the bytes an IPC job takes: the launcher's one driver and a log per link.
     */
    public static long ipcJobBytes(final int worldSize, final int termLength)
    {
        final long links = (long)worldSize * (worldSize - 1);
        return driverBytes(links) + links * logBytes(termLength);
    }

    /**
     * @param worldSize  ranks of the job.
     * @param termLength of every link.
     * @return the bytes one UDP rank takes on its host: its embedded driver, its publications' and images' logs.
     */
    public static long udpRankBytes(final int worldSize, final int termLength)
    {
        final long links = 2L * (worldSize - 1);
        return driverBytes(links) + links * logBytes(termLength);
    }

    private static long pages(final long bytes)
    {
        return (bytes + PAGE - 1) / PAGE * PAGE;
    }
}
