/*
 * Unit tests of the module's logic (pam_keyinitd.c), without root and without a kernel
 * keyring: pam_keyinitd.o is linked against
 *   - a fake libpam (items, user, module data, syslog captured line by line),
 *   - a fake kernel for the keyutils calls (keyrings with owners and names, the process's
 *     session keyring, revocation, ENOSYS and failure injection), recording every join, link
 *     and revoke together with the effective uid it ran under,
 *   - fake credential calls (the module's raw setresuid/setresgid syscalls, getresuid,
 *     getresgid, geteuid: linked with --wrap, so the test's own process never changes ids),
 *   - a fake daemon on a real Unix socket in a temporary directory, scripted per request; the
 *     module's transport is the real one. lstat and SO_PEERCRED are wrapped to report root for
 *     that socket, so the test runs as any user.
 * Nothing is linked from libpam or libkeyutils: a call the module makes that is not faked
 * here fails the link.
 *
 * Style of test/proto_test.c: CHECK(cond), and "N passed, M failed" at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <keyutils.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "kid_proto.h"

static int passed, failed;

static void dump_state(void);

#define CHECK(cond) do { \
	if (cond) { \
		passed++; \
	} else { \
		failed++; \
		fprintf(stderr, "FAIL %s:%d: %s (in %s)\n", __FILE__, __LINE__, #cond, current); \
		if (dumped != current) \
			dump_state(); \
		dumped = current; \
	} \
} while (0)

static const char *current = "", *dumped;

/* ================================================================ fake libpam */

#define MAX_LOG 64

struct logline {
	int prio;
	char text[2048];
};

static struct logline logs[MAX_LOG];
static int nlogs;

struct pam_handle {
	const char *user;
	int get_user_rc;
	const char *service, *tty, *rhost, *ruser;
	const char *data_name;
	void *data;
	void (*cleanup)(pam_handle_t *, void *, int);
};

static struct pam_handle handle;

int pam_get_user(pam_handle_t *pamh, const char **user, const char *prompt)
{
	(void)prompt;
	*user = pamh->user;
	return pamh->get_user_rc;
}

int pam_get_item(const pam_handle_t *pamh, int type, const void **item)
{
	switch (type) {
	case PAM_SERVICE:	*item = pamh->service; break;
	case PAM_TTY:		*item = pamh->tty; break;
	case PAM_RHOST:		*item = pamh->rhost; break;
	case PAM_RUSER:		*item = pamh->ruser; break;
	default:		return PAM_BAD_ITEM;
	}
	return PAM_SUCCESS;
}

int pam_get_data(const pam_handle_t *pamh, const char *name, const void **data)
{
	if (!pamh->data_name || strcmp(pamh->data_name, name))
		return PAM_NO_MODULE_DATA;
	*data = pamh->data;
	return PAM_SUCCESS;
}

int pam_set_data(pam_handle_t *pamh, const char *name, void *data,
		 void (*cleanup)(pam_handle_t *, void *, int))
{
	if (pamh->data_name && strcmp(pamh->data_name, name))
		return PAM_BUF_ERR;	/* the module only ever uses one name */
	if (pamh->data && pamh->cleanup)
		pamh->cleanup(pamh, pamh->data, PAM_SUCCESS);
	pamh->data_name = name;
	pamh->data = data;
	pamh->cleanup = cleanup;
	return PAM_SUCCESS;
}

void pam_syslog(const pam_handle_t *pamh, int prio, const char *fmt, ...)
{
	va_list ap;

	(void)pamh;
	if (nlogs == MAX_LOG)
		return;
	logs[nlogs].prio = prio;
	va_start(ap, fmt);
	vsnprintf(logs[nlogs].text, sizeof(logs[nlogs].text), fmt, ap);	/* %m as syslog */
	va_end(ap);
	nlogs++;
}

const char *pam_strerror(pam_handle_t *pamh, int errnum)
{
	(void)pamh;
	return errnum == PAM_SYSTEM_ERR ? "System error" : "some PAM error";
}

#define ALICE_UID 1001
#define ALICE_GID 1002

static struct passwd alice = {
	.pw_name = "alice", .pw_passwd = "x", .pw_uid = ALICE_UID, .pw_gid = ALICE_GID,
	.pw_gecos = "", .pw_dir = "/nonexistent", .pw_shell = "/bin/sh",
};

struct passwd *pam_modutil_getpwnam(pam_handle_t *pamh, const char *user)
{
	(void)pamh;
	return strcmp(user, "alice") ? NULL : &alice;
}

/* pam_end: what libpam does with the module's data */
static void end_handle(void)
{
	if (handle.data && handle.cleanup)
		handle.cleanup(&handle, handle.data, PAM_SUCCESS);
	memset(&handle, 0, sizeof(handle));
}

/* ================================================================ fake credentials */

struct fake_ids {
	unsigned r, e, s, rg, eg, sg;
};

static struct fake_ids ids;
static int fail_setuid;		/* errno for the next setresuid syscalls, 0: succeed */

/* Linux's rule: privileged (euid 0) may set anything, others only ids they already have. */
static int allowed(unsigned v, unsigned r, unsigned e, unsigned s, int priv)
{
	return priv || v == r || v == e || v == s;
}

static long set3(unsigned *r, unsigned *e, unsigned *s, long nr, long ne, long ns, int priv)
{
	if ((nr != -1 && !allowed((unsigned)nr, *r, *e, *s, priv)) ||
	    (ne != -1 && !allowed((unsigned)ne, *r, *e, *s, priv)) ||
	    (ns != -1 && !allowed((unsigned)ns, *r, *e, *s, priv))) {
		errno = EPERM;
		return -1;
	}
	if (nr != -1) *r = (unsigned)nr;
	if (ne != -1) *e = (unsigned)ne;
	if (ns != -1) *s = (unsigned)ns;
	return 0;
}

long __wrap_syscall(long nr, ...);
long __wrap_syscall(long nr, ...)
{
	va_list ap;
	long a, b, c;

	va_start(ap, nr);
	a = va_arg(ap, long);
	b = va_arg(ap, long);
	c = va_arg(ap, long);
	va_end(ap);
	if (nr == SYS_setresuid) {
		if (fail_setuid) {
			errno = fail_setuid;
			return -1;
		}
		return set3(&ids.r, &ids.e, &ids.s, a, b, c, ids.e == 0);
	}
	if (nr == SYS_setresgid)
		return set3(&ids.rg, &ids.eg, &ids.sg, a, b, c, ids.e == 0);
	fprintf(stderr, "module_test: unexpected syscall %ld\n", nr);
	abort();
}

int __wrap_getresuid(uid_t *r, uid_t *e, uid_t *s);
int __wrap_getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	*r = ids.r; *e = ids.e; *s = ids.s;
	return 0;
}

int __wrap_getresgid(gid_t *r, gid_t *e, gid_t *s);
int __wrap_getresgid(gid_t *r, gid_t *e, gid_t *s)
{
	*r = ids.rg; *e = ids.eg; *s = ids.sg;
	return 0;
}

uid_t __wrap_geteuid(void);
uid_t __wrap_geteuid(void)
{
	return ids.e;
}

static int ids_are(unsigned r, unsigned e, unsigned s, unsigned g)
{
	return ids.r == r && ids.e == e && ids.s == s && ids.rg == g && ids.eg == g && ids.sg == g;
}

/* ================================================================ fake kernel keyrings */

#define MAX_KEYS 512

