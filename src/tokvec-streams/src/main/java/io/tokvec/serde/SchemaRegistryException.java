package io.tokvec.serde;

import java.io.IOException;

/**
 * The schema registry answered with an error. Carries the HTTP status and the Confluent error code
 * (e.g. 40403 "schema not found", 409 "incompatible schema"), each -1 when absent.
 */
public class SchemaRegistryException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final int errorCode;

    public SchemaRegistryException(String message, int status, int errorCode) {
        super(message);
        this.status = status;
        this.errorCode = errorCode;
    }

    /** HTTP status, or -1 (e.g. for the in-memory registry). */
    public int status() {
        return status;
    }

    /** Confluent error code from the response body ({@code error_code}), or -1. */
    public int errorCode() {
        return errorCode;
    }

    /** True when retrying may help: HTTP 5xx, 408 or 429. */
    public boolean isTransient() {
        return status >= 500 || status == 408 || status == 429;
    }
}
