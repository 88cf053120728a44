package io.ringsync.collectives;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the schedulers a job may run under tell each process, in the order {@link Configuration} documents: ringsync's
 * own variables, torchrun, Open MPI, PMI (MPICH, Intel MPI), Slurm, Kubernetes indexed jobs. Each setting is taken
 * from the first source that gives it; later ones that are set too are kept in the {@link Setting} (and those that
 * disagree reported), never silently dropped. Scheduler variables are read from the environment as they are (only
 * {@code RINGSYNC_*} ones can be overridden by a system property).
 */
final class Schedulers
{
    static final String TORCH_RANK = "RANK";
    static final String TORCH_WORLD_SIZE = "WORLD_SIZE";
    static final String TORCH_LOCAL_RANK = "LOCAL_RANK";
    static final String TORCH_MASTER_ADDR = "MASTER_ADDR";
    static final String TORCH_MASTER_PORT = "MASTER_PORT";
    static final String TORCH_USE_AGENT_STORE = "TORCHELASTIC_USE_AGENT_STORE";
    static final String OMPI_RANK = "OMPI_COMM_WORLD_RANK";
    static final String OMPI_SIZE = "OMPI_COMM_WORLD_SIZE";
    static final String OMPI_LOCAL_RANK = "OMPI_COMM_WORLD_LOCAL_RANK";
    static final String PMI_RANK = "PMI_RANK";
    static final String PMI_SIZE = "PMI_SIZE";
    static final String SLURM_PROCID = "SLURM_PROCID";
    static final String SLURM_NTASKS = "SLURM_NTASKS";
    static final String SLURM_LOCALID = "SLURM_LOCALID";
    static final String SLURM_STEP_NODELIST = "SLURM_STEP_NODELIST";
    static final String SLURM_JOB_NODELIST = "SLURM_JOB_NODELIST";
    static final String SLURM_JOB_ID = "SLURM_JOB_ID";
    static final String SLURM_STEP_ID = "SLURM_STEP_ID";
    static final String K8S_COMPLETION_INDEX = "JOB_COMPLETION_INDEX";

    static final String[] RANK_SOURCES = {
        Configuration.RANK_ENV, TORCH_RANK, OMPI_RANK, PMI_RANK, SLURM_PROCID, K8S_COMPLETION_INDEX };
    static final String[] WORLD_SIZE_SOURCES = {
        Configuration.WORLD_SIZE_ENV, TORCH_WORLD_SIZE, OMPI_SIZE, PMI_SIZE, SLURM_NTASKS };
    static final String[] LOCAL_RANK_SOURCES = {
        Configuration.LOCAL_RANK_ENV, TORCH_LOCAL_RANK, OMPI_LOCAL_RANK, SLURM_LOCALID };

    private Schedulers()
    {
    }

    static Setting<Integer> firstInt(final Map<String, String> env, final String[] sources)
    {
        Integer value = null;
        String source = null;
        final List<String> others = new ArrayList<>();
        final List<String> conflicts = new ArrayList<>();
        for (final String name : sources)
        {
            final String text = read(env, name);
            if (null == text)
            {
                continue;
            }
            final int parsed = parseCount(name, text);
            if (null == value)
            {
                value = parsed;
                source = name;
            }
            else
            {
                others.add(name + "=" + text);
                if (parsed != value)
                {
                    conflicts.add(name + "=" + text);
                }
            }
        }
        return null == value ? Setting.unset("none of " + String.join(", ", sources) + " is set") :
            new Setting<>(value, source, others, conflicts);
    }

