/**
 * Watching session processes through pidfds in one epoll set, so a dead login is noticed at
 * once and a reused pid never mistaken for it.
 */
package org.keyinitd.liveness;
