/*
 * libFuzzer target for the module's reply decoder, kid_decode_reply().
 *
 * Every input is decoded three ways:
 *   1. as a whole reply frame, once for each op the module sends (PING,
 *      OPEN, CLOSE): exercises the header checks;
 *   2. as the body of a reply to OPEN, behind a valid 12-byte header made
 *      here: lets the fuzzer spend its time on the fields;
 *   3. as a recipe for a mostly well-formed body (synth_body()), so that
 *      string lengths at and around each limit are easy to reach.
 * After each decode the invariants below (all stated by kid_proto.h and
 * docs/protocol.md) are checked; a breach aborts, which libFuzzer reports as
 * a crash and `make check` (fuzz/replay) as a failed input.
 *
 * Built two ways: `make fuzz` (clang, -fsanitize=fuzzer,address,undefined)
 * and, for `make check`, with the normal gcc flags and linked with
 * fuzz/replay.c, which calls LLVMFuzzerTestOneInput() on each stored input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kid_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	const uint8_t *buf;
	size_t len;
	unsigned op;
	int rc;
} cur;	/* what is being checked, for the failure message */

static void breach(const char *what, int line)
{
	fprintf(stderr, "reply_fuzz: invariant broken at reply_fuzz.c:%d: %s "
		"(len %zu, expect_op %u, rc %d %s)\n",
		line, what, cur.len, cur.op, cur.rc, kid_strerror(cur.rc));
	abort();
}

#define REQUIRE(cond) do { if (!(cond)) breach(#cond, __LINE__); } while (0)

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An independent strict UTF-8 check (RFC 3629), written against the RFC's table. */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], lo = 0x80, hi = 0xBF;
		size_t more, k;

		if (c <= 0x7F) { i++; continue; }
		if (c >= 0xC2 && c <= 0xDF) more = 1;
		else if (c == 0xE0) { more = 2; lo = 0xA0; }
		else if (c >= 0xE1 && c <= 0xEC) more = 2;
		else if (c == 0xED) { more = 2; hi = 0x9F; }
		else if (c >= 0xEE && c <= 0xEF) more = 2;
		else if (c == 0xF0) { more = 3; lo = 0x90; }
		else if (c >= 0xF1 && c <= 0xF3) more = 3;
		else if (c == 0xF4) { more = 3; hi = 0x8F; }
		else return 0;
		if (n - i <= more)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= more; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
		i += more + 1;
	}
	return 1;
}

/* The reply fields (docs/protocol.md): type and string limit. */
static const struct { uint8_t type; uint16_t max; } spec[KID_F_MAX_KNOWN + 1] = {
	[KID_F_SERVICE] = { KID_T_STR, KID_MAX_SERVICE },
	[KID_F_USER] = { KID_T_STR, KID_MAX_USER },
	[KID_F_UID] = { KID_T_U32, 0 },
	[KID_F_GID] = { KID_T_U32, 0 },
	[KID_F_TTY] = { KID_T_STR, KID_MAX_TTY },
	[KID_F_RHOST] = { KID_T_STR, KID_MAX_RHOST },
	[KID_F_RUSER] = { KID_T_STR, KID_MAX_RUSER },
	[KID_F_MODULE_FLAGS] = { KID_T_U32, 0 },
	[KID_F_HAS_SESSION_KEYRING] = { KID_T_BOOL, 0 },
	[KID_F_SESSION_ID] = { KID_T_STR, KID_MAX_SESSION_ID },
	[KID_F_KEYRING_NAME] = { KID_T_STR, KID_MAX_KEYRING_NAME },
	[KID_F_KEYRING_SERIAL] = { KID_T_I32, 0 },
	[KID_F_DECISION] = { KID_T_U32, 0 },
	[KID_F_MESSAGE] = { KID_T_STR, KID_MAX_MESSAGE },
	[KID_F_RULE] = { KID_T_STR, KID_MAX_RULE },
	[KID_F_WILL_REVOKE] = { KID_T_BOOL, 0 },
	[KID_F_SERVER_VERSION] = { KID_T_STR, KID_MAX_SERVER_VERSION },
	[KID_F_ERRNO] = { KID_T_U32, 0 },
	[KID_F_ABORT] = { KID_T_BOOL, 0 },
	[KID_F_JOIN_AS_CALLER] = { KID_T_BOOL, 0 },
	/* 21 and 23 are admin-only: unknown to the module */
	[KID_F_REASON] = { KID_T_STR, KID_MAX_REASON },
	[KID_F_CALLER_KEYRING] = { KID_T_U32, 0 },
	[KID_F_DEADLINE] = { KID_T_U64, 0 },
	[KID_F_PID] = { KID_T_U32, 0 },
	[KID_F_PID_START] = { KID_T_U64, 0 },
	[KID_F_MADE_AT] = { KID_T_U64, 0 },
};