    /**
     * @return {@code host:port} of the rendezvous: {@code RINGSYNC_RENDEZVOUS}, else torchrun's
     * {@code MASTER_ADDR:MASTER_PORT}, else under Slurm the first host of the step's node list on a port derived from
     * the job and step ids; unset otherwise.
     */
    static Setting<String> rendezvous(final Map<String, String> env)
    {
        final List<String[]> found = new ArrayList<>(); // {value, source, as shown}
        final String own = Configuration.lookup(env, Configuration.RENDEZVOUS_ENV);
        if (null != own)
        {
            found.add(new String[]{ own, Configuration.RENDEZVOUS_ENV, Configuration.RENDEZVOUS_ENV + "=" + own });
        }
        final String masterAddr = read(env, TORCH_MASTER_ADDR);
        final String masterPort = read(env, TORCH_MASTER_PORT);
        if (null != masterAddr || null != masterPort)
        {
            if (null == masterAddr || null == masterPort)
            {
                if (null == own)
                {
                    throw new ConfigurationException((null == masterAddr ? TORCH_MASTER_PORT + "=" + masterPort +
                        " is set but " + TORCH_MASTER_ADDR + " is not" : TORCH_MASTER_ADDR + "=" + masterAddr +
                        " is set but " + TORCH_MASTER_PORT + " is not") + ": torchrun sets both; set the other, or " +
                        Configuration.RENDEZVOUS_ENV + "=host:port", -1);
                }
            }
            else if ("true".equalsIgnoreCase(read(env, TORCH_USE_AGENT_STORE)))
            {
                // torchrun's agent serves its own store on MASTER_PORT: the next port is ours
                final int port = (int)parseLong(TORCH_MASTER_PORT, masterPort) + 1;
                found.add(new String[]{ hostPort(masterAddr, Integer.toString(port)), TORCH_MASTER_ADDR + "/" +
                    TORCH_MASTER_PORT + " + 1 (torchrun's agent store listens on " + TORCH_MASTER_PORT + ")",
                    TORCH_MASTER_ADDR + "=" + masterAddr + " " + TORCH_MASTER_PORT + "=" + masterPort + " " +
                    TORCH_USE_AGENT_STORE + "=True" });
            }
            else
            {
                final String address = hostPort(masterAddr, masterPort);
                found.add(new String[]{ address, TORCH_MASTER_ADDR + "/" + TORCH_MASTER_PORT,
                    TORCH_MASTER_ADDR + "=" + masterAddr + " " + TORCH_MASTER_PORT + "=" + masterPort });
            }
        }
        final String slurmJob = read(env, SLURM_JOB_ID);
        final String stepList = read(env, SLURM_STEP_NODELIST);
        final String nodeList = null != stepList ? stepList : read(env, SLURM_JOB_NODELIST);
        if (null != slurmJob && null != nodeList)
        {
            final String listName = null != stepList ? SLURM_STEP_NODELIST : SLURM_JOB_NODELIST;
            final String step = read(env, SLURM_STEP_ID);
            final int port = slurmPort(parseLong(SLURM_JOB_ID, slurmJob), null == step ? 0 :
                parseLong(SLURM_STEP_ID, step));
            final String first = SlurmNodeList.first(listName, nodeList);
            found.add(new String[]{ hostPort(first, Integer.toString(port)), "the first host of " + listName +
                ", port from " + SLURM_JOB_ID + (null == step ? "" : "/" + SLURM_STEP_ID),
                listName + "=" + nodeList + " " + SLURM_JOB_ID + "=" + slurmJob +
                (null == step ? "" : " " + SLURM_STEP_ID + "=" + step) });
        }
        if (found.isEmpty())
        {
            return Setting.unset("none of " + Configuration.RENDEZVOUS_ENV + ", " + TORCH_MASTER_ADDR + "/" +
                TORCH_MASTER_PORT + ", Slurm's " + SLURM_STEP_NODELIST + " and " + SLURM_JOB_ID + " is set");
        }
        final List<String> others = new ArrayList<>();
        final List<String> conflicts = new ArrayList<>();
        for (int i = 1; i < found.size(); i++)
        {
            others.add(found.get(i)[2]);
            if (!found.get(i)[0].equals(found.get(0)[0]))
            {
                conflicts.add(found.get(i)[2]);
            }
        }
        return new Setting<>(found.get(0)[0], found.get(0)[1], others, conflicts);
    }

    /**
     * The rendezvous port of a Slurm job step: {@value Configuration#SLURM_RENDEZVOUS_PORT_BASE} +
     * (job id x 31 + step id) mod {@value Configuration#SLURM_RENDEZVOUS_PORT_COUNT}, below the kernel's ephemeral
     * range, so that it differs between the steps of a job and between jobs sharing a node.
     *
     * @param jobId  SLURM_JOB_ID.
     * @param stepId SLURM_STEP_ID, 0 when not set.
     * @return the port.
     */
    static int slurmPort(final long jobId, final long stepId)
    {
        return Configuration.SLURM_RENDEZVOUS_PORT_BASE +
            (int)Math.floorMod(jobId * 31 + stepId, (long)Configuration.SLURM_RENDEZVOUS_PORT_COUNT);
    }

    private static String hostPort(final String host, final String port)
    {
        final boolean v6 = host.indexOf(':') >= 0 && !host.startsWith("[");
        return (v6 ? "[" + host + "]" : host) + ":" + port;
    }

