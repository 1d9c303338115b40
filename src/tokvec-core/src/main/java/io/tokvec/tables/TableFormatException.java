package io.tokvec.tables;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A table or vocabulary file that cannot be read as its format says. The message names the file
 * and, where there is one, the position ({@code line 12}, {@code byte 4096}, {@code word 7}).
 */
public final class TableFormatException extends IOException {

    private final transient Path file;
    private final String position;

    /**
     * @param file     the file being read
     * @param position where in the file, e.g. {@code "line 12"}; null when the problem is the whole file
     * @param detail   what is wrong
     */
    public TableFormatException(Path file, String position, String detail) {
        super(file + (position == null ? "" : ": " + position) + ": " + detail);
        this.file = file;
        this.position = position;
    }

    public Path file() {
        return file;
    }

    /** Where in the file the problem is ({@code "line 12"}, {@code "byte 4096"}), or null. */
    public String position() {
        return position;
    }
}
