package io.tokvec.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntConsumer;

/**
 * The chunk indexes of one version that the store holds, as disjoint ranges of consecutive indexes.
 * Memory grows with the number of ranges (one when chunks arrive in order, as {@code publish} sends
 * them), never with the values: a record that names chunk 2,147,483,646 costs one range, where a
 * {@link java.util.BitSet} would allocate 256 MiB. Every operation is O(log ranges).
 *
 * <p>Not thread-safe: the registry's thread owns it.
 */
public final class ChunkSet {

    /** start -> end (exclusive); ranges never touch or overlap (touching ranges are merged). */
    private final TreeMap<Integer, Long> ranges = new TreeMap<>();
    private long size;

    /** Adds {@code index} (>= 0); false if it was present already. */
    public boolean add(int index) {
        check(index);
        Map.Entry<Integer, Long> before = ranges.floorEntry(index);
        if (before != null && index < before.getValue()) {
            return false;
        }
        Long afterEnd = index == Integer.MAX_VALUE ? null : ranges.remove(index + 1);
        long end = afterEnd != null ? afterEnd : index + 1L;
        if (before != null && before.getValue() == index) {
            ranges.put(before.getKey(), end);
        } else {
            ranges.put(index, end);
        }
        size++;
        return true;
    }

    /** Removes {@code index}; false if it was absent. */
    public boolean remove(int index) {
        check(index);
        Map.Entry<Integer, Long> r = ranges.floorEntry(index);
        if (r == null || index >= r.getValue()) {
            return false;
        }
        long end = r.getValue();
        if (r.getKey() == index) {
            ranges.remove(index);
        } else {
            ranges.put(r.getKey(), (long) index);
        }
        if (index + 1L < end) {
            ranges.put(index + 1, end);
        }
        size--;
        return true;
    }

    public boolean contains(int index) {
        Map.Entry<Integer, Long> r = index < 0 ? null : ranges.floorEntry(index);
        return r != null && index < r.getValue();
    }

    /** How many indexes are present. */
    public long size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** How many ranges of consecutive indexes the set holds (what its memory and its {@link ChunkIndex} grow with). */
    public int rangeCount() {
        return ranges.size();
    }

    /** Whether every index of {@code [0, n)} is present. */
    public boolean containsAllBelow(long n) {
        if (n <= 0) {
            return true;
        }
        Map.Entry<Integer, Long> first = ranges.firstEntry();
        return first != null && first.getKey() == 0 && first.getValue() >= n;
    }

    /** How many indexes of {@code [0, n)} are present. */
    public long countBelow(long n) {
        long count = 0;
        for (Map.Entry<Integer, Long> r : ranges.entrySet()) {
            if (r.getKey() >= n) {
                break;
            }
            count += Math.min(r.getValue(), n) - r.getKey();
        }
        return count;
    }

    /** Visits the present indexes in ascending order. */
    public void forEach(IntConsumer visitor) {
        for (Map.Entry<Integer, Long> r : ranges.entrySet()) {
            for (long i = r.getKey(); i < r.getValue(); i++) {
                visitor.accept((int) i);
            }
        }
    }

    /** The ranges, ascending, as {@code {first, last}} (both inclusive). */
    public List<int[]> ranges() {
        List<int[]> out = new ArrayList<>(ranges.size());
        ranges.forEach((start, end) -> out.add(new int[] {start, (int) (end - 1)}));
        return out;
    }

    /**
     * Adds the indexes {@code [first, last]} (a range read back from a {@link ChunkIndex}) in O(log ranges).
     *
     * @throws IllegalArgumentException if the range is empty, negative or overlaps indexes already present
     */
    void addRange(int first, int last) {
        check(first);
        if (last < first) {
            throw new IllegalArgumentException("empty chunk range [" + first + ", " + last + "]");
        }
        Map.Entry<Integer, Long> before = ranges.floorEntry(first);
        Map.Entry<Integer, Long> after = ranges.ceilingEntry(first);
        if ((before != null && before.getValue() > first) || (after != null && after.getKey() <= last)) {
            throw new IllegalArgumentException("chunk range [" + first + ", " + last + "] overlaps " + this);
        }
        long end = last + 1L;
        if (after != null && after.getKey() == end) {
            ranges.remove(after.getKey());
            end = after.getValue();
        }
        if (before != null && before.getValue() == first) {
            ranges.put(before.getKey(), end);
        } else {
            ranges.put(first, end);
        }
        size += last - (long) first + 1;
    }

    private static void check(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("chunk index must be >= 0, got " + index);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkSet c && c.size == size && c.ranges.equals(ranges);
    }

    @Override
    public int hashCode() {
        return ranges.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("{");
        ranges.forEach((start, end) -> {
            if (b.length() > 1) b.append(", ");
            b.append(start);
            if (end - 1 > start) b.append("..").append(end - 1);
        });
        return b.append('}').toString();
    }
}
