package io.ringsync.collectives;

import io.ringsync.transport.rendezvous.PortRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each scheduler's variables give a process: rank, world size, local rank, rendezvous and transport, in the
 * documented order, with disagreeing sources kept and said.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SchedulerEnvironmentTest
{
    private static Map<String, String> env(final String... pairs)
    {
        final Map<String, String> env = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2)
        {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    private static void assertSetting(
        final Setting<?> setting, final Object value, final String source)
    {
        assertEquals(value, setting.value(), setting::toString);
        assertEquals(source, setting.source(), setting::toString);
    }

    @Test
    void ringsyncsOwnVariablesComeFirst()
    {
        final Map<String, String> env = env("RINGSYNC_RANK", "1", "RINGSYNC_WORLD_SIZE", "4",
            "RINGSYNC_LOCAL_RANK", "1", "RINGSYNC_RENDEZVOUS", "node01:29400", "RANK", "1", "WORLD_SIZE", "4");
        assertSetting(Configuration.rankSetting(env), 1, "RINGSYNC_RANK");
        assertEquals(List.of("RANK=1"), Configuration.rankSetting(env).others());
        assertEquals(List.of(), Configuration.rankSetting(env).conflicts());
        assertSetting(Configuration.worldSizeSetting(env), 4, "RINGSYNC_WORLD_SIZE");
        assertSetting(Configuration.localRankSetting(env), 1, "RINGSYNC_LOCAL_RANK");
        assertSetting(Configuration.rendezvousSetting(env), "node01:29400", "RINGSYNC_RENDEZVOUS");
        assertSetting(Configuration.transportSetting(env), "tcp", "default: a rendezvous is known (RINGSYNC_RENDEZVOUS)");
        assertEquals(List.of(), Configuration.conflicts(env));
    }

    @Test
    void torchrun()
    {
        final Map<String, String> env = env("RANK", "5", "WORLD_SIZE", "8", "LOCAL_RANK", "1",
            "MASTER_ADDR", "trainer-0", "MASTER_PORT", "29500", "LOCAL_WORLD_SIZE", "4");
        final Context ctx = Context.fromEnvironment(env).conclude();
        assertEquals(5, ctx.rank());
        assertEquals(8, ctx.worldSize());
        assertEquals(1, ctx.localRank());
        assertEquals("trainer-0:29500", ctx.rendezvous());
        assertEquals("MASTER_ADDR/MASTER_PORT", ctx.rendezvousSource());
        assertEquals("tcp", ctx.transport());
        assertSetting(Configuration.rankSetting(env), 5, "RANK");

        env.put("TORCHELASTIC_USE_AGENT_STORE", "True");
        assertSetting(Configuration.rendezvousSetting(env), "trainer-0:29501",
            "MASTER_ADDR/MASTER_PORT + 1 (torchrun's agent store listens on MASTER_PORT)");

        assertEquals("[fd00::1]:29500", Configuration.rendezvousSetting(
            env("MASTER_ADDR", "fd00::1", "MASTER_PORT", "29500")).value());
        final ConfigurationException half = assertThrows(ConfigurationException.class,
            () -> Configuration.rendezvousSetting(env("MASTER_ADDR", "trainer-0")));
        assertTrue(half.getMessage().startsWith("MASTER_ADDR=trainer-0 is set but MASTER_PORT is not"),
            half.getMessage());
    }

    @Test
    void openMpiAndPmi()
    {
        final Map<String, String> ompi = env("OMPI_COMM_WORLD_RANK", "3", "OMPI_COMM_WORLD_SIZE", "6",
            "OMPI_COMM_WORLD_LOCAL_RANK", "0", "RINGSYNC_RENDEZVOUS", "10.0.0.1:29400");
        assertSetting(Configuration.rankSetting(ompi), 3, "OMPI_COMM_WORLD_RANK");
        assertSetting(Configuration.worldSizeSetting(ompi), 6, "OMPI_COMM_WORLD_SIZE");
        assertSetting(Configuration.localRankSetting(ompi), 0, "OMPI_COMM_WORLD_LOCAL_RANK");
        assertEquals("tcp", Configuration.transport(ompi));

        final Map<String, String> pmi = env("PMI_RANK", "2", "PMI_SIZE", "3");
        assertSetting(Configuration.rankSetting(pmi), 2, "PMI_RANK");
        assertSetting(Configuration.worldSizeSetting(pmi), 3, "PMI_SIZE");
        assertFalse(Configuration.localRankSetting(pmi).isSet());
        assertFalse(Configuration.rendezvousSetting(pmi).isSet());
        assertEquals("shm", Configuration.transport(pmi), "no rendezvous: one host");
    }

    @Test
    void slurmRendezvousesOnTheFirstHostOfTheStepOnAPortFromTheJob()
    {
        final Map<String, String> env = env("SLURM_PROCID", "7", "SLURM_NTASKS", "8", "SLURM_LOCALID", "3",
            "SLURM_STEP_NODELIST", "node[01-03,07],gpu5", "SLURM_JOB_NODELIST", "node[01-09],gpu[5-6]",
            "SLURM_JOB_ID", "123456", "SLURM_STEP_ID", "2");
        assertSetting(Configuration.rankSetting(env), 7, "SLURM_PROCID");
        assertSetting(Configuration.worldSizeSetting(env), 8, "SLURM_NTASKS");
        assertSetting(Configuration.localRankSetting(env), 3, "SLURM_LOCALID");
        final int port = 24_000 + (int)((123456L * 31 + 2) % 5_000);
        assertSetting(Configuration.rendezvousSetting(env), "node01:" + port,
            "the first host of SLURM_STEP_NODELIST, port from SLURM_JOB_ID/SLURM_STEP_ID");
        assertEquals(port, Schedulers.slurmPort(123456, 2));
        assertTrue(port >= Configuration.SLURM_RENDEZVOUS_PORT_BASE &&
            port < Configuration.SLURM_RENDEZVOUS_PORT_BASE + Configuration.SLURM_RENDEZVOUS_PORT_COUNT);
        assertEquals("tcp", Configuration.transport(env));

        env.remove("SLURM_STEP_NODELIST");
        env.remove("SLURM_STEP_ID");
        assertEquals("node01:" + Schedulers.slurmPort(123456, 0), Configuration.rendezvousSetting(env).value());

        env.put("RINGSYNC_RENDEZVOUS", "login1:29400");
        final Setting<String> own = Configuration.rendezvousSetting(env);
        assertSetting(own, "login1:29400", "RINGSYNC_RENDEZVOUS");
        assertEquals(1, own.conflicts().size(), own::toString);
        assertTrue(own.conflicts().get(0).startsWith("SLURM_JOB_NODELIST=node[01-09],gpu[5-6]"), own::toString);
    }

    @Test
    void slurmHostListsExpandAsSlurmWritesThem()
    {
        assertEquals(List.of("node01", "node02", "node03", "node07", "gpu5"),
            Schedulers.SlurmNodeList.expand("L", "node[01-03,07],gpu5"));
        assertEquals(List.of("rack1-n1", "rack1-n2", "rack2-n1", "rack2-n2"),
            Schedulers.SlurmNodeList.expand("L", "rack[1-2]-n[1-2]"));
        assertEquals(List.of("a", "b9", "b10", "b11", "c"), Schedulers.SlurmNodeList.expand("L", "a,b[9-11],c"));
        assertEquals(List.of("n008", "n009", "n010"), Schedulers.SlurmNodeList.expand("L", "n[008-010]"));
        assertEquals(List.of("host.example.com"), Schedulers.SlurmNodeList.expand("L", "host.example.com"));
        assertEquals("node07", Schedulers.SlurmNodeList.first("L", "node[07-99999999]"));
        for (final String bad : new String[]{ "node[01-03", "node]01[", "node[a-b]", "node[05-01]", "node[1-]" })
        {
            final ConfigurationException ex = assertThrows(ConfigurationException.class,
                () -> Schedulers.SlurmNodeList.expand("SLURM_STEP_NODELIST", bad), bad);
            assertTrue(ex.getMessage().startsWith("SLURM_STEP_NODELIST=" + bad + " is not a Slurm host list"),
                ex.getMessage());
        }
    }

    @Test
    void kubernetesIndexedJobsGiveTheRankAndNeedTheWorldSize()
    {
        final Map<String, String> env = env("JOB_COMPLETION_INDEX", "2", "RINGSYNC_WORLD_SIZE", "4",
            "RINGSYNC_RENDEZVOUS", "train-0.train:29400");
        final Context ctx = Context.fromEnvironment(env).conclude();
        assertEquals(2, ctx.rank());
        assertEquals(4, ctx.worldSize());
        assertEquals("train-0.train:29400", ctx.rendezvous());
        assertEquals("tcp", ctx.transport());
        assertSetting(Configuration.rankSetting(env), 2, "JOB_COMPLETION_INDEX");

        final Map<String, String> noSize = env("JOB_COMPLETION_INDEX", "2");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> Configuration.worldSize(noSize));
        assertTrue(ex.getMessage().startsWith("RINGSYNC_WORLD_SIZE is not set (none of RINGSYNC_WORLD_SIZE, " +
            "WORLD_SIZE, OMPI_COMM_WORLD_SIZE, PMI_SIZE, SLURM_NTASKS is set)"), ex.getMessage());
    }

    @Test
    void sourcesThatDisagreeAreNotSilentlyResolved()
    {
        // torchrun inside a Slurm allocation: torchrun's variables come first, Slurm's differ
        final Map<String, String> env = env("RANK", "3", "WORLD_SIZE", "8", "LOCAL_RANK", "3",
            "SLURM_PROCID", "0", "SLURM_NTASKS", "2", "SLURM_LOCALID", "0", "MASTER_ADDR", "node01",
            "MASTER_PORT", "29500", "SLURM_JOB_ID", "77", "SLURM_STEP_NODELIST", "node[01-02]");
        final Setting<Integer> rank = Configuration.rankSetting(env);
        assertSetting(rank, 3, "RANK");
        assertEquals(List.of("SLURM_PROCID=0"), rank.conflicts());
        final List<String> lines = Configuration.conflicts(env);
        assertEquals(4, lines.size(), lines::toString);
        assertEquals("rank 3 is taken from RANK; SLURM_PROCID=0 differs (ignored; `bin/ringsync env` shows every " +
            "source)", lines.get(0));
        assertTrue(lines.get(1).startsWith("world size 8 is taken from WORLD_SIZE; SLURM_NTASKS=2 differs"),
            lines.get(1));
        assertTrue(lines.get(3).startsWith("rendezvous node01:29500 is taken from MASTER_ADDR/MASTER_PORT; " +
            "SLURM_STEP_NODELIST=node[01-02] SLURM_JOB_ID=77 differs"), lines.get(3));
    }

    @Test
    void badValuesNameTheirVariable()
    {
        assertMessage(() -> Configuration.rankSetting(env("RANK", "three")),
            "RANK=three is not a whole number");
        assertMessage(() -> Configuration.rankSetting(env("SLURM_PROCID", "-1")),
            "SLURM_PROCID=-1 must not be negative");
        assertMessage(() -> Configuration.ports(env("RINGSYNC_PORTS", "40100-40000")),
            "RINGSYNC_PORTS=40100-40000 is not a port range");
        assertMessage(() -> Context.fromEnvironment(env("RINGSYNC_RENDEZVOUS", "node01")).conclude(),
            "RINGSYNC_RENDEZVOUS=node01 is not host:port");
        assertMessage(() -> Context.fromEnvironment(env("RINGSYNC_INTERFACE", "10.0.0.0/99")).conclude(),
            "RINGSYNC_INTERFACE=10.0.0.0/99 is not a CIDR block");
        assertMessage(() -> Context.fromEnvironment(env("RINGSYNC_RENDEZVOUS", "a:1",
            "RINGSYNC_RENDEZVOUS_TIMEOUT_MS", "0")).conclude(), "RINGSYNC_RENDEZVOUS_TIMEOUT_MS=0 must be from 1 to ");
        assertMessage(() -> Context.fromEnvironment(env("SLURM_JOB_ID", "x", "SLURM_STEP_NODELIST", "n1")),
            "SLURM_JOB_ID=x is not a whole number");
        assertMessage(() -> Context.fromEnvironment(env("RINGSYNC_TRANSPORT", "tcp")).conclude(),
            "RINGSYNC_TRANSPORT=tcp needs a rendezvous");
    }

    @Test
    void theAcrossHostsKnobsReachTheContext()
    {
        final Map<String, String> env = env("RINGSYNC_RENDEZVOUS", "node01:29400", "RINGSYNC_INTERFACE", "eth0",
            "RINGSYNC_PORTS", "40000-40010", "RINGSYNC_JOB_SECRET", "s3cret", "RINGSYNC_RENDEZVOUS_TIMEOUT_MS", "9000");
        final Context ctx = Context.fromEnvironment(env).conclude();
        assertEquals("eth0", ctx.interfaceSpec());
        assertEquals("40000-40010", ctx.ports().toString());
        assertTrue(ctx.hasJobSecret());
        assertEquals(TimeUnit.SECONDS.toNanos(9), ctx.rendezvousTimeoutNs());
        assertFalse(ctx.isUdpMtuSet());
        assertFalse(ctx.isJobIdSet());
        assertNull(ctx.sessionId());
        final Context copy = ctx.copy();
        assertEquals("node01:29400", copy.rendezvous());
        assertTrue(copy.hasJobSecret());
        assertEquals(PortRange.EPHEMERAL, Context.fromEnvironment(env()).ports());
        assertTrue(Context.fromEnvironment(env("RINGSYNC_UDP_MTU", "8192")).isUdpMtuSet());
        assertTrue(Context.fromEnvironment(env("RINGSYNC_JOB_ID", "7")).isJobIdSet());
    }

    private static void assertMessage(final Runnable action, final String expected)
    {
        final ConfigurationException ex = assertThrows(ConfigurationException.class, action::run);
        assertTrue(ex.getMessage().startsWith(expected), () -> "expected '" + expected + "...', got: " +
            ex.getMessage());
    }
}
