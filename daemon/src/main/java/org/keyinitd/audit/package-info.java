/**
 * The audit trail: typed JSON-lines events, the bounded queue that never drops session events,
 * the rotating file, the syslog copy, and escaping of attacker-supplied text.
 */
package org.keyinitd.audit;
