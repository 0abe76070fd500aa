/*
 * kid_proto: encoder/decoder for the keyinitd wire protocol, version 1
 * (docs/protocol.md is normative).
 *
 * Pure functions over caller buffers: no I/O, no allocation, no globals,
 * so that the same code runs in the PAM module, the unit tests and a fuzzer.
 */
#ifndef KID_PROTO_H
#define KID_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define KID_MAGIC	0x4B494450u	/* "KIDP" */
#define KID_VERSION	1
#define KID_HDR_LEN	12
#define KID_MAX_BODY	4096
#define KID_MAX_FRAME	(KID_HDR_LEN + KID_MAX_BODY)
#define KID_REPLY_BIT	0x80

enum kid_op {
	KID_OP_PING = 1,
	KID_OP_OPEN = 2,
	KID_OP_CLOSE = 3,
	/* never sent: the op of a fallback record in the spool directory */
	KID_OP_FALLBACK_RECORD = 10,
};

enum kid_type {
	KID_T_STR = 1,
	KID_T_U32 = 2,
	KID_T_I32 = 3,
	KID_T_BOOL = 4,
	KID_T_U64 = 5,
};

enum kid_tag {
	KID_F_SERVICE = 1,
	KID_F_USER = 2,
	KID_F_UID = 3,
	KID_F_GID = 4,
	KID_F_TTY = 5,
	KID_F_RHOST = 6,
	KID_F_RUSER = 7,
	KID_F_MODULE_FLAGS = 8,
	KID_F_HAS_SESSION_KEYRING = 9,
	KID_F_SESSION_ID = 10,
	KID_F_KEYRING_NAME = 11,
	KID_F_KEYRING_SERIAL = 12,
	KID_F_DECISION = 13,
	KID_F_MESSAGE = 14,
	KID_F_RULE = 15,
	KID_F_WILL_REVOKE = 16,
	KID_F_SERVER_VERSION = 17,
	KID_F_ERRNO = 18,
	KID_F_ABORT = 19,
	KID_F_JOIN_AS_CALLER = 20,
	/* 21 and 23 are admin-only (DATA, ALL): the module never sees them */
	KID_F_REASON = 22,
	KID_F_CALLER_KEYRING = 24,
	KID_F_DEADLINE = 25,
	KID_F_PID = 26,
	KID_F_PID_START = 27,
	KID_F_MADE_AT = 28,
	KID_F_MAX_KNOWN = 28,
};

/* CALLER_KEYRING: what the process's session keyring was when the login began */
enum kid_caller_keyring {
	KID_CK_NONE = 1,	/* none of its own: @s is the user's user-session keyring */
	KID_CK_OWN = 2,		/* a session keyring owned by the user */
	KID_CK_FOREIGN = 3,	/* owned by another uid (root's, the login program's) */
	KID_CK_DEAD = 4,	/* revoked, expired or gone */
	KID_CK_FRESH = 5,	/* the user's, bare: a "_ses" keyring holding only @u, as
				 * pam_keyinit earlier in the stack just made it */
};

/* Maximum string lengths in bytes (without the terminating NUL). */
#define KID_MAX_SERVICE		256
#define KID_MAX_USER		256
#define KID_MAX_TTY		256
#define KID_MAX_RHOST		1024
#define KID_MAX_RUSER		256
#define KID_MAX_SESSION_ID	64
#define KID_MAX_KEYRING_NAME	128
#define KID_MAX_MESSAGE		1024
#define KID_MAX_RULE		256
#define KID_MAX_SERVER_VERSION	64
#define KID_MAX_REASON		1024

enum kid_status {
	KID_S_OK = 0,
	KID_S_DENIED = 1,
	KID_S_BAD_REQUEST = 2,
	KID_S_BAD_VERSION = 3,
	KID_S_UNKNOWN_OP = 4,
	KID_S_NOT_FOUND = 5,
	KID_S_FAILED = 6,
	KID_S_BUSY = 7,
	KID_S_TOO_LARGE = 8,
};

enum kid_decision {
	KID_D_CREATED = 1,
	KID_D_KEPT_EXISTING = 2,
	KID_D_SKIPPED = 3,
	KID_D_REVOKED = 4,
	KID_D_KEPT = 5,
	KID_D_UNSUPPORTED = 6,
	KID_D_DEFERRED = 7,
	KID_D_INVALIDATED = 8,
};

#define KID_MF_FORCE	0x1u
#define KID_MF_REVOKE	0x2u
#define KID_MF_DEBUG	0x4u

