package io.tokvec.streams;

import io.tokvec.config.TokvecConfig;
import io.tokvec.core.Ticker;
import io.tokvec.model.ActiveTable;

/**
 * What every enrichment processor of one {@link TokvecEnrichment} shares.
 *
 * @param tables       the read-only view of the table registry
 * @param ticker       times the catch-up wait of {@link PartitionVersions}
 * @param versionStore the name of the changelogged per-partition version store
 * @param input        what the processor enriches, for its log lines (a topic, or the processor's name)
 * @param copyOutputs  whether enriched records are copied before they are forwarded (else they are views
 *                     over reused arrays, valid until the next record: for sinks, which serialize them in
 *                     {@code forward})
 */
record EnrichSpec(TokvecConfig config, ActiveTable tables, TokvecMetrics metrics, Ticker ticker, String versionStore,
                  String input, boolean copyOutputs) {
}
