/* Unit tests of the kid_proto codec against docs/protocol.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kid_proto.h"

static int passed, failed;

#define CHECK(cond) do { \
	if (cond) { \
		passed++; \
	} else { \
		failed++; \
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* ---- a tiny frame assembler, independent of the code under test ---- */

static uint8_t fb[KID_MAX_FRAME + 64];
static size_t fb_len;

static void fb_bytes(const void *p, size_t n)
{
	memcpy(fb + fb_len, p, n);
	fb_len += n;
}

static void fb_u8(unsigned v)
{
	uint8_t b = (uint8_t)v;

	fb_bytes(&b, 1);
}

static void fb_u16(unsigned v)
{
	fb_u8(v >> 8);
	fb_u8(v);
}

static void fb_u32v(uint32_t v)
{
	fb_u16(v >> 16);
	fb_u16(v & 0xffff);
}

static void fb_start(unsigned op, unsigned status)
{
	fb_len = 0;
	fb_u32v(KID_MAGIC);
	fb_u8(KID_VERSION);
	fb_u8(op);
	fb_u16(status);
	fb_u32v(0);
}

static void fb_raw(unsigned tag, unsigned type, const void *v, size_t n)
{
	fb_u16(tag);
	fb_u8(type);
	fb_u16((unsigned)n);
	fb_bytes(v, n);
}

static void fb_str(unsigned tag, const char *s)
{
	fb_raw(tag, KID_T_STR, s, strlen(s));
}

static void fb_u32(unsigned tag, unsigned type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

	fb_raw(tag, type, b, 4);
}

static void fb_bool(unsigned tag, unsigned v)
{
	uint8_t b = (uint8_t)v;

	fb_raw(tag, KID_T_BOOL, &b, 1);
}

static void fb_end(void)
{
	uint32_t body = (uint32_t)(fb_len - KID_HDR_LEN);

	fb[8] = body >> 24;
	fb[9] = body >> 16;
	fb[10] = body >> 8;
	fb[11] = body;
}

static struct kid_reply rep;

static int decode(uint8_t op)
{
	return kid_decode_reply(fb, fb_len, op, &rep);
}

/* A one-field OPEN reply and its decode result. */
static int one_field(unsigned tag, unsigned type, const void *v, size_t n)
{
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_raw(tag, type, v, n);
	fb_end();
	return decode(KID_OP_OPEN);
}

static int one_str(unsigned tag, const char *s)
{
	return one_field(tag, KID_T_STR, s, strlen(s));
}

/* ---- tests ---- */

static void test_ping(void)
{
	static const uint8_t req[] = { 0x4B, 0x49, 0x44, 0x50, 1, 1, 0, 0, 0, 0, 0, 0 };
	static const uint8_t reply[] = {
		0x4B, 0x49, 0x44, 0x50, 0x01, 0x81, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A,
		0x00, 0x11, 0x01, 0x00, 0x05, 0x30, 0x2E, 0x31, 0x2E, 0x30,
	};
	uint8_t buf[64];

	CHECK(kid_build_ping(buf, sizeof(buf)) == 12);
	CHECK(memcmp(buf, req, 12) == 0);
	CHECK(kid_build_ping(buf, 11) == KID_E_SPACE);

	CHECK(kid_decode_reply(reply, sizeof(reply), KID_OP_PING, &rep) == KID_OK);
	CHECK(rep.status == KID_S_OK);
	CHECK(strcmp(rep.server_version, "0.1.0") == 0);
	CHECK(KID_HAS(&rep, KID_F_SERVER_VERSION));
	CHECK(!KID_HAS(&rep, KID_F_MESSAGE));
}

