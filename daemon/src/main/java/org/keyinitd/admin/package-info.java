/**
 * The daemon-side admin ops behind keyinitctl (STATUS, SESSIONS, REVOKE, RELOAD), root peers
 * only.
 */
package org.keyinitd.admin;
