package io.ringsync.transport;

import org.agrona.DirectBuffer;

/**
 * What a JVM must allow before ringsync touches Agrona: Agrona 2.x reaches {@code jdk.internal.misc.Unsafe}, so
 * {@code java.base} must export {@code jdk.internal.misc} to Agrona's module. Without that export the first Agrona
 * buffer fails deep inside Agrona with an {@link IllegalAccessError}; {@link #check()} fails first, naming the
 * flags to add.
 * <p>
 * The entry classes a program can touch first call it at the top of their static initialiser:
 * {@code Communicator} (collectives), {@link LocalTransport}, {@code ShmTransport}, {@code AeronTransport} and
 * {@code MediaDriverHost}. It lives here, in the lowest module with code that uses Agrona, so one check serves
 * them all. Public only so that those classes in other packages and modules can call it; it is not API.
 */
public final class RuntimeRequirements
{
    /**
     * The package Agrona needs exported.
     */
    static final String INTERNAL_PACKAGE = "jdk.internal.misc";

    /**
     * Optional: the vector module that turns on ringsync's vectorised kernels (scalar loops without it).
     */
    public static final String VECTOR_MODULE_FLAG = "--add-modules jdk.incubator.vector";

    private static volatile boolean satisfied;

    private RuntimeRequirements()
    {
    }

    /**
     * Throw unless {@code java.base} exports {@code jdk.internal.misc} to Agrona's module; returns at once once
     * a check has passed. Loads no Agrona class that could fail: only an interface, to learn its module.
     *
     * @throws IllegalStateException naming the exact JVM flags to add.
     */
    public static void check()
    {
        if (satisfied)
        {
            return;
        }
        final Module agrona = DirectBuffer.class.getModule();
        if (!Object.class.getModule().isExported(INTERNAL_PACKAGE, agrona))
        {
            throw new IllegalStateException(message(exportFlag(agrona)));
        }
        satisfied = true;
    }

    /**
     * @param agrona the module Agrona's classes are in.
     * @return the flag that exports the package to it: to every class-path module, or to the named module when
     * Agrona is on the module path.
     */
    static String exportFlag(final Module agrona)
    {
        return "--add-exports java.base/" + INTERNAL_PACKAGE + "=" + (agrona.isNamed() ? agrona.getName() : "ALL-UNNAMED");
    }

    static String message(final String exportFlag)
    {
        return "ringsync needs the JVM flag " + exportFlag + " (Agrona, its buffer library, uses " +
            INTERNAL_PACKAGE + ".Unsafe), and runs its vectorised kernels only with " + VECTOR_MODULE_FLAG +
            ". Add them to the java command (java " + exportFlag + " " + VECTOR_MODULE_FLAG + " -cp ...), to " +
            "Maven Surefire's <argLine> or Gradle's test { jvmArgs ... } for tests, or to JDK_JAVA_OPTIONS; " +
            "'ringsync launch' passes them to its ranks itself.";
    }
}