static void test_build_open(void)
{
	struct kid_open_req req = {
		.service = "sshd", .user = "alice", .uid = 1001, .gid = 1002,
		.tty = NULL, .rhost = "h\xc3\xa9", .ruser = NULL,
		.module_flags = KID_MF_FORCE | KID_MF_REVOKE, .has_session_keyring = 1,
	};
	uint8_t buf[KID_MAX_FRAME];
	char big[2048];
	uint16_t tag = 0;
	int n;

	fb_start(KID_OP_OPEN, 0);
	fb_str(KID_F_SERVICE, "sshd");
	fb_str(KID_F_USER, "alice");
	fb_u32(KID_F_UID, KID_T_U32, 1001);
	fb_u32(KID_F_GID, KID_T_U32, 1002);
	fb_str(KID_F_RHOST, "h\xc3\xa9");
	fb_u32(KID_F_MODULE_FLAGS, KID_T_U32, 3);
	fb_bool(KID_F_HAS_SESSION_KEYRING, 1);
	fb_end();

	n = kid_build_open(buf, sizeof(buf), &req, &tag);
	CHECK(n == (int)fb_len);
	CHECK(n > 0 && memcmp(buf, fb, fb_len) == 0);
	CHECK(tag == 0);
	CHECK(kid_build_open(buf, (size_t)n - 1, &req, NULL) == KID_E_SPACE);

	/* all optional fields, each at its maximum length */
	memset(big, 'x', sizeof(big));
	big[256] = '\0';
	req.service = req.user = req.tty = req.ruser = big;
	req.rhost = "";
	n = kid_build_open(buf, sizeof(buf), &req, &tag);
	CHECK(n > 0);
	CHECK(n > 0 && buf[5] == KID_OP_OPEN);

	big[256] = 'x';
	big[257] = '\0';
	req.ruser = big;
	req.service = req.user = req.tty = "t";
	CHECK(kid_build_open(buf, sizeof(buf), &req, &tag) == KID_E_LONG);
	CHECK(tag == KID_F_RUSER);

	req.ruser = NULL;
	memset(big, 'x', sizeof(big));
	big[1024] = '\0';
	req.rhost = big;
	CHECK(kid_build_open(buf, sizeof(buf), &req, &tag) > 0);
	big[1024] = 'x';
	big[1025] = '\0';
	CHECK(kid_build_open(buf, sizeof(buf), &req, &tag) == KID_E_LONG);
	CHECK(tag == KID_F_RHOST);

	req.rhost = NULL;
	req.tty = "tty\xff";
	CHECK(kid_build_open(buf, sizeof(buf), &req, &tag) == KID_E_UTF8);
	CHECK(tag == KID_F_TTY);

	req.tty = NULL;
	req.service = NULL;
	CHECK(kid_build_open(buf, sizeof(buf), &req, &tag) == KID_E_ARG);
	CHECK(tag == KID_F_SERVICE);
	CHECK(kid_build_open(buf, sizeof(buf), NULL, &tag) == KID_E_ARG);
}

