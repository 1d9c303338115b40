package io.tokvec.core;

import java.util.concurrent.atomic.AtomicLong;

/** Bytes reserved against a fixed budget; shared by the {@link TableMemory} implementations. */
final class MemoryBudget {

    private final long budget;
    private final AtomicLong used = new AtomicLong();

    MemoryBudget(long budget) {
        if (budget < 1) {
            throw new IllegalArgumentException("memory budget must be >= 1 byte, got " + budget);
        }
        this.budget = budget;
    }

    long budget() { return budget; }
    long used() { return used.get(); }

    void reserve(String name, long bytes) throws TableMemory.TableMemoryException {
        while (true) {
            long u = used.get();
            if (u + bytes > budget) {
                throw new TableMemory.TableMemoryException(name + " needs " + bytes + " bytes but " + u + " of the "
                        + budget + " bytes table memory budget are in use (tokvec.table.memory.bytes)");
            }
            if (used.compareAndSet(u, u + bytes)) {
                return;
            }
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    /** The default budget: {@code fraction} of the machine's physical memory. */
    static long physicalMemoryFraction(double fraction) {
        long total = physicalMemory();
        return total > 0 ? (long) (total * fraction) : Long.MAX_VALUE;
    }

    static long physicalMemory() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return -1;
    }
}
