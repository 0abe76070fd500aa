/*
 * Replays stored fuzz inputs through reply_fuzz.c's LLVMFuzzerTestOneInput()
 * with the normal (gcc) build, for `make check`:
 *
 *   fuzz/replay DIR_OR_FILE...
 *
 * Each file runs in a child process, so a crash or a broken invariant
 * (abort) fails that input and the others still run. Dot files and
 * README* are skipped. Prints one line per failed input and a last line
 * "fuzz replay: N passed, M failed"; exits 1 when M > 0 or nothing was found.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kid_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* exactly the file's size, so that an over-read is not hidden by slack */
	*data = malloc(n ? n : 1);
	if (!*data) {
		free(buf);
		return -1;
	}
	memcpy(*data, buf, n);
	free(buf);
	*size = n;
	return 0;
}

static void replay_file(const char *path)
{
	uint8_t *data;
	size_t size;
	pid_t pid;
	int status;

	if (read_file(path, &data, &size) < 0) {
		fprintf(stderr, "FAIL %s: cannot read: %s\n", path, strerror(errno));
		failed++;
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "FAIL %s: fork: %s\n", path, strerror(errno));
		failed++;
		free(data);
		return;
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, size);
		_exit(0);
	}
	free(data);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "FAIL %s: waitpid: %s\n", path, strerror(errno));
			failed++;
			return;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		passed++;
	} else {
		if (WIFSIGNALED(status))
			fprintf(stderr, "FAIL %s: killed by signal %d\n", path, WTERMSIG(status));
		else
			fprintf(stderr, "FAIL %s: exit status %d\n", path, WEXITSTATUS(status));
		failed++;
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;

	if (!d) {
		fprintf(stderr, "FAIL %s: %s\n", dir, strerror(errno));
		failed++;
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0)
			continue;
		if (n == cap) {
			char **nn;

			cap = cap ? cap * 2 : 64;
			nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				abort();
			names = nn;
		}
		if (asprintf(&names[n], "%s/%s", dir, e->d_name) < 0)
			abort();
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			replay_file(names[i]);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "FAIL %s: %s\n", argv[i], strerror(errno));
			failed++;
		} else if (S_ISDIR(st.st_mode)) {
			replay_dir(argv[i]);
		} else {
			replay_file(argv[i]);
		}
	}
	printf("fuzz replay: %d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