/* CALLER_KEYRING and the DEADLINE (the only U64: 8 bytes big-endian) follow the flags. */
static void test_build_open_caller_and_deadline(void)
{
	struct kid_open_req req = {
		.service = "su", .user = "bob", .uid = 7, .gid = 8,
		.caller_keyring = KID_CK_FOREIGN, .deadline_ns = 0x0102030405060708ull,
	};
	static const uint8_t deadline[] = { 0, KID_F_DEADLINE, KID_T_U64, 0, 8,
					    1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t buf[KID_MAX_FRAME];
	int n;

	fb_start(KID_OP_OPEN, 0);
	fb_str(KID_F_SERVICE, "su");
	fb_str(KID_F_USER, "bob");
	fb_u32(KID_F_UID, KID_T_U32, 7);
	fb_u32(KID_F_GID, KID_T_U32, 8);
	fb_u32(KID_F_MODULE_FLAGS, KID_T_U32, 0);
	fb_bool(KID_F_HAS_SESSION_KEYRING, 0);
	fb_u32(KID_F_CALLER_KEYRING, KID_T_U32, KID_CK_FOREIGN);
	fb_raw(KID_F_DEADLINE, KID_T_U64, deadline + 5, 8);
	fb_end();
	n = kid_build_open(buf, sizeof(buf), &req, NULL);
	CHECK(n == (int)fb_len);
	CHECK(n > 0 && memcmp(buf, fb, fb_len) == 0);
	CHECK(n > 13 && memcmp(buf + n - 13, deadline, 13) == 0);

	/* zero leaves both out: what an older module sends */
	req.caller_keyring = 0;
	req.deadline_ns = 0;
	CHECK(kid_build_open(buf, sizeof(buf), &req, NULL) == n - 9 - 13);

	/* a reply that carries them is still decoded (validated, not stored) */
	CHECK(one_field(KID_F_DEADLINE, KID_T_U64, "\0\0\0\0\0\0\0\1", 8) == KID_OK);
	CHECK(one_field(KID_F_DEADLINE, KID_T_U64, "\0\0\0\1", 4) == KID_E_FIXLEN);
	CHECK(one_field(KID_F_DEADLINE, KID_T_U32, "\0\0\0\1", 4) == KID_E_TYPE);
	/* admin-only tags are unknown to the module, so skipped */
	CHECK(one_str(21, "{}") == KID_OK);
	CHECK(!KID_HAS(&rep, 21));
}

static void test_build_close(void)
{
	struct kid_close_req req = { .session_id = "0123456789abcdef0123456789abcdef" };
	uint8_t buf[256];
	uint16_t tag;

	fb_start(KID_OP_CLOSE, 0);
	fb_str(KID_F_SESSION_ID, req.session_id);
	fb_end();
	CHECK(kid_build_close(buf, sizeof(buf), &req, &tag) == (int)fb_len);
	CHECK(memcmp(buf, fb, fb_len) == 0);

	req.has_serial = 1;
	req.keyring_serial = -2;
	req.abort = 1;
	fb_start(KID_OP_CLOSE, 0);
	fb_str(KID_F_SESSION_ID, req.session_id);
	fb_u32(KID_F_KEYRING_SERIAL, KID_T_I32, 0xFFFFFFFEu);
	fb_bool(KID_F_ABORT, 1);
	fb_end();
	CHECK(kid_build_close(buf, sizeof(buf), &req, &tag) == (int)fb_len);
	CHECK(memcmp(buf, fb, fb_len) == 0);

	req.session_id = NULL;
	CHECK(kid_build_close(buf, sizeof(buf), &req, &tag) == KID_E_ARG);
}

static void test_created_reply(void)
{
	fb_start(KID_OP_OPEN | 0x80, KID_S_OK);
	fb_u32(KID_F_DECISION, KID_T_U32, KID_D_CREATED);
	fb_str(KID_F_RULE, "default");
	fb_str(KID_F_SESSION_ID, "00112233445566778899aabbccddeeff");
	fb_str(KID_F_KEYRING_NAME, "keyinitd.ffeeddccbbaa99887766554433221100");
	fb_u32(KID_F_KEYRING_SERIAL, KID_T_I32, 123456789);
	fb_bool(KID_F_WILL_REVOKE, 1);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_OK);
	CHECK(rep.op == KID_OP_OPEN);
	CHECK(rep.decision == KID_D_CREATED);
	CHECK(strcmp(rep.rule, "default") == 0);
	CHECK(strcmp(rep.session_id, "00112233445566778899aabbccddeeff") == 0);
	CHECK(strcmp(rep.keyring_name, "keyinitd.ffeeddccbbaa99887766554433221100") == 0);
	CHECK(rep.keyring_serial == 123456789);
	CHECK(rep.will_revoke == 1);
	CHECK(KID_HAS(&rep, KID_F_WILL_REVOKE) && !KID_HAS(&rep, KID_F_ERRNO));

	/* every truncation of a valid frame is rejected */
	{
		size_t full = fb_len, n;
		int all_bad = 1;

		for (n = 0; n < full; n++)
			if (kid_decode_reply(fb, n, KID_OP_OPEN, &rep) == KID_OK)
				all_bad = 0;
		CHECK(all_bad);
	}
}

static void test_failed_reply(void)
{
	fb_start(KID_OP_CLOSE | 0x80, KID_S_FAILED);
	fb_str(KID_F_MESSAGE, "keyctl revoke: Permission denied");
	fb_u32(KID_F_ERRNO, KID_T_U32, 13);
	fb_u32(KID_F_KEYRING_SERIAL, KID_T_I32, 0x80000000u);
	fb_end();
	CHECK(decode(KID_OP_CLOSE) == KID_OK);
	CHECK(rep.status == KID_S_FAILED);
	CHECK(rep.err_no == 13);
	CHECK(rep.keyring_serial == INT32_MIN);
	CHECK(strcmp(rep.message, "keyctl revoke: Permission denied") == 0);
	CHECK(strcmp(kid_status_name(rep.status), "FAILED") == 0);
	CHECK(kid_status_name(9) == NULL);
	CHECK(strcmp(kid_decision_name(KID_D_UNSUPPORTED), "UNSUPPORTED") == 0);
	CHECK(kid_decision_name(0) == NULL && kid_decision_name(9) == NULL);
}

