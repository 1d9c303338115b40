package io.tokvec.model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Every refusal of a model record or a table version: counted in total and per reason, kept among
 * the last {@value #RECENT}, heard by listeners, and logged at WARN, one line each. A flood (more
 * than {@value #LOG_PER_MINUTE} in a minute) is not logged line by line: the next rejection after the
 * minute says how many were left out. Counters and the recent list are safe to read from any thread.
 */
public final class RejectionLog {

    private static final Logger log = LoggerFactory.getLogger(RejectionLog.class);

    /** How many rejections {@link #recent()} keeps. */
    public static final int RECENT = 20;

    /** Most WARN lines a minute. */
    static final int LOG_PER_MINUTE = 100;

    /** One rejection; {@code version} -1 when the record named none; {@code timeMs} is the wall-clock time. */
    public record Rejection(String table, long version, TableRejectedException.Reason reason, String message, long timeMs) {
    }

    private final String table;
    private final LongSupplier clock;
    private final AtomicLong total = new AtomicLong();
    private final Map<TableRejectedException.Reason, AtomicLong> byReason = new EnumMap<>(TableRejectedException.Reason.class);
    private final Deque<Rejection> recent = new ArrayDeque<>();
    private final List<Consumer<Rejection>> listeners = new CopyOnWriteArrayList<>();
    private long windowStart = Long.MIN_VALUE;
    private int loggedInWindow;
    private long suppressed;

    public RejectionLog(String table) {
        this(table, System::currentTimeMillis);
    }

    RejectionLog(String table, LongSupplier clock) {
        this.table = table;
        this.clock = clock;
        for (TableRejectedException.Reason r : TableRejectedException.Reason.values()) {
            byReason.put(r, new AtomicLong());
        }
    }

    /** Records a rejection of {@code version} (-1: none) while {@code activeVersion} (-1: none) serves. */
    public Rejection reject(long version, TableRejectedException e, long activeVersion) {
        long now = clock.getAsLong();
        total.incrementAndGet();
        byReason.get(e.reason()).incrementAndGet();
        Rejection r = new Rejection(table, version, e.reason(), e.getMessage(), now);
        synchronized (recent) {
            if (recent.size() == RECENT) {
                recent.removeFirst();
            }
            recent.addLast(r);
            if (now - windowStart >= 60_000 || now < windowStart) {
                if (suppressed > 0) {
                    log.warn("table {}: {} more rejections in the last minute were not logged one by one (see /tables"
                            + " and table-versions-rejected-total)", table, suppressed);
                }
                windowStart = now;
                loggedInWindow = 0;
                suppressed = 0;
            }
            if (loggedInWindow < LOG_PER_MINUTE) {
                loggedInWindow++;
                log.warn("table {}: rejected{} [{}]: {}; active stays {}", table, version >= 0 ? " v" + version : "", e.reason(),
                        e.getMessage(), activeVersion < 0 ? "none" : "v" + activeVersion);
            } else {
                suppressed++;
            }
        }
        listeners.forEach(l -> l.accept(r));
        return r;
    }

    public void onRejection(Consumer<Rejection> listener) {
        listeners.add(listener);
    }

    public long total() {
        return total.get();
    }

    public long count(TableRejectedException.Reason reason) {
        return byReason.get(reason).get();
    }

    /** Counts of the reasons seen at least once. */
    public Map<TableRejectedException.Reason, Long> byReason() {
        Map<TableRejectedException.Reason, Long> m = new EnumMap<>(TableRejectedException.Reason.class);
        byReason.forEach((r, n) -> {
            if (n.get() > 0) m.put(r, n.get());
        });
        return Collections.unmodifiableMap(m);
    }

    /** The last {@value #RECENT} rejections, oldest first. */
    public List<Rejection> recent() {
        synchronized (recent) {
            return List.copyOf(recent);
        }
    }
}
