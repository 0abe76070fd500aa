/**
 * The daemon's live sessions: the Session record, the thread-safe registry, and the state
 * files that let a restarted daemon take them back.
 */
package org.keyinitd.session;
