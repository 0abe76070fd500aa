/*
 * pam_harness: drive a PAM session stack the way a login program would and
 * report what happened to the session keyring, one key=value per line.
 * Used by the integration tests; see usage() for the interface.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/wait.h>

#include <keyutils.h>

#include <security/pam_appl.h>
#include "user_session.h"

/* enough nested sessions to fill a user's 200-key quota several times */
#define MAX_NESTED 1000

#define MAX_GROUPS 1024

struct creds {
	uid_t r, e, s;
	gid_t rg, eg, sg;
	int ngroups;
	gid_t groups[MAX_GROUPS];
};

static void usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "pam_harness: %s\n", msg);
	fprintf(stderr,
		"usage: pam_harness --confdir DIR --service NAME --user USER\n"
		"         [--tty TTY] [--rhost HOST] [--ruser RUSER] [--as-user NAME]\n"
		"         [--session-state STATE] [--setcred | --setcred-and-open]\n"
		"         [--exec CMD] [--exec-root CMD] [--then CMD] [--detach CMD]\n"
		"         [--nested N] [--no-close]\n"
		"         [--hold-seconds S] [--wait-stdin]\n"
		"       pam_harness --confdir DIR --service NAME --user USER --repeat N\n"
		"         [--tty TTY] [--rhost HOST] [--ruser RUSER] [--as-user NAME]\n"
		"         [--session-state STATE]\n"
		"STATE, the session keyring the process has when PAM starts:\n"
		"  none         the user's user-session keyring (no session keyring of its own)\n"
		"  own          a fresh session keyring owned by the user (a nested login)\n"
		"  root         a root-owned keyring with root's user keyring linked (what a\n"
		"               root login through pam_keyinit leaves)\n"
		"  root-useses  root's user-session keyring _uid_ses.0\n"
		"  revoked      a keyring of the user's that has been revoked\n"
		"  inherit      whatever the harness inherited\n"
		"--exec runs CMD as the user in the session after the opens; --exec-root runs it\n"
		"as the harness's own user (a nested login program); --then runs CMD as the user\n"
		"after --wait-stdin's line or --hold-seconds, before the closes.\n"
		"--nested N opens N sessions, each through its own PAM handle (N logins in\n"
		"one process), and closes them in reverse order.\n");
	exit(2);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int get_creds(struct creds *c)
{
	memset(c, 0, sizeof(*c));
	if (getresuid(&c->r, &c->e, &c->s) < 0 || getresgid(&c->rg, &c->eg, &c->sg) < 0)
		return -1;
	c->ngroups = getgroups(MAX_GROUPS, c->groups);
	return c->ngroups < 0 ? -1 : 0;
}

static int same_creds(const struct creds *a, const struct creds *b)
{
	return a->r == b->r && a->e == b->e && a->s == b->s &&
	       a->rg == b->rg && a->eg == b->eg && a->sg == b->sg &&
	       a->ngroups == b->ngroups &&
	       memcmp(a->groups, b->groups, sizeof(gid_t) * (size_t)a->ngroups) == 0;
}

/* What pam_start and the PAM items need; the same for every cycle. */
struct target {
	const char *confdir, *service, *user, *tty, *rhost, *ruser;
};

static int null_conv(int n, const struct pam_message **msg,
		     struct pam_response **resp, void *data)
{
	(void)n; (void)msg; (void)resp; (void)data;
	return PAM_CONV_ERR;
}

/* Become pw (all ids and groups) for good; used before pam_start and in children. */
static int drop_to(const struct passwd *pw)
{
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;	/* already that user (non-root harness) */
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return -1;
	return 0;
}


