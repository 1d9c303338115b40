package io.tokvec.model;

import io.tokvec.core.EmbeddingTable;

import java.util.Objects;

/**
 * The active table version together with its <em>sequence</em>: the model-topic offset of the
 * record (commit or activate) that made it the one to serve. The model topic has one partition,
 * so every instance of the application computes the same sequence for the same state, and a later
 * decision always has a larger one: a rollback (an activate record naming an older version) counts
 * as newer than the commit it overrides. The enrichment path compares sequences, not version
 * numbers, to keep versions from going back within a partition.
 */
public record Activation(EmbeddingTable table, long sequence) {

    public Activation {
        Objects.requireNonNull(table, "table");
    }

    public long version() {
        return table.version();
    }
}