static int known(unsigned tag)
{
	return tag >= 1 && tag <= KID_F_MAX_KNOWN && spec[tag].type != 0;
}

#define KNOWN_MASK (((1u << (KID_F_MAX_KNOWN + 1)) - 1u) & ~1u & ~(1u << 21) & ~(1u << 23))	/* 1..20, 22, 24..28 */

/* Where struct kid_reply keeps a field's string, or NULL (not stored / not a string). */
static const char *str_of(const struct kid_reply *r, unsigned tag, size_t *cap)
{
	switch (tag) {
	case KID_F_SESSION_ID:	*cap = sizeof(r->session_id); return r->session_id;
	case KID_F_KEYRING_NAME: *cap = sizeof(r->keyring_name); return r->keyring_name;
	case KID_F_MESSAGE:	*cap = sizeof(r->message); return r->message;
	case KID_F_RULE:	*cap = sizeof(r->rule); return r->rule;
	case KID_F_SERVER_VERSION: *cap = sizeof(r->server_version); return r->server_version;
	default:		*cap = 0; return NULL;
	}
}

static const unsigned stored_strings[] = {
	KID_F_SESSION_ID, KID_F_KEYRING_NAME, KID_F_MESSAGE, KID_F_RULE, KID_F_SERVER_VERSION,
};

static int all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* A string buffer holds a NUL-terminated string and nothing after it. */
static void check_string_buffer(const char *s, size_t cap, unsigned max)
{
	const char *nul = memchr(s, '\0', cap);

	REQUIRE(nul != NULL);
	REQUIRE((size_t)(nul - s) <= max);
	REQUIRE(all_zero(nul, cap - (size_t)(nul - s)));
}

/* Checks of a successful decode against the frame, walked here independently. */
static void check_ok(const uint8_t *buf, size_t len, uint8_t op, const struct kid_reply *r)
{
	uint32_t seen = 0;
	size_t i;

	REQUIRE(len >= KID_HDR_LEN);
	REQUIRE(rd32(buf) == KID_MAGIC);
	REQUIRE(buf[4] == KID_VERSION);
	REQUIRE(buf[5] == (op | KID_REPLY_BIT));
	REQUIRE(rd32(buf + 8) <= KID_MAX_BODY);
	REQUIRE(len == KID_HDR_LEN + (size_t)rd32(buf + 8));
	REQUIRE(r->op == op);
	REQUIRE(r->status == rd16(buf + 6));
	REQUIRE(r->err_tag == 0);

	i = KID_HDR_LEN;
	while (i < len) {
		unsigned tag, type;
		size_t n;
		const uint8_t *v;

		REQUIRE(len - i >= 5);
		tag = rd16(buf + i);
		type = buf[i + 2];
		n = rd16(buf + i + 3);
		v = buf + i + 5;
		REQUIRE(len - i - 5 >= n);
		i += 5 + n;
		if (!known(tag))
			continue;	/* unknown: skipped */
		REQUIRE(!(seen & (1u << tag)));	/* duplicates were rejected */
		seen |= 1u << tag;
		REQUIRE(type == spec[tag].type);
		switch (type) {
		case KID_T_STR: {
			size_t cap;
			const char *s = str_of(r, tag, &cap);

			REQUIRE(n <= spec[tag].max);
			REQUIRE(memchr(v, 0, n) == NULL);
			REQUIRE(utf8_ok(v, n));
			if (s) {
				REQUIRE(strlen(s) == n);
				REQUIRE(memcmp(s, v, n) == 0);
			}
			break;
		}
		case KID_T_U32:
		case KID_T_I32:
			REQUIRE(n == 4);
			if (tag == KID_F_DECISION)
				REQUIRE(r->decision == rd32(v));	/* passed through, any value */
			if (tag == KID_F_ERRNO)
				REQUIRE(r->err_no == rd32(v));
			if (tag == KID_F_KEYRING_SERIAL)
				REQUIRE((uint32_t)r->keyring_serial == rd32(v));
			break;
		case KID_T_U64:
			REQUIRE(n == 8);
			break;
		case KID_T_BOOL:
			REQUIRE(n == 1 && v[0] <= 1);
			if (tag == KID_F_WILL_REVOKE)
				REQUIRE(r->will_revoke == v[0]);
			if (tag == KID_F_JOIN_AS_CALLER)
				REQUIRE(r->join_as_caller == v[0]);
			break;
		default:
			breach("known tag with an unknown type accepted", __LINE__);
		}
	}
	REQUIRE(i == len);
	REQUIRE(r->present == seen);

	/* absent fields read as zero / "" (kid_proto.h) */
	if (!KID_HAS(r, KID_F_DECISION))
		REQUIRE(r->decision == 0);
	if (!KID_HAS(r, KID_F_ERRNO))
		REQUIRE(r->err_no == 0);
	if (!KID_HAS(r, KID_F_KEYRING_SERIAL))
		REQUIRE(r->keyring_serial == 0);
	if (!KID_HAS(r, KID_F_WILL_REVOKE))
		REQUIRE(r->will_revoke == 0);
	if (!KID_HAS(r, KID_F_JOIN_AS_CALLER))
		REQUIRE(r->join_as_caller == 0);
	for (i = 0; i < sizeof(stored_strings) / sizeof(stored_strings[0]); i++) {
		size_t cap;
		const char *s = str_of(r, stored_strings[i], &cap);

		if (!KID_HAS(r, stored_strings[i]))
			REQUIRE(s[0] == '\0');
	}
}

