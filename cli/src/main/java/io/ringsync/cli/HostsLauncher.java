package io.ringsync.cli;

import io.ringsync.collectives.Configuration;
import io.ringsync.collectives.RendezvousPorts;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The ranks of one job across hosts, for {@code ringsync launch --hosts a:2,b:2 [--rsh CMD]} or
 * {@code --hostfile FILE}: a {@link RankStarter} that starts each rank through a remote shell ({@code ssh}
 * by default) with a POSIX {@code sh} command line that exports the rank's environment (rank, world size, local rank,
 * transport tcp, the rendezvous on the first host, the launcher's other {@code RINGSYNC_*} settings and the JVM
 * flags), makes the job directory on that host, and runs the command. The {@link Launcher} supervises the local ends
 * as it does local ranks: output prefixed {@code [rank]}, every rank stopped when one fails or the launcher is
 * interrupted, and then every host's job directory removed (one more remote shell per host).
 * <p>
 * Stopping a remote rank: its remote shell keeps reading the launcher's pipe; when that ends (the launcher closes
 * it, or dies and with it the connection), the shell sends the rank SIGTERM, then SIGKILL after 2 s. The job secret
 * travels on the same pipe, as its first line, never on a command line where {@code ps} would show it. Ranks are
 * placed in host order, filling each host's slots.
 */
