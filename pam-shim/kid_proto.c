/*
 * kid_proto: encoder/decoder for the keyinitd wire protocol, version 1.
 * See kid_proto.h and docs/protocol.md.
 */
#include <string.h>

#include "kid_proto.h"

struct field_spec {
	const char *name;
	uint8_t type;
	uint16_t max;	/* strings only */
};

static const struct field_spec specs[KID_F_MAX_KNOWN + 1] = {
	[KID_F_SERVICE]             = { "SERVICE", KID_T_STR, KID_MAX_SERVICE },
	[KID_F_USER]                = { "USER", KID_T_STR, KID_MAX_USER },
	[KID_F_UID]                 = { "UID", KID_T_U32, 0 },
	[KID_F_GID]                 = { "GID", KID_T_U32, 0 },
	[KID_F_TTY]                 = { "TTY", KID_T_STR, KID_MAX_TTY },
	[KID_F_RHOST]               = { "RHOST", KID_T_STR, KID_MAX_RHOST },
	[KID_F_RUSER]               = { "RUSER", KID_T_STR, KID_MAX_RUSER },
	[KID_F_MODULE_FLAGS]        = { "MODULE_FLAGS", KID_T_U32, 0 },
	[KID_F_HAS_SESSION_KEYRING] = { "HAS_SESSION_KEYRING", KID_T_BOOL, 0 },
	[KID_F_SESSION_ID]          = { "SESSION_ID", KID_T_STR, KID_MAX_SESSION_ID },
	[KID_F_KEYRING_NAME]        = { "KEYRING_NAME", KID_T_STR, KID_MAX_KEYRING_NAME },
	[KID_F_KEYRING_SERIAL]      = { "KEYRING_SERIAL", KID_T_I32, 0 },
	[KID_F_DECISION]            = { "DECISION", KID_T_U32, 0 },
	[KID_F_MESSAGE]             = { "MESSAGE", KID_T_STR, KID_MAX_MESSAGE },
	[KID_F_RULE]                = { "RULE", KID_T_STR, KID_MAX_RULE },
	[KID_F_WILL_REVOKE]         = { "WILL_REVOKE", KID_T_BOOL, 0 },
	[KID_F_SERVER_VERSION]      = { "SERVER_VERSION", KID_T_STR, KID_MAX_SERVER_VERSION },
	[KID_F_ERRNO]               = { "ERRNO", KID_T_U32, 0 },
	[KID_F_ABORT]               = { "ABORT", KID_T_BOOL, 0 },
	[KID_F_JOIN_AS_CALLER]      = { "JOIN_AS_CALLER", KID_T_BOOL, 0 },
	[KID_F_CALLER_KEYRING]      = { "CALLER_KEYRING", KID_T_U32, 0 },
	[KID_F_REASON]              = { "REASON", KID_T_STR, KID_MAX_REASON },
	[KID_F_DEADLINE]            = { "DEADLINE", KID_T_U64, 0 },
	[KID_F_PID]                 = { "PID", KID_T_U32, 0 },
	[KID_F_PID_START]           = { "PID_START", KID_T_U64, 0 },
	[KID_F_MADE_AT]             = { "MADE_AT", KID_T_U64, 0 },
};

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, <= U+10FFFF. */
static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t need, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			need = 1; cp = c & 0x1F; min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2; cp = c & 0x0F; min = 0x800;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return 0;
		}
		if (n - i - 1 < need)
			return 0;
		for (k = 1; k <= need; k++) {
			uint8_t b = s[i + k];

			if ((b & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (b & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += need + 1;
	}
	return 1;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- encoding ---- */

struct writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	int err;
	uint16_t err_tag;
};

static void put(struct writer *w, const void *data, size_t n)
{
	if (w->err)
		return;
	if (w->cap - w->len < n) {
		w->err = KID_E_SPACE;
		return;
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
}

static void put8(struct writer *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 2);
}

static void put32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	put(w, b, 4);
}

static void field_head(struct writer *w, uint16_t tag, uint16_t len)
{
	put16(w, tag);
	put8(w, specs[tag].type);
	put16(w, len);
}

static void put_str(struct writer *w, uint16_t tag, const char *s)
{
	size_t n;

	if (w->err)
		return;
	w->err_tag = tag;
	if (!s) {
		w->err = KID_E_ARG;
		return;
	}
	n = strlen(s);
	if (n > specs[tag].max) {
		w->err = KID_E_LONG;
		return;
	}
	if (!utf8_valid((const uint8_t *)s, n)) {
		w->err = KID_E_UTF8;
		return;
	}
	w->err_tag = 0;
	field_head(w, tag, (uint16_t)n);
	put(w, s, n);
}

static void put_u32(struct writer *w, uint16_t tag, uint32_t v)
{
	field_head(w, tag, 4);
	put32(w, v);
}

static void put_u64(struct writer *w, uint16_t tag, uint64_t v)
{
	field_head(w, tag, 8);
	put32(w, (uint32_t)(v >> 32));
	put32(w, (uint32_t)v);
}

static void put_bool(struct writer *w, uint16_t tag, int v)
{
	field_head(w, tag, 1);
	put8(w, v ? 1 : 0);
}

static void begin(struct writer *w, uint8_t *buf, size_t cap, uint8_t op)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = buf ? KID_OK : KID_E_ARG;
	w->err_tag = 0;
	put32(w, KID_MAGIC);
	put8(w, KID_VERSION);
	put8(w, op);
	put16(w, 0);
	put32(w, 0);	/* body_length, filled in by finish() */
}

