package io.ringsync.transport;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A program that uses a transport in a JVM started without the export Agrona needs gets ringsync's message naming
 * the flags, not Agrona's {@link IllegalAccessError}; with the export the same program runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RuntimeRequirementsTest
{
    private static final String EXPORT = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    @Tag("process") // starts JVMs with and without the export
    @Test
    void withoutTheExportTheFirstTransportNamesTheFlags() throws Exception
    {
        final ChildJvm child = ChildJvm.run(List.of(), TwoLocalTransports.class);
        assertNotEquals(0, child.exitCode, child::toString);
        assertTrue(child.output.contains("java.lang.IllegalStateException: ringsync needs the JVM flag " + EXPORT +
            " "), child::toString);
        assertTrue(child.output.contains("--add-modules jdk.incubator.vector"), child::toString);
        assertTrue(child.output.contains("at io.ringsync.transport.LocalTransport.<clinit>"), child::toString);
        assertFalse(child.output.contains("IllegalAccessError"), child::toString);
    }

    @Tag("process") // starts JVMs with and without the export
    @Test
    void withTheExportTheSameProgramRuns() throws Exception
    {
        final ChildJvm child = ChildJvm.run(List.of(EXPORT.split(" ")), TwoLocalTransports.class);
        assertEquals(0, child.exitCode, child::toString);
        assertEquals("2 transports", child.output.trim(), child::toString);
    }

    @Test
    void agronaOnTheModulePathIsNamedInTheFlag()
    {
        assertEquals("--add-exports java.base/jdk.internal.misc=java.base",
            RuntimeRequirements.exportFlag(Object.class.getModule()));
        assertEquals(EXPORT, RuntimeRequirements.exportFlag(getClass().getClassLoader().getUnnamedModule()));
    }

    /**
     * Entry point of the child JVMs: the first thing a test of a user's own does with ringsync's in-JVM transport.
     */
    static final class TwoLocalTransports
    {
        public static void main(final String[] args)
        {
            final LocalTransport[] transports = LocalTransport.createJob(2, 1 << 16);
            System.out.println(transports.length + " transports");
            for (final LocalTransport transport : transports)
            {
                transport.close();
            }
        }
    }

    /**
     * A JVM on this test's class path with the given flags and nothing from the environment that could add any.
     */
    static final class ChildJvm
    {
        final int exitCode;
        final String output;

        private ChildJvm(final int exitCode, final String output)
        {
            this.exitCode = exitCode;
            this.output = output;
        }

        static ChildJvm run(final List<String> jvmFlags, final Class<?> mainClass)
            throws IOException, InterruptedException
        {
            final List<String> command = new ArrayList<>();
            command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
            command.addAll(jvmFlags);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass.getName()));
            final ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().remove("JDK_JAVA_OPTIONS");
            builder.environment().remove("JAVA_TOOL_OPTIONS");
            final Process process = builder.start();
            try
            {
                final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(process.waitFor(30, TimeUnit.SECONDS), "child JVM did not finish");
                return new ChildJvm(process.exitValue(), output);
            }
            finally
            {
                process.destroyForcibly();
            }
        }

        public String toString()
        {
            return "exit code " + exitCode + ", output:\n" + output;
        }
    }
}
