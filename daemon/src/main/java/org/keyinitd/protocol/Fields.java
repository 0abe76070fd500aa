package org.keyinitd.protocol;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The typed fields of one frame, immutable. Values are {@code String} (STR), {@code Long} (U32,
 * kept unsigned), {@code Integer} (I32), {@code Boolean} (BOOL) and {@code Long} (U64, read as unsigned).
 */
public final class Fields {
    private static final Fields EMPTY = new Fields(new EnumMap<>(Field.class));

    private final Map<Field, Object> values;

    private Fields(EnumMap<Field, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    public static Fields empty() {
        return EMPTY;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Map<Field, Object> asMap() {
        return values;
    }

    public boolean has(Field field) {
        return values.containsKey(field);
    }

    public Optional<String> string(Field field) {
        return Optional.ofNullable((String) values.get(field));
    }

    public Optional<Long> u32(Field field) {
        return Optional.ofNullable((Long) values.get(field));
    }

    public Optional<Long> u64(Field field) {
        return Optional.ofNullable((Long) values.get(field));
    }

    public Optional<Integer> i32(Field field) {
        return Optional.ofNullable((Integer) values.get(field));
    }

    public Optional<Boolean> bool(Field field) {
        return Optional.ofNullable((Boolean) values.get(field));
    }

    /** A required string field, or BAD_REQUEST naming it. */
    public String requireString(Field field) throws ProtocolException {
        return string(field).orElseThrow(() -> missing(field));
    }

    public long requireU32(Field field) throws ProtocolException {
        return u32(field).orElseThrow(() -> missing(field));
    }

    public boolean requireBool(Field field) throws ProtocolException {
        return bool(field).orElseThrow(() -> missing(field));
    }

    private static ProtocolException missing(Field field) {
        return new ProtocolException(Status.BAD_REQUEST, "missing required field " + field);
    }

    @Override
    public String toString() {
        return values.toString();
    }

    /** Collects fields; setting a value checks it fits the field's type. */
    public static final class Builder {
        private final EnumMap<Field, Object> values = new EnumMap<>(Field.class);

        public Builder put(Field field, String value) {
            check(field, FieldType.STR);
            if (value != null) {
                values.put(field, value);
            }
            return this;
        }

        public Builder putU32(Field field, long value) {
            check(field, FieldType.U32);
            if (value < 0 || value > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException(field + " out of u32 range: " + value);
            }
            values.put(field, value);
            return this;
        }

        public Builder putU64(Field field, long value) {
            check(field, FieldType.U64);
            values.put(field, value);
            return this;
        }

        public Builder putI32(Field field, int value) {
            check(field, FieldType.I32);
            values.put(field, value);
            return this;
        }

        public Builder put(Field field, boolean value) {
            check(field, FieldType.BOOL);
            values.put(field, value);
            return this;
        }

        public Fields build() {
            return new Fields(new EnumMap<>(values));
        }

        private static void check(Field field, FieldType expected) {
            if (field.type() != expected) {
                throw new IllegalArgumentException(field + " is " + field.type() + ", not " + expected);
            }
        }
    }
}