static int finish(struct writer *w, uint16_t *bad_tag)
{
	size_t body;

	if (bad_tag)
		*bad_tag = w->err_tag;
	if (w->err)
		return w->err;
	body = w->len - KID_HDR_LEN;
	if (body > KID_MAX_BODY)
		return KID_E_TOO_LARGE;
	w->buf[8] = (uint8_t)(body >> 24);
	w->buf[9] = (uint8_t)(body >> 16);
	w->buf[10] = (uint8_t)(body >> 8);
	w->buf[11] = (uint8_t)body;
	return (int)w->len;
}

int kid_build_ping(uint8_t *buf, size_t cap)
{
	struct writer w;

	begin(&w, buf, cap, KID_OP_PING);
	return finish(&w, NULL);
}

static void put_open_fields(struct writer *w, const struct kid_open_req *req)
{
	put_str(w, KID_F_SERVICE, req->service);
	put_str(w, KID_F_USER, req->user);
	put_u32(w, KID_F_UID, req->uid);
	put_u32(w, KID_F_GID, req->gid);
	if (req->tty)
		put_str(w, KID_F_TTY, req->tty);
	if (req->rhost)
		put_str(w, KID_F_RHOST, req->rhost);
	if (req->ruser)
		put_str(w, KID_F_RUSER, req->ruser);
	put_u32(w, KID_F_MODULE_FLAGS, req->module_flags);
	put_bool(w, KID_F_HAS_SESSION_KEYRING, req->has_session_keyring);
	if (req->caller_keyring)
		put_u32(w, KID_F_CALLER_KEYRING, req->caller_keyring);
	if (req->deadline_ns)
		put_u64(w, KID_F_DEADLINE, req->deadline_ns);
}

int kid_build_open(uint8_t *buf, size_t cap, const struct kid_open_req *req,
		   uint16_t *bad_tag)
{
	struct writer w;

	begin(&w, buf, cap, KID_OP_OPEN);
	if (!req)
		return KID_E_ARG;
	put_open_fields(&w, req);
	return finish(&w, bad_tag);
}

