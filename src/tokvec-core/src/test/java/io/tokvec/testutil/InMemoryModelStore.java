package io.tokvec.testutil;

import io.tokvec.model.ModelStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * A {@link ModelStore} in a sorted map, standing in for the global RocksDB store (same order of
 * String keys): what a {@code TableRegistry} under test reads and writes, from any thread. It
 * records which prefixes were scanned, so a test sees what a recovery read.
 */
public final class InMemoryModelStore implements ModelStore {

    private final TreeMap<String, byte[]> map = new TreeMap<>();
    private final List<String> scanned = new ArrayList<>();

    @Override
    public synchronized byte[] get(String storeKey) {
        return map.get(storeKey);
    }

    @Override
    public synchronized void put(String storeKey, byte[] value) {
        map.put(storeKey, value);
    }

    @Override
    public synchronized void delete(String storeKey) {
        map.remove(storeKey);
    }

    @Override
    public void scan(String prefix, BiConsumer<String, byte[]> visitor) {
        List<Map.Entry<String, byte[]>> entries;
        synchronized (this) {
            scanned.add(prefix);
            entries = new ArrayList<>(entriesWithPrefix(prefix).entrySet());
        }
        entries.forEach(e -> visitor.accept(e.getKey(), e.getValue()));
    }

    /** The keys starting with {@code prefix}, in order. */
    public synchronized List<String> keys(String prefix) {
        return List.copyOf(entriesWithPrefix(prefix).keySet());
    }

    /** A copy of every entry, in key order. */
    public synchronized NavigableMap<String, byte[]> entries() {
        return new TreeMap<>(map);
    }

    /** Deletes the entries whose key matches (as a store written by an older version would lack them). */
    public synchronized void deleteIf(Predicate<String> key) {
        map.keySet().removeIf(key);
    }

    /** The prefixes scanned so far, in order. */
    public synchronized List<String> scannedPrefixes() {
        return List.copyOf(scanned);
    }

    /** Forgets the prefixes scanned so far (the entries stay). */
    public synchronized void clearScans() {
        scanned.clear();
    }

    private NavigableMap<String, byte[]> entriesWithPrefix(String prefix) {
        NavigableMap<String, byte[]> tail = map.tailMap(prefix, true);
        String end = tail.keySet().stream().filter(k -> !k.startsWith(prefix)).findFirst().orElse(null);
        return end == null ? tail : tail.headMap(end, false);
    }
}
