/*
 * pam_keyinitd: give a login its session keyring through the keyinitd daemon.
 *
 * The daemon decides and creates the keyring; a session keyring can only be
 * installed by the thread that will use it, so this module joins it by the
 * unguessable name the daemon chose and checks the serial. When the daemon
 * cannot be used, on_error decides: do what pam_keyinit would (fallback),
 * PAM_IGNORE (ignore) or fail the call (fail).
 *
 * Options: force revoke debug socket=PATH timeout=MS on_error=fallback|ignore|fail
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
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
#define DEFAULT_TIMEOUT_MS	1000
#define MAX_TIMEOUT_MS		600000
#define DATA_NAME		"pam_keyinitd_sessions"
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
 * an open that left nothing to undo; an empty id with a serial is a keyring
 * made in-process by the fallback.
 */
struct session {
	struct session *next;
	char id[KID_MAX_SESSION_ID + 1];
	key_serial_t serial;
	int revoke;
};

struct stack {
	struct session *top;
};

/* Everything one PAM call needs: its options, its deadline, its error code. */
struct call {
	pam_handle_t *pamh;
	struct args a;
	int64_t deadline_ns;	/* CLOCK_MONOTONIC */
	int err_code;		/* PAM_SESSION_ERR, or PAM_CRED_ERR for setcred */
	struct stack *stack;	/* sessions opened so far through this handle */
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
	c->pamh = pamh;
	c->stack = NULL;
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

#define FAIL(...) do { snprintf(why, REASON_LEN, __VA_ARGS__); goto out; } while (0)

static int do_connect(const struct call *c, int fd, const struct sockaddr_un *sa,
		      char *why)
{
	int rc = -1;

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
				FAIL("timed out after %ld ms connecting to %s (backlog full)",
				     c->a.timeout_ms, sa->sun_path);
			poll(NULL, 0, left > 10000000 ? 10 : (int)((left + 999999) / 1000000));
			continue;
		}
		if (errno != EINPROGRESS && errno != EALREADY)
			FAIL("cannot connect to %s: %m", sa->sun_path);
		switch (wait_fd(c, fd, POLLOUT)) {
		case 0:
			FAIL("timed out after %ld ms connecting to %s",
			     c->a.timeout_ms, sa->sun_path);
		case -1:
			FAIL("poll: %m");
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			FAIL("getsockopt SO_ERROR: %m");
		if (err) {
			errno = err;
			FAIL("cannot connect to %s: %m", sa->sun_path);
		}
		break;
	}
	rc = 0;
out:
	return rc;
}

static int send_all(const struct call *c, int fd, const uint8_t *p, size_t n,
		    char *why)
{
	int rc = -1;

	while (n > 0) {
		ssize_t r = send(fd, p, n, MSG_NOSIGNAL);

		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno != EAGAIN)
			FAIL("cannot send request: %m");
		switch (wait_fd(c, fd, POLLOUT)) {
		case 0:
			FAIL("timed out after %ld ms sending request", c->a.timeout_ms);
		case -1:
			FAIL("poll: %m");
		}
	}
	rc = 0;
out:
	return rc;
}

static int recv_all(const struct call *c, int fd, uint8_t *p, size_t n,
		    char *why)
{
	int rc = -1;
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, p + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			FAIL("daemon closed the connection %s",
			     got ? "in the middle of a reply" : "without replying");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			FAIL("cannot read reply: %m");
		switch (wait_fd(c, fd, POLLIN)) {
		case 0:
			FAIL("timed out after %ld ms waiting for reply", c->a.timeout_ms);
		case -1:
			FAIL("poll: %m");
		}
	}
	rc = 0;
out:
	return rc;
}

/*
 * Send one request to the daemon and decode its reply. Any reply that
 * decodes is returned as 0, whatever its status; -1 means no usable reply
 * and why says what went wrong.
 */
