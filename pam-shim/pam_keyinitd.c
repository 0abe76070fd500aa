/*
 * pam_keyinitd: give a login its session keyring through the keyinitd daemon.
 *
 * The daemon decides and creates the keyring; a session keyring can only be
 * installed by the thread that will use it, so this module joins it by the
 * unguessable name the daemon chose and checks the serial. When the daemon
 * cannot be used, on_error decides: do what pam_keyinit would (fallback),
 * PAM_IGNORE (ignore) or fail the call (fail).
 *
 * A keyring made in-process is recorded in the spool directory next to the
 * socket, so that the daemon learns of the login once it is back.
 *
 * Options: force revoke debug socket=PATH timeout=MS on_error=fallback|ignore|fail
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
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

#define PUBLIC __attribute__((visibility("default")))

#define DEFAULT_SOCKET		"/run/keyinitd/keyinitd.sock"
#define DEFAULT_TIMEOUT_MS	5000
#define MAX_TIMEOUT_MS		600000
#define RETRY_MS		20	/* a restarting daemon is asked again this often */
#define DATA_NAME		"pam_keyinitd"
#define REASON_LEN		1536	/* room for a 1024-byte MESSAGE */

enum on_error { ON_ERROR_FALLBACK, ON_ERROR_IGNORE, ON_ERROR_FAIL };

struct args {
	int force;
	int revoke;
	int debug;
	const char *socket;
	long timeout_ms;
	enum on_error on_error;
};

/*
 * One entry per open, popped by the matching close, so nested opens each
 * close their own session. An entry with an empty id and serial 0 stands for
 * an open that left nothing to undo (kept, skipped, or nested inside a
 * keyring an earlier open of this handle made); an empty id with a serial is
 * a keyring made in-process (the fallback).
 */
struct session {
	struct session *next;
	char id[KID_MAX_SESSION_ID + 1];
	key_serial_t serial;
	int revoke;
};

/*
 * The sessions of one module line. Linux-PAM runs the closes in the order of
 * the opens, so a module listed twice must keep a stack per line or the
 * first line's close would pop the second line's session. A line is known
 * by its PAM call family and its arguments: two lines with the same
 * arguments behave the same, so they may share a stack.
 */
struct instance {
	struct instance *next;
	struct session *top;
	char key[];
};

/* Everything the module keeps in one PAM handle. */
struct handle_state {
	struct instance *instances;
};

/* Everything one PAM call needs: its options, its deadline, its error code. */
struct call {
	pam_handle_t *pamh;
	struct args a;
	int64_t deadline_ns;	/* CLOCK_MONOTONIC */
	int err_code;		/* PAM_SESSION_ERR, or PAM_CRED_ERR for setcred */
	struct handle_state *hs;	/* every line's sessions in this handle */
	struct instance *inst;	/* this line's */
	int caller_keyring;	/* enum kid_caller_keyring, found at open */
	int must_leave;		/* @s is another uid's or dead: do not leave it so */
	struct kid_open_req req;	/* the OPEN to ask, once has_req */
	int has_req;
};

struct ids {
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
};

#define debug(c, ...) do { \
	if ((c)->a.debug) \
		pam_syslog((c)->pamh, LOG_DEBUG, __VA_ARGS__); \
} while (0)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void parse_args(struct call *c, int argc, const char **argv)
{
	int i;

	c->a.force = c->a.revoke = c->a.debug = 0;
	c->a.socket = DEFAULT_SOCKET;
	c->a.timeout_ms = DEFAULT_TIMEOUT_MS;
	c->a.on_error = ON_ERROR_FALLBACK;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "force")) {
			c->a.force = 1;
		} else if (!strcmp(arg, "revoke")) {
			c->a.revoke = 1;
		} else if (!strcmp(arg, "debug")) {
			c->a.debug = 1;
		} else if (!strncmp(arg, "socket=", 7)) {
			if (arg[7] == '/')
				c->a.socket = arg + 7;
			else
				pam_syslog(c->pamh, LOG_ERR,
					   "bad option value: %s (not an absolute path)", arg);
		} else if (!strncmp(arg, "timeout=", 8)) {
			char *end;
			long ms;

			errno = 0;
			ms = strtol(arg + 8, &end, 10);
			if (errno || end == arg + 8 || *end || ms < 1 || ms > MAX_TIMEOUT_MS)
				pam_syslog(c->pamh, LOG_ERR,
					   "bad option value: %s (using %d)", arg,
					   DEFAULT_TIMEOUT_MS);
			else
				c->a.timeout_ms = ms;
		} else if (!strcmp(arg, "on_error=fallback")) {
			c->a.on_error = ON_ERROR_FALLBACK;
		} else if (!strcmp(arg, "on_error=ignore")) {
			c->a.on_error = ON_ERROR_IGNORE;
		} else if (!strcmp(arg, "on_error=fail")) {
			c->a.on_error = ON_ERROR_FAIL;
		} else {
			pam_syslog(c->pamh, LOG_ERR, "unknown option: %s", arg);
		}
	}
}

static void start_call(struct call *c, pam_handle_t *pamh, int argc,
		       const char **argv, int err_code)
{
	memset(c, 0, sizeof(*c));
	c->pamh = pamh;
	c->err_code = err_code;
	parse_args(c, argc, argv);
	c->deadline_ns = now_ns() + (int64_t)c->a.timeout_ms * 1000000;
}

/* ---- transport ---- */

