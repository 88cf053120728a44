package io.ringsync.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ringsync env}: what a rank would take and from where, as text and as JSON, never the secret.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EnvCommandTest
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

    private static EnvCommand.Item item(final List<EnvCommand.Item> items, final String key)
    {
        return items.stream().filter(item -> item.key.equals(key)).findFirst().orElseThrow();
    }

    @Test
    void torchrunInsideSlurmShowsBothSourcesAndWhichWins()
    {
        final List<EnvCommand.Item> items = EnvCommand.report(env("RANK", "3", "WORLD_SIZE", "4", "LOCAL_RANK", "1",
            "SLURM_PROCID", "1", "SLURM_NTASKS", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500",
            "RINGSYNC_JOB_SECRET", "hunter2-do-not-print", "RINGSYNC_PORTS", "40000-40010",
            "RINGSYNC_AGREEMENT", "10.0.0.1:41000"));
        assertEquals("3", item(items, "rank").value);
        assertEquals("RANK", item(items, "rank").source);
        assertEquals(List.of("SLURM_PROCID=1"), item(items, "rank").conflicts);
        assertEquals("4", item(items, "world_size").value);
        assertEquals("1", item(items, "local_rank").value);
        assertEquals("tcp", item(items, "transport").value);
        assertEquals("127.0.0.1:29500", item(items, "rendezvous").value);
        assertEquals("MASTER_ADDR/MASTER_PORT", item(items, "rendezvous").source);
        assertTrue(item(items, "interface").value.startsWith("lo 127.0.0.1 (udp mtu 65504)"),
            item(items, "interface").value);
        assertEquals("the route to 127.0.0.1", item(items, "interface").source);
        assertEquals("40000-40010", item(items, "ports").value);
        assertEquals("(drawn at the rendezvous)", item(items, "job_id").value);
        assertEquals("set", item(items, "job_secret").value);
        assertEquals("10.0.0.1:41000", item(items, "agreement").value);
        assertEquals("RINGSYNC_AGREEMENT", item(items, "agreement").source);

        final String text = EnvCommand.text(items);
        assertTrue(text.contains("rank:          3  (from RANK)  DIFFERS, ignored: SLURM_PROCID=1"), text);
        assertTrue(text.contains("world size:    4  (from WORLD_SIZE)  DIFFERS, ignored: SLURM_NTASKS=2"), text);
        assertTrue(text.contains("job secret:    set  (from RINGSYNC_JOB_SECRET)"), text);
        assertFalse(text.contains("hunter2"), "the secret's value must never be shown");

        final String json = EnvCommand.json(items);
        assertTrue(json.startsWith("{\"rank\":{\"value\":\"3\",\"source\":\"RANK\",\"others\":[\"SLURM_PROCID=1\"]," +
            "\"conflicts\":[\"SLURM_PROCID=1\"]}"), json);
        assertTrue(json.contains("\"job_secret\":{\"value\":\"set\""), json);
        assertFalse(json.contains("hunter2"), "the secret's value must never be shown");
    }

    @Test
    void slurmAloneGivesRankSizeLocalRankAndTheRendezvous()
    {
        final List<EnvCommand.Item> items = EnvCommand.report(env("SLURM_PROCID", "5", "SLURM_NTASKS", "8",
            "SLURM_LOCALID", "1", "SLURM_STEP_NODELIST", "localhost,gpu[2-3]", "SLURM_JOB_ID", "4242",
            "SLURM_STEP_ID", "0"));
        assertEquals("5", item(items, "rank").value);
        assertEquals("SLURM_PROCID", item(items, "rank").source);
        assertEquals("1", item(items, "local_rank").value);
        assertEquals("localhost:" + (24_000 + (4242 * 31) % 5_000), item(items, "rendezvous").value);
        assertEquals("tcp", item(items, "transport").value);
        assertEquals("not set", item(items, "job_secret").value);
        assertEquals("not set", item(items, "agreement").value);
    }

    @Test
    void aMalformedVariableIsShownAsAnErrorAndTheRestStillReported()
    {
        final List<EnvCommand.Item> items = EnvCommand.report(env("RANK", "two", "WORLD_SIZE", "2",
            "RINGSYNC_INTERFACE", "no-such-interface0"));
        assertEquals("RANK=two is not a whole number", item(items, "rank").error);
        assertNull(item(items, "rank").value);
        assertEquals("2", item(items, "world_size").value);
        assertTrue(item(items, "interface").error.startsWith("RINGSYNC_INTERFACE=no-such-interface0 is neither"),
            item(items, "interface").error);
        assertTrue(EnvCommand.text(items).contains("rank:          ERROR RANK=two is not a whole number"));
        assertEquals("shm", item(items, "transport").value, "no rendezvous: one host");
        assertEquals("(not set: none of RINGSYNC_LOCAL_RANK, LOCAL_RANK, OMPI_COMM_WORLD_LOCAL_RANK, SLURM_LOCALID " +
            "is set)", EnvCommand.text(items).lines().filter(l -> l.startsWith("local rank:")).findFirst()
            .orElseThrow().substring(15));
    }

    @Test
    void theCommandPrintsTextOrJson()
    {
        System.setProperty("ringsync.rank", "2");
        System.setProperty("ringsync.world.size", "3");
        System.setProperty("ringsync.rendezvous", "127.0.0.1:29999");
        try
        {
            final StringWriter out = new StringWriter();
            final int code = RingsyncCommand.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), "env");
            assertTrue(out.toString().contains("rank:          2  (from RINGSYNC_RANK)"), out::toString);
            assertTrue(out.toString().contains("rendezvous:    127.0.0.1:29999  (from RINGSYNC_RENDEZVOUS)"),
                out::toString);
            final StringWriter json = new StringWriter();
            RingsyncCommand.execute(new PrintWriter(json), new PrintWriter(new StringWriter()), "env", "--json");
            assertTrue(json.toString().contains("\"world_size\":{\"value\":\"3\",\"source\":\"RINGSYNC_WORLD_SIZE\""),
                json::toString);
            // whatever the machine's environment holds beyond these, this much must read
            assertTrue(code == Launcher.EXIT_OK || out.toString().contains("ERROR"), out::toString);
        }
        finally
        {
            System.clearProperty("ringsync.rank");
            System.clearProperty("ringsync.world.size");
            System.clearProperty("ringsync.rendezvous");
        }
    }
}