struct fkey {
	key_serial_t serial;
	unsigned owner;
	char name[KID_MAX_KEYRING_NAME + 1];
	int revoked;
	int anyone_may_search;	/* published so that any uid finds it by name */
	int uid_keyring;	/* the kernel's own _uid.N / _uid_ses.N */
	int holds_user_keyring;	/* its owner's _uid.N is linked in it */
};

static struct fkey keys[MAX_KEYS];
static int nkeys;
static key_serial_t next_serial;
static key_serial_t session;	/* the process's session keyring; 0: none */
static int k_enosys;		/* no keyring support: every call fails ENOSYS */
static int fail_join, fail_link, fail_revoke;	/* errno to fail with, 0: succeed */
static char calls[8192];	/* "join(NAME)@UID=SERIAL link@UID revoke(S) ..." */

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void record(const char *fmt, ...)
{
	size_t n = strlen(calls);
	va_list ap;

	if (n)
		calls[n++] = ' ';
	va_start(ap, fmt);
	vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
	va_end(ap);
}

static struct fkey *key_by_serial(key_serial_t serial)
{
	int i;

	for (i = 0; i < nkeys; i++)
		if (keys[i].serial == serial)
			return &keys[i];
	return NULL;
}

static key_serial_t new_key(const char *name, unsigned owner, int anyone, int uid_keyring)
{
	struct fkey *k = &keys[nkeys++];

	if (nkeys > MAX_KEYS)
		abort();
	memset(k, 0, sizeof(*k));
	k->serial = next_serial++;
	k->owner = owner;
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->anyone_may_search = anyone;
	k->uid_keyring = uid_keyring;
	return k->serial;
}

/* The newest keyring of this name (0: none). */
static key_serial_t newest_named(const char *name)
{
	int i;

	for (i = nkeys - 1; i >= 0; i--)
		if (!strcmp(keys[i].name, name))
			return keys[i].serial;
	return 0;
}

/* _uid.N or _uid_ses.N, made on first use as the kernel does */
static key_serial_t uid_keyring(const char *prefix, unsigned uid)
{
	char name[32];
	int i;

	snprintf(name, sizeof(name), "%s%u", prefix, uid);
	for (i = 0; i < nkeys; i++)
		if (keys[i].uid_keyring && keys[i].owner == uid && !strcmp(keys[i].name, name))
			return keys[i].serial;
	return new_key(name, uid, 0, 1);
}

static key_serial_t useses_of(unsigned uid)
{
	return uid_keyring("_uid_ses.", uid);
}

static key_serial_t resolve(key_serial_t id)
{
	struct fkey *k;

	switch (id) {
	case KEY_SPEC_SESSION_KEYRING:
		if (!session)	/* the kernel installs the real uid's user-session keyring */
			session = useses_of(ids.r);
		k = key_by_serial(session);
		if (!k) {
			errno = ENOKEY;
			return -1;
		}
		if (k->revoked) {
			errno = EKEYREVOKED;
			return -1;
		}
		return session;
	case KEY_SPEC_USER_SESSION_KEYRING:
		return useses_of(ids.r);
	case KEY_SPEC_USER_KEYRING:
		return uid_keyring("_uid.", ids.r);
	default:
		k = key_by_serial(id);
		if (!k) {
			errno = ENOKEY;
			return -1;
		}
		return id;
	}
}

key_serial_t keyctl_get_keyring_ID(key_serial_t id, int create)
{
	(void)create;
	if (k_enosys) {
		errno = ENOSYS;
		return -1;
	}
	return resolve(id);
}

key_serial_t keyctl_join_session_keyring(const char *name)
{
	int i;

	if (k_enosys) {
		errno = ENOSYS;
		return -1;
	}
	if (fail_join) {
		record("join(%s)@%u=-%d", name ? name : "", ids.e, fail_join);
		errno = fail_join;
		return -1;
	}
	if (name) {
		/* the first keyring of that name the caller may search, possessor bits not counted */
		for (i = 0; i < nkeys; i++) {
			if (!strcmp(keys[i].name, name) && !keys[i].revoked &&
			    (keys[i].owner == ids.e || keys[i].anyone_may_search)) {
				session = keys[i].serial;
				record("join(%s)@%u=%d", name, ids.e, session);
				return session;
			}
		}
	}
	/* nothing matched: a new keyring of that name, owned by the caller */
	session = new_key(name ? name : "_ses", ids.e, 0, 0);
	record("join(%s)@%u=new:%d", name ? name : "", ids.e, session);
	return session;
}

long keyctl_link(key_serial_t id, key_serial_t ring)
{
	if (k_enosys) {
		errno = ENOSYS;
		return -1;
	}
	record("link(%s,%s)@%u%s", id == KEY_SPEC_USER_KEYRING ? "@u" : "?",
	       ring == KEY_SPEC_SESSION_KEYRING ? "@s" : "?", ids.e, fail_link ? "=fail" : "");
	if (fail_link) {
		errno = fail_link;
		return -1;
	}
	if (id == KEY_SPEC_USER_KEYRING && ring == KEY_SPEC_SESSION_KEYRING && key_by_serial(session))
		key_by_serial(session)->holds_user_keyring = 1;
	return 0;
}

int keyctl_read_alloc(key_serial_t id, void **buffer)
{
	struct fkey *k;
	key_serial_t serial = resolve(id), *links;

	if (serial < 0)
		return -1;
	k = key_by_serial(serial);
	links = malloc(sizeof(*links));
	if (!links)
		return -1;
	*buffer = links;
	if (!k->holds_user_keyring)
		return 0;
	links[0] = uid_keyring("_uid.", k->owner);
	return (int)sizeof(*links);
}

long keyctl_revoke(key_serial_t id)
{
	struct fkey *k = key_by_serial(id);

	record("revoke(%d)", id);
	if (fail_revoke) {
		errno = fail_revoke;
		return -1;
	}
	if (!k) {
		errno = ENOKEY;
		return -1;
	}
	if (k->revoked) {
		errno = EKEYREVOKED;
		return -1;
	}
	k->revoked = 1;
	return 0;
}

int keyctl_describe_alloc(key_serial_t id, char **buffer)
{
	struct fkey *k;
	key_serial_t serial = resolve(id);

	if (serial < 0)
		return -1;
	k = key_by_serial(serial);
	if (asprintf(buffer, "keyring;%u;%u;3f030000;%s", k->owner, k->owner, k->name) < 0)
		return -1;
	return (int)strlen(*buffer);
}

static int revoked(key_serial_t serial)
{
	struct fkey *k = key_by_serial(serial);

	return k && k->revoked;
}

/* ================================================================ fake daemon */

static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static char tmpdir[64];
static char marker_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];	/* "restarting" */
static int listen_fd = -1, stop_pipe[2] = { -1, -1 };
static pthread_t daemon_thread;
static pthread_mutex_t dmx = PTHREAD_MUTEX_INITIALIZER;

/* What the fake daemon does with the next request. */
enum act {
	ACT_REPLY,	/* reply as below */
	ACT_HANG_UP,	/* close without a reply */
	ACT_STALL,	/* read the request, never reply */
};

struct step {
	enum act act;
	unsigned status;
	unsigned decision;	/* 0: no DECISION field */
	const char *session_id, *keyring_name, *message, *rule;
	key_serial_t serial;	/* 0: no KEYRING_SERIAL field */
	int will_revoke;	/* -1: no WILL_REVOKE field */
	int join_as_caller;
};

#define MAX_STEPS 16
static struct step script[MAX_STEPS];
static int nsteps, next_step;

