/**
 * Session keyrings in the kernel: the credential-switching worker thread, the registry
 * anchored in the keyinitd account's user keyring, and create, revoke, release and usage
 * counts.
 */
package org.keyinitd.keyring;
