/**
 * The operations endpoint ({@code tokvec.http.port}): health checks, Prometheus metrics and the
 * table versions, over the JDK's {@code com.sun.net.httpserver}. Depends on Kafka Streams and the
 * table registry only, so that {@code io.tokvec.streams} can start it without a package cycle.
 */
package io.tokvec.http;
