/**
 * Policy: ordered rules and [defaults] that decide, for one login (LoginContext), what happens
 * to its session keyring (PolicyDecision). Pure: no I/O, no protocol types.
 */
package org.keyinitd.policy;