/* Results of the codec functions (negative) */
enum kid_err {
	KID_OK = 0,
	KID_E_SHORT = -1,	/* fewer than 12 header bytes */
	KID_E_MAGIC = -2,
	KID_E_VERSION = -3,
	KID_E_OP = -4,		/* reply op is not request op | 0x80 */
	KID_E_TOO_LARGE = -5,	/* body_length above KID_MAX_BODY */
	KID_E_LENGTH = -6,	/* buffer length is not 12 + body_length */
	KID_E_TRUNCATED = -7,	/* field runs past the end of the body */
	KID_E_TYPE = -8,	/* known tag with the wrong type */
	KID_E_FIXLEN = -9,	/* U32/I32/BOOL with the wrong length */
	KID_E_BOOL = -10,	/* BOOL other than 0 or 1 */
	KID_E_NUL = -11,	/* NUL byte inside a string */
	KID_E_UTF8 = -12,	/* string is not valid UTF-8 */
	KID_E_LONG = -13,	/* string longer than its limit */
	KID_E_DUP = -14,	/* field given twice */
	KID_E_SPACE = -15,	/* builder: output buffer too small */
	KID_E_ARG = -16,	/* builder: required field missing */
};

/* OPEN request. NULL tty/rhost/ruser are left out of the frame. */
struct kid_open_req {
	const char *service;
	const char *user;
	uint32_t uid;
	uint32_t gid;
	const char *tty;
	const char *rhost;
	const char *ruser;
	uint32_t module_flags;
	int has_session_keyring;
	uint32_t caller_keyring;	/* enum kid_caller_keyring; 0 leaves it out */
	uint64_t deadline_ns;		/* CLOCK_MONOTONIC; 0 leaves it out */
};

/* CLOSE request. keyring_serial is sent when has_serial, ABORT when abort. */
struct kid_close_req {
	const char *session_id;
	int has_serial;
	int32_t keyring_serial;
	int abort;
};

/*
 * FALLBACK record: written to the spool directory, never sent, when the
 * daemon could not be used and the module made the keyring in-process; the
 * daemon reads it when it is back (docs/protocol.md, "Fallback records").
 * The OPEN the module could not deliver, plus what it did instead.
 */
struct kid_fallback_rec {
	struct kid_open_req open;	/* deadline_ns is left out */
	int32_t keyring_serial;		/* the keyring made in-process */
	uint32_t pid;			/* the process that made it */
	uint64_t pid_start;		/* its start time, /proc/PID/stat field 22 */
	uint64_t made_at_ms;		/* CLOCK_REALTIME, milliseconds */
	const char *reason;		/* why the daemon could not be used */
};

/*
 * A decoded reply. "present" has bit (1u << tag) set for every known
 * field that was in the frame; fields not present are zero / "".
 */
struct kid_reply {
	uint8_t op;		/* request op, reply bit stripped */
	uint16_t status;
	uint32_t present;
	char session_id[KID_MAX_SESSION_ID + 1];
	char keyring_name[KID_MAX_KEYRING_NAME + 1];
	int32_t keyring_serial;
	uint32_t decision;
	char message[KID_MAX_MESSAGE + 1];
	char rule[KID_MAX_RULE + 1];
	int will_revoke;
	char server_version[KID_MAX_SERVER_VERSION + 1];
	uint32_t err_no;
	int join_as_caller;	/* join with the caller's ids, not the user's */
	uint16_t err_tag;	/* on a field error: the offending tag */
};

#define KID_HAS(r, tag) (((r)->present >> (tag)) & 1u)

/*
 * Builders: return the frame length (> 0) or a negative enum kid_err; on a
 * field error *bad_tag (when not NULL) names the field.
 */
int kid_build_ping(uint8_t *buf, size_t cap);
int kid_build_open(uint8_t *buf, size_t cap, const struct kid_open_req *req,
		   uint16_t *bad_tag);
int kid_build_close(uint8_t *buf, size_t cap, const struct kid_close_req *req,
		    uint16_t *bad_tag);
int kid_build_fallback(uint8_t *buf, size_t cap, const struct kid_fallback_rec *rec,
		       uint16_t *bad_tag);

/*
 * Check a reply header (the first 12 bytes of hdr, len >= 12) and return
 * its body length in *body_len. Used by the transport before it reads
 * the body; kid_decode_reply() calls it too.
 */
int kid_check_header(const uint8_t *hdr, size_t len, uint8_t expect_op,
		     uint16_t *status, uint32_t *body_len);

/*
 * Decode one complete reply frame (header + body, len must be exactly
 * 12 + body_length) to a request with op expect_op. Returns KID_OK or a
 * negative enum kid_err; *out is always fully initialised.
 */
int kid_decode_reply(const uint8_t *buf, size_t len, uint8_t expect_op,
		     struct kid_reply *out);

const char *kid_strerror(int err);
const char *kid_tag_name(unsigned tag);
const char *kid_status_name(unsigned status);
const char *kid_decision_name(unsigned decision);

#endif
