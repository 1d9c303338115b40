package io.tokvec.tables;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header dictionary of a {@code .npy} file, e.g.
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}, parsed as the small
 * subset of Python literals numpy writes there (dicts, tuples, lists, strings, ints, booleans, None).
 *
 * @param descr        the dtype descriptor ({@code '<f4'}), or null when it is not a string (a structured dtype)
 * @param fortranOrder whether the data is stored column-major
 * @param shape        the array's shape
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {

    /** Parses the header text; throws IllegalArgumentException with the reason. */
    static NpyHeader parse(String text) {
        Object v = new Parser(text).parseTop();
        if (!(v instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("header is not a dictionary: " + text.strip());
        }
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new IllegalArgumentException("header has no '" + key + "' key: " + text.strip());
            }
        }
        Object descr = dict.get("descr");
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IllegalArgumentException("header 'fortran_order' is not True or False: " + text.strip());
        }
        if (!(dict.get("shape") instanceof List<?> dims)) {
            throw new IllegalArgumentException("header 'shape' is not a tuple: " + text.strip());
        }
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0) {
                throw new IllegalArgumentException("header 'shape' holds " + dims.get(i) + ", not a size: " + text.strip());
            }
            shape[i] = d;
        }
        return new NpyHeader(descr instanceof String s ? s : null, fortran, shape);
    }

    /** The shape as numpy prints it: {@code (3, 4)}, {@code (5,)}, {@code ()}. */
    String shapeText() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(shape[i]);
        }
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Object parseTop() {
            Object v = value();
            ws();
            if (i != s.length()) {
                throw error("unexpected text after the dictionary");
            }
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(i);
            switch (c) {
                case '{':
                    return dict();
                case '(':
                    return sequence(')');
                case '[':
                    return sequence(']');
                case '\'':
                case '"':
                    return string(c);
                default:
                    if (c == '-' || Character.isDigit(c)) {
                        return integer();
                    }
                    if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
                    if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
                    if (s.startsWith("None", i)) { i += 4; return null; }
                    throw error("unexpected character '" + c + "'");
            }
        }

        private Map<Object, Object> dict() {
            Map<Object, Object> m = new LinkedHashMap<>();
            i++;
            while (true) {
                ws();
                if (peek() == '}') { i++; return m; }
                Object k = value();
                ws();
                expect(':');
                m.put(k, value());
                ws();
                if (peek() == ',') { i++; continue; }
                ws();
                expect('}');
                return m;
            }
        }

        private List<Object> sequence(char close) {
            List<Object> l = new ArrayList<>();
            i++;
            while (true) {
                ws();
                if (peek() == close) { i++; return l; }
                l.add(value());
                ws();
                if (peek() == ',') { i++; continue; }
                expect(close);
                return l;
            }
        }

        private String string(char quote) {
            int start = ++i;
            int end = s.indexOf(quote, start);
            if (end < 0) {
                throw error("unterminated string");
            }
            i = end + 1;
            return s.substring(start, end);
        }

        private Long integer() {
            int start = i;
            if (peek() == '-') i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
            String digits = s.substring(start, i);
            if (i < s.length() && (s.charAt(i) == 'L' || s.charAt(i) == 'l')) i++; // Python 2 longs
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("bad integer '" + digits + "'");
            }
        }

        private char peek() {
            return i < s.length() ? s.charAt(i) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("expected '" + c + "'");
            }
            i++;
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("cannot parse header at character " + i + " (" + what + "): " + s.strip());
        }
    }
}