final class HostsLauncher implements RankStarter
{
    /**
     * The remote shell used when none is given.
     */
    static final String RSH_DEFAULT = "ssh";

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._@\\-\\[\\]:%]+");
    private static final long CLEANUP_TIMEOUT_MS = 15_000;

    private final List<Host> hosts;
    private final List<String> rsh;
    private final String workingDirectory;
    private final String[] rankHosts;
    private final int[] localRanks;
    private final byte[] input;

    /**
     * A host and how many ranks it runs.
     */
    static final class Host
    {
        final String name;
        final int slots;

        Host(final String name, final int slots)
        {
            this.name = name;
            this.slots = slots;
        }

        /**
         * @return the name to reach it by on the network: without a {@code user@} part, IPv6 without brackets.
         */
        String networkName()
        {
            final String host = name.substring(name.indexOf('@') + 1);
            return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        }

        public String toString()
        {
            return name + ":" + slots;
        }
    }

    private HostsLauncher(final List<Host> hosts, final int np, final List<String> rsh,
        final String workingDirectory, final String secret)
    {
        this.hosts = hosts;
        this.rsh = rsh;
        this.workingDirectory = workingDirectory;
        this.rankHosts = new String[np];
        this.localRanks = new int[np];
        int rank = 0;
        for (final Host host : hosts)
        {
            for (int slot = 0; slot < host.slots && rank < np; slot++, rank++)
            {
                rankHosts[rank] = host.name;
                localRanks[rank] = slot;
            }
        }
        this.input = null == secret ? new byte[0] : (secret + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Set a launcher up to start its ranks on these hosts over tcp, rank 0 on the first host serving the
     * rendezvous.
     *
     * @param builder          the launcher's settings (command, timeout, output); np 0 for every slot.
     * @param hosts            where the ranks run, in rank order.
     * @param rsh              the remote shell and its options; it is given the host, then one POSIX sh command line.
     * @param workingDirectory where the ranks start on each host (when it exists there).
     * @return the builder.
     * @throws IllegalArgumentException when np exceeds the slots, or the remote shell is empty.
     */
    static Launcher.Builder configure(
        final Launcher.Builder builder, final List<Host> hosts, final int np, final List<String> rsh,
        final String workingDirectory)
    {
        final int slots = hosts.stream().mapToInt(host -> host.slots).sum();
        if (hosts.isEmpty())
        {
            throw new IllegalArgumentException("no hosts: give --hosts a:2,b:2 or --hostfile FILE");
        }
        if (np > slots)
        {
            throw new IllegalArgumentException("--np " + np + " is more than the " + slots + " slots of " + hosts);
        }
        if (rsh.isEmpty() || rsh.get(0).isBlank())
        {
            throw new IllegalArgumentException("--rsh is empty: give the remote shell, e.g. ssh or 'ssh -p 2222'");
        }
        final String secret = null != Configuration.jobSecret(System.getenv()) ?
            Configuration.jobSecret(System.getenv()) : TransportSetup.randomSecret();
        final int ranks = np > 0 ? np : slots;
        final Host first = hosts.get(0);
        final String rendezvousHost = first.networkName().indexOf(':') >= 0 ? "[" + first.networkName() + "]" :
            first.networkName();
        if (null == Configuration.jobSecret(System.getenv()) && null == Configuration.frameMac(System.getenv()))
        {
            // the secret drawn here guards the rendezvous; frames are tagged only when the user asks
            // (RINGSYNC_FRAME_MAC, or a secret of their own): a tag costs 1.3 ms of CPU per MiB
            builder.environment(Configuration.FRAME_MAC_ENV, "off");
        }
        return builder
            .np(ranks)
            .transport(LaunchTransport.TCP)
            .rendezvous(rendezvousHost + ":" + rendezvousPort(first.networkName()))
            .environment(Configuration.JOB_SECRET_ENV, secret)
            .serveAgreement(true)
            .rankStarter(new HostsLauncher(List.copyOf(hosts), ranks, List.copyOf(rsh), workingDirectory, secret));
    }

    /**
     * @param spec {@code host[:slots],...}, e.g. {@code a:2,b:2} or {@code a,b} (one slot each).
     * @return the hosts.
     * @throws IllegalArgumentException naming a bad entry.
     */
    static List<Host> parseHosts(final String spec)
    {
        final List<Host> hosts = new ArrayList<>();
        for (final String entry : spec.split(","))
        {
            if (!entry.isBlank())
            {
                hosts.add(parseHost(entry.trim(), "--hosts"));
            }
        }
        if (hosts.isEmpty())
        {
            throw new IllegalArgumentException("--hosts '" + spec + "' names no host; write e.g. a:2,b:2");
        }
        return hosts;
    }

    /**
     * @param file one {@code host[:slots]} (or {@code host slots=N}) per line, {@code #} starts a comment.
     * @return the hosts.
     * @throws IllegalArgumentException naming the file and line of a bad entry, or when it cannot be read.
     */
    static List<Host> parseHostfile(final Path file)
    {
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("--hostfile " + file + " cannot be read: " + ex.getMessage(), ex);
        }
        final List<Host> hosts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            String line = lines.get(i);
            final int hash = line.indexOf('#');
            line = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (line.isEmpty())
            {
                continue;
            }
            final String[] words = line.split("\\s+");
            String entry = words[0];
            if (2 == words.length && words[1].toLowerCase(Locale.ROOT).startsWith("slots="))
            {
                entry = words[0] + ":" + words[1].substring("slots=".length());
            }
            else if (words.length > 1)
            {
                throw new IllegalArgumentException(file + ":" + (i + 1) + ": '" + line + "' is not host[:slots]");
            }
            hosts.add(parseHost(entry, file + ":" + (i + 1)));
        }
        if (hosts.isEmpty())
        {
            throw new IllegalArgumentException("--hostfile " + file + " names no host");
        }
        return hosts;
    }

    private static Host parseHost(final String entry, final String where)
    {
        String name = entry;
        int slots = 1;
        final int colon = entry.lastIndexOf(':');
        final boolean bracketed = entry.endsWith("]");
        if (colon > 0 && !bracketed && entry.indexOf(':') == colon)
        {
            name = entry.substring(0, colon);
            try
            {
                slots = Integer.parseInt(entry.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                slots = -1;
            }
        }
        else if (colon > 0 && entry.lastIndexOf(']') < colon && entry.indexOf('[') >= 0)
        {
            name = entry.substring(0, colon);
            try
            {
                slots = Integer.parseInt(entry.substring(colon + 1));
            }
            catch (final NumberFormatException ex)
            {
                slots = -1;
            }
        }
        if (slots < 1 || name.isEmpty() || !HOST.matcher(name).matches())
        {
            throw new IllegalArgumentException(where + ": '" + entry + "' is not host[:slots] with slots at least 1");
        }
        return new Host(name, slots);
    }

    /**
     * A port for rank 0's rendezvous ({@link RendezvousPorts}): one found free when the first host is this one.
     */
    private static int rendezvousPort(final String firstHost)
    {
        return isThisHost(firstHost) ? RendezvousPorts.freeHere() : RendezvousPorts.draw();
    }

    private static boolean isThisHost(final String host)
    {
        try
        {
            final InetAddress address = InetAddress.getByName(host);
            return address.isLoopbackAddress() || null != NetworkInterface.getByInetAddress(address);
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    public ProcessBuilder processBuilder(final int rank, final Map<String, String> rankEnv, final List<String> command)
    {
        final List<String> line = new ArrayList<>(rsh);
        line.add(rankHosts[rank]);
        line.add("sh -c " + quote(script(rankEnv, command)));
        return new ProcessBuilder(line);
    }

    public int localRank(final int rank)
    {
        return localRanks[rank];
    }

    public byte[] input(final int rank)
    {
        return input.clone();
    }

    /**
     * The command line a rank's host runs: POSIX sh, whatever the user's login shell.
     */
    String script(final Map<String, String> rankEnv, final List<String> command)
    {
        final Map<String, String> exports = new LinkedHashMap<>();
        for (final Map.Entry<String, String> entry : System.getenv().entrySet())
        {
            if (entry.getKey().startsWith("RINGSYNC_"))
            {
                exports.put(entry.getKey(), entry.getValue());
            }
        }
        exports.putAll(rankEnv);
        final boolean hasSecret = null != exports.remove(Configuration.JOB_SECRET_ENV);
        final String jobDir = exports.remove(Configuration.JOB_DIR_ENV);
        final String jobDirName = null == jobDir ? "ringsync-job" : Path.of(jobDir).getFileName().toString();

        final StringBuilder sb = new StringBuilder();
        // fd 3: the launcher's pipe (secret, then end of stream to stop); the rank itself reads nothing
        sb.append("exec 3<&0 </dev/null\n");
        if (hasSecret)
        {
            sb.append("IFS= read -r RINGSYNC_JOB_SECRET <&3 || { echo \"ringsync: no job secret on the launcher's " +
                "pipe\" >&2; exit 1; }\nexport RINGSYNC_JOB_SECRET\n");
        }
        for (final Map.Entry<String, String> entry : exports.entrySet())
        {
            if (entry.getKey().matches("[A-Za-z_][A-Za-z0-9_]*"))
            {
                sb.append("export ").append(entry.getKey()).append('=').append(quote(entry.getValue())).append('\n');
            }
        }
        sb.append(jobDirectoryLine(jobDirName));
        sb.append("(umask 077 && mkdir -p \"$RINGSYNC_JOB_DIR\") || { echo \"ringsync: cannot create " +
            "$RINGSYNC_JOB_DIR on $(hostname)\" >&2; exit 1; }\n");
        sb.append("cd ").append(quote(workingDirectory)).append(" 2>/dev/null || true\n");
        for (final String word : command)
        {
            sb.append(quote(word)).append(' ');
        }
        sb.append("&\nchild=$!\n");
        sb.append("trap 'kill -TERM $child 2>/dev/null' TERM HUP INT\n");
        // end of the launcher's pipe: it stops the job, or it was killed (SIGKILL) and cannot clean this host; from
        // then on the watcher outlives the rank (ignoring the script's kill) so it always removes the job directory
        sb.append("( while read -r _; do :; done; trap '' TERM HUP; kill -TERM $child 2>/dev/null; sleep 2; " +
            "kill -KILL $child 2>/dev/null; rm -rf -- \"$RINGSYNC_JOB_DIR\" ) <&3 >/dev/null 2>&1 &\n");
        sb.append("watcher=$!\nexec 3<&-\n");
        sb.append("while :; do wait $child; code=$?; kill -0 $child 2>/dev/null || break; done\n");
        sb.append("kill $watcher 2>/dev/null\nexit $code\n");
        return sb.toString();
    }

    private static String jobDirectoryLine(final String name)
    {
        return "d=/dev/shm; { [ -d \"$d\" ] && [ -w \"$d\" ]; } || d=\"${TMPDIR:-/tmp}\"\n" +
            "RINGSYNC_JOB_DIR=\"$d/" + name + "\"; export RINGSYNC_JOB_DIR\n";
    }

    public void cleanUp(final long jobId, final Consumer<String> log)
    {
        final String name = io.ringsync.cli.JobDirectory.name(jobId);
        final List<Process> processes = new ArrayList<>();
        final List<String> names = new ArrayList<>();
        for (final Host host : hosts)
        {
            final List<String> line = new ArrayList<>(rsh);
            line.add(host.name);
            line.add("sh -c " + quote(jobDirectoryLine(name) + "rm -rf -- \"$RINGSYNC_JOB_DIR\""));
            try
            {
                processes.add(new ProcessBuilder(line).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.PIPE)
                    .start());
                names.add(host.name);
            }
            catch (final IOException ex)
            {
                log.accept("ringsync: cannot remove the job directory on " + host.name + ": " + ex.getMessage());
            }
        }
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLEANUP_TIMEOUT_MS);
        for (int i = 0; i < processes.size(); i++)
        {
            final Process process = processes.get(i);
            try
            {
                process.getOutputStream().close();
                if (!process.waitFor(Math.max(0, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS) ||
                    0 != process.exitValue())
                {
                    log.accept("ringsync: could not remove the job directory " + name + " on " + names.get(i) +
                        "; remove it by hand");
                }
            }
            catch (final IOException ex)
            {
                log.accept("ringsync: could not remove the job directory on " + names.get(i) + ": " + ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
            finally
            {
                process.destroyForcibly();
            }
        }
    }

    /**
     * @param word anything.
     * @return it as one word for a POSIX shell, in single quotes.
     */
    static String quote(final String word)
    {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