static void test_header(void)
{
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_OK);
	CHECK(kid_decode_reply(fb, 11, KID_OP_OPEN, &rep) == KID_E_SHORT);
	CHECK(kid_decode_reply(NULL, 0, KID_OP_OPEN, &rep) == KID_E_SHORT);
	CHECK(decode(KID_OP_CLOSE) == KID_E_OP);

	fb[5] = KID_OP_OPEN;		/* a request, not a reply */
	CHECK(decode(KID_OP_OPEN) == KID_E_OP);
	fb[5] = KID_OP_OPEN | 0x80;

	fb[0] = 'X';
	CHECK(decode(KID_OP_OPEN) == KID_E_MAGIC);
	fb[0] = 0x4B;

	fb[4] = 2;
	CHECK(decode(KID_OP_OPEN) == KID_E_VERSION);
	fb[4] = 0;
	CHECK(decode(KID_OP_OPEN) == KID_E_VERSION);
	fb[4] = 1;

	/* body_length checked before anything is read: no body present */
	fb[8] = 0; fb[9] = 0; fb[10] = 0x10; fb[11] = 0x01;	/* 4097 */
	CHECK(kid_check_header(fb, 12, KID_OP_OPEN, NULL, NULL) == KID_E_TOO_LARGE);
	fb[8] = 0xFF; fb[9] = 0xFF; fb[10] = 0xFF; fb[11] = 0xFF;
	CHECK(decode(KID_OP_OPEN) == KID_E_TOO_LARGE);

	/* a body of exactly 4096 bytes is fine (one unknown field) */
	{
		static uint8_t pad[KID_MAX_BODY - 5];
		uint32_t blen = 0;
		uint16_t status = 0;

		fb_start(KID_OP_OPEN | 0x80, KID_S_BUSY);
		fb_raw(4242, 9, pad, sizeof(pad));
		fb_end();
		CHECK(fb_len == KID_MAX_FRAME);
		CHECK(kid_check_header(fb, 12, KID_OP_OPEN, &status, &blen) == KID_OK);
		CHECK(blen == KID_MAX_BODY && status == KID_S_BUSY);
		CHECK(decode(KID_OP_OPEN) == KID_OK);
		CHECK(rep.status == KID_S_BUSY && rep.present == 0);
	}

	/* buffer length must be exactly header + body_length */
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_str(KID_F_RULE, "r");
	fb_end();
	CHECK(kid_decode_reply(fb, fb_len - 1, KID_OP_OPEN, &rep) == KID_E_LENGTH);
	CHECK(kid_decode_reply(fb, fb_len + 1, KID_OP_OPEN, &rep) == KID_E_LENGTH);
}