/* 1: fd ready, 0: deadline passed, -1: poll error (errno). */
static int wait_fd(const struct call *c, int fd, short events)
{
	for (;;) {
		int64_t left = c->deadline_ns - now_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return 0;
		/* round up so we never wake just before the deadline and spin */
		r = poll(&p, 1, (int)((left + 999999) / 1000000));
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Says in why what went wrong; returns -1 so that a failure reads "return reason(...)". */
static int reason(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reason(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, REASON_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

/* -2 when refused (nobody listens on the socket), else -1; why says it. */
static int connect_failed(const struct sockaddr_un *sa, char *why)
{
	int refused = errno == ECONNREFUSED;

	reason(why, "cannot connect to %s: %m", sa->sun_path);
	return refused ? -2 : -1;
}

/* 0 when connected; -2 when refused; -1 on any other failure (why says it). */
static int do_connect(const struct call *c, int fd, const struct sockaddr_un *sa,
		      char *why)
{
	for (;;) {
		int64_t left;
		int err = 0;
		socklen_t len = sizeof(err);

		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
		    errno == EISCONN)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/*
			 * The listen backlog is full; a non-blocking AF_UNIX
			 * connect does not queue, so retry until the deadline.
			 */
			left = c->deadline_ns - now_ns();
			if (left <= 0)
				return reason(why, "timed out after %ld ms connecting to %s (backlog full)",
				     c->a.timeout_ms, sa->sun_path);
			poll(NULL, 0, left > 10000000 ? 10 : (int)((left + 999999) / 1000000));
			continue;
		}
		if (errno != EINPROGRESS && errno != EALREADY)
			return connect_failed(sa, why);
		switch (wait_fd(c, fd, POLLOUT)) {
		case 0:
			return reason(why, "timed out after %ld ms connecting to %s",
			     c->a.timeout_ms, sa->sun_path);
		case -1:
			return reason(why, "poll: %m");
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return reason(why, "getsockopt SO_ERROR: %m");
		if (err) {
			errno = err;
			return connect_failed(sa, why);
		}
		break;
	}
	return 0;
}

static int send_all(const struct call *c, int fd, const uint8_t *p, size_t n,
		    char *why)
{
	while (n > 0) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN) {
			int gone = errno == EPIPE || errno == ECONNRESET;

			reason(why, "cannot send request: %m");
			return gone ? -2 : -1;
		}
		switch (wait_fd(c, fd, POLLOUT)) {
		case 0:
			return reason(why, "timed out after %ld ms sending request", c->a.timeout_ms);
		case -1:
			return reason(why, "poll: %m");
		}
	}
	return 0;
}

static int recv_all(const struct call *c, int fd, uint8_t *p, size_t n,
		    char *why)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0) {
			reason(why, "daemon closed the connection %s",
			       got ? "in the middle of a reply" : "without replying");
			return got ? -1 : -2;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			int gone = errno == ECONNRESET && !got;

			reason(why, "cannot read reply: %m");
			return gone ? -2 : -1;
		}
		switch (wait_fd(c, fd, POLLIN)) {
		case 0:
			return reason(why, "timed out after %ld ms waiting for reply", c->a.timeout_ms);
		case -1:
			return reason(why, "poll: %m");
		}
	}
	return 0;
}

/*
 * lstat, not stat: a symlink could point anywhere. SO_PEERCRED after the
 * connect is the real check; this one gives a clear message for a
 * misconfiguration.
 */
static int check_socket_path(const struct call *c, struct sockaddr_un *sa, char *why)
{
	struct stat st;

	if (strlen(c->a.socket) >= sizeof(sa->sun_path))
		return reason(why, "socket path %s is too long", c->a.socket);
	strcpy(sa->sun_path, c->a.socket);
	if (lstat(c->a.socket, &st) < 0)
		return reason(why, "socket %s: %m", c->a.socket);
	if (S_ISLNK(st.st_mode))
		return reason(why, "socket %s is a symlink", c->a.socket);
	if (!S_ISSOCK(st.st_mode))
		return reason(why, "%s is not a socket", c->a.socket);
	if (st.st_uid != 0)
		return reason(why, "socket %s is owned by uid %u, not root", c->a.socket,
			      (unsigned)st.st_uid);
	return 0;
}

/*
 * Connected, to a server that SO_PEERCRED says is root: the fd; -2 when the
 * socket refused the connection (no process listens on it); else -1.
 */
static int connect_daemon(const struct call *c, char *why)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred peer;
	socklen_t len = sizeof(peer);
	int fd, rc;

	if (check_socket_path(c, &sa, why) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return reason(why, "socket: %m");
	rc = do_connect(c, fd, &sa, why);
	if (rc < 0)
		;	/* why says it */
	else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
		rc = reason(why, "getsockopt SO_PEERCRED: %m");
	else if (peer.uid != 0)
		rc = reason(why, "server uid %u is not root", (unsigned)peer.uid);
	else
		return fd;
	close(fd);
	return rc;
}

/* "NAME" next to the socket, in buf. */
static void beside_socket(const struct call *c, const char *name, char *buf, size_t cap)
{
	const char *slash = strrchr(c->a.socket, '/');

	snprintf(buf, cap, "%.*s/%s", (int)(slash - c->a.socket), c->a.socket, name);
}

/*
 * keyinitd-jsvc restart has made its root-owned marker next to the socket:
 * the daemon is between two processes (docs/packaging.md, "Restarts under
 * jsvc"). Only then is a refused socket, or a connection dropped before any
 * reply (one still in the old daemon's backlog), waited out: without it, a
 * daemon that died is not waited for, and the login falls back at once.
 */
static int restart_pending(const struct call *c)
{
	char path[PATH_MAX];
	struct stat st;

	beside_socket(c, "restarting", path, sizeof(path));
	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0;
}

/*
 * Send one request to the daemon and decode its reply. Any reply that
 * decodes is returned as 0, whatever its status; -1 means no usable reply
 * and why says what went wrong; -2 the same, from a daemon that was not
 * there to answer (the socket refused, or dropped the connection before any
 * reply byte), which kid_call may try again.
 */
