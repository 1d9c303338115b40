package io.tokvec.core;

import java.util.Locale;

/**
 * Element type of a stored table ({@code tokvec.table.dtype}) or of the output embeddings
 * ({@code tokvec.output.dtype}). float32 is exact; float16 and bfloat16 halve the memory and round
 * every value once, to nearest with ties to even (see {@link Half}).
 */
public enum TableDtype {
    FLOAT32(4, "<f4"),
    FLOAT16(2, "<f2"),
    BFLOAT16(2, null);

    private final int bytes;
    private final String npyDescr;
    private final String configName;

    TableDtype(int bytes, String npyDescr) {
        this.bytes = bytes;
        this.npyDescr = npyDescr;
        this.configName = name().toLowerCase(Locale.ROOT); // read per output record: computed once
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** numpy's dtype string ({@code '<f4'}, {@code '<f2'}); null for bfloat16, which numpy lacks. */
    public String npyDescr() {
        return npyDescr;
    }

    /** The lower-case name used in config and in the output's {@code dtype} field. */
    public String configName() {
        return configName;
    }

    public static TableDtype parse(String key, String s) {
        return EnrichOptions.parseEnum(TableDtype.class, key, s);
    }
}