/* A request as the fake daemon read it. */
struct req {
	unsigned op;
	char user[KID_MAX_USER + 1];
	char service[KID_MAX_SERVICE + 1];
	char session_id[KID_MAX_SESSION_ID + 1];
	uint32_t uid, gid, module_flags, caller_keyring;
	int has_session_keyring;
	int has_serial;
	int32_t serial;
	int abort;
	int has_deadline;
};

#define MAX_REQS 32
static struct req reqs[MAX_REQS];
static int nreqs;

static void expect(struct step s)
{
	pthread_mutex_lock(&dmx);
	script[nsteps++] = s;
	pthread_mutex_unlock(&dmx);
}

static int requests(void)
{
	int n;

	pthread_mutex_lock(&dmx);
	n = nreqs;
	pthread_mutex_unlock(&dmx);
	return n;
}

/* reply frames, built independently of the code under test */
struct frame {
	uint8_t b[KID_MAX_FRAME];
	size_t n;
};

static void f_bytes(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void f_u8(struct frame *f, unsigned v)
{
	uint8_t b = (uint8_t)v;

	f_bytes(f, &b, 1);
}

static void f_u16(struct frame *f, unsigned v)
{
	f_u8(f, v >> 8);
	f_u8(f, v & 0xff);
}

static void f_u32(struct frame *f, uint32_t v)
{
	f_u16(f, v >> 16);
	f_u16(f, v & 0xffff);
}

static void f_field(struct frame *f, unsigned tag, unsigned type, const void *v, size_t n)
{
	f_u16(f, tag);
	f_u8(f, type);
	f_u16(f, (unsigned)n);
	f_bytes(f, v, n);
}

static void f_str(struct frame *f, unsigned tag, const char *s)
{
	if (s)
		f_field(f, tag, KID_T_STR, s, strlen(s));
}

static void f_num(struct frame *f, unsigned tag, unsigned type, uint32_t v)
{
	uint8_t b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

	f_field(f, tag, type, b, 4);
}

static void build_reply(struct frame *f, unsigned op, const struct step *s)
{
	uint32_t body;

	f->n = 0;
	f_u32(f, KID_MAGIC);
	f_u8(f, KID_VERSION);
	f_u8(f, op | KID_REPLY_BIT);
	f_u16(f, s->status);
	f_u32(f, 0);
	if (s->decision)
		f_num(f, KID_F_DECISION, KID_T_U32, s->decision);
	f_str(f, KID_F_SESSION_ID, s->session_id);
	f_str(f, KID_F_KEYRING_NAME, s->keyring_name);
	if (s->serial)
		f_num(f, KID_F_KEYRING_SERIAL, KID_T_I32, (uint32_t)s->serial);
	if (s->will_revoke >= 0) {
		uint8_t b = (uint8_t)s->will_revoke;

		f_field(f, KID_F_WILL_REVOKE, KID_T_BOOL, &b, 1);
	}
	if (s->join_as_caller) {
		uint8_t b = 1;

		f_field(f, KID_F_JOIN_AS_CALLER, KID_T_BOOL, &b, 1);
	}
	f_str(f, KID_F_MESSAGE, s->message);
	f_str(f, KID_F_RULE, s->rule);
	body = (uint32_t)(f->n - KID_HDR_LEN);
	f->b[8] = body >> 24;
	f->b[9] = (body >> 16) & 0xff;
	f->b[10] = (body >> 8) & 0xff;
	f->b[11] = body & 0xff;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void copy_str(char *dst, size_t cap, const uint8_t *v, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* Reads one request frame; 0, or -1 if the client went away or sent no frame. */
static int read_request(int fd, struct req *r)
{
	uint8_t buf[KID_MAX_FRAME];
	size_t got = 0, want = KID_HDR_LEN, at;

	while (got < want) {
		ssize_t n = recv(fd, buf + got, want - got, 0);

		if (n <= 0)
			return -1;
		got += (size_t)n;
		if (got == KID_HDR_LEN && want == KID_HDR_LEN) {
			want += get_u32(buf + 8);
			if (want > sizeof(buf))
				return -1;
		}
	}
	memset(r, 0, sizeof(*r));
	r->op = buf[5];
	for (at = KID_HDR_LEN; at + 5 <= got;) {
		unsigned tag = (unsigned)buf[at] << 8 | buf[at + 1];
		size_t len = (size_t)buf[at + 3] << 8 | buf[at + 4];
		const uint8_t *v = buf + at + 5;

		if (at + 5 + len > got)
			return -1;
		switch (tag) {
		case KID_F_USER: copy_str(r->user, sizeof(r->user), v, len); break;
		case KID_F_SERVICE: copy_str(r->service, sizeof(r->service), v, len); break;
		case KID_F_SESSION_ID: copy_str(r->session_id, sizeof(r->session_id), v, len); break;
		case KID_F_UID: r->uid = get_u32(v); break;
		case KID_F_GID: r->gid = get_u32(v); break;
		case KID_F_MODULE_FLAGS: r->module_flags = get_u32(v); break;
		case KID_F_CALLER_KEYRING: r->caller_keyring = get_u32(v); break;
		case KID_F_HAS_SESSION_KEYRING: r->has_session_keyring = v[0]; break;
		case KID_F_KEYRING_SERIAL: r->has_serial = 1; r->serial = (int32_t)get_u32(v); break;
		case KID_F_ABORT: r->abort = v[0]; break;
		case KID_F_DEADLINE: r->has_deadline = 1; break;
		}
		at += 5 + len;
	}
	return 0;
}

static void serve(int fd)
{
	struct step s = { .act = ACT_REPLY, .status = KID_S_FAILED, .will_revoke = -1,
			  .message = "module_test: no step scripted for this request" };
	struct frame f;
	struct req r;
	char c;

	if (read_request(fd, &r) < 0)
		return;
	pthread_mutex_lock(&dmx);
	if (nreqs < MAX_REQS)
		reqs[nreqs++] = r;
	if (next_step < nsteps)
		s = script[next_step++];
	pthread_mutex_unlock(&dmx);
	switch (s.act) {
	case ACT_HANG_UP:
		return;
	case ACT_STALL:
		/* until the module gives up and closes its end (bounded, should it not) */
		{
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 5000) > 0)
				(void)!recv(fd, &c, 1, 0);
		}
		return;
	case ACT_REPLY:
		build_reply(&f, r.op, &s);
		(void)!send(fd, f.b, f.n, MSG_NOSIGNAL);
		return;
	}
}

static void *daemon_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
				       { .fd = stop_pipe[0], .events = POLLIN } };
		int fd;

		if (poll(p, 2, -1) < 0)
			continue;
		if (p[1].revents)
			return NULL;
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve(fd);
		close(fd);
	}
}

static void start_daemon(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	/* $TMPDIR, /tmp or /dev/shm (/tmp is not writable for everyone on every machine), else
	 * here; the socket= option wants an absolute path */
	const char *bases[] = { getenv("TMPDIR"), "/tmp", "/dev/shm", NULL };
	char cwd[64];
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		const char *base = bases[i];

		if (!base && i + 1 < sizeof(bases) / sizeof(bases[0]))
			continue;	/* no $TMPDIR */
		if (!base)
			base = getcwd(cwd, sizeof(cwd));
		if (!base || base[0] != '/')
			continue;
		snprintf(tmpdir, sizeof(tmpdir), "%s/module_test.XXXXXX", base);
		if (mkdtemp(tmpdir))
			break;
		tmpdir[0] = '\0';
	}
	if (!tmpdir[0]) {
		perror("module_test: mkdtemp");
		exit(2);
	}
	snprintf(sock_path, sizeof(sock_path), "%s/kid.sock", tmpdir);
	snprintf(marker_path, sizeof(marker_path), "%s/restarting", tmpdir);
	strcpy(sa.sun_path, sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listen_fd, 8) < 0 || pipe(stop_pipe) < 0 ||
	    pthread_create(&daemon_thread, NULL, daemon_main, NULL) != 0) {
		perror("module_test: fake daemon");
		exit(2);
	}
}