static int kid_exchange(const struct call *c, const uint8_t *req, size_t req_len,
		    uint8_t op, struct kid_reply *rep, char *why)
{
	uint8_t buf[KID_MAX_FRAME];
	uint32_t body_len;
	int fd, rc = -1, err;

	fd = connect_daemon(c, why);
	if (fd < 0)
		return fd;
	if ((rc = send_all(c, fd, req, req_len, why)) < 0 ||
	    (rc = recv_all(c, fd, buf, KID_HDR_LEN, why)) < 0)
		;	/* why says it */
	else if ((err = kid_check_header(buf, KID_HDR_LEN, op, NULL, &body_len)) != KID_OK)
		rc = reason(why, "bad reply header: %s", kid_strerror(err));
	else if (recv_all(c, fd, buf + KID_HDR_LEN, body_len, why) < 0)
		rc = -1;	/* half a reply: never retried */
	else if ((err = kid_decode_reply(buf, KID_HDR_LEN + body_len, op, rep)) != KID_OK)
		rc = reason(why, "bad reply: %s: %s", kid_tag_name(rep->err_tag), kid_strerror(err));
	else
		rc = 0;
	close(fd);
	return rc;
}

/*
 * One request and its reply, or -1 (why says it). A daemon between two
 * processes (restart_pending) is waited for until the deadline: a refused
 * socket, or a connection it dropped before any reply, is tried again.
 */
static int kid_call(const struct call *c, const uint8_t *req, size_t req_len,
		    uint8_t op, struct kid_reply *rep, char *why)
{
	for (;;) {
		int rc = kid_exchange(c, req, req_len, op, rep, why);
		int64_t left = c->deadline_ns - now_ns();

		if (rc != -2 || !restart_pending(c))
			return rc < 0 ? -1 : 0;
		/* no new attempt without time left for its answer */
		if (left <= 2 * RETRY_MS * 1000000) {
			size_t n = strlen(why);

			snprintf(why + n, REASON_LEN - n, " (the daemon restarting did not answer within %ld ms)",
				 c->a.timeout_ms);
			return -1;
		}
		poll(NULL, 0, RETRY_MS);
	}
}


/* "daemon said: DENIED: <message>" for a reply whose status is not OK */
static void status_reason(const struct kid_reply *rep, char *why)
{
	const char *name = kid_status_name(rep->status);

	if (name)
		snprintf(why, REASON_LEN, "daemon said: %s: %s", name, rep->message);
	else
		snprintf(why, REASON_LEN, "daemon said: status %u: %s",
			 (unsigned)rep->status, rep->message);
}

/* ---- credentials ---- */

/*
 * Raw syscalls, not the glibc wrappers: those change the ids of every thread
 * of the application, while keyctl only looks at the calling thread's.
 */
static int set_uids(long r, long e)
{
	return (int)syscall(SYS_setresuid, r, e, -1L);
}

static int set_gids(long r, long e)
{
	return (int)syscall(SYS_setresgid, r, e, -1L);
}

static int get_ids(struct ids *ids)
{
	if (getresuid(&ids->ruid, &ids->euid, &ids->suid) < 0 ||
	    getresgid(&ids->rgid, &ids->egid, &ids->sgid) < 0)
		return -1;
	return 0;
}

/* Put the ids back exactly as saved; 0 when verified, else -1 (logged LOG_CRIT). */
static int restore_ids(const struct call *c, const struct ids *saved)
{
	struct ids now;

	memset(&now, 0xff, sizeof(now));	/* shows as 4294967295 if unreadable */
	/* The saved set-user-id is untouched, so euid may always return to it
	 * first; that restores the privilege needed to set ruid back (su(1):
	 * ruid is the invoking user, euid and suid root). */
	set_uids(-1, (long)saved->suid);
	set_uids((long)saved->ruid, (long)saved->euid);
	set_gids((long)saved->rgid, (long)saved->egid);

	if (get_ids(&now) == 0 &&
	    now.ruid == saved->ruid && now.euid == saved->euid && now.suid == saved->suid &&
	    now.rgid == saved->rgid && now.egid == saved->egid && now.sgid == saved->sgid)
		return 0;
	pam_syslog(c->pamh, LOG_CRIT,
		   "cannot restore credentials: uids %u/%u/%u gids %u/%u/%u, "
		   "expected uids %u/%u/%u gids %u/%u/%u",
		   now.ruid, now.euid, now.suid, now.rgid, now.egid, now.sgid,
		   saved->ruid, saved->euid, saved->suid,
		   saved->rgid, saved->egid, saved->sgid);
	return -1;
}

/*
 * Switch the calling thread's real and effective ids to the user: the real
 * uid selects @u, the effective (fs) ids decide keyring permissions and who
 * owns a new keyring. Returns 0 when switched, -1 when not switched (errno
 * set, ids unchanged), -2 when the ids could not be restored (logged).
 */
static int become_user(const struct call *c, const struct passwd *pw, struct ids *saved)
{
	int err;

	if (get_ids(saved) < 0)
		return -1;
	if (set_gids((long)pw->pw_gid, (long)pw->pw_gid) < 0)
		return -1;
	if (set_uids((long)pw->pw_uid, (long)pw->pw_uid) == 0)
		return 0;
	err = errno;
	if (restore_ids(c, saved) < 0)
		return -2;
	errno = err;
	return -1;
}

/* ---- sessions kept in the PAM handle ---- */

static void cleanup_state(pam_handle_t *pamh, void *data, int error_status)
{
	struct handle_state *hs = data;

	(void)pamh;
	(void)error_status;
	while (hs->instances) {
		struct instance *in = hs->instances;

		hs->instances = in->next;
		while (in->top) {
			struct session *s = in->top;

			in->top = s->next;
			free(s);
		}
		free(in);
	}
	free(hs);
}

/* This line's key: the PAM call family and the arguments, separated by '\n'. */
static size_t line_key(char *buf, size_t cap, const char *family, int argc, const char **argv)
{
	size_t n = (size_t)snprintf(buf, cap, "%s", family);
	int i;

	for (i = 0; i < argc; i++)
		n += (size_t)snprintf(buf && n < cap ? buf + n : NULL, n < cap ? cap - n : 0,
				      "\n%s", argv[i]);
	return n;
}

