package org.keyinitd.audit;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * Jackson escapes C0 controls in strings, as JSON requires, but writes DEL, the C1 controls
 * (U+0080..U+009F, among them the 8-bit CSI that terminals honour) and U+2028/U+2029 as they
 * are. Audit lines escape those too, as {@code \\u00XX}: the line stays valid JSON with the same
 * value, and no byte of it can act on a terminal or split a line for a reader that splits on
 * Unicode separators.
 */
final class JsonEscapes extends CharacterEscapes {
    private final int[] ascii;

    JsonEscapes() {
        ascii = standardAsciiEscapesForJSON();
        ascii[0x7f] = ESCAPE_STANDARD;
    }

    @Override
    public int[] getEscapeCodesForAscii() {
        return ascii;
    }

    @Override
    public SerializableString getEscapeSequence(int ch) {
        if (Escape.isUnsafe(ch)) {
            return new SerializedString(String.format("\\u%04x", ch));
        }
        return null;
    }
}
