package io.tokvec.serde;

import io.tokvec.avro.TokenEvent;
import io.tokvec.core.FloatList;
import io.tokvec.core.IntList;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a {@link TokenEvent} written with exactly its own schema ({@code TokenEvent.SCHEMA$}) field
 * by field, as Avro's {@code SpecificDatumReader} does, but with token ids and weights in an
 * {@link IntList} / {@link FloatList} (one array, no boxed value per token). Records written with
 * any other schema (an older or newer version) are read by the resolving {@code SpecificDatumReader}
 * instead ({@link #supports}), so schema evolution still works.
 */
final class TokenEventReader implements DatumReader<TokenEvent> {

    /** Whether records written with {@code writer} can be read by this reader. */
    static boolean supports(Schema writer) {
        return TokenEvent.getClassSchema().equals(writer);
    }

    @Override
    public void setSchema(Schema schema) {
        if (!supports(schema)) {
            throw new IllegalArgumentException("TokenEventReader reads TokenEvent's own schema only, not " + schema);
        }
    }

    @Override
    public TokenEvent read(TokenEvent reuse, Decoder in) throws IOException {
        String id = in.readString();
        IntList ids = null;
        if (in.readIndex() == 1) {
            long n = in.readArrayStart();
            ids = new IntList((int) Math.min(n, 1 << 16));
            for (; n > 0; n = in.arrayNext()) {
                for (long i = 0; i < n; i++) {
                    ids.add(in.readInt());
                }
            }
        } else {
            in.readNull();
        }
        List<String> tokens = null;
        if (in.readIndex() == 1) {
            long n = in.readArrayStart();
            tokens = new ArrayList<>((int) Math.min(n, 1 << 16));
            for (; n > 0; n = in.arrayNext()) {
                for (long i = 0; i < n; i++) {
                    tokens.add(in.readString());
                }
            }
        } else {
            in.readNull();
        }
        Long timestamp = null;
        if (in.readIndex() == 1) {
            timestamp = in.readLong();
        } else {
            in.readNull();
        }
        Map<String, String> metadata = new HashMap<>();
        for (long n = in.readMapStart(); n > 0; n = in.mapNext()) {
            for (long i = 0; i < n; i++) {
                String key = in.readString();
                metadata.put(key, in.readString());
            }
        }
        FloatList weights = null;
        if (in.readIndex() == 1) {
            long n = in.readArrayStart();
            weights = new FloatList((int) Math.min(n, 1 << 16));
            for (; n > 0; n = in.arrayNext()) {
                for (long i = 0; i < n; i++) {
                    weights.add(in.readFloat());
                }
            }
        } else {
            in.readNull();
        }
        return new TokenEvent(id, ids, tokens, timestamp, metadata, weights);
    }
}