/*
 * Finds this line's session stack in the handle (made when create is set).
 * 0, or -1 when out of memory (logged).
 */
static int find_instance(struct call *c, const char *family, int argc, const char **argv,
			 int create)
{
	const void *data = NULL;
	struct instance *in;
	size_t len = line_key(NULL, 0, family, argc, argv);

	if (pam_get_data(c->pamh, DATA_NAME, &data) == PAM_SUCCESS && data) {
		c->hs = (struct handle_state *)data;
	} else if (create) {
		c->hs = calloc(1, sizeof(*c->hs));
		if (!c->hs || pam_set_data(c->pamh, DATA_NAME, c->hs, cleanup_state) != PAM_SUCCESS) {
			free(c->hs);
			c->hs = NULL;
			pam_syslog(c->pamh, LOG_CRIT, "out of memory");
			return -1;
		}
	} else {
		return 0;
	}
	for (in = c->hs->instances; in; in = in->next) {
		char key[len + 1];

		line_key(key, sizeof(key), family, argc, argv);
		if (!strcmp(in->key, key)) {
			c->inst = in;
			return 0;
		}
	}
	if (!create)
		return 0;
	in = calloc(1, sizeof(*in) + len + 1);
	if (!in) {
		pam_syslog(c->pamh, LOG_CRIT, "out of memory");
		return -1;
	}
	line_key(in->key, len + 1, family, argc, argv);
	in->next = c->hs->instances;
	c->hs->instances = in;
	c->inst = in;
	return 0;
}

/* Did an earlier open through this handle, on any line, make this keyring? */
static int made_here(const struct call *c, key_serial_t ses)
{
	const struct instance *in;
	const struct session *s;

	for (in = c->hs ? c->hs->instances : NULL; in; in = in->next)
		for (s = in->top; s; s = s->next)
			if (s->serial > 0 && s->serial == ses)
				return 1;
	return 0;
}

/* ---- the caller's session keyring ---- */

static const char *caller_keyring_name(int state)
{
	switch (state) {
	case KID_CK_NONE:	return "none";
	case KID_CK_OWN:	return "own";
	case KID_CK_FOREIGN:	return "foreign";
	case KID_CK_DEAD:	return "dead";
	case KID_CK_FRESH:	return "fresh";
	default:		return "?";
	}
}

/* The owner uid in "type;uid;gid;perm;description", or -1 if unreadable. */
static long keyring_owner(key_serial_t key)
{
	char *desc = NULL;
	unsigned long uid;
	long owner = -1;

	if (keyctl_describe_alloc(key, &desc) >= 0 && sscanf(desc, "%*[^;];%lu;", &uid) == 1)
		owner = (long)uid;
	free(desc);
	return owner;
}

/*
 * A bare session keyring: named "_ses" (what a join without a name makes) and
 * holding exactly the user keyring. That is what pam_keyinit earlier in the
 * stack leaves (Debian's sshd, login, su-l, runuser-l): the module takes it
 * over with a daemon keyring, as if it had replaced pam_keyinit's line. Nothing
 * is lost: it holds no key, and the new keyring links the user keyring too.
 */
static int is_bare(key_serial_t ses, key_serial_t user_keyring)
{
	char *desc = NULL;
	void *links = NULL;
	const char *name;
	int bare = 0;
	long n;

	if (keyctl_describe_alloc(ses, &desc) < 0)
		return 0;
	name = strrchr(desc, ';');
	if (name && !strcmp(name + 1, "_ses")) {
		n = keyctl_read_alloc(ses, &links);
		bare = n == (long)sizeof(key_serial_t) && *(key_serial_t *)links == user_keyring;
	}
	free(links);
	free(desc);
	return bare;
}

/*
 * What the calling process's session keyring is, seen as the user's: with
 * the real uid switched, a process that has none gets the user's own
 * user-session keyring installed by this look-up, never root's (the kernel
 * installs the real uid's). *ses is its serial (0 when dead). PAM_SUCCESS,
 * PAM_IGNORE when the kernel has no keyrings, or the call's error code
 * (logged).
 */
