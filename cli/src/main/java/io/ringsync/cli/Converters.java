package io.ringsync.cli;

import io.ringsync.bench.SweepWorker;
import io.ringsync.collectives.DataType;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Command-line value types, with messages that say what is accepted.
 */
final class Converters
{
    private Converters()
    {
    }

    /**
     * shm, tcp, ipc or udp.
     */
    static final class Transport implements ITypeConverter<LaunchTransport>
    {
        public LaunchTransport convert(final String value)
        {
            try
            {
                return LaunchTransport.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }

    /**
     * A byte count such as 64KiB.
     */
    static final class Size implements ITypeConverter<Long>
    {
        public Long convert(final String value)
        {
            try
            {
                return ByteSizes.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }

    /**
     * float32 or float64.
     */
    static final class Type implements ITypeConverter<DataType>
    {
        public DataType convert(final String value)
        {
            try
            {
                return SweepWorker.parseType(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }
}
