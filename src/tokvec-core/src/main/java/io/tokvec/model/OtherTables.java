package io.tokvec.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The names of other tables whose records appear on the model topic: such records are ignored (an
 * application serves one table, {@code tokvec.table}), and each name is logged once at INFO, so that
 * a table published under another name than the one served does not go unnoticed. Keeps at most
 * {@value #MAX_NAMES} names.
 */
final class OtherTables {

    private static final Logger log = LoggerFactory.getLogger(OtherTables.class);

    static final int MAX_NAMES = 100;

    private final String served;
    private final Set<String> names = new TreeSet<>();
    private volatile List<String> listed = List.of();

    OtherTables(String served) {
        this.served = served;
    }

    /** Notes a record of table {@code name}; true (and one log line) the first time the name is seen. */
    boolean seen(String name) {
        if (names.contains(name) || names.size() >= MAX_NAMES) {
            return false;
        }
        names.add(name);
        listed = List.copyOf(names);
        log.info("model records of table '{}' are ignored: this application serves table '{}' (tokvec.table); publish with"
                + " --table {} or run an application with tokvec.table={} to serve them", ModelKey.printable(name), served,
                served, ModelKey.printable(name));
        return true;
    }

    /** The names seen, sorted. */
    List<String> names() {
        return listed;
    }
}
