package io.tokvec.bench;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Watches the heap while the swap runs, two ways:
 * <ul>
 *   <li>samples {@link MemoryMXBean} heap used every {@code periodMillis} from a daemon thread (what
 *       is allocated, garbage included: it depends on when the collector runs), and</li>
 *   <li>listens to the collector's notifications for the heap used right after each collection
 *       (what is live then), with the pause it took.</li>
 * </ul>
 * Times are wall-clock milliseconds, comparable with the broker's LogAppendTime of output records.
 */
final class HeapMonitor implements AutoCloseable {

    /** One sample: heap used, and of that the old generation's (where G1 puts the tables: humongous regions). */
    record Point(long timeMs, long usedBytes, long oldBytes) {
    }

    /** One collection: when it ended, what was used after it, how long it took. */
    record Gc(long endMs, long usedAfter, long durationMs, String name, String cause) {
    }

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final MemoryPoolMXBean oldGen = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP && p.getName().contains("Old Gen")).findFirst().orElse(null);
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
    private final long jvmStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
    private final List<Point> samples = new ArrayList<>();
    private final List<Gc> gcs = new ArrayList<>();
    private final NotificationListener listener = this::onNotification;
    private final Thread sampler;
    private volatile boolean running = true;

    HeapMonitor(long periodMillis) {
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(listener, null, null);
            }
        }
        sampler = new Thread(() -> {
            while (running) {
                long used = memory.getHeapMemoryUsage().getUsed();
                long old = oldGen == null ? -1 : oldGen.getUsage().getUsed();
                synchronized (samples) {
                    samples.add(new Point(System.currentTimeMillis(), used, old));
                }
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void onNotification(Notification n, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(e.getKey())) {
                used += e.getValue().getUsed();
            }
        }
        synchronized (gcs) {
            gcs.add(new Gc(jvmStartMs + info.getGcInfo().getEndTime(), used, info.getGcInfo().getDuration(),
                    info.getGcName(), info.getGcCause()));
        }
    }

    List<Point> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    List<Gc> gcs() {
        synchronized (gcs) {
            return List.copyOf(gcs);
        }
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        Joins.join(sampler, 1000);
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                try {
                    e.removeNotificationListener(listener);
                } catch (ListenerNotFoundException ignored) {
                    // never added
                }
            }
        }
    }
}