static void stop_daemon(void)
{
	(void)!write(stop_pipe[1], "x", 1);
	pthread_join(daemon_thread, NULL);
	close(listen_fd);
	unlink(sock_path);
	unlink(marker_path);
	rmdir(tmpdir);
}

/* The socket is ours, so not root's: make lstat and SO_PEERCRED say root, as for the real one. */
int __real_lstat(const char *path, struct stat *st);
int __wrap_lstat(const char *path, struct stat *st);
int __wrap_lstat(const char *path, struct stat *st)
{
	int r = __real_lstat(path, st);

	if (r == 0 && (!strcmp(path, sock_path) || !strcmp(path, marker_path)))
		st->st_uid = 0;
	return r;
}

int __real_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
int __wrap_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int r = __real_getsockopt(fd, level, name, val, len);

	if (r == 0 && level == SOL_SOCKET && name == SO_PEERCRED)
		((struct ucred *)val)->uid = 0;
	return r;
}

/* ================================================================ helpers */

/* Per test: a fresh process as a root login program sees it, a fresh handle, empty records. */
static void reset(const char *name)
{
	end_handle();
	current = name;
	nlogs = 0;
	memset(&ids, 0, sizeof(ids));
	fail_setuid = 0;
	nkeys = 0;
	next_serial = 100;
	session = 0;
	k_enosys = fail_join = fail_link = fail_revoke = 0;
	calls[0] = '\0';
	pthread_mutex_lock(&dmx);
	nsteps = next_step = nreqs = 0;
	pthread_mutex_unlock(&dmx);
	handle.user = "alice";
	handle.get_user_rc = PAM_SUCCESS;
	handle.service = "login";
	handle.tty = "/dev/pts/3";
}

/* Process states at the start of a login (pam_harness --session-state). */
static key_serial_t state_none(void)
{
	return session = useses_of(ALICE_UID);
}

static key_serial_t state_own(void)
{
	return session = new_key("_ses", ALICE_UID, 0, 0);
}

/* what pam_keyinit earlier in the stack leaves: the user's own "_ses" holding only @u */
static key_serial_t state_fresh(void)
{
	session = new_key("_ses", ALICE_UID, 0, 0);
	key_by_serial(session)->holds_user_keyring = 1;
	return session;
}

static key_serial_t state_foreign(void)
{
	return session = new_key("_ses", 0, 0, 0);
}

static key_serial_t state_dead(void)
{
	session = new_key("_ses", ALICE_UID, 0, 0);
	key_by_serial(session)->revoked = 1;
	return session;
}

#define MAX_ARGS 16

/* One PAM call on a module line; args is the line's arguments, "SOCK" stands for the fake daemon. */
static int call(int (*fn)(pam_handle_t *, int, int, const char **), int flags, const char *args)
{
	static char words[MAX_ARGS][256];
	const char *argv[MAX_ARGS];
	char copy[1024], *tok, *save = NULL;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", args);
	for (tok = strtok_r(copy, " ", &save); tok && argc < MAX_ARGS; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "socket=SOCK", 11))
			snprintf(words[argc], sizeof(words[argc]), "socket=%s", sock_path);
		else
			snprintf(words[argc], sizeof(words[argc]), "%s", tok);
		argv[argc] = words[argc];
		argc++;
	}
	return fn(&handle, flags, argc, argv);
}

static int open_s(const char *args)
{
	return call(pam_sm_open_session, 0, args);
}

static int close_s(const char *args)
{
	return call(pam_sm_close_session, 0, args);
}

/* Lines at priority prio that contain text. */
static int logged(int prio, const char *text)
{
	int i, n = 0;

	for (i = 0; i < nlogs; i++)
		if (logs[i].prio == prio && strstr(logs[i].text, text))
			n++;
	return n;
}

/* Lines above LOG_DEBUG: what an admin sees without "debug". */
static int loud_lines(void)
{
	int i, n = 0;

	for (i = 0; i < nlogs; i++)
		if (logs[i].prio < LOG_DEBUG)
			n++;
	return n;
}

static int calls_are(const char *expected)
{
	return !strcmp(calls, expected);
}

static void dump_state(void)
{
	int i;

	fprintf(stderr, "  keyctl calls: \"%s\"\n", calls);
	for (i = 0; i < nlogs; i++)
		fprintf(stderr, "  syslog <%d> %s\n", logs[i].prio, logs[i].text);
	fprintf(stderr, "  daemon requests: %d, session keyring %d, ids %u/%u/%u %u/%u/%u\n",
		requests(), session, ids.r, ids.e, ids.s, ids.rg, ids.eg, ids.sg);
}

static const char *calls_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *calls_fmt(const char *fmt, ...)
{
	static char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

#define SID1 "00000000000000000000000000000001"
#define SID2 "00000000000000000000000000000002"
#define NAME1 "keyinitd.11111111111111111111111111111111"
#define NAME2 "keyinitd.22222222222222222222222222222222"

/* The daemon made a user-owned keyring: its serial, and the CREATED reply is scripted. */
static key_serial_t daemon_creates(const char *sid, const char *name, int will_revoke)
{
	key_serial_t k = new_key(name, ALICE_UID, 0, 0);

	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_CREATED,
			      .session_id = sid, .keyring_name = name, .serial = k,
			      .will_revoke = will_revoke, .rule = "r" });
	return k;
}

static void daemon_decides(unsigned decision)
{
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = decision,
			      .will_revoke = -1, .rule = "r" });
}

static void daemon_closes(void)
{
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_REVOKED,
			      .will_revoke = -1 });
}

static void daemon_says(unsigned status, const char *message)
{
	expect((struct step){ .act = ACT_REPLY, .status = status, .message = message,
			      .will_revoke = -1 });
}

static void daemon_does(enum act act)
{
	expect((struct step){ .act = act, .will_revoke = -1 });
}

#define NO_DAEMON "socket=/nonexistent/keyinitd.sock"

/* ================================================================ tests: arguments */

static void test_unknown_and_bad_arguments(void)
{
	reset("unknown and bad arguments");
	state_none();
	daemon_decides(KID_D_SKIPPED);
	CHECK(open_s("socket=SOCK bogus timeout=0 on_error=sometimes socket=relative/path") == PAM_SUCCESS);
	CHECK(logged(LOG_ERR, "unknown option: bogus") == 1);
	CHECK(logged(LOG_ERR, "bad option value: timeout=0 (using 5000)") == 1);
	CHECK(logged(LOG_ERR, "unknown option: on_error=sometimes") == 1);
	CHECK(logged(LOG_ERR, "bad option value: socket=relative/path (not an absolute path)") == 1);
	CHECK(loud_lines() == 4);
	/* a bad socket= later on the line does not undo the good one: the daemon was asked */
	CHECK(requests() == 1);

	reset("timeout values");
	state_none();
	CHECK(open_s(NO_DAEMON " timeout=abc timeout=600001 timeout=5x timeout=-3 timeout=600000 on_error=ignore")
	      == PAM_IGNORE);
	CHECK(logged(LOG_ERR, "bad option value: timeout=abc (using 5000)") == 1);
	CHECK(logged(LOG_ERR, "bad option value: timeout=600001 (using 5000)") == 1);
	CHECK(logged(LOG_ERR, "bad option value: timeout=5x (using 5000)") == 1);
	CHECK(logged(LOG_ERR, "bad option value: timeout=-3 (using 5000)") == 1);
	CHECK(logged(LOG_ERR, "timeout=600000") == 0);
}

