package io.ringsync.collectives;

import java.util.List;
import java.util.Objects;

/**
 * A setting as a process would take it from its environment: the value, the variable(s) it came from, and the other
 * variables that also give it (a scheduler's, say) with their values. The first source in the documented order wins;
 * others that disagree are not silently dropped: {@link #conflicts()} lists them, {@code bin/ringsync env} shows them,
 * and the communicator warns about them.
 *
 * @param <T> type of the value.
 */
public final class Setting<T>
{
    private final T value;
    private final String source;
    private final List<String> others;
    private final List<String> conflicts;

    Setting(final T value, final String source, final List<String> others, final List<String> conflicts)
    {
        this.value = value;
        this.source = source;
        this.others = List.copyOf(others);
        this.conflicts = List.copyOf(conflicts);
    }

    static <T> Setting<T> unset(final String why)
    {
        return new Setting<>(null, why, List.of(), List.of());
    }

    static <T> Setting<T> of(final T value, final String source)
    {
        return new Setting<>(value, source, List.of(), List.of());
    }

    /**
     * @return the value, or null when nothing gives it.
     */
    public T value()
    {
        return value;
    }

    /**
     * @return whether a value was found.
     */
    public boolean isSet()
    {
        return null != value;
    }

    /**
     * @return where the value came from ({@code RANK}, {@code MASTER_ADDR/MASTER_PORT}, {@code default}, ...), or
     * why there is none.
     */
    public String source()
    {
        return source;
    }

    /**
     * @return the later sources that are set too, as {@code NAME=value}, agreeing or not.
     */
    public List<String> others()
    {
        return others;
    }

    /**
     * @return the later sources whose value differs from the one taken, as {@code NAME=value}.
     */
    public List<String> conflicts()
    {
        return conflicts;
    }

    /**
     * {@inheritDoc}
     */
    public boolean equals(final Object other)
    {
        if (!(other instanceof Setting))
        {
            return false;
        }
        final Setting<?> that = (Setting<?>)other;
        return Objects.equals(value, that.value) && source.equals(that.source) && others.equals(that.others);
    }

    /**
     * {@inheritDoc}
     */
    public int hashCode()
    {
        return Objects.hash(value, source, others);
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return (null == value ? "unset" : value + " from " + source) +
            (conflicts.isEmpty() ? "" : " (differs: " + String.join(", ", conflicts) + ")");
    }
}