/* pam_start_confdir and the items; 0, or -1 (said on stderr, *pamh ended). */
static int start_pam(const struct target *t, const struct pam_conv *conv,
		     pam_handle_t **pamh)
{
	int rc;

	*pamh = NULL;
	rc = pam_start_confdir(t->service, t->user, conv, t->confdir, pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "pam_harness: pam_start_confdir: %s\n", pam_strerror(*pamh, rc));
		return -1;
	}
	if ((t->tty && pam_set_item(*pamh, PAM_TTY, t->tty) != PAM_SUCCESS) ||
	    (t->rhost && pam_set_item(*pamh, PAM_RHOST, t->rhost) != PAM_SUCCESS) ||
	    (t->ruser && pam_set_item(*pamh, PAM_RUSER, t->ruser) != PAM_SUCCESS)) {
		fprintf(stderr, "pam_harness: pam_set_item failed\n");
		pam_end(*pamh, PAM_SYSTEM_ERR);
		return -1;
	}
	return 0;
}

static int set_session_state(const char *state, const char *user);

/* KEY=type;uid;gid;perm;description of a key this process possesses, or KEY=error:ERRNO */
static void out_description(const char *key, key_serial_t id)
{
	char *desc = NULL;

	if (keyctl_describe_alloc(id, &desc) >= 0)
		out("%s=%s", key, desc);
	else
		out("%s=error:%d", key, errno);
	free(desc);
}

/*
 * --repeat: n whole login cycles in this process, pam_start to pam_end, and
 * one summary at the end instead of the per-cycle lines. With fresh_session
 * (--session-state none) each cycle starts on the user-session keyring again.
 */
static int run_repeat(const struct target *t, const struct pam_conv *conv, long n,
		      int fresh_session, const struct creds *before)
{
	key_serial_t *ses = calloc((size_t)n, sizeof(*ses));
	char first[320] = "none";
	struct creds after;
	long i, ok = 0;
	double t0;

	if (!ses) {
		perror("pam_harness: --repeat");
		return 2;
	}
	t0 = now_ms();
	for (i = 1; i <= n; i++) {
		pam_handle_t *pamh;
		int orc, crc;

		if (start_pam(t, conv, &pamh) < 0) {
			fprintf(stderr, "pam_harness: in cycle %ld\n", i);
			free(ses);
			return 2;
		}
		orc = pam_open_session(pamh, 0);
		if (orc == PAM_SUCCESS)
			ses[i - 1] = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
		crc = pam_close_session(pamh, 0);
		if (orc == PAM_SUCCESS && crc == PAM_SUCCESS)
			ok++;
		else if (ok == i - 1)	/* the first failure: all before it were ok */
			snprintf(first, sizeof(first), "%ld:%s:%d:%s", i,
				 orc != PAM_SUCCESS ? "open" : "close",
				 orc != PAM_SUCCESS ? orc : crc,
				 pam_strerror(pamh, orc != PAM_SUCCESS ? orc : crc));
		pam_end(pamh, crc);
		if (fresh_session && set_session_state("none", t->user) < 0) {
			fprintf(stderr, "pam_harness: after cycle %ld\n", i);
			free(ses);
			return 2;
		}
	}
	out("cycles=%ld", n);
	out("ok=%ld", ok);
	out("failed=%ld", n - ok);
	out("first_failure=%s", first);
	out("elapsed_ms=%.3f", now_ms() - t0);
	out("creds_unchanged=%d", get_creds(&after) == 0 && same_creds(before, &after));
	out("done=1");
	free(ses);
	return 0;
}

/* Runs cmd with /bin/sh in a child, as pw (NULL: as the harness itself); the "KEY_status=" line. */
static void run_and_report(const char *key, const struct passwd *pw, const char *cmd);