static void test_flags_reach_the_daemon(void)
{
	struct req r;

	reset("force revoke debug in MODULE_FLAGS");
	state_own();
	handle.rhost = "10.0.0.5";
	daemon_decides(KID_D_KEPT_EXISTING);
	CHECK(open_s("socket=SOCK force revoke debug") == PAM_SUCCESS);
	CHECK(requests() == 1);
	r = reqs[0];
	CHECK(r.op == KID_OP_OPEN);
	CHECK(!strcmp(r.user, "alice") && !strcmp(r.service, "login"));
	CHECK(r.uid == ALICE_UID && r.gid == ALICE_GID);
	CHECK(r.module_flags == (KID_MF_FORCE | KID_MF_REVOKE | KID_MF_DEBUG));
	CHECK(r.caller_keyring == KID_CK_OWN && r.has_session_keyring == 1);
	CHECK(r.has_deadline);
	CHECK(logged(LOG_DEBUG, "keyinitd decided KEPT_EXISTING (rule r)") == 1);
	CHECK(calls_are(""));	/* kept: nothing joined */

	reset("no flags, no debug lines");
	state_none();
	daemon_decides(KID_D_SKIPPED);
	CHECK(open_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(requests() == 1 && reqs[0].module_flags == 0);
	CHECK(reqs[0].caller_keyring == KID_CK_NONE && reqs[0].has_session_keyring == 0);
	CHECK(nlogs == 0);
}

static void test_a_bare_keyring_from_pam_keyinit_is_taken_over(void)
{
	key_serial_t bare, k;

	reset("pam_keyinit's fresh keyring: the daemon is told, and its keyring replaces it");
	bare = state_fresh();
	k = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 1);
	CHECK(reqs[0].caller_keyring == KID_CK_FRESH && reqs[0].has_session_keyring == 0);
	CHECK(session == k && k != bare);

	reset("a keyring of the user's with anything else in it is the user's own");
	state_own();
	daemon_decides(KID_D_KEPT_EXISTING);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(reqs[0].caller_keyring == KID_CK_OWN && reqs[0].has_session_keyring == 1);

	reset("daemon down: the fallback keeps pam_keyinit's keyring, as it would keep its own");
	bare = state_fresh();
	CHECK(open_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	CHECK(session == bare);
	CHECK(calls_are(""));
}

static void test_timeout_is_one_deadline(void)
{
	struct timespec t0, t1;
	double ms;

	reset("timeout=MS bounds a stalled daemon");
	state_none();
	daemon_does(ACT_STALL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(open_s("socket=SOCK timeout=150 on_error=fail") == PAM_SESSION_ERR);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK(ms >= 149 && ms < 150 + 2000);
	CHECK(logged(LOG_ERR, "keyinitd unavailable (timed out after 150 ms waiting for reply); "
		     "on_error=fail") == 1);
	CHECK(loud_lines() == 1);
	CHECK(ids_are(0, 0, 0, 0));
}

/* ================================================================ tests: the PAM user */

static void test_user_unknown(void)
{
	reset("unknown user");
	handle.user = "mallory";
	CHECK(open_s("socket=SOCK") == PAM_USER_UNKNOWN);
	CHECK(logged(LOG_ERR, "unable to look up user \"mallory\"") == 1);
	CHECK(requests() == 0 && calls_are(""));

	reset("pam_get_user fails");
	handle.user = NULL;
	handle.get_user_rc = PAM_SYSTEM_ERR;
	CHECK(open_s("socket=SOCK") == PAM_SYSTEM_ERR);
	CHECK(logged(LOG_ERR, "cannot determine the user: System error") == 1);

	reset("empty user");
	handle.user = "";
	CHECK(open_s("socket=SOCK") == PAM_USER_UNKNOWN);
	CHECK(requests() == 0);
}

/* ================================================================ tests: a daemon restarting */

static void set_marker(int on)
{
	if (on)
		close(open(marker_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	else
		unlink(marker_path);
}

static void test_restart_marker(void)
{
	key_serial_t k;
	int i;

	reset("restart marker: a connection dropped before any reply is tried again");
	state_none();
	set_marker(1);
	daemon_does(ACT_HANG_UP);
	k = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2);
	CHECK(session == k);
	CHECK(nlogs == 0);
	set_marker(0);

	reset("no marker: a dropped connection is not retried (fallback)");
	state_none();
	daemon_does(ACT_HANG_UP);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 1);
	CHECK(logged(LOG_WARNING, "daemon closed the connection without replying") == 1);

	reset("restart marker: waited for until the deadline, then said so");
	state_none();
	set_marker(1);
	for (i = 0; i < 12; i++)
		daemon_does(ACT_HANG_UP);
	CHECK(open_s("socket=SOCK timeout=100 revoke") == PAM_SUCCESS);
	CHECK(requests() >= 2);
	CHECK(logged(LOG_WARNING, "the daemon restarting did not answer within 100 ms") == 1);
	set_marker(0);
}

/* ================================================================ tests: the daemon's keyring */

static void test_created_joined_as_user_and_closed(void)
{
	key_serial_t k;

	reset("CREATED: joined as the user, closed through the daemon");
	state_none();
	k = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(session == k);
	CHECK(calls_are(calls_fmt("join(" NAME1 ")@%u=%d", ALICE_UID, k)));
	CHECK(ids_are(0, 0, 0, 0));
	CHECK(nlogs == 0);

	daemon_closes();
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2);
	CHECK(reqs[1].op == KID_OP_CLOSE && !strcmp(reqs[1].session_id, SID1));
	CHECK(reqs[1].has_serial && reqs[1].serial == k && !reqs[1].abort);
	CHECK(!revoked(k));	/* the daemon revokes, not the module */
	CHECK(nlogs == 0);

	/* a second close on the line has nothing left to close */
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2);
}

static void test_su_ids_are_restored(void)
{
	key_serial_t k;

	reset("su(1): ruid the invoking user, euid and suid root, restored exactly");
	ids = (struct fake_ids){ .r = 1500, .e = 0, .s = 0, .rg = 1500, .eg = 1500, .sg = 1500 };
	state_none();
	k = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(session == k);
	CHECK(ids.r == 1500 && ids.e == 0 && ids.s == 0);
	CHECK(ids.rg == 1500 && ids.eg == 1500 && ids.sg == 1500);
}

static void test_join_as_caller(void)
{
	key_serial_t k;

	reset("JOIN_AS_CALLER: a root-owned keyring joined with the caller's ids");
	state_none();
	k = new_key(NAME1, 0, 0, 0);
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_CREATED,
			      .session_id = SID1, .keyring_name = NAME1, .serial = k,
			      .will_revoke = 1, .join_as_caller = 1 });
	CHECK(open_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(calls_are(calls_fmt("join(" NAME1 ")@0=%d", k)));
	CHECK(session == k);
}

