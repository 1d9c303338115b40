package io.tokvec.cli;

/** An input line of {@code tokvec enrich} that is not a valid event; the message says why. */
final class EnrichLineException extends Exception {

    EnrichLineException(String message) {
        super(message, null, false, false);
    }
}
