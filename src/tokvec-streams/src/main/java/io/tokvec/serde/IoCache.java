package io.tokvec.serde;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A thread-safe memo for registry answers: the first caller for a key loads it, concurrent callers
 * for the same key wait for that load, callers for other keys are not blocked. Failures are not
 * cached (the next call loads again) and are rethrown to every waiter.
 */
final class IoCache<K, V> {

    /** A loader that may fail with an {@link IOException}. */
    @FunctionalInterface
    interface Loader<V> {
        V load() throws IOException;
    }

    private final ConcurrentMap<K, CompletableFuture<V>> map = new ConcurrentHashMap<>();

    V get(K key, Loader<V> loader) throws IOException {
        CompletableFuture<V> existing = map.get(key);
        if (existing == null) {
            CompletableFuture<V> mine = new CompletableFuture<>();
            existing = map.putIfAbsent(key, mine);
            if (existing == null) {
                return loadInto(key, mine, loader);
            }
        }
        try {
            return existing.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException) {
                throw (IOException) cause;
            }
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            throw e;
        }
    }

    /** The value if already loaded successfully, else null. Never loads. */
    V getIfPresent(K key) {
        CompletableFuture<V> f = map.get(key);
        return f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    }

    /** Stores a known value (e.g. learnt as a side effect of another call). */
    void put(K key, V value) {
        map.putIfAbsent(key, CompletableFuture.completedFuture(value));
    }

    private V loadInto(K key, CompletableFuture<V> mine, Loader<V> loader) throws IOException {
        try {
            V value = loader.load();
            mine.complete(value);
            return value;
        } catch (IOException | RuntimeException | Error e) {
            map.remove(key, mine);
            mine.completeExceptionally(e);
            throw e;
        }
    }
}