static void test_fields(void)
{
	static const uint8_t u32v[4] = { 0, 0, 0, 1 }, b2 = 2, b1 = 1;
	char s[200];

	/* unknown tags are skipped whatever their type and length */
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_raw(0, 77, "junk", 4);
	fb_raw(KID_F_MAX_KNOWN + 1, KID_T_STR, "a\0b", 3);
	fb_raw(0xFFFF, KID_T_BOOL, "zzz", 3);
	fb_raw(99, 1, "", 0);
	fb_u32(KID_F_DECISION, KID_T_U32, KID_D_SKIPPED);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_OK);
	CHECK(rep.decision == KID_D_SKIPPED);
	CHECK(rep.present == (1u << KID_F_DECISION));

	/* wrong type / fixed lengths */
	CHECK(one_field(KID_F_DECISION, KID_T_I32, u32v, 4) == KID_E_TYPE);
	CHECK(rep.err_tag == KID_F_DECISION);
	CHECK(one_field(KID_F_KEYRING_SERIAL, KID_T_U32, u32v, 4) == KID_E_TYPE);
	CHECK(one_field(KID_F_MESSAGE, KID_T_U32, u32v, 4) == KID_E_TYPE);
	CHECK(one_field(KID_F_DECISION, KID_T_U32, u32v, 3) == KID_E_FIXLEN);
	CHECK(one_field(KID_F_DECISION, KID_T_U32, u32v, 0) == KID_E_FIXLEN);
	CHECK(one_field(KID_F_WILL_REVOKE, KID_T_BOOL, u32v, 4) == KID_E_FIXLEN);
	CHECK(one_field(KID_F_WILL_REVOKE, KID_T_BOOL, u32v, 0) == KID_E_FIXLEN);
	CHECK(one_field(KID_F_WILL_REVOKE, KID_T_BOOL, &b2, 1) == KID_E_BOOL);
	CHECK(one_field(KID_F_WILL_REVOKE, KID_T_BOOL, &b1, 1) == KID_OK);
	CHECK(rep.will_revoke == 1);

	/* request-only fields are still checked, but not stored */
	CHECK(one_field(KID_F_UID, KID_T_STR, "x", 1) == KID_E_TYPE);
	CHECK(one_field(KID_F_ABORT, KID_T_BOOL, &b2, 1) == KID_E_BOOL);
	CHECK(one_str(KID_F_SERVICE, "sshd") == KID_OK);
	CHECK(KID_HAS(&rep, KID_F_SERVICE));

	/* strings: limits, NUL, UTF-8 */
	memset(s, 'a', sizeof(s));
	s[64] = '\0';
	CHECK(one_str(KID_F_SESSION_ID, s) == KID_OK);
	CHECK(strlen(rep.session_id) == 64);
	s[64] = 'a';
	s[65] = '\0';
	CHECK(one_str(KID_F_SESSION_ID, s) == KID_E_LONG);
	CHECK(rep.err_tag == KID_F_SESSION_ID);
	memset(s, 'a', sizeof(s));
	s[128] = '\0';
	CHECK(one_str(KID_F_KEYRING_NAME, s) == KID_OK);
	s[128] = 'a';
	s[129] = '\0';
	CHECK(one_str(KID_F_KEYRING_NAME, s) == KID_E_LONG);
	CHECK(one_str(KID_F_MESSAGE, "") == KID_OK);
	CHECK(KID_HAS(&rep, KID_F_MESSAGE) && rep.message[0] == '\0');
	CHECK(one_field(KID_F_MESSAGE, KID_T_STR, "a\0b", 3) == KID_E_NUL);
	CHECK(one_field(KID_F_MESSAGE, KID_T_STR, "\0", 1) == KID_E_NUL);
	CHECK(one_str(KID_F_MESSAGE, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") == KID_OK);
	CHECK(one_str(KID_F_MESSAGE, "\xc0\x80") == KID_E_UTF8);	/* overlong NUL */
	CHECK(one_str(KID_F_MESSAGE, "\xe0\x80\xaf") == KID_E_UTF8);	/* overlong '/' */
	CHECK(one_str(KID_F_MESSAGE, "\xed\xa0\x80") == KID_E_UTF8);	/* surrogate */
	CHECK(one_str(KID_F_MESSAGE, "\xf4\x90\x80\x80") == KID_E_UTF8);	/* > U+10FFFF */
	CHECK(one_str(KID_F_MESSAGE, "\x80") == KID_E_UTF8);
	CHECK(one_str(KID_F_MESSAGE, "\xe2\x82") == KID_E_UTF8);	/* cut short */
	CHECK(one_str(KID_F_MESSAGE, "\xe2\x82x") == KID_E_UTF8);
	CHECK(one_str(KID_F_MESSAGE, "\xff") == KID_E_UTF8);

	/* duplicates */
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_str(KID_F_RULE, "a");
	fb_str(KID_F_MESSAGE, "m");
	fb_str(KID_F_RULE, "b");
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_DUP);
	CHECK(rep.err_tag == KID_F_RULE);

	/* truncation: field header cut short, value running past the end */
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_u16(KID_F_RULE);
	fb_u8(KID_T_STR);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_TRUNCATED);
	CHECK(rep.err_tag == KID_F_RULE);
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_u8(0);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_TRUNCATED);
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_raw(KID_F_RULE, KID_T_STR, "abc", 3);
	fb_len--;
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_TRUNCATED);
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_raw(300, KID_T_STR, "abc", 3);	/* unknown fields too */
	fb_len--;
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_TRUNCATED);
}