static int kid_call(const struct call *c, const uint8_t *req, size_t req_len,
		    uint8_t op, struct kid_reply *rep, char *why)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t buf[KID_MAX_FRAME];
	struct ucred peer;
	socklen_t len = sizeof(peer);
	uint32_t body_len;
	struct stat st;
	int fd = -1, rc = -1, err;

	if (strlen(c->a.socket) >= sizeof(sa.sun_path))
		FAIL("socket path %s is too long", c->a.socket);
	strcpy(sa.sun_path, c->a.socket);

	/* lstat, not stat: a symlink could point anywhere. SO_PEERCRED below is
	 * the real check; this one gives a clear message for a misconfiguration. */
	if (lstat(c->a.socket, &st) < 0)
		FAIL("socket %s: %m", c->a.socket);
	if (S_ISLNK(st.st_mode))
		FAIL("socket %s is a symlink", c->a.socket);
	if (!S_ISSOCK(st.st_mode))
		FAIL("%s is not a socket", c->a.socket);
	if (st.st_uid != 0)
		FAIL("socket %s is owned by uid %u, not root", c->a.socket,
		     (unsigned)st.st_uid);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		FAIL("socket: %m");
	if (do_connect(c, fd, &sa, why) < 0)
		goto out;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
		FAIL("getsockopt SO_PEERCRED: %m");
	if (peer.uid != 0)
		FAIL("server uid %u is not root", (unsigned)peer.uid);

	if (send_all(c, fd, req, req_len, why) < 0 ||
	    recv_all(c, fd, buf, KID_HDR_LEN, why) < 0)
		goto out;
	err = kid_check_header(buf, KID_HDR_LEN, op, NULL, &body_len);
	if (err != KID_OK)
		FAIL("bad reply header: %s", kid_strerror(err));
	if (recv_all(c, fd, buf + KID_HDR_LEN, body_len, why) < 0)
		goto out;
	err = kid_decode_reply(buf, KID_HDR_LEN + body_len, op, rep);
	if (err != KID_OK)
		FAIL("bad reply: %s: %s", kid_tag_name(rep->err_tag), kid_strerror(err));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

#undef FAIL

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

/* ---- session stack in PAM data ---- */

static void cleanup_stack(pam_handle_t *pamh, void *data, int error_status)
{
	struct stack *st = data;

	(void)pamh;
	(void)error_status;
	while (st->top) {
		struct session *s = st->top;

		st->top = s->next;
		free(s);
	}
	free(st);
}

static struct stack *get_stack(pam_handle_t *pamh, int create)
{
	const void *data = NULL;
	struct stack *st;

	if (pam_get_data(pamh, DATA_NAME, &data) == PAM_SUCCESS && data)
		return (struct stack *)data;
	if (!create)
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	if (pam_set_data(pamh, DATA_NAME, st, cleanup_stack) != PAM_SUCCESS) {
		free(st);
		return NULL;
	}
	return st;
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

/* Is the current session keyring one that an earlier open through this handle made? */
static int made_here(const struct call *c)
{
	key_serial_t ses = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
	const struct session *s;

	for (s = c->stack ? c->stack->top : NULL; s; s = s->next)
		if (s->serial > 0 && s->serial == ses)
			return 1;
	return 0;
}

/*
 * What pam_keyinit does: unless the process has a session keyring of its
 * own already (and no force), join a new one as the user and link @u into it.
 * "replace" is set when this module itself just put a keyring on @s that must
 * not stay there.
 */
static int fallback_open(const struct call *c, const struct passwd *pw,
			 int has_session_keyring, int replace, const char *reason,
			 struct session *entry)
{
	struct ids saved;
	key_serial_t serial;
	int err = 0, link_err = 0, r;

	if (has_session_keyring && !c->a.force && !replace) {
		pam_syslog(c->pamh, LOG_WARNING,
			   "keyinitd unavailable (%s); fell back to in-process keyinit: "
			   "kept the existing session keyring", reason);
		return PAM_SUCCESS;
	}
	if (has_session_keyring && !replace && made_here(c)) {
		/* As pam_keyinit: a second open through the same handle keeps
		 * the keyring the first one made. Replacing it would also make
		 * the first keyring unreachable, so its close could not revoke it. */
		pam_syslog(c->pamh, LOG_WARNING,
			   "keyinitd unavailable (%s); fell back to in-process keyinit: "
			   "kept the session keyring made by an earlier open", reason);
		return PAM_SUCCESS;
	}