static void run_child(const struct passwd *pw, const char *cmd, int detach)
{
	if (detach) {
		int fd = open("/dev/null", O_RDWR);

		setsid();
		/* Let whoever reads our stdout see EOF when we exit. */
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	if (pw && drop_to(pw) < 0) {
		perror("pam_harness: cannot become the PAM user");
		_exit(126);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	perror("pam_harness: exec /bin/sh");
	_exit(127);
}

static void run_and_report(const char *key, const struct passwd *pw, const char *cmd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		run_child(pw, cmd, 0);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		out("%s_status=error:%d", key, errno);
	else if (WIFEXITED(status))
		out("%s_status=%d", key, WEXITSTATUS(status));
	else
		out("%s_status=%d", key, 128 + WTERMSIG(status));
}

static int describe(key_serial_t id)
{
	char *desc = NULL;
	int r = keyctl_describe_alloc(id, &desc);

	free(desc);
	return r;
}

/*
 * A keyring we no longer possess needs VIEW through its user bits: look as
 * the PAM user (fs ids only, for this one call) before calling it an error.
 */
static const char *key_state(key_serial_t id, const struct passwd *pw, char *buf, size_t len)
{
	int r = describe(id);

	if (r < 0 && errno == EACCES && pw && geteuid() == 0) {
		int err;

		setfsgid(pw->pw_gid);
		setfsuid(pw->pw_uid);
		r = describe(id);
		err = errno;
		setfsuid(geteuid());
		setfsgid(getegid());
		errno = err;
	}
	if (r >= 0)
		return "alive";
	if (errno == EKEYREVOKED)
		return "revoked";
	if (errno == ENOKEY || errno == EKEYEXPIRED)
		return "gone";
	snprintf(buf, len, "error:%d", errno);
	return buf;
}

/* The session keyring the process is to have when PAM starts (usage() lists the states). */
static int set_session_state(const char *state, const char *user)
{
	struct passwd *pw = getpwnam(user);
	int root = geteuid() == 0;
	key_serial_t k;

	if (!strcmp(state, "inherit"))
		return 0;
	if (!pw)	/* a login for a user NSS does not know: the harness's own @us */
		return !strcmp(state, "none") ? join_user_session("pam_harness") : -1;
	if (!strcmp(state, "none"))	/* a non-root harness can only be on its own */
		return root ? join_user_session_of("pam_harness", pw->pw_uid, pw->pw_gid)
			    : join_user_session("pam_harness");
	if (!strcmp(state, "root") || !strcmp(state, "root-useses")) {
		if (!root) {
			fprintf(stderr, "pam_harness: --session-state %s needs root\n", state);
			return -1;
		}
		if (!strcmp(state, "root-useses"))
			return join_user_session("pam_harness");
		if (keyctl_join_session_keyring(NULL) < 0 ||
		    keyctl_link(KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING) < 0) {
			perror("pam_harness: a root session keyring with @u");
			return -1;
		}
		return 0;
	}
	/* own, revoked: a keyring owned by the user (made with the user's real uid);
	 * a non-root harness makes one of its own */
	if (root && (setresgid(pw->pw_gid, pw->pw_gid, (gid_t)-1) < 0 ||
		     setresuid(pw->pw_uid, pw->pw_uid, (uid_t)-1) < 0)) {
		perror("pam_harness: switch to the user");
		return -1;
	}
	k = keyctl_join_session_keyring(NULL);
	if (k >= 0 && !strcmp(state, "revoked") && keyctl_revoke(k) < 0)
		k = -1;
	if (root && (setresuid(0, 0, (uid_t)-1) < 0 || setresgid(0, 0, (gid_t)-1) < 0)) {
		perror("pam_harness: switch back to root");
		return -1;
	}
	if (k < 0) {
		perror("pam_harness: a session keyring of the user's");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "service", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "tty", required_argument, NULL, 't' },
		{ "rhost", required_argument, NULL, 'r' },
		{ "ruser", required_argument, NULL, 'R' },
		{ "as-user", required_argument, NULL, 'a' },
		{ "session-state", required_argument, NULL, 'S' },
		{ "setcred", no_argument, NULL, 'C' },
		{ "setcred-and-open", no_argument, NULL, 'B' },
		{ "exec", required_argument, NULL, 'e' },
		{ "exec-root", required_argument, NULL, 'X' },
		{ "then", required_argument, NULL, 'T' },
		{ "detach", required_argument, NULL, 'd' },
		{ "nested", required_argument, NULL, 'n' },
		{ "no-close", no_argument, NULL, 'N' },
		{ "hold-seconds", required_argument, NULL, 'h' },
		{ "wait-stdin", no_argument, NULL, 'W' },
		{ "repeat", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *confdir = NULL, *service = NULL, *user = NULL, *tty = NULL;
	const char *rhost = NULL, *ruser = NULL, *as_user = NULL, *state = "none";
	const char *exec_cmd = NULL, *detach_cmd = NULL, *root_cmd = NULL, *then_cmd = NULL;
	int setcred = 0, both = 0, nested = 1, nested_given = 0, no_close = 0, all_ok = 1;
	int wait_stdin = 0;
	long repeat = 0;
	double hold = 0;
	struct pam_conv conv = { null_conv, NULL };
	pam_handle_t *pamh = NULL, *handles[MAX_NESTED];
	struct passwd *pw_user = NULL;
	struct target target;
	struct creds before, after;
	key_serial_t seen[MAX_NESTED];
	int nseen = 0, rc = PAM_SUCCESS, opt, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': confdir = optarg; break;
		case 's': service = optarg; break;
		case 'u': user = optarg; break;
		case 't': tty = optarg; break;
		case 'r': rhost = optarg; break;
		case 'R': ruser = optarg; break;
		case 'a': as_user = optarg; break;
		case 'S': state = optarg; break;
		case 'C': setcred = 1; break;
		case 'B': both = 1; break;
		case 'e': exec_cmd = optarg; break;
		case 'X': root_cmd = optarg; break;
		case 'T': then_cmd = optarg; break;
		case 'd': detach_cmd = optarg; break;
		case 'N': no_close = 1; break;
		case 'W': wait_stdin = 1; break;
		case 'n':
			nested = (int)strtol(optarg, &end, 10);
			if (*end || nested < 1 || nested > MAX_NESTED)
				usage("--nested must be 1..1000");
			nested_given = 1;
			break;
		case 'p':
			repeat = strtol(optarg, &end, 10);
			if (*end || end == optarg || repeat < 1 || repeat > 1000000)
				usage("--repeat must be 1..1000000");
			break;
		case 'h':
			hold = strtod(optarg, &end);
			if (*end || hold < 0)
				usage("--hold-seconds must be a number >= 0");
			break;
		default:
			usage(NULL);
		}
	}
	if (optind != argc)
		usage("unexpected argument");
	if (!confdir || !service || !user)
		usage("--confdir, --service and --user are required");
	if (strcmp(state, "none") && strcmp(state, "own") && strcmp(state, "root") &&
	    strcmp(state, "root-useses") && strcmp(state, "revoked") && strcmp(state, "inherit"))
		usage("--session-state must be none, own, root, root-useses, revoked or inherit");
	if (setcred && both)
		usage("--setcred and --setcred-and-open exclude each other");
	if (repeat && (exec_cmd || root_cmd || then_cmd || detach_cmd || nested_given || setcred || both || no_close || hold > 0 ||
		       wait_stdin))
		usage("--repeat cannot be combined with --exec, --detach, --nested, --setcred,"
		      " --setcred-and-open, --no-close, --hold-seconds or --wait-stdin");

	target = (struct target){ confdir, service, user, tty, rhost, ruser };

	if (as_user) {
		struct passwd *pw = getpwnam(as_user);

		if (!pw)
			usage("--as-user: no such user");
		if (drop_to(pw) < 0) {
			perror("pam_harness: cannot become --as-user");
			return 2;
		}
	}

	if (set_session_state(state, user) < 0)
		return 2;

	out("pid=%d", (int)getpid());	/* the login process: the daemon audits this pid */
	out("before_ses=%d", keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0));
	out("before_useses=%d", keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 0));

	if (get_creds(&before) < 0) {
		perror("pam_harness: credentials");
		return 2;
	}

	if (repeat > 1)
		return run_repeat(&target, &conv, repeat, !strcmp(state, "none"), &before);
	for (i = 1; i <= nested; i++) {
		double t0 = now_ms();
		key_serial_t ses;
		int j;

		if (start_pam(&target, &conv, &handles[i - 1]) < 0)
			return 2;
		pamh = handles[i - 1];
		if (both) {
			/* pam_krb5's order: credentials first, then the session, one handle */
			rc = pam_setcred(pamh, PAM_ESTABLISH_CRED);
			out("setcred_rc=%d", rc);
			if (rc == PAM_SUCCESS)
				rc = pam_open_session(pamh, 0);
		} else {
			rc = setcred ? pam_setcred(pamh, PAM_ESTABLISH_CRED)
				     : pam_open_session(pamh, 0);
		}
		out("open_rc=%d", rc);
		out("open_err=%s", pam_strerror(pamh, rc));
		out("open_ms=%.3f", now_ms() - t0);
		ses = keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0);
		out("ses=%d", ses);
		out_description("ses_desc", ses);
		if (rc != PAM_SUCCESS)
			all_ok = 0;
		for (j = 0; j < nseen && seen[j] != ses; j++)
			;
		if (j == nseen && ses > 0)
			seen[nseen++] = ses;
	}

	if (exec_cmd || detach_cmd || then_cmd) {
		pw_user = getpwnam(user);
		if (!pw_user) {
			fprintf(stderr, "pam_harness: %s: no such user\n", user);
			all_ok = 0;
		}
	}
	if (exec_cmd && !all_ok)
		out("exec_status=skipped");
	else if (exec_cmd)
		run_and_report("exec", pw_user, exec_cmd);
	if (root_cmd && !all_ok)
		out("exec_root_status=skipped");
	else if (root_cmd)
		run_and_report("exec_root", NULL, root_cmd);
	if (detach_cmd && !all_ok) {
		out("detach_pid=skipped");
	} else if (detach_cmd) {
		pid_t pid = fork();

		if (pid == 0)
			run_child(pw_user, detach_cmd, 1);
		out("detach_pid=%d", (int)pid);
	}

	if (hold > 0) {
		struct timespec ts = { (time_t)hold, (long)((hold - (time_t)hold) * 1e9) };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}

	if (wait_stdin) {
		/* the test decides when the session ends: it writes a line, or kills us */
		char line[16];

		out("waiting=1");
		if (!fgets(line, sizeof(line), stdin))
			clearerr(stdin);
	}

	if (then_cmd && !all_ok)
		out("then_status=skipped");
	else if (then_cmd)
		run_and_report("then", pw_user, then_cmd);

	for (i = nested; i >= 1 && !no_close; i--) {
		double t0 = now_ms();

		pamh = handles[i - 1];
		rc = setcred ? pam_setcred(pamh, PAM_DELETE_CRED)
			     : pam_close_session(pamh, 0);
		out("close_rc=%d", rc);
		out("close_err=%s", pam_strerror(pamh, rc));
		out("close_ms=%.3f", now_ms() - t0);
		if (both) {
			rc = pam_setcred(pamh, PAM_DELETE_CRED);
			out("delcred_rc=%d", rc);
		}
		if (i > 1)
			pam_end(pamh, rc);
	}
	pamh = handles[0];

	for (i = 0; i < nseen; i++) {
		struct passwd *pw = getpwnam(user);
		char buf[32];

		out("state.%d=%s", seen[i], key_state(seen[i], pw, buf, sizeof(buf)));
	}
	out("creds_unchanged=%d", get_creds(&after) == 0 && same_creds(&before, &after));
	out("done=1");
	pam_end(pamh, rc);
	return 0;
}
