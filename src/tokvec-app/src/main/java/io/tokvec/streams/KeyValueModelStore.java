package io.tokvec.streams;

import io.tokvec.model.ModelStore;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.BiConsumer;

/** {@link ModelStore} over the global Kafka Streams key-value store fed from the model topic. */
final class KeyValueModelStore implements ModelStore {

    private static final StringSerializer PREFIX_SERIALIZER = new StringSerializer();

    private final KeyValueStore<String, byte[]> store;

    KeyValueModelStore(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    @Override
    public byte[] get(String storeKey) {
        return store.get(storeKey);
    }

    @Override
    public void put(String storeKey, byte[] value) {
        store.put(storeKey, value);
    }

    @Override
    public void delete(String storeKey) {
        store.delete(storeKey);
    }

    @Override
    public void scan(String prefix, BiConsumer<String, byte[]> visitor) {
        try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, PREFIX_SERIALIZER)) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                visitor.accept(kv.key, kv.value);
            }
        }
    }
}