static int probe_caller(struct call *c, const struct passwd *pw, key_serial_t *ses)
{
	struct ids saved;
	key_serial_t useses, user_keyring;
	int err = 0, r;
	long owner;

	r = become_user(c, pw, &saved);
	if (r == -2)
		return c->err_code;
	if (r < 0 && geteuid() == 0) {
		pam_syslog(c->pamh, LOG_ERR,
			   "cannot switch to uid %u gid %u to look up the session keyring: %m",
			   (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		return c->err_code;
	}
	/* An unprivileged caller for another user cannot switch: it looks with
	 * its own ids (it only has its own keyrings), and the daemon refuses it. */
	*ses = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
	if (*ses < 0)
		err = errno;
	useses = keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 1);
	if (useses < 0 && !err)
		err = errno;
	user_keyring = keyctl_get_keyring_ID(KEY_SPEC_USER_KEYRING, 1);
	if (r == 0 && restore_ids(c, &saved) < 0)
		return c->err_code;

	if (err == ENOSYS) {
		debug(c, "no keyring support in the kernel");
		return PAM_IGNORE;
	}
	if (*ses < 0 && (err == EKEYREVOKED || err == EKEYEXPIRED || err == ENOKEY)) {
		/* as pam_keyinit force would: a dead keyring counts as none */
		*ses = 0;
		c->caller_keyring = KID_CK_DEAD;
	} else if (err) {
		errno = err;
		pam_syslog(c->pamh, LOG_ERR, "cannot look up the session keyring: %m");
		return c->err_code;
	} else if (*ses == useses) {
		c->caller_keyring = KID_CK_NONE;
	} else {
		/* possessed, so viewable; unreadable counts as another uid's */
		owner = keyring_owner(*ses);
		c->caller_keyring = owner != (long)pw->pw_uid ? KID_CK_FOREIGN
				  : is_bare(*ses, user_keyring) ? KID_CK_FRESH : KID_CK_OWN;
	}
	c->must_leave = c->caller_keyring == KID_CK_FOREIGN || c->caller_keyring == KID_CK_DEAD;
	debug(c, "session keyring %d is %s (user-session keyring %d)", *ses,
	      caller_keyring_name(c->caller_keyring), useses);
	return PAM_SUCCESS;
}

/*
 * Where no new keyring is made, a login must still not go on with another
 * uid's keyring or a dead one: put the process on the user's own
 * user-session keyring. That is joined by name, and anyone may publish a
 * keyring of that name, so the serial is checked; if another keyring
 * answered, a fresh keyring of the user's own takes its place (recorded in
 * entry, to be revoked at close as the line says).
 */
static int leave_foreign(const struct call *c, const struct passwd *pw, struct session *entry)
{
	char name[32];
	struct ids saved;
	key_serial_t useses, joined, planted = 0;
	int err = 0, r;

	snprintf(name, sizeof(name), "_uid_ses.%u", (unsigned)pw->pw_uid);
	r = become_user(c, pw, &saved);
	if (r == -2)
		return c->err_code;
	if (r < 0) {
		pam_syslog(c->pamh, LOG_ERR, "cannot switch to uid %u gid %u to leave a %s "
			   "session keyring: %m", (unsigned)pw->pw_uid, (unsigned)pw->pw_gid,
			   caller_keyring_name(c->caller_keyring));
		return c->err_code;
	}
	useses = keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 1);
	joined = useses < 0 ? -1 : keyctl_join_session_keyring(name);
	if (joined >= 0 && joined != useses) {
		planted = joined;
		joined = keyctl_join_session_keyring(NULL);
		if (joined >= 0 && keyctl_link(KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING) < 0)
			err = errno;
	}
	if (joined < 0)
		err = errno;
	if (restore_ids(c, &saved) < 0)
		return c->err_code;

	if (joined < 0 || err) {
		errno = err;
		pam_syslog(c->pamh, LOG_ERR, "cannot leave the %s session keyring: %m",
			   caller_keyring_name(c->caller_keyring));
		return c->err_code;
	}
	if (planted) {
		pam_syslog(c->pamh, LOG_WARNING, "keyring %d answered to the name %s but is not "
			   "the user-session keyring %d; joined a fresh keyring %d instead",
			   planted, name, useses, joined);
		entry->serial = joined;
		entry->revoke = c->a.revoke;
	} else {
		debug(c, "left the %s session keyring for the user-session keyring %d",
		      caller_keyring_name(c->caller_keyring), joined);
	}
	return PAM_SUCCESS;
}

/* ---- open ---- */

static void send_abort(const struct call *c, const char *session_id)
{
	struct kid_close_req req = { .session_id = session_id, .abort = 1 };
	uint8_t buf[KID_MAX_FRAME];
	struct kid_reply rep;
	char why[REASON_LEN];
	int n;

	n = kid_build_close(buf, sizeof(buf), &req, NULL);
	if (n < 0)
		snprintf(why, sizeof(why), "cannot encode CLOSE: %s", kid_strerror(n));
	else if (kid_call(c, buf, (size_t)n, KID_OP_CLOSE, &rep, why) < 0)
		;	/* why says it */
	else if (rep.status == KID_S_OK)
		return;
	else
		status_reason(&rep, why);
	pam_syslog(c->pamh, LOG_ERR, "cannot abort keyinitd session %s: %s",
		   session_id, why);
}

/* ---- fallback records ---- */

/*
 * This process's start time (/proc/self/stat field 22): with the pid, it
 * names the process, so the daemon never takes a later process that reuses
 * the pid for it. 0 when unreadable.
 */
