package io.ringsync.collectives;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Communicator#fromEnvironment(Map)} with a rendezvous, ranks as threads on loopback: the transport it opens,
 * what it learns from the table, exact sums, and a rank refused for a wrong secret named by the others.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RendezvousEnvironmentTest
{
    private static final int COUNT = 70_001;

    /**
     * What a rank reports: its sum check, and what the rendezvous told it.
     */
    private static final class Report
    {
        final String transport;
        final long jobId;
        final byte[] sessionId;
        final int localRank;
        final int udpMtu;
        final boolean framesAuthenticated;
        final boolean connectionsProven;

        Report(final Communicator comm)
        {
            final float[] v = new float[COUNT];
            for (int i = 0; i < COUNT; i++)
            {
                v[i] = (comm.rank() + 1) * (i % 7 + 1);
            }
            comm.allReduce(v, ReduceOp.SUM);
            final int n = comm.size();
            for (int i = 0; i < COUNT; i++)
            {
                assertEquals(n * (n + 1) / 2.0f * (i % 7 + 1), v[i], "element " + i + " on rank " + comm.rank());
            }
            transport = comm.transportName();
            jobId = comm.context().jobId();
            sessionId = comm.context().sessionId();
            localRank = comm.context().localRank();
            udpMtu = comm.context().udpMtu();
            final boolean tcp = comm.transport() instanceof io.ringsync.transport.tcp.TcpTransport;
            final io.ringsync.transport.tcp.TcpTransport.Context tcpCtx = tcp ?
                ((io.ringsync.transport.tcp.TcpTransport)comm.transport()).context() : null;
            framesAuthenticated = tcp && tcpCtx.tagsFrames();
            connectionsProven = tcp && tcpCtx.hasJobSecret();
        }
    }

    private static List<RankThreads.Outcome<Report>> run(final List<Map<String, String>> envs) throws Exception
    {
        return RankThreads.run(envs.size(), 90_000, rank -> Communicator.fromEnvironment(envs.get(rank)), Report::new);
    }

    @Test
    void tcpIsTheDefaultOnceARendezvousIsKnownAndEveryRankLearnsTheSameJob() throws Exception
    {
        final int port = RendezvousPorts.freeHere();
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 3; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put("RINGSYNC_RANK", Integer.toString(r));
            env.put("RINGSYNC_WORLD_SIZE", "3");
            env.put("RINGSYNC_RENDEZVOUS", "127.0.0.1:" + port);
            env.put("RINGSYNC_JOB_SECRET", "the job's secret");
            envs.add(env);
        }
        final List<Report> reports = RankThreads.values(run(envs));
        for (int r = 0; r < 3; r++)
        {
            final Report report = reports.get(r);
            assertEquals("tcp", report.transport);
            assertEquals(reports.get(0).jobId, report.jobId);
            assertNotEquals(0, report.jobId);
            assertNotNull(report.sessionId);
            assertArrayEquals(reports.get(0).sessionId, report.sessionId);
            assertEquals(r, report.localRank, "one host: local rank = rank");
            assertTrue(report.framesAuthenticated, "with a job secret every tcp frame carries a tag");
        }
    }

    @Test
    void frameMacOffKeepsTheSecretForTheRendezvousButTagsNoFrame() throws Exception
    {
        final int port = RendezvousPorts.freeHere();
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put("RINGSYNC_RANK", Integer.toString(r));
            env.put("RINGSYNC_WORLD_SIZE", "2");
            env.put("RINGSYNC_RENDEZVOUS", "127.0.0.1:" + port);
            env.put("RINGSYNC_JOB_SECRET", "the job's secret");
            env.put("RINGSYNC_FRAME_MAC", "off");
            envs.add(env);
        }
        for (final Report report : RankThreads.values(run(envs)))
        {
            assertEquals("tcp", report.transport);
            assertNotNull(report.sessionId, "the secret still guards the rendezvous");
            assertFalse(report.framesAuthenticated, "RINGSYNC_FRAME_MAC=off: no tags");
            assertTrue(report.connectionsProven, "the secret still proves every connection");
        }
    }

    @Test
    void aFrameMacThatIsNoneOfTheThreeIsRefusedNamingTheVariable()
    {
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Context.fromEnvironment(Map.of("RINGSYNC_FRAME_MAC", "sha1")));
        assertTrue(ex.getMessage().contains("RINGSYNC_FRAME_MAC=sha1"), ex.getMessage());
    }

    @Test
    void torchrunVariablesAndUdpTakeTheirEndpointsAndTheInterfaceMtuFromTheRendezvous() throws Exception
    {
        final int port = RendezvousPorts.freeHere();
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put("RANK", Integer.toString(r));
            env.put("WORLD_SIZE", "2");
            env.put("LOCAL_RANK", Integer.toString(r));
            env.put("MASTER_ADDR", "localhost");
            env.put("MASTER_PORT", Integer.toString(port));
            env.put("RINGSYNC_TRANSPORT", "udp");
            env.put("RINGSYNC_JOB_ID", "0x5eed");
            envs.add(env);
        }
        final List<Report> reports = RankThreads.values(run(envs));
        for (final Report report : reports)
        {
            assertEquals("udp", report.transport);
            assertEquals(0x5eed, report.jobId, "a job id that was given is kept");
            assertEquals(65504, report.udpMtu, "loopback's 64 KiB MTU less headers, capped at Aeron's largest");
        }
    }

    @Test
    void shmRanksWithoutAJobIdDrawOneAtTheRendezvous() throws Exception
    {
        final int port = RendezvousPorts.freeHere();
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 2; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put("PMI_RANK", Integer.toString(r));
            env.put("PMI_SIZE", "2");
            env.put("RINGSYNC_RENDEZVOUS", "127.0.0.1:" + port);
            env.put("RINGSYNC_TRANSPORT", "shm");
            envs.add(env);
        }
        final List<Report> reports = RankThreads.values(run(envs));
        assertEquals(reports.get(0).jobId, reports.get(1).jobId);
        assertNotEquals(0, reports.get(0).jobId);
        assertEquals("shm", reports.get(1).transport);
        assertTrue(Arrays.stream(new java.io.File("/dev/shm").list((dir, name) -> name.equals(
            String.format("ringsync-%016x", reports.get(0).jobId)))).count() == 0, "job directory left behind");
    }

    @Test
    void aRankWithAWrongSecretIsRefusedAndTheOthersNameIt() throws Exception
    {
        final int port = RendezvousPorts.freeHere();
        final List<Map<String, String>> envs = new ArrayList<>();
        for (int r = 0; r < 3; r++)
        {
            final Map<String, String> env = new HashMap<>();
            env.put("RINGSYNC_RANK", Integer.toString(r));
            env.put("RINGSYNC_WORLD_SIZE", "3");
            env.put("RINGSYNC_RENDEZVOUS", "127.0.0.1:" + port);
            env.put("RINGSYNC_RENDEZVOUS_TIMEOUT_MS", "4000");
            env.put("RINGSYNC_JOB_SECRET", 2 == r ? "a guess" : "the job's secret");
            envs.add(env);
        }
        final List<RankThreads.Outcome<Report>> outcomes = run(envs);
        for (final RankThreads.Outcome<Report> outcome : outcomes)
        {
            assertNull(outcome.value, "rank " + outcome.rank + " should have failed");
            assertTrue(outcome.error instanceof ConfigurationException, "rank " + outcome.rank + ": " + outcome.error);
        }
        final String refused = outcomes.get(2).error.getMessage();
        assertTrue(refused.contains("rank 2: refused by the rendezvous") && refused.contains("RINGSYNC_JOB_SECRET") &&
            refused.contains("not the job's secret"), refused);
        final String atZero = outcomes.get(0).error.getMessage();
        assertTrue(atZero.contains("rank 2 never arrived") && atZero.contains("1 join was refused") &&
            atZero.contains("wrong RINGSYNC_JOB_SECRET"), atZero);
        final String atOne = outcomes.get(1).error.getMessage();
        assertTrue(atOne.contains("rank 2 never arrived") || atOne.contains("waiting for rank 2"), atOne);
    }
}
