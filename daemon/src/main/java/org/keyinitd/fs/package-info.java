/**
 * Checks on the files and directories the daemon trusts or writes: root-owned, not writable by
 * others, opened without following symlinks.
 */
package org.keyinitd.fs;
