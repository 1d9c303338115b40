package io.tokvec.core;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.RandomAccess;

/**
 * A {@code List<Float>} over a {@code float[]}, so that per-token weights can travel through Avro-typed
 * records without one boxed Float per token: the hot path ({@link Enricher}, the serdes) reads
 * {@link #array()} directly; everything else sees an ordinary read-only list.
 */
public final class FloatList extends AbstractList<Float> implements RandomAccess {

    private float[] a;
    private int size;

    /** A view of {@code a[0..size)}; the array is kept, not copied. */
    public FloatList(float[] a, int size) {
        if (size < 0 || size > a.length) {
            throw new IllegalArgumentException("size " + size + " outside [0, " + a.length + "]");
        }
        this.a = a;
        this.size = size;
    }

    /** An empty list to {@link #add(float)} to. */
    public FloatList(int capacity) {
        this(new float[Math.max(1, capacity)], 0);
    }

    public void add(float v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size++] = v;
    }

    /** The backing array; elements {@code [0, size())} are the list's. */
    public float[] array() {
        return a;
    }

    public float getFloat(int i) {
        if (i >= size) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    @Override
    public Float get(int i) {
        return getFloat(i);
    }

    @Override
    public int size() {
        return size;
    }
}
