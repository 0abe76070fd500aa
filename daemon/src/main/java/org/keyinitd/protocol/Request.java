package org.keyinitd.protocol;

/** A decoded request frame: the raw op code (it may be unknown) and its fields. */
public record Request(int opCode, Fields fields) {
    public Op op() {
        return Op.byCode(opCode);
    }
}
