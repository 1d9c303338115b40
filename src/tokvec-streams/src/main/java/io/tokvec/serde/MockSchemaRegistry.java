package io.tokvec.serde;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * In-memory schema registries, one per scope, shared within the JVM — the counterpart of
 * Confluent's {@code MockSchemaRegistry}. {@code schema.registry.url=mock://my-scope} makes every
 * serde configured with it use the registry of scope {@code my-scope}.
 *
 * <p>Like a real registry: ids start at 1 and are global to the scope, the same schema (by its
 * JSON text) gets the same id under every subject, registering is idempotent. No compatibility
 * checks are made.
 */
public final class MockSchemaRegistry {

    private static final ConcurrentMap<String, InMemorySchemaRegistryClient> SCOPES =
            new ConcurrentHashMap<>();

    private MockSchemaRegistry() {
    }

    /** The registry of {@code scope}, created empty on first use. */
    public static SchemaRegistryClient getClientForScope(String scope) {
        return SCOPES.computeIfAbsent(scope, InMemorySchemaRegistryClient::new);
    }

    /**
     * Forgets the registry of {@code scope}: the next {@link #getClientForScope} starts empty.
     * Clients already handed out keep working on the old contents.
     */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }
}
