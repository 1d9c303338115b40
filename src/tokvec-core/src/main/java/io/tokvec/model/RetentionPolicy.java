package io.tokvec.model;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.NavigableSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.LongFunction;

/**
 * Which versions the model store and topic keep ({@code tokvec.retain.versions}): the newest
 * {@code retain} committed versions (by number, whether or not they built), every version newer than
 * the oldest of them (committed or still arriving), the versions the caller names (the application:
 * its active, intended and pinned versions; {@code publish}: the intended and pinned ones), and every
 * version a kept version depends on ({@link VersionCatalog.Version#dependencies()}, transitively).
 * Everything else older is dropped. The application ({@link TableRegistry}) and {@code publish}
 * (which tombstones what it drops) use this one policy over catalogs built by the same rules.
 */
public final class RetentionPolicy {

    private final int retain;

    public RetentionPolicy(int retain) {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be >= 1, got " + retain);
        }
        this.retain = retain;
    }

    public int retain() {
        return retain;
    }

    /** The versions of {@code catalog} to drop, ascending; {@code keep} are never dropped (nor what they depend on). */
    public SortedSet<Long> victims(VersionCatalog catalog, Collection<Long> keep) {
        return victims(catalog.committedVersions(), catalog.versions().keySet(), v -> {
            VersionCatalog.Version version = catalog.get(v);
            return version == null ? new long[0] : version.dependencies();
        }, keep);
    }

    /**
     * The same over plain sets: {@code committed} and {@code known} (committed or not) versions, and
     * what each version depends on.
     */
    public SortedSet<Long> victims(NavigableSet<Long> committed, Set<Long> known, LongFunction<long[]> dependencies,
                                   Collection<Long> keep) {
        if (committed.size() <= retain) {
            return Collections.emptySortedSet();
        }
        Set<Long> kept = new HashSet<>(keep);
        Iterator<Long> newestFirst = committed.descendingIterator();
        long oldestKept = -1;
        for (int i = 0; i < retain; i++) {
            oldestKept = newestFirst.next();
            kept.add(oldestKept);
        }
        Deque<Long> todo = new ArrayDeque<>(kept);
        while (!todo.isEmpty()) {
            for (long d : dependencies.apply(todo.pop())) {
                if (kept.add(d)) todo.push(d);
            }
        }
        SortedSet<Long> victims = new TreeSet<>();
        for (long v : known) {
            if (v < oldestKept && !kept.contains(v)) victims.add(v);
        }
        return victims;
    }
}