	r = become_user(c, pw, &saved);
	if (r == -2)
		return c->err_code;
	if (r < 0) {
		pam_syslog(c->pamh, LOG_ERR,
			   "keyinitd unavailable (%s); in-process fallback cannot "
			   "switch to uid %u gid %u: %m", reason,
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
			   "create a session keyring: %m", reason);
		return c->err_code;
	}
	entry->id[0] = '\0';
	entry->serial = serial;
	entry->revoke = c->a.revoke;
	if (link_err) {
		errno = link_err;
		pam_syslog(c->pamh, LOG_ERR,
			   "keyinitd unavailable (%s); in-process keyring %d: "
			   "cannot link the user keyring: %m", reason, serial);
		return c->err_code;
	}
	pam_syslog(c->pamh, LOG_WARNING,
		   "keyinitd unavailable (%s); fell back to in-process keyring %d",
		   reason, serial);
	return PAM_SUCCESS;
}

static int open_error(const struct call *c, const struct passwd *pw,
		      int has_session_keyring, int replace, const char *reason,
		      struct session *entry)
{
	switch (c->a.on_error) {
	case ON_ERROR_IGNORE:
		pam_syslog(c->pamh, LOG_ERR, "keyinitd unavailable (%s); on_error=ignore",
			   reason);
		return PAM_IGNORE;
	case ON_ERROR_FAIL:
		pam_syslog(c->pamh, LOG_ERR, "keyinitd unavailable (%s); on_error=fail",
			   reason);
		return c->err_code;
	default:
		return fallback_open(c, pw, has_session_keyring, replace, reason, entry);
	}
}

/*
 * The daemon made keyring rep->keyring_name for us: join it as the user or,
 * when the reply says JOIN_AS_CALLER (a keyring owned by root, for a root
 * caller), with the caller's own ids, as its owner.
 */
static int join_daemon_keyring(const struct call *c, const struct passwd *pw,
			       int has_session_keyring, const struct kid_reply *rep,
			       struct session *entry)
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
			return open_error(c, pw, has_session_keyring, 0, why, entry);
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
		return open_error(c, pw, has_session_keyring, 0, why, entry);
	}
	if (joined != rep->keyring_serial) {
		/*
		 * Nothing matched the name, so the kernel made us a fresh
		 * keyring of that name (or someone else's keyring answered to
		 * it). Either way it is not the daemon's: kill it, and do not
		 * leave it on @s.
		 */
		snprintf(why, sizeof(why),
			 "joined keyring %d by name %s, but the daemon made %d",
			 joined, rep->keyring_name, rep->keyring_serial);
		if (keyctl_revoke(joined) < 0)
			pam_syslog(c->pamh, LOG_ERR, "cannot revoke keyring %d: %m", joined);
		send_abort(c, rep->session_id);
		return open_error(c, pw, has_session_keyring, 1, why, entry);
	}

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

static int open_keyring(const struct call *c, struct session *entry)
{
	pam_handle_t *pamh = c->pamh;
	uint8_t buf[KID_MAX_FRAME];
	char why[REASON_LEN];
	struct kid_open_req req;
	struct kid_reply rep;
	const struct passwd *pw;
	const char *user = NULL, *service;
	key_serial_t ses, useses;
	uint16_t bad_tag = 0;
	int has, n, ret;

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

	/*
	 * Asked with the caller's own ids: @s equal to the caller's @us means
	 * "no session keyring of its own". (pam_keyinit asks after switching
	 * the real uid, so a root caller on root's @us counts as having one
	 * and the user would inherit root's keyrings.)
	 */
	ses = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
	useses = ses < 0 ? ses : keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 0);
	if (ses < 0 || useses < 0) {
		if (errno == ENOSYS) {
			debug(c, "no keyring support in the kernel");
			return PAM_SUCCESS;
		}
		pam_syslog(pamh, LOG_ERR, "cannot look up the session keyring: %m");
		return c->err_code;
	}
	has = ses != useses;

	service = item(pamh, PAM_SERVICE);
	req = (struct kid_open_req){
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
		.has_session_keyring = has,
	};
	debug(c, "OPEN user %s uid %u, session keyring %d, user-session keyring %d",
	      user, (unsigned)pw->pw_uid, ses, useses);

	n = kid_build_open(buf, sizeof(buf), &req, &bad_tag);
	if (n < 0) {
		snprintf(why, sizeof(why), "cannot encode OPEN: %s: %s",
			 kid_tag_name(bad_tag), kid_strerror(n));
		return open_error(c, pw, has, 0, why, entry);
	}
	if (kid_call(c, buf, (size_t)n, KID_OP_OPEN, &rep, why) < 0)
		return open_error(c, pw, has, 0, why, entry);
	if (rep.status != KID_S_OK) {
		status_reason(&rep, why);
		return open_error(c, pw, has, 0, why, entry);
	}

	switch (rep.decision) {
	case KID_D_CREATED:
		/* present and usable: an empty id would later look like a fallback keyring */
		if (!KID_HAS(&rep, KID_F_SESSION_ID) || !rep.session_id[0] ||
		    !KID_HAS(&rep, KID_F_KEYRING_NAME) || !rep.keyring_name[0] ||
		    !KID_HAS(&rep, KID_F_KEYRING_SERIAL) || rep.keyring_serial <= 0) {
			snprintf(why, sizeof(why), "CREATED reply without a valid %s",
				 !KID_HAS(&rep, KID_F_SESSION_ID) || !rep.session_id[0] ? "SESSION_ID" :
				 !KID_HAS(&rep, KID_F_KEYRING_NAME) || !rep.keyring_name[0] ? "KEYRING_NAME" :
				 "KEYRING_SERIAL");
			if (KID_HAS(&rep, KID_F_SESSION_ID) && rep.session_id[0])
				send_abort(c, rep.session_id);
			return open_error(c, pw, has, 0, why, entry);
		}
		return join_daemon_keyring(c, pw, has, &rep, entry);
	case KID_D_KEPT_EXISTING:
	case KID_D_SKIPPED:
	case KID_D_UNSUPPORTED:
		debug(c, "keyinitd decided %s (rule %s)",
		      kid_decision_name(rep.decision), rep.rule);
		return PAM_SUCCESS;
	default:
		snprintf(why, sizeof(why), "unexpected decision %u in OPEN reply",
			 (unsigned)rep.decision);
		return open_error(c, pw, has, 0, why, entry);
	}
}

