package io.tokvec.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Which version of the {@link VersionCatalog} should serve, and what to try when it changes: the
 * pinned version ({@code tokvec.table.version}) if there is one; otherwise the version named by the
 * newest commit or activate record, in model-topic order (an activate record newer than every commit
 * is a rollback or roll-forward), falling back past versions that failed to build. Pure: it reads
 * the catalog and the active version, builds nothing.
 *
 * <p>With a version active, only the newest candidate is tried, and the active one stays if that one
 * is still waiting for chunks or fails to build; with none (at start), older candidates are tried in
 * turn, so the newest complete version serves meanwhile.
 */
public final class ActivationPolicy {

    /** A version to try, with the sequence of the record that makes it a candidate (its commit, or the activate record). */
    public record Candidate(long version, long sequence) {
    }

    /**
     * What to do now: build the {@code build} candidates in order until one succeeds (none: nothing to
     * build), or, when {@code resequence >= 0}, keep the active version under that later sequence (the
     * same version chosen again by a later record, e.g. an activate record naming it).
     */
    public record Plan(long resequence, List<Candidate> build) {
        static final Plan KEEP = new Plan(-1, List.of());

        public boolean keep() {
            return resequence < 0 && build.isEmpty();
        }
    }

    private final long pinned;

    /** @param pinnedVersion the only version to serve, or -1 to follow commits and activate records */
    public ActivationPolicy(long pinnedVersion) {
        this.pinned = pinnedVersion;
    }

    /** The pinned version, or -1. */
    public long pinned() {
        return pinned;
    }

    /** Versions in the order they should be tried: the pinned one only; else the newest activate record's, then commits newest first. */
    public List<Candidate> candidates(VersionCatalog catalog) {
        List<Candidate> out = new ArrayList<>();
        if (pinned >= 0) {
            VersionCatalog.Version v = catalog.get(pinned);
            if (v != null) out.add(new Candidate(pinned, v.commitSeq()));
            return out;
        }
        List<VersionCatalog.Version> committed = new ArrayList<>();
        for (long n : catalog.committedVersions()) {
            committed.add(catalog.get(n));
        }
        committed.sort((a, b) -> Long.compare(b.commitSeq(), a.commitSeq()));
        long activate = catalog.activateVersion();
        boolean activateFirst = activate >= 0 && (committed.isEmpty() || catalog.activateSeq() > committed.get(0).commitSeq());
        if (activateFirst && catalog.get(activate) != null) {
            out.add(new Candidate(activate, catalog.activateSeq()));
        }
        for (VersionCatalog.Version v : committed) {
            if (out.isEmpty() || v.version() != out.get(0).version()) out.add(new Candidate(v.version(), v.commitSeq()));
        }
        return out;
    }

    /**
     * The version that should serve if it builds: the first candidate that is committed and not known
     * to fail, or null. What {@link RetentionPolicy} keeps besides the active version, and what
     * {@code publish} assumes the application serves.
     */
    public Candidate intended(VersionCatalog catalog) {
        for (Candidate c : candidates(catalog)) {
            VersionCatalog.Version v = catalog.get(c.version());
            if (v.committed() && v.rejection() == null) {
                return c;
            }
            if (pinned >= 0) break;
        }
        return null;
    }

    /**
     * What to do given the catalog and the active version ({@code activeVersion} -1: none) chosen by the
     * record of sequence {@code activeSequence}.
     */
    public Plan plan(VersionCatalog catalog, long activeVersion, long activeSequence) {
        boolean haveActive = activeVersion >= 0;
        List<Candidate> build = new ArrayList<>();
        for (Candidate c : candidates(catalog)) {
            VersionCatalog.Version v = catalog.get(c.version());
            if (haveActive && c.version() == activeVersion) {
                return c.sequence() > activeSequence ? new Plan(c.sequence(), List.of()) : Plan.KEEP;
            }
            if (!v.committed() || v.rejection() != null || !v.complete() || catalog.waitingBase(v.version()) >= 0) {
                if (haveActive) return Plan.KEEP; // the newest is still arriving, or failed: keep the active one
                continue; // nothing active yet: serve the newest complete version meanwhile
            }
            build.add(c);
            if (haveActive) break; // only the newest is tried over an active version
        }
        return build.isEmpty() ? Plan.KEEP : new Plan(-1, List.copyOf(build));
    }
}
