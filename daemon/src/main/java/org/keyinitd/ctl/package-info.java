/**
 * keyinitctl, the admin command-line client: arguments, the connection to the daemon (JDK Unix
 * sockets, no native code), and the table and JSON output.
 */
package org.keyinitd.ctl;
