package io.tokvec.core;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A {@code List<Integer>} over an {@code int[]}, so that token ids can travel through Avro-typed
 * records without one boxed Integer per token: the hot path ({@link Enricher}, the serdes) reads
 * {@link #array()} directly; everything else sees an ordinary read-only list.
 */
public final class IntList extends AbstractList<Integer> implements RandomAccess {

    private int[] a;
    private int size;

    /** A view of {@code a[0..size)}; the array is kept, not copied. */
    public IntList(int[] a, int size) {
        if (size < 0 || size > a.length) {
            throw new IllegalArgumentException("size " + size + " outside [0, " + a.length + "]");
        }
        this.a = a;
        this.size = size;
    }

    /** An empty list to {@link #add(int)} to. */
    public IntList(int capacity) {
        this(new int[Math.max(1, capacity)], 0);
    }

    public void add(int v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size++] = v;
    }

    /** The backing array; elements {@code [0, size())} are the list's. */
    public int[] array() {
        return a;
    }

    public int getInt(int i) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    @Override
    public Integer get(int i) {
        return getInt(i);
    }

    @Override
    public int size() {
        return size;
    }
}
