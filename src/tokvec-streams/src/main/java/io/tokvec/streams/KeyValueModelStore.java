package io.tokvec.streams;

import io.tokvec.model.ModelStore;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/**
 * {@link ModelStore} over the global Kafka Streams key-value store fed from the model topic. A failure
 * of the store itself is a {@link ModelStore.StoreException}, which the registry lets through (the
 * global thread fails and the application stops visibly) instead of counting it against a record.
 */
final class KeyValueModelStore implements ModelStore {

    private static final StringSerializer PREFIX_SERIALIZER = new StringSerializer();

    private final KeyValueStore<String, byte[]> store;

    KeyValueModelStore(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    @Override
    public byte[] get(String storeKey) {
        try {
            return store.get(storeKey);
        } catch (RuntimeException e) {
            throw failed("read", storeKey, e);
        }
    }

    @Override
    public void put(String storeKey, byte[] value) {
        try {
            store.put(storeKey, value);
        } catch (RuntimeException e) {
            throw failed("write", storeKey, e);
        }
    }

    @Override
    public void delete(String storeKey) {
        try {
            store.delete(storeKey);
        } catch (RuntimeException e) {
            throw failed("delete", storeKey, e);
        }
    }

    @Override
    public void scan(String prefix, BiConsumer<String, byte[]> visitor) {
        KeyValueIterator<String, byte[]> it;
        try {
            it = store.prefixScan(prefix, PREFIX_SERIALIZER);
        } catch (RuntimeException e) {
            throw failed("scan", prefix, e);
        }
        try (it) {
            while (true) {
                KeyValue<String, byte[]> kv;
                try {
                    if (!it.hasNext()) break;
                    kv = it.next();
                } catch (RuntimeException e) {
                    throw failed("scan", prefix, e);
                }
                visitor.accept(kv.key, kv.value);
            }
        }
    }

    private ModelStore.StoreException failed(String what, String key, RuntimeException e) {
        return new ModelStore.StoreException("the model store failed to " + what + " '" + key + "': " + e, e);
    }
}
