/**
 * Start-up and wiring: the foreground launcher and the jsvc adapter, the Daemon that builds
 * every part and stops it again, request routing, reload, --check-config and --explain.
 */
package org.keyinitd.launcher;