    static String read(final Map<String, String> env, final String name)
    {
        if (name.startsWith("RINGSYNC_"))
        {
            return Configuration.lookup(env, name);
        }
        final String value = env.get(name);
        return null == value || value.isBlank() ? null : value.trim();
    }

    private static int parseCount(final String name, final String text)
    {
        try
        {
            final int value = Integer.parseInt(text);
            if (value < 0)
            {
                throw new ConfigurationException(name + "=" + text + " must not be negative", -1);
            }
            return value;
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigurationException(name + "=" + text + " is not a whole number", -1, ex);
        }
    }

    private static long parseLong(final String name, final String text)
    {
        try
        {
            return Long.parseLong(text);
        }
        catch (final NumberFormatException ex)
        {
            throw new ConfigurationException(name + "=" + text + " is not a whole number", -1, ex);
        }
    }

    /**
     * Slurm's compact host lists, as Slurm writes them: {@code node[01-03,07],gpu5}, several bracket groups in one
     * name ({@code rack[1-2]-n[1-2]}), zero padding kept from the lower bound.
     */
    static final class SlurmNodeList
    {
        private static final int MAX_HOSTS = 1 << 20;

        private SlurmNodeList()
        {
        }

        /**
         * @param name of the variable, for messages.
         * @param list as Slurm writes it.
         * @return the first host.
         */
        static String first(final String name, final String list)
        {
            final List<String> hosts = expand(name, list, 1);
            if (hosts.isEmpty())
            {
                throw new ConfigurationException(name + "=" + list + " names no host", -1);
            }
            return hosts.get(0);
        }

        /**
         * @param name of the variable, for messages.
         * @param list as Slurm writes it.
         * @return every host, in order.
         */
        static List<String> expand(final String name, final String list)
        {
            return expand(name, list, MAX_HOSTS);
        }

        private static List<String> expand(final String name, final String list, final int limit)
        {
            final List<String> hosts = new ArrayList<>();
            int depth = 0;
            int start = 0;
            for (int i = 0; i <= list.length(); i++)
            {
                final char c = i < list.length() ? list.charAt(i) : ',';
                if ('[' == c)
                {
                    depth++;
                }
                else if (']' == c)
                {
                    depth--;
                }
                if (depth < 0 || depth > 1)
                {
                    throw bad(name, list, "unbalanced brackets");
                }
                if (',' == c && 0 == depth)
                {
                    final String item = list.substring(start, i).trim();
                    if (!item.isEmpty())
                    {
                        expandItem(name, list, item, hosts, limit);
                    }
                    if (hosts.size() >= limit)
                    {
                        return hosts;
                    }
                    start = i + 1;
                }
            }
            if (0 != depth)
            {
                throw bad(name, list, "unbalanced brackets");
            }
            return hosts;
        }

        private static void expandItem(
            final String name, final String list, final String item, final List<String> hosts, final int limit)
        {
            final int open = item.indexOf('[');
            if (open < 0)
            {
                hosts.add(item);
                return;
            }
            final int close = item.indexOf(']', open);
            final String prefix = item.substring(0, open);
            final String suffix = item.substring(close + 1);
            for (final String range : item.substring(open + 1, close).split(","))
            {
                final String part = range.trim();
                final int dash = part.indexOf('-');
                final String low = dash < 0 ? part : part.substring(0, dash).trim();
                final String high = dash < 0 ? part : part.substring(dash + 1).trim();
                if (low.isEmpty() || high.isEmpty() || !low.chars().allMatch(Character::isDigit) ||
                    !high.chars().allMatch(Character::isDigit))
                {
                    throw bad(name, list, "'" + part + "' in brackets is not a number or a range a-b");
                }
                final long from = Long.parseLong(low);
                final long to = Long.parseLong(high);
                if (to < from)
                {
                    throw bad(name, list, "the range " + part + " runs backwards");
                }
                for (long n = from; n <= to; n++)
                {
                    final String number = String.format("%0" + low.length() + "d", n);
                    expandItem(name, list, prefix + number + suffix, hosts, limit);
                    if (hosts.size() >= limit)
                    {
                        return;
                    }
                }
            }
        }

        private static ConfigurationException bad(final String name, final String list, final String why)
        {
            return new ConfigurationException(name + "=" + list + " is not a Slurm host list (" + why + "), such " +
                "as node[01-03,07],gpu5", -1);
        }
    }
}
