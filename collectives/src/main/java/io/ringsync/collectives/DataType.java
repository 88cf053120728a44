package io.ringsync.collectives;

/**
 * Element type of a vector: little-endian IEEE 754 floats.
 */
public enum DataType
{
    FLOAT32(4),
    FLOAT64(8);

    private final int byteSize;

    DataType(final int byteSize)
    {
        this.byteSize = byteSize;
    }

    /**
     * @return bytes per element.
     */
    public int byteSize()
    {
        return byteSize;
    }
}