/* ---- re-encoding a decoded reply (there is no reply builder in C) ---- */

struct out {
	uint8_t b[KID_MAX_FRAME];
	size_t n;
};

static void out_bytes(struct out *o, const void *p, size_t n)
{
	REQUIRE(o->n + n <= sizeof(o->b));
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void out_field(struct out *o, unsigned tag, const void *v, size_t n)
{
	uint8_t h[5] = { (uint8_t)(tag >> 8), (uint8_t)tag, spec[tag].type,
			 (uint8_t)(n >> 8), (uint8_t)n };

	out_bytes(o, h, 5);
	out_bytes(o, v, n);
}

static void out_u32(struct out *o, unsigned tag, uint32_t x)
{
	uint8_t v[4] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };

	out_field(o, tag, v, 4);
}

/*
 * The canonical frame of a decoded reply: known fields in tag order, unknown
 * ones dropped. Fields the decoder checks but does not keep (request-only
 * ones) get a valid placeholder of their type.
 */
static void reencode(const struct kid_reply *r, struct out *o)
{
	unsigned tag;
	uint8_t hdr[KID_HDR_LEN] = { 0x4B, 0x49, 0x44, 0x50, KID_VERSION,
				     (uint8_t)(r->op | KID_REPLY_BIT),
				     (uint8_t)(r->status >> 8), (uint8_t)r->status };
	size_t body;

	o->n = 0;
	out_bytes(o, hdr, sizeof(hdr));
	for (tag = 1; tag <= KID_F_MAX_KNOWN; tag++) {
		size_t cap;
		const char *s;
		uint8_t b;

		if (!KID_HAS(r, tag))
			continue;
		REQUIRE(known(tag));
		switch (tag) {
		case KID_F_KEYRING_SERIAL: out_u32(o, tag, (uint32_t)r->keyring_serial); continue;
		case KID_F_DECISION:	out_u32(o, tag, r->decision); continue;
		case KID_F_ERRNO:	out_u32(o, tag, r->err_no); continue;
		case KID_F_WILL_REVOKE:	b = (uint8_t)r->will_revoke; out_field(o, tag, &b, 1); continue;
		case KID_F_JOIN_AS_CALLER: b = (uint8_t)r->join_as_caller; out_field(o, tag, &b, 1); continue;
		default: break;
		}
		s = str_of(r, tag, &cap);
		if (s)
			out_field(o, tag, s, strlen(s));
		else if (spec[tag].type == KID_T_STR)
			out_field(o, tag, "", 0);
		else if (spec[tag].type == KID_T_BOOL)
			out_field(o, tag, "\0", 1);
		else if (spec[tag].type == KID_T_U64)
			out_field(o, tag, "\0\0\0\0\0\0\0\0", 8);
		else
			out_u32(o, tag, 0);
	}
	body = o->n - KID_HDR_LEN;
	o->b[8] = (uint8_t)(body >> 24);
	o->b[9] = (uint8_t)(body >> 16);
	o->b[10] = (uint8_t)(body >> 8);
	o->b[11] = (uint8_t)body;
}