static uint64_t self_start_time(void)
{
	char buf[1024], *p;
	unsigned long long start;
	ssize_t n;
	int fd, i;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* the command name (field 2) may hold spaces and parentheses */
	p = strrchr(buf, ')');
	for (i = 2; p && i < 22; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	return (uint64_t)start;
}

/*
 * The spool directory, "fallback" next to the socket, made if missing. Only
 * root may write there: the daemon believes what it finds in it. The fd, or
 * -1 (why says it).
 */
static int open_spool(const struct call *c, char *why)
{
	char dir[PATH_MAX];
	struct stat st;
	int fd;

	if (geteuid() != 0)
		return reason(why, "not running as root");
	beside_socket(c, "fallback", dir, sizeof(dir));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return reason(why, "cannot make %s: %m", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return reason(why, "cannot open %s: %m", dir);
	if (fstat(fd, &st) < 0) {
		reason(why, "cannot stat %s: %m", dir);
	} else if (st.st_uid != 0 || (st.st_mode & 077)) {
		reason(why, "%s is not root's alone (owner uid %u, mode %04o)", dir,
		       (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* At most max bytes of s into out, never cutting a UTF-8 sequence. */
static void utf8_prefix(char *out, size_t max, const char *s)
{
	size_t n = strlen(s);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Writes the whole frame as NAME in the spool, through a temporary file. 0 or -1. */
static int spool_write(int dfd, const char *name, const uint8_t *p, size_t n, char *why)
{
	char tmp[64];
	int fd, ok;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return reason(why, "cannot create %s: %m", tmp);
	ok = 1;
	while (ok && n > 0) {
		ssize_t w = write(fd, p, n);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else {
			reason(why, "cannot write %s: %m", tmp);
			ok = 0;
		}
	}
	if (close(fd) < 0 && ok) {
		reason(why, "cannot write %s: %m", tmp);
		ok = 0;
	}
	if (ok && renameat(dfd, tmp, dfd, name) < 0) {
		reason(why, "cannot rename %s to %s: %m", tmp, name);
		ok = 0;
	}
	if (!ok)
		unlinkat(dfd, tmp, 0);
	return ok ? 0 : -1;
}

/*
 * Tell the daemon, for when it is back, of a keyring made in-process: the
 * OPEN it could not be asked, the keyring, the process and why. 0 when
 * recorded; -1 when not (why says why; the login goes on regardless).
 */
static int record_fallback(const struct call *c, key_serial_t serial, const char *cause,
			   char *why)
{
	struct kid_fallback_rec rec;
	struct timespec now;
	uint8_t buf[KID_MAX_FRAME];
	char short_cause[KID_MAX_REASON + 1], name[32];
	uint16_t bad_tag = 0;
	int n, dfd, rc;

	if (!c->has_req)
		return reason(why, "no OPEN was built");
	clock_gettime(CLOCK_REALTIME, &now);
	utf8_prefix(short_cause, KID_MAX_REASON, cause);
	rec = (struct kid_fallback_rec){
		.open = c->req,
		.keyring_serial = serial,
		.pid = (uint32_t)getpid(),
		.pid_start = self_start_time(),
		.made_at_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000,
		.reason = short_cause,
	};
	rec.open.deadline_ns = 0;
	n = kid_build_fallback(buf, sizeof(buf), &rec, &bad_tag);
	if (n < 0)
		return reason(why, "cannot encode: %s: %s", kid_tag_name(bad_tag), kid_strerror(n));
	dfd = open_spool(c, why);
	if (dfd < 0)
		return -1;
	snprintf(name, sizeof(name), "%d-%u", serial, rec.pid);
	rc = spool_write(dfd, name, buf, (size_t)n, why);
	close(dfd);
	if (rc == 0)
		debug(c, "recorded fallback keyring %d for keyinitd as %s", serial, name);
	return rc;
}

/*
 * What pam_keyinit does: unless the process has a session keyring of its
 * own already (and no force), join a new one as the user and link @u into
 * it. Another uid's keyring, or a dead one, is replaced even without force.
 */
static int fallback_open(struct call *c, const struct passwd *pw, const char *cause,
			 struct session *entry)
{
	char why[REASON_LEN];
	struct ids saved;
	key_serial_t serial;
	int err = 0, link_err = 0, r;

	if ((c->caller_keyring == KID_CK_OWN || c->caller_keyring == KID_CK_FRESH) &&
	    !c->must_leave && !c->a.force) {
		pam_syslog(c->pamh, LOG_WARNING,
			   "keyinitd unavailable (%s); fell back to in-process keyinit: "
			   "kept the existing session keyring", cause);
		return PAM_SUCCESS;
	}

	r = become_user(c, pw, &saved);
	if (r == -2)
		return c->err_code;
	if (r < 0) {
		pam_syslog(c->pamh, LOG_ERR,
			   "keyinitd unavailable (%s); in-process fallback cannot "
			   "switch to uid %u gid %u: %m", cause,
			   (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		return c->err_code;
	}
	serial = keyctl_join_session_keyring(NULL);
	if (serial < 0)
		err = errno;
	else if (keyctl_link(KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING) < 0)
		link_err = errno;
	if (restore_ids(c, &saved) < 0)
		return c->err_code;

	if (serial < 0) {
		if (err == ENOSYS)
			return PAM_SUCCESS;
		errno = err;
		pam_syslog(c->pamh, LOG_ERR,
			   "keyinitd unavailable (%s); in-process fallback cannot "
			   "create a session keyring: %m", cause);
		return c->err_code;
	}
	c->must_leave = 0;
	entry->id[0] = '\0';
	entry->serial = serial;
	entry->revoke = c->a.revoke;
	if (link_err) {
		errno = link_err;
		pam_syslog(c->pamh, LOG_ERR,
			   "keyinitd unavailable (%s); in-process keyring %d: "
			   "cannot link the user keyring: %m", cause, serial);
		return c->err_code;
	}
	if (record_fallback(c, serial, cause, why) == 0)
		pam_syslog(c->pamh, LOG_WARNING,
			   "keyinitd unavailable (%s); fell back to in-process keyring %d",
			   cause, serial);
	else
		pam_syslog(c->pamh, LOG_WARNING,
			   "keyinitd unavailable (%s); fell back to in-process keyring %d; "
			   "not recorded for keyinitd: %s", cause, serial, why);
	return PAM_SUCCESS;
}

static int open_error(struct call *c, const struct passwd *pw, const char *cause,
		      struct session *entry)
{
	switch (c->a.on_error) {
	case ON_ERROR_IGNORE:
		pam_syslog(c->pamh, LOG_ERR, "keyinitd unavailable (%s); on_error=ignore",
			   cause);
		return PAM_IGNORE;
	case ON_ERROR_FAIL:
		pam_syslog(c->pamh, LOG_ERR, "keyinitd unavailable (%s); on_error=fail",
			   cause);
		return c->err_code;
	default:
		return fallback_open(c, pw, cause, entry);
	}
}

/*
 * The daemon made keyring rep->keyring_name for us: join it as the user or,
 * when the reply says JOIN_AS_CALLER (a keyring owned by root, for a root
 * caller), with the caller's own ids, as its owner.
 */
static int join_daemon_keyring(struct call *c, const struct passwd *pw,
			       const struct kid_reply *rep, struct session *entry)
{
	char why[REASON_LEN];
	struct ids saved;
	key_serial_t joined;
	int as_caller = rep->join_as_caller;	/* absent: decoded as 0 */
	int err = 0, r;

	if (!as_caller) {
		r = become_user(c, pw, &saved);
		if (r == -2)
			return c->err_code;
		if (r < 0) {
			snprintf(why, sizeof(why), "cannot switch to uid %u gid %u: %m",
				 (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
			send_abort(c, rep->session_id);
			return open_error(c, pw, why, entry);
		}
	}
	joined = keyctl_join_session_keyring(rep->keyring_name);
	if (joined < 0)
		err = errno;
	if (!as_caller && restore_ids(c, &saved) < 0)
		return c->err_code;

	if (joined < 0) {
		errno = err;
		snprintf(why, sizeof(why), "cannot join keyring %s%s: %m", rep->keyring_name,
			 as_caller ? " as caller" : "");
		send_abort(c, rep->session_id);
		return open_error(c, pw, why, entry);
	}
	if (joined != rep->keyring_serial) {
		/*
		 * Nothing matched the name, so the kernel made us a fresh
		 * keyring of that name (or someone else's keyring answered to
		 * it). Either way it is not the daemon's: kill it, and do not
		 * leave the process on it.
		 */
		snprintf(why, sizeof(why),
			 "joined keyring %d by name %s, but the daemon made %d",
			 joined, rep->keyring_name, rep->keyring_serial);
		if (keyctl_revoke(joined) < 0)
			pam_syslog(c->pamh, LOG_ERR, "cannot revoke keyring %d: %m", joined);
		send_abort(c, rep->session_id);
		c->caller_keyring = KID_CK_DEAD;
		c->must_leave = 1;
		return open_error(c, pw, why, entry);
	}

	c->must_leave = 0;
	strcpy(entry->id, rep->session_id);
	entry->serial = joined;
	/* the daemon's policy has the last word on revoking; the fallback at
	 * close only stands in for it */
	entry->revoke = KID_HAS(rep, KID_F_WILL_REVOKE) ? rep->will_revoke : c->a.revoke;
	debug(c, "joined keyring %d%s, session %s, rule %s, will_revoke=%d",
	      joined, as_caller ? " as caller" : "", entry->id, rep->rule, entry->revoke);
	return PAM_SUCCESS;
}

static const char *item(pam_handle_t *pamh, int type)
{
	const void *v = NULL;

	return pam_get_item(pamh, type, &v) == PAM_SUCCESS ? v : NULL;
}

/* A CREATED reply must carry what the join needs; NULL, or the missing field. */
static const char *created_lacks(const struct kid_reply *rep)
{
	if (!KID_HAS(rep, KID_F_SESSION_ID) || !rep->session_id[0])
		return "SESSION_ID";
	if (!KID_HAS(rep, KID_F_KEYRING_NAME) || !rep->keyring_name[0])
		return "KEYRING_NAME";
	if (!KID_HAS(rep, KID_F_KEYRING_SERIAL) || rep->keyring_serial <= 0)
		return "KEYRING_SERIAL";
	return NULL;
}

/* Ask the daemon, then act on its answer (or on on_error). */
static int ask_daemon(struct call *c, const char *user, const struct passwd *pw,
		      struct session *entry)
{
	pam_handle_t *pamh = c->pamh;
	uint8_t buf[KID_MAX_FRAME];
	char why[REASON_LEN];
	struct kid_reply rep;
	const char *service = item(pamh, PAM_SERVICE), *lacks;
	uint16_t bad_tag = 0;
	int n;

	c->req = (struct kid_open_req){
		.service = service ? service : "",
		.user = user,
		.uid = pw->pw_uid,
		.gid = pw->pw_gid,
		.tty = item(pamh, PAM_TTY),
		.rhost = item(pamh, PAM_RHOST),
		.ruser = item(pamh, PAM_RUSER),
		.module_flags = (c->a.force ? KID_MF_FORCE : 0) |
				(c->a.revoke ? KID_MF_REVOKE : 0) |
				(c->a.debug ? KID_MF_DEBUG : 0),
		.has_session_keyring = c->caller_keyring == KID_CK_OWN,
		.caller_keyring = (uint32_t)c->caller_keyring,
		/* the daemon does not act on a request this module has given up on */
		.deadline_ns = (uint64_t)c->deadline_ns,
	};
	c->has_req = 1;
	n = kid_build_open(buf, sizeof(buf), &c->req, &bad_tag);
	if (n < 0) {
		snprintf(why, sizeof(why), "cannot encode OPEN: %s: %s",
			 kid_tag_name(bad_tag), kid_strerror(n));
		return open_error(c, pw, why, entry);
	}
	if (kid_call(c, buf, (size_t)n, KID_OP_OPEN, &rep, why) < 0)
		return open_error(c, pw, why, entry);
	if (rep.status != KID_S_OK) {
		status_reason(&rep, why);
		return open_error(c, pw, why, entry);
	}

	switch (rep.decision) {
	case KID_D_CREATED:
		/* present and usable: an empty id would later look like a fallback keyring */
		lacks = created_lacks(&rep);
		if (lacks) {
			snprintf(why, sizeof(why), "CREATED reply without a valid %s", lacks);
			if (KID_HAS(&rep, KID_F_SESSION_ID) && rep.session_id[0])
				send_abort(c, rep.session_id);
			return open_error(c, pw, why, entry);
		}
		return join_daemon_keyring(c, pw, &rep, entry);
	case KID_D_KEPT_EXISTING:
	case KID_D_SKIPPED:
	case KID_D_UNSUPPORTED:
		debug(c, "keyinitd decided %s (rule %s)",
		      kid_decision_name(rep.decision), rep.rule);
		return PAM_SUCCESS;
	default:
		snprintf(why, sizeof(why), "unexpected decision %u in OPEN reply",
			 (unsigned)rep.decision);
		return open_error(c, pw, why, entry);
	}
}

static int open_keyring(struct call *c, struct session *entry)
{
	pam_handle_t *pamh = c->pamh;
	const struct passwd *pw;
	const char *user = NULL;
	key_serial_t ses = 0;
	int ret, left;

	ret = pam_get_user(pamh, &user, NULL);
	if (ret != PAM_SUCCESS || !user || !*user) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user: %s",
			   pam_strerror(pamh, ret));
		return ret == PAM_SUCCESS ? PAM_USER_UNKNOWN : ret;
	}
	pw = pam_modutil_getpwnam(pamh, user);
	if (!pw) {
		pam_syslog(pamh, LOG_ERR, "unable to look up user \"%s\"", user);
		return PAM_USER_UNKNOWN;
	}

	ret = probe_caller(c, pw, &ses);
	if (ret == PAM_IGNORE)
		return PAM_SUCCESS;	/* no keyrings in this kernel: as pam_keyinit */
	if (ret != PAM_SUCCESS)
		return ret;
	if (c->caller_keyring != KID_CK_DEAD && made_here(c, ses)) {
		/* As pam_keyinit: one keyring per handle, whichever line or call
		 * (setcred, open_session) comes first; the later ones nest in it. */
		debug(c, "session keyring %d was made by an earlier open of this handle", ses);
		return PAM_SUCCESS;
	}

	ret = ask_daemon(c, user, pw, entry);
	if (c->must_leave && entry->serial <= 0) {
		left = leave_foreign(c, pw, entry);
		if (left != PAM_SUCCESS)
			return left;
	}
	return ret;
}

static int do_open(pam_handle_t *pamh, int argc, const char **argv, int err_code,
		   const char *family)
{
	struct session *entry;
	struct call c;
	int ret;

	start_call(&c, pamh, argc, argv, err_code);
	if (find_instance(&c, family, argc, argv, 1) < 0)
		return PAM_BUF_ERR;
	entry = calloc(1, sizeof(*entry));
	if (!entry) {
		pam_syslog(pamh, LOG_CRIT, "out of memory");
		return PAM_BUF_ERR;
	}
	ret = open_keyring(&c, entry);
	/* pushed whatever happened, so each close pops the entry of its own open */
	entry->next = c.inst->top;
	c.inst->top = entry;
	return ret;
}

/* ---- close ---- */

static int revoke_local(const struct call *c, const struct session *s, const char *cause)
{
	const char *sep = cause ? "; " : "";

	if (!cause)
		cause = "";
	if (keyctl_revoke(s->serial) == 0) {
		pam_syslog(c->pamh, LOG_WARNING, "%s%srevoked keyring %d in-process",
			   cause, sep, s->serial);
		return PAM_SUCCESS;
	}
	if (errno == EKEYREVOKED || errno == ENOKEY) {
		pam_syslog(c->pamh, LOG_WARNING, "%s%skeyring %d was already revoked or gone",
			   cause, sep, s->serial);
		return PAM_SUCCESS;
	}
	/* we can only revoke what this thread still possesses */
	pam_syslog(c->pamh, LOG_ERR, "%s%scannot revoke keyring %d in-process: %m",
		   cause, sep, s->serial);
	return c->err_code;
}

static int close_error(const struct call *c, const struct session *s, const char *why)
{
	char cause[REASON_LEN + 64];

	snprintf(cause, sizeof(cause), "keyinitd unavailable (%s)", why);
	switch (c->a.on_error) {
	case ON_ERROR_IGNORE:
		pam_syslog(c->pamh, LOG_ERR, "%s; on_error=ignore", cause);
		return PAM_IGNORE;
	case ON_ERROR_FAIL:
		pam_syslog(c->pamh, LOG_ERR, "%s; on_error=fail", cause);
		return c->err_code;
	default:
		if (s->revoke)
			return revoke_local(c, s, cause);
		pam_syslog(c->pamh, LOG_WARNING, "%s; left keyring %d alone (no revoke)",
			   cause, s->serial);
		return PAM_SUCCESS;
	}
}

static int close_keyring(const struct call *c, const struct session *s)
{
	struct kid_close_req req = {
		.session_id = s->id,
		.has_serial = 1,
		.keyring_serial = s->serial,
	};
	uint8_t buf[KID_MAX_FRAME];
	char why[REASON_LEN];
	struct kid_reply rep;
	uint16_t bad_tag = 0;
	int n;

	if (!s->id[0]) {
		if (s->serial <= 0 || !s->revoke) {
			debug(c, "close: nothing of ours to undo");
			return PAM_SUCCESS;
		}
		return revoke_local(c, s, NULL);	/* a keyring made in-process */
	}

	n = kid_build_close(buf, sizeof(buf), &req, &bad_tag);
	if (n < 0) {
		snprintf(why, sizeof(why), "cannot encode CLOSE: %s: %s",
			 kid_tag_name(bad_tag), kid_strerror(n));
		return close_error(c, s, why);
	}
	if (kid_call(c, buf, (size_t)n, KID_OP_CLOSE, &rep, why) < 0)
		return close_error(c, s, why);
	if (rep.status != KID_S_OK) {
		status_reason(&rep, why);
		return close_error(c, s, why);
	}
	debug(c, "closed session %s, keyring %d: %s", s->id, s->serial,
	      kid_decision_name(rep.decision) ? kid_decision_name(rep.decision) : "?");
	return PAM_SUCCESS;
}

static int do_close(pam_handle_t *pamh, int argc, const char **argv, int err_code,
		    const char *family)
{
	struct session *s;
	struct call c;
	int ret;

	start_call(&c, pamh, argc, argv, err_code);
	if (find_instance(&c, family, argc, argv, 0) < 0 || !c.inst || !c.inst->top) {
		debug(&c, "close: no session opened by this line");
		return PAM_SUCCESS;
	}
	s = c.inst->top;
	c.inst->top = s->next;
	ret = close_keyring(&c, s);
	free(s);
	return ret;
}

/* ---- PAM entry points ---- */

PUBLIC PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return do_open(pamh, argc, argv, PAM_SESSION_ERR, "session");
}

PUBLIC PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return do_close(pamh, argc, argv, PAM_SESSION_ERR, "session");
}

/* As pam_keyinit: listed in an auth stack only for the sake of setcred. */
PUBLIC PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh; (void)flags; (void)argc; (void)argv;
	return PAM_IGNORE;
}

/*
 * As pam_keyinit: pam_krb5 with KEYRING:session ccaches needs the keyring at
 * setcred time, before open_session.
 */
PUBLIC PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	if (flags & PAM_ESTABLISH_CRED)
		return do_open(pamh, argc, argv, PAM_CRED_ERR, "cred");
	if (flags & PAM_DELETE_CRED)
		return do_close(pamh, argc, argv, PAM_CRED_ERR, "cred");
	return PAM_SUCCESS;
}
