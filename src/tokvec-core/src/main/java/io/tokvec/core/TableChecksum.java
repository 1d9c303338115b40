package io.tokvec.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Checksums of a table version, as the commit record carries them:
 * <ul>
 *   <li>table: {@code "sha256:" + hex(SHA-256(all rows as little-endian float32, row-major))}, in
 *       Python {@code "sha256:" + hashlib.sha256(W.astype('<f4').tobytes()).hexdigest()};</li>
 *   <li>vocabulary: {@code "sha256:" + hex(SHA-256(token_0 + "\n" + token_1 + "\n" + ...))} with every
 *       token UTF-8 encoded and followed by a newline, in Python
 *       {@code hashlib.sha256("".join(t + "\n" for t in vocab).encode()).hexdigest()}.</li>
 * </ul>
 */
public final class TableChecksum {

    public static final String PREFIX = "sha256:";

    private TableChecksum() {
    }

    public static String ofData(byte[] littleEndianFloats) {
        MessageDigest md = sha256();
        md.update(littleEndianFloats);
        return PREFIX + HexFormat.of().formatHex(md.digest());
    }

    public static String ofVocabulary(List<String> tokens) {
        MessageDigest md = sha256();
        for (String t : tokens) {
            addToken(md, t);
        }
        return PREFIX + HexFormat.of().formatHex(md.digest());
    }

    /** Adds one token to a vocabulary checksum being computed token by token ({@link #format} ends it). */
    public static void addToken(MessageDigest md, String token) {
        md.update(token.getBytes(StandardCharsets.UTF_8));
        md.update((byte) '\n');
    }

    /** A fresh SHA-256 digest for streaming use. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    public static String format(MessageDigest md) {
        return PREFIX + HexFormat.of().formatHex(md.digest());
    }
}
