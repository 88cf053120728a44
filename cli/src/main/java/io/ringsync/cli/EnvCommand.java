package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.ConfigurationException;
import io.ringsync.collectives.Setting;
import io.ringsync.transport.rendezvous.HostAddresses;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@code ringsync env [--json]}: what a process started here with this environment would take, and from which
 * variable each setting came; never the job secret's value.
 */
@Command(
    name = "env",
    header = "Show what a rank started here would take from its environment, and from where.",
    mixinStandardHelpOptions = true,
    versionProvider = RingsyncCommand.Version.class,
    description = {
        "Rank, world size, local rank, transport, rendezvous, interface and address, ports, job id and directory, " +
            "and whether a job secret is set, each with the variable it came from (ringsync's own, torchrun's, " +
            "Open MPI's, PMI's, Slurm's or a Kubernetes indexed job's, in that order). A later source that is set " +
            "too is shown beside it, marked when it disagrees. The secret's value is never shown."
    },
    footer = { "", "Exit codes: 0 everything could be read, 1 a variable is malformed (shown), 2 wrong command line." })
final class EnvCommand implements Callable<Integer>
{
    private static final long RESOLVE_WAIT_MS = 2_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "One JSON object, for scripts.")
    boolean json;

    /**
     * One line of the report.
     */
    static final class Item
    {
        final String key;
        final String label;
        final String value;
        final String source;
        final List<String> others;
        final List<String> conflicts;
        final String error;

        Item(final String key, final String label, final String value, final String source,
            final List<String> others, final List<String> conflicts, final String error)
        {
            this.key = key;
            this.label = label;
            this.value = value;
            this.source = source;
            this.others = others;
            this.conflicts = conflicts;
            this.error = error;
        }
    }

    public Integer call()
    {
        final List<Item> items = report(System.getenv());
        final CommandLine commandLine = spec.commandLine();
        commandLine.getOut().print(json ? json(items) : text(items));
        commandLine.getOut().flush();
        return items.stream().anyMatch(item -> null != item.error) ? Launcher.EXIT_FAILED : Launcher.EXIT_OK;
    }

    /**
     * @param env the environment (system properties still override {@code RINGSYNC_*} variables).
     * @return every setting as a process would take it.
     */
    static List<Item> report(final Map<String, String> env)
    {
        final List<Item> items = new ArrayList<>();
        items.add(setting("rank", "rank", () -> Configuration.rankSetting(env)));
        items.add(setting("world_size", "world size", () -> Configuration.worldSizeSetting(env)));
        items.add(setting("local_rank", "local rank", () -> Configuration.localRankSetting(env)));
        items.add(setting("transport", "transport", () -> Configuration.transportSetting(env)));
        items.add(setting("rendezvous", "rendezvous", () -> Configuration.rendezvousSetting(env)));
        items.add(address(env));
        items.add(plain("ports", "ports", () ->
        {
            final String value = Configuration.ports(env).toString();
            return new String[]{ value, null == env.get(Configuration.PORTS_ENV) &&
                null == System.getProperty(Configuration.propertyName(Configuration.PORTS_ENV)) ? "default" :
                Configuration.PORTS_ENV };
        }));
        items.add(plain("job_id", "job id", () ->
        {
            final boolean given = null != value(env, Configuration.JOB_ID_ENV);
            final boolean drawn = !given && Configuration.rendezvousSetting(env).isSet();
            return new String[]{ given ? Launcher.hex(Configuration.jobId(env)) : drawn ? "(drawn at the rendezvous)" :
                Launcher.hex(Configuration.JOB_ID_DEFAULT), given ? Configuration.JOB_ID_ENV : drawn ?
                "rank 0 draws one" : "default" };
        }));
        items.add(plain("job_directory", "job directory", () ->
        {
            final String dir = Configuration.jobDirectory(env);
            if (null != dir)
            {
                return new String[]{ dir, Configuration.JOB_DIR_ENV };
            }
            final String shm = new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
            return new String[]{ shm + "/ringsync-<job id>", "default" };
        }));
        items.add(plain("agreement", "agreement server", () -> null == Configuration.agreement(env) ?
            new String[]{ "not set", "shrink and rejoin agree through the job directory: ranks of one host" } :
            new String[]{ Configuration.agreement(env), Configuration.AGREEMENT_ENV }));
        items.add(plain("job_secret", "job secret", () -> null == Configuration.jobSecret(env) ?
            new String[]{ "not set", "anyone who reaches the rendezvous port can join" } :
            new String[]{ "set", Configuration.JOB_SECRET_ENV }));
        return items;
    }

    private static String value(final Map<String, String> env, final String name)
    {
        final String property = System.getProperty(Configuration.propertyName(name));
        return null != property && !property.isBlank() ? property : env.get(name);
    }

    private static Item setting(final String key, final String label, final Supplier<Setting<?>> read)
    {
        try
        {
            final Setting<?> setting = read.get();
            return new Item(key, label, setting.isSet() ? String.valueOf(setting.value()) : null, setting.source(),
                setting.others(), setting.conflicts(), null);
        }
        catch (final ConfigurationException ex)
        {
            return new Item(key, label, null, null, List.of(), List.of(), ex.getMessage());
        }
    }

    private static Item plain(final String key, final String label, final Supplier<String[]> read)
    {
        try
        {
            final String[] valueAndSource = read.get();
            return new Item(key, label, valueAndSource[0], valueAndSource[1], List.of(), List.of(), null);
        }
        catch (final ConfigurationException ex)
        {
            return new Item(key, label, null, null, List.of(), List.of(), ex.getMessage());
        }
    }

    /**
     * The address a rank would listen on: chosen as the transport does, waiting at most a moment for the
     * rendezvous host's name to resolve.
     */
    private static Item address(final Map<String, String> env)
    {
        try
        {
            final Setting<String> rendezvous = Configuration.rendezvousSetting(env);
            String host = null;
            if (rendezvous.isSet())
            {
                final String value = rendezvous.value();
                host = value.substring(0, value.lastIndexOf(':'));
                host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            }
            final HostAddresses.Choice choice = HostAddresses.choose(Configuration.interfaceSpec(env),
                Configuration.INTERFACE_ENV, host, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RESOLVE_WAIT_MS));
            final int mtu = HostAddresses.udpMtu(choice);
            return new Item("interface", "interface", choice.interfaceName() + " " +
                choice.address().getHostAddress() + (mtu > 0 ? " (udp mtu " + mtu + ")" : ""),
                null != Configuration.interfaceSpec(env) ? Configuration.INTERFACE_ENV : choice.reason(),
                List.of(), List.of(), null);
        }
        catch (final ConfigurationException | IllegalArgumentException ex)
        {
            return new Item("interface", "interface", null, null, List.of(), List.of(), ex.getMessage());
        }
    }

    static String text(final List<Item> items)
    {
        final StringBuilder sb = new StringBuilder();
        for (final Item item : items)
        {
            sb.append(String.format("%-15s", item.label + ":"));
            if (null != item.error)
            {
                sb.append("ERROR ").append(item.error);
            }
            else if (null == item.value)
            {
                sb.append("(not set: ").append(item.source).append(')');
            }
            else
            {
                sb.append(item.value).append("  (from ").append(item.source).append(')');
            }
            for (final String other : item.others)
            {
                sb.append(item.conflicts.contains(other) ? "  DIFFERS, ignored: " : "  also: ").append(other);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String json(final List<Item> items)
    {
        final StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < items.size(); i++)
        {
            final Item item = items.get(i);
            sb.append(i == 0 ? "" : ",").append('"').append(item.key).append("\":{\"value\":")
                .append(jsonString(item.value)).append(",\"source\":").append(jsonString(item.source))
                .append(",\"others\":").append(jsonArray(item.others))
                .append(",\"conflicts\":").append(jsonArray(item.conflicts));
            if (null != item.error)
            {
                sb.append(",\"error\":").append(jsonString(item.error));
            }
            sb.append('}');
        }
        return sb.append("}\n").toString();
    }

    private static String jsonArray(final List<String> values)
    {
        final StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++)
        {
            sb.append(i == 0 ? "" : ",").append(jsonString(values.get(i)));
        }
        return sb.append(']').toString();
    }

    static String jsonString(final String value)
    {
        if (null == value)
        {
            return "null";
        }
        final StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            switch (c)
            {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
