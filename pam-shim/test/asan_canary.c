/*
 * pam_asan_canary.so: a PAM module with deliberate bugs, built only by "make asan". The
 * integration test SanitizersIT loads it through test/pam_harness-asan to prove that a
 * sanitizer report from a module libpam dlopen()ed fails the test: the harness must carry
 * the ASan runtime and the options must stop it. Argument: overflow, leak or ubsan.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <security/pam_modules.h>

#define PUBLIC __attribute__((visibility("default")))

PUBLIC int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	volatile int big = INT_MAX;
	char *p;

	(void)pamh;
	(void)flags;
	if (argc < 1)
		return PAM_SUCCESS;
	if (!strcmp(argv[0], "overflow")) {
		/* a size only known at run time, so that ASan (not UBSan's object-size check) reports it */
		size_t n = 7 + (size_t)argc;
		volatile char *v = p = malloc(n);

		v[n] = 'x';	/* one byte past the end (volatile: not optimised away) */
		free(p);
	} else if (!strcmp(argv[0], "leak")) {
		p = malloc(64);
		memset(p, 0, 64);
		p = NULL;	/* never freed */
	} else if (!strcmp(argv[0], "ubsan")) {
		big = big + argc;	/* signed overflow */
	}
	return PAM_SUCCESS;
}

PUBLIC int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
