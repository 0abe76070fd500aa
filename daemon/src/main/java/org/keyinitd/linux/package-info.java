/**
 * The one place that calls native code (JNA): keyctl and add_key, per-thread credential
 * syscalls, NSS look-ups, pidfd and epoll, /proc readers, CLOCK_MONOTONIC.
 */
package org.keyinitd.linux;
