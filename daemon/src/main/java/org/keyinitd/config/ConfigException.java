package org.keyinitd.config;

/**
 * A configuration file that cannot be used. The message names the file, the line (when known)
 * and the field, the way compilers do: {@code /etc/keyinitd/keyinitd.toml:7: limits.max_frame: ...}.
 */
public final class ConfigException extends Exception {
    private final String file;
    private final int line;
    private final String field;
    private final String reason;

    public ConfigException(String file, int line, String field, String reason) {
        super(format(file, line, field, reason));
        this.file = file;
        this.line = line;
        this.field = field;
        this.reason = reason;
    }

    private static String format(String file, int line, String field, String reason) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (field != null && !field.isEmpty()) {
            sb.append(field).append(": ");
        }
        return sb.append(reason).toString();
    }

    public String file() {
        return file;
    }

    /** 1-based line, or 0 when the mistake has no single line (e.g. a missing key). */
    public int line() {
        return line;
    }

    public String field() {
        return field;
    }

    public String reason() {
        return reason;
    }
}
