package io.ringsync.collectives;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain {@code java -cp} of a program whose first ringsync call is {@link Communicator#fromEnvironment()} gets
 * ringsync's message naming the flags, from {@code Communicator}'s own class initialisation, instead of Agrona's
 * {@link IllegalAccessError}; with the export the same call goes on to read the environment.
 */
@Tag("process") // starts JVMs with and without the export
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MissingJvmFlagsTest
{
    private static final String EXPORT = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    @Test
    void withoutTheExportCommunicatorNamesTheFlags() throws Exception
    {
        final String output = runChild(List.of());
        assertTrue(output.startsWith("failed: java.lang.ExceptionInInitializerError\n"), output);
        assertTrue(output.contains("cause: java.lang.IllegalStateException: ringsync needs the JVM flag " + EXPORT +
            " "), output);
        assertTrue(output.contains("--add-modules jdk.incubator.vector"), output);
        assertTrue(output.contains("at io.ringsync.collectives.Communicator.<clinit>"), output);
        assertFalse(output.contains("IllegalAccessError"), output);
    }

    @Test
    void withTheExportTheCallGoesOnToTheEnvironment() throws Exception
    {
        final String output = runChild(List.of(EXPORT.split(" ")));
        assertTrue(output.startsWith("failed: io.ringsync.collectives.ConfigurationException: "), output);
        assertTrue(output.contains(Configuration.RANK_ENV + " is not set"), output);
        assertFalse(output.contains("needs the JVM flag"), output);
    }

    /**
     * Entry point of the child JVMs: the README's first call, with an environment that names no rank.
     */
    static final class FirstCall
    {
        public static void main(final String[] args)
        {
            try
            {
                Communicator.fromEnvironment(Map.of(Configuration.WORLD_SIZE_ENV, "2")).close();
                System.out.println("connected");
            }
            catch (final Throwable t)
            {
                System.out.println("failed: " + t);
                if (null != t.getCause())
                {
                    System.out.println("cause: " + t.getCause());
                }
                t.printStackTrace(System.out);
            }
        }
    }

    private static String runChild(final List<String> jvmFlags) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FirstCall.class.getName()));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().remove("JDK_JAVA_OPTIONS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        final Process process = builder.start();
        try
        {
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child JVM did not finish");
            assertEquals(0, process.exitValue(), output);
            return output;
        }
        finally
        {
            process.destroyForcibly();
        }
    }
}
