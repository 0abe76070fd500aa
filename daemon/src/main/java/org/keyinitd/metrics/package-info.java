/**
 * Counters per audit event and outcome, latency reservoirs per op, and the Prometheus textfile
 * exporter.
 */
package org.keyinitd.metrics;