/* JOIN_AS_CALLER (tag 20): an optional BOOL in the OPEN reply, absent means false. */
static void test_join_as_caller(void)
{
	static const uint8_t u32v[4] = { 0, 0, 0, 1 }, b0 = 0, b1 = 1, b2 = 2;

	CHECK(KID_F_JOIN_AS_CALLER == 20);
	CHECK(strcmp(kid_tag_name(KID_F_JOIN_AS_CALLER), "JOIN_AS_CALLER") == 0);

	/* a full CREATED reply with it true */
	fb_start(KID_OP_OPEN | 0x80, KID_S_OK);
	fb_u32(KID_F_DECISION, KID_T_U32, KID_D_CREATED);
	fb_str(KID_F_SESSION_ID, "00112233445566778899aabbccddeeff");
	fb_str(KID_F_KEYRING_NAME, "keyinitd.ffeeddccbbaa99887766554433221100");
	fb_u32(KID_F_KEYRING_SERIAL, KID_T_I32, 42);
	fb_bool(KID_F_WILL_REVOKE, 0);
	fb_bool(KID_F_JOIN_AS_CALLER, 1);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_OK);
	CHECK(KID_HAS(&rep, KID_F_JOIN_AS_CALLER) && rep.join_as_caller == 1);
	CHECK(rep.decision == KID_D_CREATED && rep.keyring_serial == 42);
	CHECK(KID_HAS(&rep, KID_F_WILL_REVOKE) && rep.will_revoke == 0);

	/* present and false */
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_BOOL, &b0, 1) == KID_OK);
	CHECK(KID_HAS(&rep, KID_F_JOIN_AS_CALLER) && rep.join_as_caller == 0);
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_BOOL, &b1, 1) == KID_OK);
	CHECK(rep.join_as_caller == 1 && rep.present == (1u << KID_F_JOIN_AS_CALLER));

	/* absent: false, and not present */
	CHECK(one_field(KID_F_WILL_REVOKE, KID_T_BOOL, &b1, 1) == KID_OK);
	CHECK(!KID_HAS(&rep, KID_F_JOIN_AS_CALLER) && rep.join_as_caller == 0);

	/* wrong type, wrong length, not 0/1, twice */
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_U32, u32v, 4) == KID_E_TYPE);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_STR, "1", 1) == KID_E_TYPE);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_BOOL, u32v, 0) == KID_E_FIXLEN);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_BOOL, u32v, 2) == KID_E_FIXLEN);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);
	CHECK(one_field(KID_F_JOIN_AS_CALLER, KID_T_BOOL, &b2, 1) == KID_E_BOOL);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_bool(KID_F_JOIN_AS_CALLER, 0);
	fb_bool(KID_F_JOIN_AS_CALLER, 1);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_E_DUP);
	CHECK(rep.err_tag == KID_F_JOIN_AS_CALLER);

	/* the first tag after it is still unknown and skipped */
	fb_start(KID_OP_OPEN | 0x80, 0);
	fb_bool(KID_F_JOIN_AS_CALLER, 1);
	fb_raw(21, KID_T_U32, "xy", 2);
	fb_end();
	CHECK(decode(KID_OP_OPEN) == KID_OK);
	CHECK(rep.join_as_caller == 1 && rep.present == (1u << KID_F_JOIN_AS_CALLER));
}

/* Random frames and random mutations of a valid one must never break the decoder. */
static void test_random(void)
{
	static uint8_t buf[KID_MAX_FRAME];
	uint32_t x = 12345;
	int i, ok = 0, sane = 1;

	for (i = 0; i < 20000; i++) {
		size_t n, j;

		fb_start(KID_OP_OPEN | 0x80, 0);
		fb_u32(KID_F_DECISION, KID_T_U32, KID_D_CREATED);
		fb_str(KID_F_KEYRING_NAME, "keyinitd.0011");
		fb_str(KID_F_MESSAGE, "hello");
		fb_end();
		memcpy(buf, fb, fb_len);
		n = fb_len;
		for (j = 0; j < 3; j++) {
			x = x * 1103515245u + 12345u;
			buf[KID_HDR_LEN + (x >> 8) % (n - KID_HDR_LEN)] ^= (uint8_t)(x >> 20);
		}
		if (kid_decode_reply(buf, n, KID_OP_OPEN, &rep) == KID_OK) {
			ok++;
			if (memchr(rep.keyring_name, 0, sizeof(rep.keyring_name)) == NULL ||
			    memchr(rep.message, 0, sizeof(rep.message)) == NULL)
				sane = 0;
		}
	}
	CHECK(sane);
	CHECK(ok > 0);
}

int main(void)
{
	test_ping();
	test_build_open();
	test_build_open_caller_and_deadline();
	test_build_close();
	test_created_reply();
	test_failed_reply();
	test_header();
	test_fields();
	test_join_as_caller();
	test_random();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