/* ---- one decode and its invariants ---- */

static int decode_and_check(const uint8_t *buf, size_t len, uint8_t op, struct kid_reply *r)
{
	static const struct kid_reply zero;
	int rc;
	size_t i;

	memset(r, 0xA5, sizeof(*r));	/* "*out is always fully initialised" */
	rc = kid_decode_reply(buf, len, op, r);
	cur.buf = buf;
	cur.len = len;
	cur.op = op;
	cur.rc = rc;

	/* only decoder errors, each with a name */
	REQUIRE(rc <= KID_OK && rc >= KID_E_DUP);
	REQUIRE(strcmp(kid_strerror(rc), "unknown error") != 0);
	REQUIRE(kid_tag_name(r->err_tag) != NULL);

	/* whatever happened, every string buffer is NUL-terminated within itself */
	for (i = 0; i < sizeof(stored_strings) / sizeof(stored_strings[0]); i++) {
		size_t cap;
		const char *s = str_of(r, stored_strings[i], &cap);

		check_string_buffer(s, cap, spec[stored_strings[i]].max);
	}
	REQUIRE((r->present & ~KNOWN_MASK) == 0);
	REQUIRE(r->will_revoke == 0 || r->will_revoke == 1);
	REQUIRE(r->join_as_caller == 0 || r->join_as_caller == 1);

	switch (rc) {
	case KID_E_SHORT:
	case KID_E_MAGIC:
	case KID_E_VERSION:
	case KID_E_OP:
	case KID_E_TOO_LARGE:
	case KID_E_LENGTH: {
		uint16_t st = 0;
		uint32_t bl = 0;

		/* rejected before any field: nothing decoded */
		REQUIRE(memcmp(r, &zero, sizeof(zero)) == 0);
		/* and kid_check_header, which the transport calls first, agrees */
		if (rc != KID_E_LENGTH)
			REQUIRE(kid_check_header(buf, len, op, &st, &bl) == rc);
		else
			REQUIRE(kid_check_header(buf, len, op, &st, &bl) == KID_OK &&
				len != KID_HDR_LEN + (size_t)bl);
		break;
	}
	case KID_OK:
		check_ok(buf, len, op, r);
		break;
	default:	/* a field error: the header was fine, the frame is not */
		REQUIRE(len >= KID_HDR_LEN && len == KID_HDR_LEN + (size_t)rd32(buf + 8));
		if (rc != KID_E_TRUNCATED)
			REQUIRE(known(r->err_tag));
		break;
	}
	return rc;
}

static void check_frame(const uint8_t *buf, size_t len, uint8_t op)
{
	struct kid_reply r, again;
	struct out o;
	int rc;

	rc = decode_and_check(buf, len, op, &r);
	if (rc != KID_OK)
		return;

	/* decoding is deterministic */
	REQUIRE(decode_and_check(buf, len, op, &again) == KID_OK);
	REQUIRE(memcmp(&r, &again, sizeof(r)) == 0);

	/* re-encoded, it decodes to the same reply */
	reencode(&r, &o);
	REQUIRE(o.n <= len);
	REQUIRE(decode_and_check(o.b, o.n, op, &again) == KID_OK);
	REQUIRE(memcmp(&r, &again, sizeof(r)) == 0);

	/* a frame one byte short is never a reply */
	REQUIRE(decode_and_check(buf, len - 1, op, &again) != KID_OK);
}

