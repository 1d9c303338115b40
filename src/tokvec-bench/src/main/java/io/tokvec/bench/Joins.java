package io.tokvec.bench;

/** Joining the bench's helper threads on close, keeping an interrupt for the caller. */
final class Joins {

    private Joins() {
    }

    static void join(Thread thread, long millis) {
        try {
            thread.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
