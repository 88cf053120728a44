package io.ringsync.collectives;

import io.aeron.protocol.DataHeaderFlyweight;
import io.aeron.protocol.HeaderFlyweight;
import io.aeron.protocol.SetupFlyweight;
import io.ringsync.transport.aeron.AeronTransport;
import io.ringsync.transport.aeron.UdpPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 14, finding 1, as a job sees it: two udp ranks keep calling AllReduce while a stranger who knows their ports
 * and the job id (so the stream ids) sends SETUP frames with made-up session ids and DATA frames of other sessions.
 * Every call must return the exact sum, no rank may fail when a stranger's image would have expired, and each rank
 * counts the forged frames it dropped.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@Tag("process") // two embedded udp drivers, runs past the 5 s image liveness timeout
class UdpStrangerTest
{
    private static final int COUNT = 4096;

    private final Path jobDir = TestJobDirectory.fresh("stranger").toPath();
    private final AtomicBoolean stop = new AtomicBoolean();
    private Thread strangerThread;

    @AfterEach
    void tearDown() throws InterruptedException
    {
        stop.set(true);
        if (null != strangerThread)
        {
            strangerThread.join(10_000);
        }
        org.agrona.IoUtil.delete(jobDir.toFile(), true);
    }

    @Test
    void allReduceStaysExactAndNoRankFailsWhileAStrangerForgesFrames() throws Exception
    {
        final long jobId = ThreadLocalRandom.current().nextLong() >>> 1;
        final int[] ports = UdpPorts.free(InetAddress.getLoopbackAddress(), 2);
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put(Configuration.RANK_ENV, Integer.toString(r));
            env.put(Configuration.WORLD_SIZE_ENV, "2");
            env.put(Configuration.TRANSPORT_ENV, "udp");
            env.put(Configuration.JOB_ID_ENV, Long.toString(jobId));
            env.put(Configuration.JOB_DIR_ENV, jobDir.toString());
            env.put(Configuration.TIMEOUT_MS_ENV, "20000");
            env.put(Configuration.UDP_ENDPOINTS_ENV, "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1]);
            env.put(Configuration.JOB_SECRET_ENV, "fedcba9876543210fedcba9876543210");
            envs.add(env);
        }

        // the stream ids follow from the job id, which a stranger may learn (the job directory's name shows it)
        final AeronTransport.Context asTheJobSeesIt = new AeronTransport.Context().rank(0).worldSize(2).jobId(jobId)
            .media(io.ringsync.transport.aeron.AeronMedia.UDP).jobDirectory(jobDir.toFile())
            .udpEndpoints("127.0.0.1:" + ports[0], "127.0.0.1:" + ports[1]).conclude();
        final int[] streamIdTo = { asTheJobSeesIt.streamId(1, 0), asTheJobSeesIt.streamId(0, 1) };
        final AtomicLong forged = new AtomicLong();
        strangerThread = new Thread(() -> forge(ports, streamIdTo, forged), "stranger");
        strangerThread.setDaemon(true);
        strangerThread.start();

        final long runNs = TimeUnit.SECONDS.toNanos(7);
        final List<long[]> results = RankThreads.values(RankThreads.run(2, 60_000,
            (rank) -> Communicator.fromEnvironment(envs.get(rank)), (comm) ->
            {
                // the last element says whether this rank wants another call: both stop after the same one
                final float[] v = new float[COUNT + 1];
                final long endNs = System.nanoTime() + runNs;
                long calls = 0;
                boolean more = true;
                while (more)
                {
                    for (int i = 0; i < COUNT; i++)
                    {
                        v[i] = (comm.rank() + 1) * (i % 1000) + calls % 7;
                    }
                    v[COUNT] = System.nanoTime() - endNs < 0 ? 1 : 0;
                    comm.allReduce(v, ReduceOp.SUM);
                    more = v[COUNT] == 2;
                    for (int i = 0; i < COUNT; i++)
                    {
                        final float expected = 3 * (i % 1000) + 2 * (calls % 7);
                        if (v[i] != expected)
                        {
                            throw new AssertionError("call " + calls + " element " + i + ": " + v[i] + " instead of " +
                                expected);
                        }
                    }
                    calls++;
                }
                final long foreign = comm.transport() instanceof AeronTransport ?
                    ((AeronTransport)comm.transport()).foreignFrameCount() : -1;
                return new long[]{ calls, foreign };
            }));

        stop.set(true);
        strangerThread.join(10_000);
        assertTrue(forged.get() > 100, "the stranger sent " + forged.get() + " frames");
        for (int r = 0; r < 2; r++)
        {
            assertTrue(results.get(r)[0] > 10, "rank " + r + " made " + results.get(r)[0] + " calls");
            assertTrue(results.get(r)[1] > 0, "rank " + r + " counted no forged frame: " + results.get(r)[1]);
        }
        assertEquals(results.get(0)[0], results.get(1)[0], "both ranks made the same calls");
    }

    private void forge(final int[] ports, final int[] streamIdTo, final AtomicLong forged)
    {
        final ByteBuffer byteBuffer = ByteBuffer.allocateDirect(1024);
        final UnsafeBuffer buffer = new UnsafeBuffer(byteBuffer);
        final ThreadLocalRandom random = ThreadLocalRandom.current();
        try (DatagramChannel channel = DatagramChannel.open())
        {
            channel.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int termOffset = 0;
            while (!stop.get())
            {
                for (int to = 0; to < 2; to++)
                {
                    final InetSocketAddress address = new InetSocketAddress("127.0.0.1", ports[to]);
                    final int streamId = streamIdTo[to];

                    final SetupFlyweight setup = new SetupFlyweight(buffer);
                    setup.frameLength(SetupFlyweight.HEADER_LENGTH).version(HeaderFlyweight.CURRENT_VERSION)
                        .flags((short)0).headerType(HeaderFlyweight.HDR_TYPE_SETUP);
                    setup.termOffset(0).sessionId(random.nextInt()).streamId(streamId).initialTermId(0)
                        .activeTermId(0).termLength(AeronTransport.TERM_LENGTH_DEFAULT).mtuLength(1408).ttl(0);
                    byteBuffer.clear().limit(SetupFlyweight.HEADER_LENGTH);
                    channel.send(byteBuffer, address);

                    final int frameLength = DataHeaderFlyweight.HEADER_LENGTH + 64;
                    final DataHeaderFlyweight data = new DataHeaderFlyweight(buffer);
                    data.frameLength(frameLength).version(HeaderFlyweight.CURRENT_VERSION)
                        .flags((short)DataHeaderFlyweight.BEGIN_AND_END_FLAGS).headerType(HeaderFlyweight.HDR_TYPE_DATA);
                    data.termOffset(termOffset).sessionId(random.nextInt()).streamId(streamId).termId(0)
                        .reservedValue(0);
                    buffer.setMemory(DataHeaderFlyweight.HEADER_LENGTH, 64, (byte)0x41);
                    byteBuffer.clear().limit(frameLength);
                    channel.send(byteBuffer, address);
                    forged.addAndGet(2);
                }
                termOffset = (termOffset + 128) % AeronTransport.TERM_LENGTH_DEFAULT;
                Thread.sleep(1);
            }
        }
        catch (final IOException | InterruptedException ex)
        {
            throw new IllegalStateException("the stranger stopped: " + ex, ex);
        }
    }
}