/*
 * Mode 3: the input as a recipe for a mostly well-formed body, so that
 * lengths at and around each limit are one mutation away (random bytes
 * rarely make a valid UTF-8 string of exactly 65 bytes). Each field takes 4
 * recipe bytes: tag (mod 30, so 0, 21, 23 and 29 are unknown tags), control,
 * length (16 bits, clipped to the room left). Control bit 7 set: the type is
 * control & 7 (maybe wrong), else the field's own type (STR for unknown
 * tags). Control bits 4-6 pick the value: 0 ASCII letters, 1 the next n
 * recipe bytes as they are, 2 "é" repeated, 3 "€" repeated, 4 an emoji
 * repeated (2-4 make cut sequences when n is not a multiple), 5 the next
 * recipe byte repeated, 6-7 ASCII digits.
 */
static size_t synth_body(const uint8_t *d, size_t size, uint8_t *body)
{
	static const char *const fill[] = { NULL, NULL, "\xc3\xa9", "\xe2\x82\xac",
					    "\xf0\x9f\x98\x80" };
	size_t len = 0, i = 0;

	while (size - i >= 4 && KID_MAX_BODY - len >= 5) {
		unsigned tag = d[i] % 30, ctl = d[i + 1], mode = (ctl >> 4) & 7;
		size_t n = rd16(d + i + 2), k, room = KID_MAX_BODY - len - 5;
		unsigned type = known(tag) ? spec[tag].type : KID_T_STR;
		uint8_t *v;

		i += 4;
		if (ctl & 0x80)
			type = ctl & 7;
		if (n > room)
			n = room;
		body[len] = (uint8_t)(tag >> 8);
		body[len + 1] = (uint8_t)tag;
		body[len + 2] = (uint8_t)type;
		body[len + 3] = (uint8_t)(n >> 8);
		body[len + 4] = (uint8_t)n;
		v = body + len + 5;
		len += 5 + n;
		for (k = 0; k < n; k++) {
			switch (mode) {
			case 0:
				v[k] = (uint8_t)('a' + k % 26);
				break;
			case 1:
				v[k] = i < size ? d[i++] : 'z';
				break;
			case 2: case 3: case 4: {
				size_t w = strlen(fill[mode]);

				v[k] = (uint8_t)fill[mode][k % w];
				break;
			}
			case 5:
				v[k] = i < size ? d[i] : 0;
				break;
			default:
				v[k] = (uint8_t)('0' + k % 10);
				break;
			}
		}
		if (mode == 5 && i < size)
			i++;
	}
	return len;
}

static void check_body(const uint8_t *body, size_t size, uint8_t op, uint16_t status)
{
	uint8_t *frame = malloc(KID_HDR_LEN + size);	/* exactly: ASan sees any over-read */

	if (!frame)
		return;
	frame[0] = 0x4B; frame[1] = 0x49; frame[2] = 0x44; frame[3] = 0x50;
	frame[4] = KID_VERSION;
	frame[5] = op | KID_REPLY_BIT;
	frame[6] = (uint8_t)(status >> 8);
	frame[7] = (uint8_t)status;
	frame[8] = (uint8_t)(size >> 24);
	frame[9] = (uint8_t)(size >> 16);
	frame[10] = (uint8_t)(size >> 8);
	frame[11] = (uint8_t)size;
	if (size)
		memcpy(frame + KID_HDR_LEN, body, size);
	check_frame(frame, KID_HDR_LEN + size, op);
	free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t body[KID_MAX_BODY];
	static const uint8_t ops[] = { KID_OP_PING, KID_OP_OPEN, KID_OP_CLOSE };
	int ok_ops = 0;
	size_t i;

	/* 1. the input as a whole frame; at most one op can accept it */
	for (i = 0; i < sizeof(ops); i++) {
		struct kid_reply r;

		check_frame(data, size, ops[i]);
		if (decode_and_check(data, size, ops[i], &r) != KID_E_OP)
			ok_ops++;
	}
	REQUIRE(ok_ops == 0 || ok_ops == 1 || ok_ops == 3);	/* 3: rejected before the op check */

	/* 2. the input as the body of a reply to OPEN, any status (also unknown ones) */
	if (size <= KID_MAX_BODY)
		check_body(data, size, KID_OP_OPEN, size ? data[0] % 10 : 0);

	/* 3. the input as a recipe for a body (synth_body) */
	check_body(body, synth_body(data, size, body), KID_OP_CLOSE, size > 1 ? data[1] % 10 : 0);
	return 0;
}
