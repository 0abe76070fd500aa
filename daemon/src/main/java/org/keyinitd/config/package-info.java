/**
 * The configuration file and its drop-ins: strict TOML reading, validation with file:line
 * messages, warnings, and the immutable Config they produce.
 */
package org.keyinitd.config;
