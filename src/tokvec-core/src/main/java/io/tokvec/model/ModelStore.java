package io.tokvec.model;

import java.util.function.BiConsumer;

/**
 * The model-topic records a {@link VersionCatalog} keeps, by {@link ModelKey#storeKey()}. In the
 * application it is the global RocksDB state store fed from the model topic; in unit tests a map;
 * in {@code publish}, which only needs the catalog's index, {@link #NONE}. Values are
 * {@link StoredRecord}-framed.
 */
public interface ModelStore {

    /** A store that keeps nothing. */
    ModelStore NONE = new ModelStore() {
        @Override public byte[] get(String storeKey) { return null; }
        @Override public void put(String storeKey, byte[] value) { }
        @Override public void delete(String storeKey) { }
        @Override public void scan(String prefix, BiConsumer<String, byte[]> visitor) { }
    };

    byte[] get(String storeKey);

    void put(String storeKey, byte[] value);

    void delete(String storeKey);

    /** Visits every entry whose key starts with {@code prefix}, in key order. */
    void scan(String prefix, BiConsumer<String, byte[]> visitor);

    /**
     * The store itself failed (not the record being handled): thrown by implementations so that the
     * registry lets it through instead of counting it against the record.
     */
    final class StoreException extends RuntimeException {
        public StoreException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
