package io.tokvec.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a {@link TableRegistry} looked like after the last record it handled: published after each
 * record (and each restore, recovery and build step), immutable, so the operations endpoint and the
 * metrics read it without waiting for the registry, even during a build that takes minutes.
 *
 * @param activeVersion     -1 when no version is active
 * @param activeSequence    the sequence of the record that chose the active version, -1 when none
 * @param rows              of the active version (0 when none)
 * @param dim               of the active version (0 when none)
 * @param building          the version being built right now, or -1
 * @param versions          the newest {@value TableRegistry#LISTED_VERSIONS} known versions, ascending, with their status
 * @param versionCount      how many versions are known
 * @param lastRejections    the last {@value RejectionLog#RECENT} rejections, oldest first
 * @param otherTables       other table names seen on the model topic (their records are ignored)
 */
public record RegistrySnapshot(String table, long activeVersion, long activeSequence, int rows, int dim, long swaps,
                               long building, List<VersionStatus> versions, int versionCount, long rejectedTotal,
                               Map<TableRejectedException.Reason, Long> rejectedByReason,
                               List<RejectionLog.Rejection> lastRejections, List<String> otherTables,
                               boolean requiresSignatures) {

    /**
     * One version and its status: {@code active}, {@code committed} (complete, retained),
     * {@code building}, {@code waiting:P/N} (committed, P of its N chunks stored), {@code chunks:N} (not
     * committed yet), {@code rejected:REASON} (failed to build, or its commit was refused).
     */
    public record VersionStatus(long version, String status) {
    }

    /** This snapshot with no version active (the registry closed); the versions keep their last status. */
    RegistrySnapshot closed() {
        return new RegistrySnapshot(table, -1, -1, 0, 0, swaps, -1, versions, versionCount, rejectedTotal, rejectedByReason,
                lastRejections, otherTables, requiresSignatures);
    }

    /** The listed versions and their status, by version. */
    public Map<Long, String> describeVersions() {
        Map<Long, String> m = new LinkedHashMap<>();
        versions.forEach(v -> m.put(v.version(), v.status()));
        return m;
    }
}
