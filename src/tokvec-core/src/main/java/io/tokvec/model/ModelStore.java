package io.tokvec.model;

import java.util.function.BiConsumer;

/**
 * The model-topic records a {@link TableRegistry} keeps, by {@link ModelKey#storeKey()}. In the
 * application it is the global RocksDB state store fed from the model topic; in unit tests a map.
 * Values are {@link StoredRecord}-framed.
 */
public interface ModelStore {

    byte[] get(String storeKey);

    void put(String storeKey, byte[] value);

    void delete(String storeKey);

    /** Visits every entry whose key starts with {@code prefix}, in key order. */
    void scan(String prefix, BiConsumer<String, byte[]> visitor);
}
