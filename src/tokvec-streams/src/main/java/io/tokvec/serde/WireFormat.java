package io.tokvec.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent Schema Registry framing: magic byte {@code 0}, the schema id as a 4-byte big-endian
 * int, then the payload (here: Avro binary).
 */
public final class WireFormat {

    /** The first byte of every framed record. */
    public static final byte MAGIC_BYTE = 0;

    /** Size of the schema id in bytes. */
    public static final int ID_SIZE = 4;

    /** Magic byte + schema id: the payload starts at this offset. */
    public static final int HEADER_SIZE = 1 + ID_SIZE;

    private WireFormat() {
    }

    /**
     * Reads the schema id of a framed record, checking its header.
     *
     * @param framed a framed record (not null)
     * @return the schema id (any int; the registry decides whether it exists)
     * @throws WireFormatException {@link WireFormatException.Reason#TOO_SHORT} when shorter than
     *     {@link #HEADER_SIZE}, {@link WireFormatException.Reason#BAD_MAGIC} when byte 0 is not 0
     */
    public static int schemaId(byte[] framed) {
        return schemaId(framed, 0, framed.length);
    }

    /** {@link #schemaId(byte[])} of the framed record in {@code buf[offset, offset + length)}. */
    public static int schemaId(byte[] buf, int offset, int length) {
        if (length < HEADER_SIZE) {
            throw new WireFormatException(WireFormatException.Reason.TOO_SHORT, -1,
                    "record of " + length + " byte(s) is too short for the Confluent wire format"
                            + " (needs at least " + HEADER_SIZE
                            + ": magic byte 0 and a 4-byte schema id)");
        }
        if (buf[offset] != MAGIC_BYTE) {
            byte[] head = java.util.Arrays.copyOfRange(buf, offset, offset + Math.min(length, 16));
            throw new WireFormatException(WireFormatException.Reason.BAD_MAGIC, -1,
                    String.format("expected magic byte 0, got 0x%02x%s", buf[offset] & 0xff, hint(head)));
        }
        return ((buf[offset + 1] & 0xff) << 24) | ((buf[offset + 2] & 0xff) << 16) | ((buf[offset + 3] & 0xff) << 8)
                | (buf[offset + 4] & 0xff);
    }

    /**
     * Frames a payload: returns a new array {@code [0][id big-endian][avroBinary]}.
     *
     * @param schemaId the registry id of the schema the payload was written with
     * @param avroBinary the payload (not null, not modified)
     */
    public static byte[] frame(int schemaId, byte[] avroBinary) {
        return ByteBuffer.allocate(HEADER_SIZE + avroBinary.length)
                .put(MAGIC_BYTE)
                .putInt(schemaId)
                .put(avroBinary)
                .array();
    }

    /** A guess at what the bytes are, for error messages. */
    private static String hint(byte[] b) {
        int first = b[0] & 0xff;
        if (first == '{' || first == '[') {
            return " (is this JSON? the producer must use a Confluent Avro serializer)";
        }
        if (first == 0xc3 && b[1] == 0x01) {
            return " (this looks like Avro single-object encoding, not the Confluent wire format)";
        }
        if (first == 'O' && b[1] == 'b' && b[2] == 'j' && b[3] == 1) {
            return " (this looks like an Avro container file, not the Confluent wire format)";
        }
        if (isPrintable(b)) {
            return " (is this plain text? the producer must use a Confluent Avro serializer)";
        }
        return " (not the Confluent wire format: raw Avro without the 5-byte header, or another"
                + " serializer?)";
    }

    private static boolean isPrintable(byte[] b) {
        int n = Math.min(b.length, 16);
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xff;
            if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