static int do_open(pam_handle_t *pamh, int argc, const char **argv, int err_code)
{
	struct session *entry;
	struct stack *st;
	struct call c;
	int ret;

	start_call(&c, pamh, argc, argv, err_code);
	c.stack = st = get_stack(pamh, 1);
	entry = calloc(1, sizeof(*entry));
	if (!st || !entry) {
		free(entry);
		pam_syslog(pamh, LOG_CRIT, "out of memory");
		return PAM_BUF_ERR;
	}
	ret = open_keyring(&c, entry);
	/* pushed whatever happened, so each close pops the entry of its own open */
	entry->next = st->top;
	st->top = entry;
	return ret;
}

/* ---- close ---- */

static int revoke_local(const struct call *c, const struct session *s, const char *reason)
{
	const char *sep = reason ? "; " : "";

	if (!reason)
		reason = "";
	if (keyctl_revoke(s->serial) == 0) {
		pam_syslog(c->pamh, LOG_WARNING, "%s%srevoked keyring %d in-process",
			   reason, sep, s->serial);
		return PAM_SUCCESS;
	}
	if (errno == EKEYREVOKED || errno == ENOKEY) {
		pam_syslog(c->pamh, LOG_WARNING, "%s%skeyring %d was already revoked or gone",
			   reason, sep, s->serial);
		return PAM_SUCCESS;
	}
	/* we can only revoke what this thread still possesses */
	pam_syslog(c->pamh, LOG_ERR, "%s%scannot revoke keyring %d in-process: %m",
		   reason, sep, s->serial);
	return c->err_code;
}

static int close_error(const struct call *c, const struct session *s, const char *why)
{
	char reason[REASON_LEN + 64];

	snprintf(reason, sizeof(reason), "keyinitd unavailable (%s)", why);
	switch (c->a.on_error) {
	case ON_ERROR_IGNORE:
		pam_syslog(c->pamh, LOG_ERR, "%s; on_error=ignore", reason);
		return PAM_IGNORE;
	case ON_ERROR_FAIL:
		pam_syslog(c->pamh, LOG_ERR, "%s; on_error=fail", reason);
		return c->err_code;
	default:
		if (s->revoke)
			return revoke_local(c, s, reason);
		pam_syslog(c->pamh, LOG_WARNING, "%s; left keyring %d alone (no revoke)",
			   reason, s->serial);
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
		return revoke_local(c, s, NULL);	/* the fallback's keyring */
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

static int do_close(pam_handle_t *pamh, int argc, const char **argv, int err_code)
{
	struct stack *st;
	struct session *s;
	struct call c;
	int ret;

	start_call(&c, pamh, argc, argv, err_code);
	st = get_stack(pamh, 0);
	if (!st || !st->top) {
		debug(&c, "close: no session opened by this module");
		return PAM_SUCCESS;
	}
	s = st->top;
	st->top = s->next;
	ret = close_keyring(&c, s);
	free(s);
	return ret;
}

/* ---- PAM entry points ---- */

PUBLIC PAM_EXTERN int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return do_open(pamh, argc, argv, PAM_SESSION_ERR);
}

PUBLIC PAM_EXTERN int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	return do_close(pamh, argc, argv, PAM_SESSION_ERR);
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
		return do_open(pamh, argc, argv, PAM_CRED_ERR);
	if (flags & PAM_DELETE_CRED)
		return do_close(pamh, argc, argv, PAM_CRED_ERR);
	return PAM_SUCCESS;
}
