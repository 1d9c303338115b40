package io.tokvec.serde;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * The registry behind {@link MockSchemaRegistry}: all state in memory, guarded by this object's
 * monitor (calls are cheap, so one lock is enough).
 */
final class InMemorySchemaRegistryClient implements SchemaRegistryClient {

    private final String scope;
    private final Map<String, Integer> idsBySchemaText = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    /** Per subject, the ids of its versions in registration order (version = index + 1). */
    private final Map<String, List<Integer>> subjects = new HashMap<>();

    InMemorySchemaRegistryClient(String scope) {
        this.scope = scope;
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        String text = schema.toString();
        Integer id = idsBySchemaText.get(text);
        if (id == null) {
            id = schemasById.size() + 1;
            idsBySchemaText.put(text, id);
            // a private copy, as a real registry would return, immune to the caller mutating props
            schemasById.put(id, new Schema.Parser().parse(text));
        }
        List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    @Override
    public synchronized Schema getById(int id) throws UnknownSchemaException {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new UnknownSchemaException(
                    "schema id " + id + " not found in mock registry scope '" + scope + "'", -1, 40403);
        }
        return schema;
    }

    @Override
    public synchronized int getId(String subject, Schema schema) throws UnknownSchemaException {
        Integer id = idsBySchemaText.get(schema.toString());
        List<Integer> versions = subjects.get(subject);
        if (versions == null) {
            throw new UnknownSchemaException("subject '" + subject + "' not found in mock registry scope '"
                    + scope + "'", -1, 40401);
        }
        if (id == null || !versions.contains(id)) {
            throw new UnknownSchemaException("schema " + schema.getFullName()
                    + " is not registered under subject '" + subject + "' in mock registry scope '"
                    + scope + "'", -1, 40403);
        }
        return id;
    }

    @Override
    public void close() {
        // shared by scope: nothing to release
    }

    @Override
    public String toString() {
        return "MockSchemaRegistry[mock://" + scope + "]";
    }
}