static void test_join_mismatch(void)
{
	key_serial_t k, fresh;

	reset("joined keyring is not the daemon's: revoked, aborted, and left for @us");
	state_none();
	/* the daemon says it made k under a name nothing answers to: the join makes a fresh one */
	k = new_key("keyinitd.somethingelse", ALICE_UID, 0, 0);
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_CREATED,
			      .session_id = SID1, .keyring_name = NAME1, .serial = k,
			      .will_revoke = 1 });
	daemon_closes();	/* the abort */
	CHECK(open_s("socket=SOCK on_error=fail") == PAM_SESSION_ERR);
	fresh = newest_named(NAME1);	/* the kernel's fresh keyring of that name */
	CHECK(revoked(fresh) && !revoked(k));
	CHECK(requests() == 2 && reqs[1].op == KID_OP_CLOSE && reqs[1].abort &&
	      !strcmp(reqs[1].session_id, SID1));
	CHECK(logged(LOG_ERR, calls_fmt("joined keyring %d by name " NAME1 ", but the daemon made %d",
					fresh, k)) == 1);
	/* not left on the dead keyring it joined: back on the user's own user-session keyring */
	CHECK(session == useses_of(ALICE_UID));
	CHECK(calls_are(calls_fmt("join(" NAME1 ")@%u=new:%d revoke(%d) join(_uid_ses.%u)@%u=%d",
				  ALICE_UID, fresh, fresh, ALICE_UID, ALICE_UID, useses_of(ALICE_UID))));
	CHECK(ids_are(0, 0, 0, 0));
}

static void test_created_without_fields(void)
{
	reset("CREATED without KEYRING_SERIAL: aborted, on_error applies");
	state_none();
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_CREATED,
			      .session_id = SID1, .keyring_name = NAME1, .will_revoke = 1 });
	daemon_closes();
	CHECK(open_s("socket=SOCK on_error=fail") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "CREATED reply without a valid KEYRING_SERIAL") == 1);
	CHECK(requests() == 2 && reqs[1].abort);
	CHECK(calls_are(""));

	reset("CREATED without SESSION_ID: nothing to abort");
	state_none();
	expect((struct step){ .act = ACT_REPLY, .status = KID_S_OK, .decision = KID_D_CREATED,
			      .keyring_name = NAME1, .serial = 5, .will_revoke = 1 });
	CHECK(open_s("socket=SOCK on_error=ignore") == PAM_IGNORE);
	CHECK(logged(LOG_ERR, "CREATED reply without a valid SESSION_ID); on_error=ignore") == 1);
	CHECK(requests() == 1);
}

/* ================================================================ tests: on_error at open */

static void test_on_error_at_open(void)
{
	key_serial_t k;

	reset("on_error=ignore at open: PAM_IGNORE, one line");
	state_none();
	CHECK(open_s(NO_DAEMON " on_error=ignore") == PAM_IGNORE);
	CHECK(logged(LOG_ERR, "keyinitd unavailable (socket /nonexistent/keyinitd.sock: "
		     "No such file or directory); on_error=ignore") == 1);
	CHECK(loud_lines() == 1 && calls_are(""));

	reset("on_error=fail at open: PAM_SESSION_ERR");
	state_none();
	daemon_says(KID_S_DENIED, "not for you");
	CHECK(open_s("socket=SOCK on_error=fail") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "keyinitd unavailable (daemon said: DENIED: not for you); on_error=fail") == 1);
	CHECK(calls_are(""));

	reset("on_error=fail in setcred: PAM_CRED_ERR");
	state_none();
	daemon_does(ACT_HANG_UP);
	CHECK(call(pam_sm_setcred, PAM_ESTABLISH_CRED, "socket=SOCK on_error=fail") == PAM_CRED_ERR);
	CHECK(logged(LOG_ERR, "daemon closed the connection without replying") == 1);

	reset("on_error=fallback (the default) at open, caller on @us: a new keyring");
	state_none();
	CHECK(open_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	k = session;
	CHECK(k != useses_of(ALICE_UID));
	CHECK(calls_are(calls_fmt("join()@%u=new:%d link(@u,@s)@%u", ALICE_UID, k, ALICE_UID)));
	CHECK(logged(LOG_WARNING, calls_fmt("keyinitd unavailable (socket /nonexistent/keyinitd.sock: "
					    "No such file or directory); fell back to in-process keyring %d",
					    k)) == 1);
	CHECK(loud_lines() == 1);
	CHECK(key_by_serial(k)->owner == ALICE_UID);
	CHECK(ids_are(0, 0, 0, 0));
	/* closed in-process, as the line asked */
	CHECK(close_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	CHECK(revoked(k));
	CHECK(logged(LOG_WARNING, calls_fmt("revoked keyring %d in-process", k)) == 1);

	reset("bad reply: on_error applies");
	state_none();
	daemon_decides(99);
	CHECK(open_s("socket=SOCK on_error=fail") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "unexpected decision 99 in OPEN reply") == 1);
}

static void test_fallback_link_and_join_failures(void)
{
	reset("fallback: the join fails");
	state_none();
	fail_join = EDQUOT;
	CHECK(open_s(NO_DAEMON) == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "in-process fallback cannot create a session keyring: Disk quota exceeded") == 1);
	CHECK(ids_are(0, 0, 0, 0));

	reset("fallback: the link fails");
	state_none();
	fail_link = EACCES;
	CHECK(open_s(NO_DAEMON " revoke") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, calls_fmt("in-process keyring %d: cannot link the user keyring: "
					"Permission denied", session)) == 1);
	/* what it made is still recorded: the close revokes it */
	CHECK(close_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	CHECK(revoked(session));

	reset("cannot switch to the user (setresuid fails): the call's error, ids as they were");
	state_none();
	fail_setuid = EAGAIN;
	CHECK(open_s(NO_DAEMON) == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "cannot switch to uid 1001 gid 1002 to look up the session keyring: "
		     "Resource temporarily unavailable") == 1);
	CHECK(requests() == 0 && calls_are(""));
	CHECK(ids_are(0, 0, 0, 0));
}

/* ================================================================ tests: fallback keep/replace */

