/*
 * Shared by the test harness and the benchmark driver: put the calling process back in the
 * state of a fresh login, with its user-session keyring as its session keyring (@s == @us).
 */
#ifndef KEYINITD_USER_SESSION_H
#define KEYINITD_USER_SESSION_H

#include <stdio.h>
#include <unistd.h>
#include <keyutils.h>

/*
 * A fresh user has no user keyrings until something asks for them: create them first, or
 * the join by name finds nothing. A join by name silently creates a new keyring when the
 * caller may not search the real one, so check that @s really is @us afterwards.
 * Returns 0, or -1 after one line on stderr that starts with prog.
 */
static inline int join_user_session(const char *prog)
{
	char name[32];

	snprintf(name, sizeof(name), "_uid_ses.%u", (unsigned)geteuid());
	if (keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 1) < 0 ||
	    keyctl_join_session_keyring(name) < 0 ||
	    keyctl_get_keyring_ID(KEY_SPEC_SESSION_KEYRING, 0) !=
	    keyctl_get_keyring_ID(KEY_SPEC_USER_SESSION_KEYRING, 0)) {
		fprintf(stderr, "%s: cannot make %s the session keyring\n", prog, name);
		return -1;
	}
	return 0;
}

/*
 * The same for another user's user-session keyring, from a root process: what a login
 * program looks like after a previous login of that user in it, or once the kernel has
 * installed the user's @us. The join runs with the real and effective ids switched to the
 * user (a join by name needs the user's SEARCH right, and a root join would silently make a
 * new keyring of that name); the ids go back afterwards.
 */
static inline int join_user_session_of(const char *prog, uid_t uid, gid_t gid)
{
	uid_t ruid = getuid(), euid = geteuid();
	gid_t rgid = getgid(), egid = getegid();
	int rc;

	if (uid == euid)
		return join_user_session(prog);
	if (setresgid(gid, gid, (gid_t)-1) < 0 || setresuid(uid, uid, (uid_t)-1) < 0) {
		fprintf(stderr, "%s: cannot switch to uid %u\n", prog, (unsigned)uid);
		return -1;
	}
	rc = join_user_session(prog);
	if (setresuid(ruid, euid, (uid_t)-1) < 0 || setresgid(rgid, egid, (gid_t)-1) < 0) {
		fprintf(stderr, "%s: cannot switch back from uid %u\n", prog, (unsigned)uid);
		return -1;
	}
	return rc;
}

#endif
