/**
 * Session requests: OPEN (authorize, policy, make the keyring) and CLOSE, and everything else
 * that ends a session (orphans, deferred revocation, recovery), all through SessionEnding,
 * with typed Outcomes.
 */
package org.keyinitd.service;
