/**
 * Wire protocol v1 (docs/protocol.md): frames, typed fields, requests and replies, and the
 * pure codec shared by the daemon and its tests. Depends on nothing else in keyinitd.
 */
package org.keyinitd.protocol;
