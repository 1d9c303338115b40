package io.tokvec.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Parses one JSON line {@code {"id": ..., "token_ids": [...]}} or {@code {"id": ..., "tokens": [...]}}
 * (optionally with {@code "weights": [...]}, one number per token)
 * into an {@link EnrichEvent} with Jackson's streaming parser (no tree per line). The id is a string
 * or an integer; other fields are ignored; {@code null} counts as absent. Exactly one of
 * {@code token_ids} (integers) and {@code tokens} (strings) must be present.
 */
final class EnrichEventParser {

    private final JsonFactory json;

    EnrichEventParser(JsonFactory json) {
        this.json = json;
    }

    void parse(String line, EnrichEvent ev) throws EnrichLineException {
        ev.reset();
        boolean sawIds = false;
        boolean sawTokens = false;
        try (JsonParser p = json.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new EnrichLineException("not a JSON object");
            }
            String field;
            while ((field = p.nextFieldName()) != null) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (field) {
                    case "id":
                        readId(p, t, ev);
                        break;
                    case "token_ids":
                        sawIds = true;
                        readIds(p, t, ev);
                        break;
                    case "tokens":
                        sawTokens = true;
                        readTokens(p, t, ev);
                        break;
                    case "weights":
                        readWeights(p, t, ev);
                        break;
                    default:
                        p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new EnrichLineException("unexpected content after the JSON object");
            }
        } catch (JsonProcessingException e) {
            throw new EnrichLineException("invalid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (column " + e.getLocation().getColumnNr() + ")"));
        } catch (IOException e) {
            throw new EnrichLineException("cannot read: " + e.getMessage());
        }
        if (ev.id == null) {
            throw new EnrichLineException("missing id");
        }
        if (sawIds == sawTokens) {
            throw new EnrichLineException(sawIds ? "event " + ev.id + " has both token_ids and tokens"
                    : "event " + ev.id + " has neither token_ids nor tokens");
        }
        ev.hasTokens = sawTokens;
    }

    private static void readId(JsonParser p, JsonToken t, EnrichEvent ev) throws IOException, EnrichLineException {
        if (t == JsonToken.VALUE_STRING) {
            ev.id = p.getText();
            ev.idIsString = true;
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
            ev.id = p.getText();
            ev.idIsString = false;
        } else {
            throw new EnrichLineException("id must be a string or an integer, got " + describe(p, t));
        }
    }

    private static void readIds(JsonParser p, JsonToken t, EnrichEvent ev) throws IOException, EnrichLineException {
        if (t != JsonToken.START_ARRAY) {
            throw new EnrichLineException("token_ids must be an array of integers, got " + describe(p, t));
        }
        int i = 0;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_NUMBER_INT) {
                if (p.getNumberType() == JsonParser.NumberType.INT) {
                    ev.addId(p.getIntValue());
                } else {
                    ev.addHugeId(p.getText());
                }
            } else {
                throw new EnrichLineException("token_ids[" + i + "] is not an integer: " + describe(p, t));
            }
            i++;
        }
    }

    private static void readTokens(JsonParser p, JsonToken t, EnrichEvent ev) throws IOException, EnrichLineException {
        if (t != JsonToken.START_ARRAY) {
            throw new EnrichLineException("tokens must be an array of strings, got " + describe(p, t));
        }
        int i = 0;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_STRING) {
                throw new EnrichLineException("tokens[" + i + "] is not a string: " + describe(p, t));
            }
            ev.tokens.add(p.getText());
            i++;
        }
    }

    /** Weights are JSON numbers, each read as the float32 nearest to its decimal text. */
    private static void readWeights(JsonParser p, JsonToken t, EnrichEvent ev) throws IOException, EnrichLineException {
        if (t != JsonToken.START_ARRAY) {
            throw new EnrichLineException("weights must be an array of numbers, got " + describe(p, t));
        }
        ev.hasWeights = true;
        int i = 0;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new EnrichLineException("weights[" + i + "] is not a number: " + describe(p, t));
            }
            ev.addWeight(Float.parseFloat(p.getText()));
            i++;
        }
    }

    private static String describe(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_ARRAY: return "an array";
            case START_OBJECT: return "an object";
            case VALUE_NULL: return "null";
            case VALUE_STRING: return "the string \"" + p.getText() + "\"";
            default: return p.getText();
        }
    }
}