int kid_build_fallback(uint8_t *buf, size_t cap, const struct kid_fallback_rec *rec,
		       uint16_t *bad_tag)
{
	struct writer w;

	begin(&w, buf, cap, KID_OP_FALLBACK_RECORD);
	if (!rec || rec->open.deadline_ns)
		return KID_E_ARG;
	put_open_fields(&w, &rec->open);
	put_u32(&w, KID_F_KEYRING_SERIAL, (uint32_t)rec->keyring_serial);
	put_u32(&w, KID_F_PID, rec->pid);
	put_u64(&w, KID_F_PID_START, rec->pid_start);
	put_u64(&w, KID_F_MADE_AT, rec->made_at_ms);
	put_str(&w, KID_F_REASON, rec->reason ? rec->reason : "");
	return finish(&w, bad_tag);
}

int kid_build_close(uint8_t *buf, size_t cap, const struct kid_close_req *req,
		    uint16_t *bad_tag)
{
	struct writer w;

	begin(&w, buf, cap, KID_OP_CLOSE);
	if (!req)
		return KID_E_ARG;
	put_str(&w, KID_F_SESSION_ID, req->session_id);
	if (req->has_serial)
		put_u32(&w, KID_F_KEYRING_SERIAL, (uint32_t)req->keyring_serial);
	if (req->abort)
		put_bool(&w, KID_F_ABORT, 1);
	return finish(&w, bad_tag);
}

/* ---- decoding ---- */

int kid_check_header(const uint8_t *hdr, size_t len, uint8_t expect_op,
		     uint16_t *status, uint32_t *body_len)
{
	uint32_t blen;

	if (!hdr || len < KID_HDR_LEN)
		return KID_E_SHORT;
	if (get32(hdr) != KID_MAGIC)
		return KID_E_MAGIC;
	if (hdr[4] != KID_VERSION)
		return KID_E_VERSION;
	if (hdr[5] != (uint8_t)(expect_op | KID_REPLY_BIT))
		return KID_E_OP;
	blen = get32(hdr + 8);
	if (blen > KID_MAX_BODY)
		return KID_E_TOO_LARGE;
	if (status)
		*status = get16(hdr + 6);
	if (body_len)
		*body_len = blen;
	return KID_OK;
}

/* Where a known reply field is stored; request-only fields are validated only. */
static void *dest_of(struct kid_reply *r, unsigned tag)
{
	switch (tag) {
	case KID_F_SESSION_ID:		return r->session_id;
	case KID_F_KEYRING_NAME:	return r->keyring_name;
	case KID_F_KEYRING_SERIAL:	return &r->keyring_serial;
	case KID_F_DECISION:		return &r->decision;
	case KID_F_MESSAGE:		return r->message;
	case KID_F_RULE:		return r->rule;
	case KID_F_WILL_REVOKE:		return &r->will_revoke;
	case KID_F_SERVER_VERSION:	return r->server_version;
	case KID_F_ERRNO:		return &r->err_no;
	case KID_F_JOIN_AS_CALLER:	return &r->join_as_caller;
	default:			return NULL;
	}
}

static int decode_field(struct kid_reply *r, unsigned tag, unsigned type,
			const uint8_t *v, size_t n)
{
	const struct field_spec *spec = &specs[tag];
	void *dest = dest_of(r, tag);

	if ((r->present >> tag) & 1u)
		return KID_E_DUP;
	if (type != spec->type)
		return KID_E_TYPE;

	switch (type) {
	case KID_T_STR:
		if (n > spec->max)
			return KID_E_LONG;
		if (memchr(v, 0, n))
			return KID_E_NUL;
		if (!utf8_valid(v, n))
			return KID_E_UTF8;
		if (dest) {
			memcpy(dest, v, n);
			((char *)dest)[n] = '\0';
		}
		break;
	case KID_T_U32:
	case KID_T_I32:
		if (n != 4)
			return KID_E_FIXLEN;
		if (dest) {
			uint32_t u = get32(v);

			memcpy(dest, &u, sizeof(u));	/* int32_t or uint32_t */
		}
		break;
	case KID_T_U64:
		if (n != 8)
			return KID_E_FIXLEN;
		break;	/* request-only: validated, never stored */
	case KID_T_BOOL:
		if (n != 1)
			return KID_E_FIXLEN;
		if (v[0] > 1)
			return KID_E_BOOL;
		if (dest)
			*(int *)dest = v[0];
		break;
	}
	r->present |= 1u << tag;
	return KID_OK;
}

