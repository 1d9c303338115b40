package io.tokvec.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokvec.model.RegistrySnapshot;
import io.tokvec.model.RejectionLog;

/**
 * The {@code /tables} document:
 *
 * <pre>{@code
 * {"table": "glove", "active_version": 2, "rows": 13, "dim": 8, "swaps": 2, "building": -1,
 *  "versions": [{"version": 1, "status": "committed"}, {"version": 2, "status": "active"}], "versions_total": 2,
 *  "rejected_total": 1, "rejected_by_reason": {"UNSIGNED": 1},
 *  "last_rejections": [{"version": 3, "reason": "UNSIGNED", "message": "...", "time_ms": 1764680000000}],
 *  "other_tables": ["embeddings"]}
 * }</pre>
 *
 * written from the registry's {@link RegistrySnapshot} (so a request never waits for a build).
 */
final class TablesJson {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private TablesJson() {
    }

    static String of(RegistrySnapshot t) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("table", t.table());
        n.put("active_version", t.activeVersion());
        if (t.activeVersion() >= 0) {
            n.put("rows", t.rows());
            n.put("dim", t.dim());
        }
        n.put("swaps", t.swaps());
        n.put("building", t.building());
        ArrayNode versions = n.putArray("versions");
        t.versions().forEach(v -> versions.addObject().put("version", v.version()).put("status", v.status()));
        n.put("versions_total", t.versionCount());
        n.put("rejected_total", t.rejectedTotal());
        ObjectNode byReason = n.putObject("rejected_by_reason");
        t.rejectedByReason().forEach((r, c) -> byReason.put(r.name(), c));
        ArrayNode last = n.putArray("last_rejections");
        for (RejectionLog.Rejection r : t.lastRejections()) {
            ObjectNode o = last.addObject();
            o.put("version", r.version());
            o.put("reason", r.reason().name());
            o.put("message", r.message());
            o.put("time_ms", r.timeMs());
        }
        ArrayNode others = n.putArray("other_tables");
        t.otherTables().forEach(others::add);
        return write(n);
    }

    static String write(ObjectNode n) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