static void test_fallback_keep_and_replace(void)
{
	key_serial_t before;

	reset("fallback, caller own, no force: kept");
	before = state_own();
	CHECK(open_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	CHECK(session == before && calls_are(""));
	CHECK(logged(LOG_WARNING, "fell back to in-process keyinit: kept the existing session keyring") == 1);
	CHECK(close_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	CHECK(!revoked(before));	/* not ours */

	reset("fallback, caller own, force: replaced");
	before = state_own();
	CHECK(open_s(NO_DAEMON " force revoke") == PAM_SUCCESS);
	CHECK(session != before);
	CHECK(calls_are(calls_fmt("join()@%u=new:%d link(@u,@s)@%u", ALICE_UID, session, ALICE_UID)));
	CHECK(close_s(NO_DAEMON " force revoke") == PAM_SUCCESS);
	CHECK(revoked(session) && !revoked(before));

	reset("fallback, caller foreign (root's), no force: replaced");
	before = state_foreign();
	CHECK(open_s(NO_DAEMON) == PAM_SUCCESS);
	CHECK(session != before && key_by_serial(session)->owner == ALICE_UID);
	CHECK(calls_are(calls_fmt("join()@%u=new:%d link(@u,@s)@%u", ALICE_UID, session, ALICE_UID)));
	CHECK(logged(LOG_WARNING, "fell back to in-process keyring") == 1);

	reset("fallback, caller dead, no force: replaced");
	before = state_dead();
	CHECK(open_s(NO_DAEMON) == PAM_SUCCESS);
	CHECK(session != before && !revoked(session));
	CHECK(calls_are(calls_fmt("join()@%u=new:%d link(@u,@s)@%u", ALICE_UID, session, ALICE_UID)));

	reset("fallback, caller none: a new keyring, not @us");
	before = state_none();
	CHECK(open_s(NO_DAEMON) == PAM_SUCCESS);
	CHECK(session != before);
	/* no revoke on the line: the close leaves it */
	CHECK(close_s(NO_DAEMON) == PAM_SUCCESS);
	CHECK(!revoked(session) && requests() == 0);
}

/* ================================================================ tests: leaving foreign/dead */

static void test_leave_foreign(void)
{
	key_serial_t before, us;

	reset("SKIPPED with a foreign keyring: the login is put on its own @us");
	before = state_foreign();
	daemon_decides(KID_D_SKIPPED);
	CHECK(open_s("socket=SOCK debug") == PAM_SUCCESS);
	us = useses_of(ALICE_UID);
	CHECK(session == us && session != before);
	CHECK(reqs[0].caller_keyring == KID_CK_FOREIGN && reqs[0].has_session_keyring == 0);
	CHECK(calls_are(calls_fmt("join(_uid_ses.%u)@%u=%d", ALICE_UID, ALICE_UID, us)));
	CHECK(logged(LOG_DEBUG, calls_fmt("left the foreign session keyring for the user-session keyring %d",
					  us)) == 1);
	CHECK(loud_lines() == 0);
	CHECK(ids_are(0, 0, 0, 0));
	/* nothing of ours to undo at close */
	CHECK(close_s("socket=SOCK debug") == PAM_SUCCESS);
	CHECK(requests() == 1 && !revoked(us));

	reset("on_error=ignore with a dead keyring: PAM_IGNORE, still left for @us");
	state_dead();
	CHECK(open_s(NO_DAEMON " on_error=ignore") == PAM_IGNORE);
	CHECK(session == useses_of(ALICE_UID));

	reset("on_error=fail with a foreign keyring: the error, still left for @us");
	state_foreign();
	CHECK(open_s(NO_DAEMON " on_error=fail") == PAM_SESSION_ERR);
	CHECK(session == useses_of(ALICE_UID));
	CHECK(key_by_serial(session)->owner == ALICE_UID);

	reset("KEPT_EXISTING for an own keyring: stays");
	before = state_own();
	daemon_decides(KID_D_KEPT_EXISTING);
	CHECK(open_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(session == before && calls_are(""));

	reset("leaving fails: the call's error, logged");
	state_foreign();
	daemon_decides(KID_D_SKIPPED);
	fail_join = ENOMEM;
	CHECK(open_s("socket=SOCK") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, "cannot leave the foreign session keyring: Cannot allocate memory") == 1);
	CHECK(ids_are(0, 0, 0, 0));
}

static void test_leave_foreign_planted(void)
{
	key_serial_t planted, joined;

	reset("a planted keyring answers to _uid_ses.N: a fresh keyring instead");
	/* someone published a keyring of the user-session keyring's name, searchable by all */
	planted = new_key("_uid_ses.1001", 0, 1, 0);
	state_foreign();
	daemon_decides(KID_D_SKIPPED);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	joined = session;
	CHECK(joined != planted && joined != useses_of(ALICE_UID));
	CHECK(key_by_serial(joined)->owner == ALICE_UID);
	CHECK(calls_are(calls_fmt("join(_uid_ses.%u)@%u=%d join()@%u=new:%d link(@u,@s)@%u",
				  ALICE_UID, ALICE_UID, planted, ALICE_UID, joined, ALICE_UID)));
	CHECK(logged(LOG_WARNING, calls_fmt("keyring %d answered to the name _uid_ses.1001 but is not the "
					    "user-session keyring %d; joined a fresh keyring %d instead",
					    planted, useses_of(ALICE_UID), joined)) == 1);
	CHECK(ids_are(0, 0, 0, 0));
	/* recorded as the line's own keyring: revoked in-process at close, as "revoke" says */
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(revoked(joined) && !revoked(planted));
	CHECK(requests() == 1);

	reset("planted, no revoke on the line: the fresh keyring is left at close");
	planted = new_key("_uid_ses.1001", 0, 1, 0);
	state_dead();
	CHECK(open_s(NO_DAEMON " on_error=ignore") == PAM_IGNORE);
	joined = session;
	CHECK(joined != planted && joined != useses_of(ALICE_UID));
	CHECK(close_s(NO_DAEMON " on_error=ignore") == PAM_SUCCESS);
	CHECK(!revoked(joined) && !revoked(planted));
}

/* ================================================================ tests: on_error at close */

static void open_created(const char *args, int will_revoke, key_serial_t *k)
{
	state_none();
	*k = daemon_creates(SID1, NAME1, will_revoke);
	CHECK(open_s(args) == PAM_SUCCESS);
	CHECK(session == *k);
}

static void test_on_error_at_close(void)
{
	key_serial_t k;

	reset("close, daemon gone, fallback with revoke: revoked in-process");
	open_created("socket=SOCK revoke", 1, &k);
	daemon_does(ACT_HANG_UP);
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(revoked(k));
	CHECK(logged(LOG_WARNING, calls_fmt("keyinitd unavailable (daemon closed the connection without "
					    "replying); revoked keyring %d in-process", k)) == 1);

	reset("close, daemon gone, fallback, already revoked: fine");
	open_created("socket=SOCK revoke", 1, &k);
	key_by_serial(k)->revoked = 1;
	daemon_says(KID_S_FAILED, "boom");
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(logged(LOG_WARNING, calls_fmt("keyinitd unavailable (daemon said: FAILED: boom); keyring %d "
					    "was already revoked or gone", k)) == 1);

	reset("close, fallback, the revoke fails: the error");
	open_created("socket=SOCK revoke", 1, &k);
	daemon_does(ACT_HANG_UP);
	fail_revoke = EACCES;
	CHECK(close_s("socket=SOCK revoke") == PAM_SESSION_ERR);
	CHECK(logged(LOG_ERR, calls_fmt("cannot revoke keyring %d in-process: Permission denied", k)) == 1);

	reset("close, fallback: the daemon's WILL_REVOKE=false wins over the line's revoke");
	open_created("socket=SOCK revoke", 0, &k);
	daemon_does(ACT_HANG_UP);
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(!revoked(k));
	CHECK(logged(LOG_WARNING, calls_fmt("left keyring %d alone (no revoke)", k)) == 1);

	reset("close, fallback: the daemon's WILL_REVOKE=true wins over a line without revoke");
	open_created("socket=SOCK", 1, &k);
	daemon_does(ACT_HANG_UP);
	CHECK(close_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(revoked(k));

	reset("close, fallback: no WILL_REVOKE, the line decides");
	open_created("socket=SOCK", -1, &k);
	daemon_does(ACT_HANG_UP);
	CHECK(close_s("socket=SOCK") == PAM_SUCCESS);
	CHECK(!revoked(k));

	reset("close, on_error=ignore: PAM_IGNORE, nothing revoked");
	open_created("socket=SOCK revoke on_error=ignore", 1, &k);
	daemon_says(KID_S_NOT_FOUND, "no such session");
	CHECK(close_s("socket=SOCK revoke on_error=ignore") == PAM_IGNORE);
	CHECK(!revoked(k));
	CHECK(logged(LOG_ERR, "keyinitd unavailable (daemon said: NOT_FOUND: no such session); "
		     "on_error=ignore") == 1);

	reset("close, on_error=fail: PAM_SESSION_ERR, nothing revoked");
	open_created("socket=SOCK revoke on_error=fail", 1, &k);
	daemon_does(ACT_HANG_UP);
	CHECK(close_s("socket=SOCK revoke on_error=fail") == PAM_SESSION_ERR);
	CHECK(!revoked(k));
	CHECK(logged(LOG_ERR, "on_error=fail") == 1);

	reset("setcred DELETE_CRED, on_error=fail: PAM_CRED_ERR");
	state_none();
	k = daemon_creates(SID1, NAME1, 1);
	CHECK(call(pam_sm_setcred, PAM_ESTABLISH_CRED, "socket=SOCK on_error=fail") == PAM_SUCCESS);
	daemon_does(ACT_HANG_UP);
	CHECK(call(pam_sm_setcred, PAM_DELETE_CRED, "socket=SOCK on_error=fail") == PAM_CRED_ERR);
	CHECK(call(pam_sm_setcred, PAM_REFRESH_CRED, "socket=SOCK on_error=fail") == PAM_SUCCESS);
	CHECK(requests() == 2);
}

static void test_close_without_open(void)
{
	reset("close without an open: nothing to do, no daemon call");
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 0 && nlogs == 0);
	CHECK(call(pam_sm_setcred, PAM_DELETE_CRED, "socket=SOCK") == PAM_SUCCESS);
	CHECK(requests() == 0);
	CHECK(call(pam_sm_authenticate, 0, "socket=SOCK") == PAM_IGNORE);
}

/* ================================================================ tests: stacks per line */

static void test_stacks_per_line(void)
{
	key_serial_t k1, k2;

	reset("two lines, different arguments: each close ends its own line's open");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	/* the second line runs inside the first's keyring: it nests, asking nobody */
	CHECK(open_s("socket=SOCK revoke debug") == PAM_SUCCESS);
	CHECK(requests() == 1);
	CHECK(logged(LOG_DEBUG, calls_fmt("session keyring %d was made by an earlier open of this handle",
					  k1)) == 1);
	/* Linux-PAM closes in the order of the opens: line 1 first, its own session */
	daemon_closes();
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2 && !strcmp(reqs[1].session_id, SID1));
	CHECK(close_s("socket=SOCK revoke debug") == PAM_SUCCESS);
	CHECK(requests() == 2);
	CHECK(logged(LOG_DEBUG, "close: nothing of ours to undo") == 1);

	reset("two opens on identical lines share a stack: closes pop the latest first");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK force revoke") == PAM_SUCCESS);
	/* a new handle-independent session keyring in between (another line's work, say) */
	session = new_key("_ses", ALICE_UID, 0, 0);
	k2 = daemon_creates(SID2, NAME2, 1);
	CHECK(open_s("socket=SOCK force revoke") == PAM_SUCCESS);
	CHECK(session == k2 && k1 != k2);
	daemon_closes();
	daemon_closes();
	CHECK(close_s("socket=SOCK force revoke") == PAM_SUCCESS);
	CHECK(close_s("socket=SOCK force revoke") == PAM_SUCCESS);
	CHECK(requests() == 4);
	CHECK(!strcmp(reqs[2].session_id, SID2) && reqs[2].serial == k2);
	CHECK(!strcmp(reqs[3].session_id, SID1) && reqs[3].serial == k1);

	reset("setcred and open_session are separate lines: each closes its own");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(call(pam_sm_setcred, PAM_ESTABLISH_CRED, "socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);	/* nests in the setcred keyring */
	CHECK(requests() == 1 && session == k1);
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 1);	/* the open made nothing: nothing to close */
	daemon_closes();
	CHECK(call(pam_sm_setcred, PAM_DELETE_CRED, "socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2 && !strcmp(reqs[1].session_id, SID1));

	reset("an open that failed still pushes an entry: its close does nothing");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(open_s(NO_DAEMON " on_error=fail") == PAM_SUCCESS);	/* nested: never asks */
	CHECK(open_s(NO_DAEMON " on_error=ignore") == PAM_SUCCESS);
	CHECK(close_s(NO_DAEMON " on_error=ignore") == PAM_SUCCESS);
	CHECK(close_s(NO_DAEMON " on_error=fail") == PAM_SUCCESS);
	CHECK(!revoked(k1));
	daemon_closes();
	CHECK(close_s("socket=SOCK revoke") == PAM_SUCCESS);
	CHECK(requests() == 2);
}

static void test_nesting_is_per_handle(void)
{
	key_serial_t k1, k2;

	reset("a keyring an earlier handle made is not nested in: each handle is one login");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	end_handle();	/* pam_end of the first login, whose process goes on */
	handle.user = "alice";
	handle.service = "login";
	/* k1 is now an own keyring of the user's: the daemon is asked, and its answer counts */
	k2 = daemon_creates(SID2, NAME2, 1);
	CHECK(open_s("socket=SOCK revoke force") == PAM_SUCCESS);
	CHECK(requests() == 2 && reqs[1].caller_keyring == KID_CK_OWN);
	CHECK(session == k2 && k1 != k2);

	reset("nested in a fallback keyring of an earlier line");
	state_none();
	CHECK(open_s(NO_DAEMON " revoke") == PAM_SUCCESS);
	k1 = session;
	CHECK(open_s("socket=SOCK revoke debug") == PAM_SUCCESS);
	CHECK(requests() == 0 && session == k1);
	CHECK(logged(LOG_DEBUG, calls_fmt("session keyring %d was made by an earlier open", k1)) == 1);

	reset("a dead keyring an earlier open made is not nested in");
	state_none();
	k1 = daemon_creates(SID1, NAME1, 1);
	CHECK(open_s("socket=SOCK revoke") == PAM_SUCCESS);
	key_by_serial(k1)->revoked = 1;	/* an admin revoked it */
	k2 = daemon_creates(SID2, NAME2, 1);
	CHECK(open_s("socket=SOCK revoke debug") == PAM_SUCCESS);
	CHECK(requests() == 2 && reqs[1].caller_keyring == KID_CK_DEAD);
	CHECK(session == k2);
}

/* ================================================================ tests: no keyrings (ENOSYS) */

static void test_enosys(void)
{
	reset("ENOSYS: success, nothing asked");
	k_enosys = 1;
	CHECK(open_s("socket=SOCK revoke debug on_error=fail") == PAM_SUCCESS);
	CHECK(requests() == 0 && calls_are(""));
	CHECK(logged(LOG_DEBUG, "no keyring support in the kernel") == 1);
	CHECK(loud_lines() == 0);
	CHECK(close_s("socket=SOCK revoke debug on_error=fail") == PAM_SUCCESS);
	CHECK(requests() == 0 && loud_lines() == 0);
	CHECK(ids_are(0, 0, 0, 0));

	reset("daemon says UNSUPPORTED: success");
	state_none();
	daemon_decides(KID_D_UNSUPPORTED);
	CHECK(open_s("socket=SOCK on_error=fail") == PAM_SUCCESS);
	CHECK(calls_are("") && loud_lines() == 0);

	reset("fallback join says ENOSYS: success");
	state_none();
	fail_join = ENOSYS;
	CHECK(open_s(NO_DAEMON) == PAM_SUCCESS);
	CHECK(loud_lines() == 0);
}

int main(void)
{
	start_daemon();
	test_unknown_and_bad_arguments();
	test_flags_reach_the_daemon();
	test_a_bare_keyring_from_pam_keyinit_is_taken_over();
	test_timeout_is_one_deadline();
	test_user_unknown();
	test_created_joined_as_user_and_closed();
	test_su_ids_are_restored();
	test_join_as_caller();
	test_join_mismatch();
	test_created_without_fields();
	test_on_error_at_open();
	test_fallback_link_and_join_failures();
	test_fallback_keep_and_replace();
	test_leave_foreign();
	test_leave_foreign_planted();
	test_on_error_at_close();
	test_restart_marker();
	test_close_without_open();
	test_stacks_per_line();
	test_nesting_is_per_handle();
	test_enosys();
	end_handle();
	stop_daemon();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