int kid_decode_reply(const uint8_t *buf, size_t len, uint8_t expect_op,
		     struct kid_reply *out)
{
	const uint8_t *p, *end;
	uint32_t body_len;
	uint16_t status;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kid_check_header(buf, len, expect_op, &status, &body_len);
	if (rc != KID_OK)
		return rc;
	if (len != KID_HDR_LEN + (size_t)body_len)
		return KID_E_LENGTH;
	out->op = expect_op;
	out->status = status;

	p = buf + KID_HDR_LEN;
	end = p + body_len;
	while (p < end) {
		unsigned tag, type;
		size_t n;

		if (end - p < 5) {
			out->err_tag = end - p >= 2 ? get16(p) : 0;
			return KID_E_TRUNCATED;
		}
		tag = get16(p);
		type = p[2];
		n = get16(p + 3);
		if ((size_t)(end - p) - 5 < n) {
			out->err_tag = (uint16_t)tag;
			return KID_E_TRUNCATED;
		}
		if (tag >= 1 && tag <= KID_F_MAX_KNOWN && specs[tag].name) {
			rc = decode_field(out, tag, type, p + 5, n);
			if (rc != KID_OK) {
				out->err_tag = (uint16_t)tag;
				return rc;
			}
		}
		p += 5 + n;
	}
	return KID_OK;
}

/* ---- names for log lines ---- */

const char *kid_strerror(int err)
{
	switch (err) {
	case KID_OK:		return "ok";
	case KID_E_SHORT:	return "short header";
	case KID_E_MAGIC:	return "bad magic";
	case KID_E_VERSION:	return "unsupported protocol version";
	case KID_E_OP:		return "reply op does not match request";
	case KID_E_TOO_LARGE:	return "body too large";
	case KID_E_LENGTH:	return "frame length does not match body_length";
	case KID_E_TRUNCATED:	return "truncated field";
	case KID_E_TYPE:	return "wrong field type";
	case KID_E_FIXLEN:	return "wrong field length";
	case KID_E_BOOL:	return "boolean is not 0 or 1";
	case KID_E_NUL:		return "NUL byte in string";
	case KID_E_UTF8:	return "invalid UTF-8";
	case KID_E_LONG:	return "string too long";
	case KID_E_DUP:		return "field given twice";
	case KID_E_SPACE:	return "buffer too small";
	case KID_E_ARG:		return "required field missing";
	default:		return "unknown error";
	}
}

const char *kid_tag_name(unsigned tag)
{
	if (tag >= 1 && tag <= KID_F_MAX_KNOWN && specs[tag].name)
		return specs[tag].name;
	return "unknown field";
}

const char *kid_status_name(unsigned status)
{
	static const char *const names[] = {
		"OK", "DENIED", "BAD_REQUEST", "BAD_VERSION", "UNKNOWN_OP",
		"NOT_FOUND", "FAILED", "BUSY", "TOO_LARGE",
	};

	return status < sizeof(names) / sizeof(names[0]) ? names[status] : NULL;
}

const char *kid_decision_name(unsigned decision)
{
	static const char *const names[] = {
		NULL, "CREATED", "KEPT_EXISTING", "SKIPPED", "REVOKED", "KEPT",
		"UNSUPPORTED", "DEFERRED", "INVALIDATED",
	};

	return decision < sizeof(names) / sizeof(names[0]) ? names[decision] : NULL;
}
