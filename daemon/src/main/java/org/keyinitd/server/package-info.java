/**
 * The Unix socket server: accept, SO_PEERCRED, per-connection framing and deadlines,
 * connection limits with a reserve for root, and the per-uid request budget.
 */
package org.keyinitd.server;
