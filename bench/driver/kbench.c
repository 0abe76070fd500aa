/*
 * kbench: PAM session load driver for the keyinitd benchmark (bench/run.sh).
 *
 * Runs whole login cycles (pam_start_confdir -> pam_open_session ->
 * pam_close_session -> pam_end) in N forked worker processes, for several PAM
 * configurations (one service file each in --confdir), interleaved in rounds,
 * and prints one Markdown table row and one TSV line per (config, workers):
 * per-session latency (open+close) percentiles, sessions per second, failures
 * with their PAM error text, and, when a daemon pid is given, the daemon's CPU
 * time per session and its RSS and thread count before and after.
 *
 * Every login starts as a real root login program's does (sshd's per-connection
 * child under systemd, whose KeyringMode=private gives each service a private
 * root-owned session keyring; su from a root shell): the caller's session keyring
 * is a root-owned keyring of its own, not shared with other logins, so the module
 * classifies it `foreign` (another uid's) and the daemon replaces it, while
 * pam_keyinit force replaces it too. --fresh runs each login in a fresh forked
 * process (fork is not timed; pam_start .. pam_end is), as sshd and su do;
 * without it (loop mode) each worker process runs login after login and joins a
 * new private keyring after each one (not timed).
 *
 * Latency is pam_start .. pam_end of one login; open and close p50 are
 * pam_open_session and pam_close_session alone.
 *
 * --hold N instead opens N sessions per worker and keeps them all open (one
 * PAM handle each), runs --at-hold CMD once every worker holds its sessions,
 * then closes them all.
 *
 * Output goes to stdout (Markdown) and --tsv FILE (appended; header written
 * when the file is empty).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <keyutils.h>
#include <security/pam_appl.h>


#define MAX_CONFIGS 8
#define MAX_USERS 64
#define MAX_WORKER_SETS 8
#define MAX_ERRKINDS 16

enum phase { PH_OK = 0, PH_START = 1, PH_OPEN = 2, PH_CLOSE = 3 };
static const char *phase_name[] = { "ok", "pam_start", "open", "close" };

/* One session's outcome, written by a worker into shared memory. */
struct sample {
	float login_ms, open_ms, close_ms;
	short phase;	/* enum phase: where it failed, PH_OK if it did not */
	short rc;	/* the PAM return code of that step */
};

struct config {
	const char *name, *service;
	long daemon_pid;	/* 0: no daemon to watch */
};

struct daemon_stat {
	long ticks;	/* utime + stime, clock ticks */
	long rss_kb, hwm_kb, threads;
	int ok;
};

struct result {
	long sessions, failed;
	double wall_s;
	long cpu_ticks;
	struct daemon_stat before, after;
	float *lat;		/* open+close of every successful session */
	float *open, *close;
	long nlat;
	char first[256];
	struct { short phase, rc; long count; } err[MAX_ERRKINDS];
	int nerr;
};

static const char *confdir, *users[MAX_USERS], *at_hold, *tsv_path, *scenario = "load";
static struct config configs[MAX_CONFIGS];
static int nconfigs, nusers, worker_sets[MAX_WORKER_SETS], nworker_sets;
static long sessions = 100, rounds = 1, warmup = 10, hold;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int null_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	(void)n; (void)msg; (void)resp; (void)data;
	return PAM_CONV_ERR;
}

static const struct pam_conv conv = { null_conv, NULL };


/*
 * The caller side of a real root login: a private root-owned session keyring of
 * its own (what systemd's KeyringMode=private gives sshd, and a root shell gives
 * su). Returns 0, or -1 after a line on stderr.
 */
static int join_private_keyring(void)
{
	if (keyctl_join_session_keyring(NULL) < 0) {
		fprintf(stderr, "kbench: cannot join a private session keyring: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int fresh_mode;	/* --fresh: each login in a new forked process */

/* One whole login: pam_start .. pam_end, timed; fills *s. */
static void login_once(const char *service, const char *user, struct sample *s)
{
	pam_handle_t *pamh = NULL;
	double t0, t1, t2, t3;
	int rc;

	memset(s, 0, sizeof(*s));
	t0 = now_ms();
	rc = pam_start_confdir(service, user, &conv, confdir, &pamh);
	if (rc != PAM_SUCCESS) {
		s->phase = PH_START;
		s->rc = (short)rc;
		return;
	}
	t1 = now_ms();
	rc = pam_open_session(pamh, 0);
	t2 = now_ms();
	if (rc != PAM_SUCCESS) {
		s->phase = PH_OPEN;
		s->rc = (short)rc;
	}
	/* close even after a failed open, as login programs that ignore the error do */
	{
		int crc = pam_close_session(pamh, 0);

		t3 = now_ms();
		if (crc != PAM_SUCCESS && s->phase == PH_OK) {
			s->phase = PH_CLOSE;
			s->rc = (short)crc;
		}
		pam_end(pamh, crc);
	}
	s->login_ms = (float)(now_ms() - t0);
	s->open_ms = (float)(t2 - t1);
	s->close_ms = (float)(t3 - t2);
}

/* One login, in this process (loop mode) or a fresh child (--fresh). 0 if the worker may go on. */
static int cycle(const char *service, const char *user, struct sample *s)
{
	pid_t pid;
	int st;

	if (!fresh_mode) {
		login_once(service, user, s);
		return join_private_keyring();
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (join_private_keyring() < 0)
			_exit(3);
		login_once(service, user, s);	/* s is in the shared mapping */
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

static void read_daemon(long pid, struct daemon_stat *d)
{
	char path[64], buf[4096], *p;
	FILE *f;
	size_t n;

	memset(d, 0, sizeof(*d));
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "r")))
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (p) {
		unsigned long ut = 0, st = 0;
		/* after ") ": field 3 (state) ... field 14 utime, 15 stime */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2) {
			d->ticks = (long)(ut + st);
			d->ok = 1;
		}
	}
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(buf, sizeof(buf), f)) {
		sscanf(buf, "VmRSS: %ld", &d->rss_kb);
		sscanf(buf, "VmHWM: %ld", &d->hwm_kb);
		sscanf(buf, "Threads: %ld", &d->threads);
	}
	fclose(f);
}

/* The user of worker w's k-th session: each worker walks the list from its own offset. */
static const char *user_for(int w, long k)
{
	return users[(w + k) % nusers];
}

/* Load phase: `workers` processes, each `warmup` unmeasured then `sessions` measured cycles. */
static void run_phase(const struct config *c, int workers, struct sample *shm, double *wall_ms)
{
	int ready[2], go[2], i;
	pid_t pids[1024];
	double t0;

	if (pipe(ready) < 0 || pipe(go) < 0)
		die("pipe: %s", strerror(errno));
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			struct sample junk;
			char b;
			long k;

			close(ready[0]);
			close(go[1]);
			if (join_private_keyring() < 0)
				_exit(3);
			for (k = 0; k < warmup; k++)
				if (cycle(c->service, user_for(i, k), &junk) < 0)
					_exit(3);
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			if (read(go[0], &b, 1) < 0)	/* EOF when the parent closes go[1] */
				_exit(3);
			for (k = 0; k < sessions; k++)
				if (cycle(c->service, user_for(i, k), &shm[i * sessions + k]) < 0)
					_exit(3);
			_exit(0);
		}
		pids[i] = pid;
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < workers; i++) {
		char b;

		if (read(ready[0], &b, 1) != 1)
			die("a worker died during warm-up (config %s)", c->name);
	}
	t0 = now_ms();
	close(go[1]);
	for (i = 0; i < workers; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("worker %d of config %s failed (status 0x%x)", i, c->name, st);
	}
	*wall_ms = now_ms() - t0;
	close(ready[0]);
}

/*
 * Hold phase: each worker opens `hold` sessions, one PAM handle each, keeps
 * them, reports, waits for the parent, then closes them all (newest first).
 */
static void run_hold(const struct config *c, int workers, struct sample *shm, double *wall_ms)
{
	int ready[2], go[2], i;
	pid_t pids[1024];
	double t0;

	if (pipe(ready) < 0 || pipe(go) < 0)
		die("pipe: %s", strerror(errno));
	t0 = now_ms();
	for (i = 0; i < workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (pid == 0) {
			pam_handle_t **h = calloc((size_t)hold, sizeof(*h));
			char b;
			long k;

			close(ready[0]);
			close(go[1]);
			if (!h || join_private_keyring() < 0)
				_exit(3);
			for (k = 0; k < hold; k++) {
				struct sample *s = &shm[i * hold + k];
				double a;
				int rc;

				memset(s, 0, sizeof(*s));
				rc = pam_start_confdir(c->service, user_for(i, k), &conv, confdir, &h[k]);
				if (rc != PAM_SUCCESS) {
					s->phase = PH_START;
					s->rc = (short)rc;
					h[k] = NULL;
					continue;
				}
				a = now_ms();
				rc = pam_open_session(h[k], 0);
				s->open_ms = (float)(now_ms() - a);
				if (rc != PAM_SUCCESS) {
					s->phase = PH_OPEN;
					s->rc = (short)rc;
				}
			}
			if (write(ready[1], "r", 1) != 1)
				_exit(3);
			if (read(go[0], &b, 1) < 0)
				_exit(3);
			for (k = hold - 1; k >= 0; k--) {
				struct sample *s = &shm[i * hold + k];
				double a;
				int rc;

				if (!h[k])
					continue;
				a = now_ms();
				rc = pam_close_session(h[k], 0);
				s->close_ms = (float)(now_ms() - a);
				if (rc != PAM_SUCCESS && s->phase == PH_OK) {
					s->phase = PH_CLOSE;
					s->rc = (short)rc;
				}
				pam_end(h[k], rc);
			}
			_exit(0);
		}
		pids[i] = pid;
	}
	close(ready[1]);
	close(go[0]);
	for (i = 0; i < workers; i++) {
		char b;

		if (read(ready[0], &b, 1) != 1)
			die("a worker died while opening (config %s)", c->name);
	}
	{
		long open_ok = 0, k, n = (long)workers * hold;

		for (k = 0; k < n; k++)
			open_ok += shm[k].phase == PH_OK;
		printf("held: %ld of %ld sessions open at once (config %s, %d workers, %.1f s to open)\n",
		       open_ok, n, c->name, workers, (now_ms() - t0) / 1e3);
		fflush(stdout);
	}
	if (at_hold && *at_hold) {
		int st = system(at_hold);

		if (st != 0)
			fprintf(stderr, "kbench: --at-hold command exited with status 0x%x\n", st);
		fflush(stdout);
	}
	close(go[1]);
	for (i = 0; i < workers; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("worker %d of config %s failed (status 0x%x)", i, c->name, st);
	}
	*wall_ms = now_ms() - t0;
	close(ready[0]);
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

/* nearest-rank percentile of a sorted array */
static double pct(const float *v, long n, double q)
{
	long i;

	if (n == 0)
		return NAN;
	i = (long)ceil(q * (double)n) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

static void collect(struct result *r, const struct sample *shm, int workers, long per_worker, long round)
{
	long w, k;

	for (w = 0; w < workers; w++) {
		for (k = 0; k < per_worker; k++) {
			const struct sample *s = &shm[w * per_worker + k];
			int e;

			r->sessions++;
			if (s->phase == PH_OK) {
				r->lat[r->nlat] = s->login_ms > 0 ? s->login_ms : s->open_ms + s->close_ms;
				r->open[r->nlat] = s->open_ms;
				r->close[r->nlat] = s->close_ms;
				r->nlat++;
				continue;
			}
			r->failed++;
			if (!r->first[0])
				snprintf(r->first, sizeof(r->first),
					 "session %ld of worker %ld (round %ld, user %s): %s: %s",
					 k + 1, w + 1, round, user_for((int)w, k), phase_name[s->phase],
					 pam_strerror(NULL, s->rc));
			for (e = 0; e < r->nerr; e++)
				if (r->err[e].phase == s->phase && r->err[e].rc == s->rc)
					break;
			if (e == r->nerr && r->nerr < MAX_ERRKINDS) {
				r->err[e].phase = s->phase;
				r->err[e].rc = s->rc;
				r->nerr++;
			}
			if (e < r->nerr)
				r->err[e].count++;
		}
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kbench --confdir DIR --config NAME=SERVICE[@DAEMONPID] [--config ...]\n"
		"              --users U1,U2,... [--workers 1,8] [--sessions N] [--rounds R]\n"
		"              [--warmup W] [--fresh] [--hold N [--at-hold CMD]] [--scenario LABEL] [--tsv FILE]\n"
		"  --fresh:    each login in a fresh forked process (as sshd, su); else loop mode\n"
		"  --sessions: measured sessions per worker per round (load mode)\n"
		"  --hold N:   open N sessions per worker and keep them open at once, then close\n");
	exit(2);
}

static void parse_list_int(char *s)
{
	char *tok, *save = NULL;

	nworker_sets = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = atoi(tok);

		if (v < 1 || v > 1024 || nworker_sets == MAX_WORKER_SETS)
			die("--workers: 1..1024, at most %d values", MAX_WORKER_SETS);
		worker_sets[nworker_sets++] = v;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "confdir", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'C' },
		{ "users", required_argument, NULL, 'u' },
		{ "workers", required_argument, NULL, 'w' },
		{ "sessions", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "hold", required_argument, NULL, 'H' },
		{ "at-hold", required_argument, NULL, 'A' },
		{ "scenario", required_argument, NULL, 's' },
		{ "tsv", required_argument, NULL, 't' },
		{ "fresh", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct result res[MAX_CONFIGS][MAX_WORKER_SETS];
	long max_workers = 1, per_worker;
	struct sample *shm;
	FILE *tsv = NULL;
	int opt, ci, wi;
	long r;

	worker_sets[0] = 1;
	nworker_sets = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': confdir = optarg; break;
		case 'C': {
			char *eq = strchr(optarg, '='), *at;

			if (!eq || nconfigs == MAX_CONFIGS)
				usage();
			*eq = 0;
			configs[nconfigs].name = optarg;
			configs[nconfigs].service = eq + 1;
			if ((at = strchr(eq + 1, '@'))) {
				*at = 0;
				configs[nconfigs].daemon_pid = atol(at + 1);
			}
			nconfigs++;
			break;
		}
		case 'u': {
			char *tok, *save = NULL;

			for (tok = strtok_r(optarg, ",", &save); tok && nusers < MAX_USERS;
			     tok = strtok_r(NULL, ",", &save))
				users[nusers++] = tok;
			break;
		}
		case 'w': parse_list_int(optarg); break;
		case 'n': sessions = atol(optarg); break;
		case 'r': rounds = atol(optarg); break;
		case 'W': warmup = atol(optarg); break;
		case 'H': hold = atol(optarg); break;
		case 'A': at_hold = optarg; break;
		case 's': scenario = optarg; break;
		case 't': tsv_path = optarg; break;
		case 'F': fresh_mode = 1; break;
		default: usage();
		}
	}
	if (!confdir || !nconfigs || !nusers || sessions < 1 || rounds < 1 || warmup < 0 || hold < 0)
		usage();
	if (hold)
		rounds = 1;
	per_worker = hold ? hold : sessions;
	for (wi = 0; wi < nworker_sets; wi++)
		if (worker_sets[wi] > max_workers)
			max_workers = worker_sets[wi];
	shm = mmap(NULL, sizeof(*shm) * (size_t)(max_workers * per_worker), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	memset(res, 0, sizeof(res));
	for (ci = 0; ci < nconfigs; ci++) {
		for (wi = 0; wi < nworker_sets; wi++) {
			struct result *x = &res[ci][wi];
			size_t n = (size_t)(rounds * worker_sets[wi] * per_worker);

			x->lat = malloc(n * sizeof(float));
			x->open = malloc(n * sizeof(float));
			x->close = malloc(n * sizeof(float));
			if (!x->lat || !x->open || !x->close)
				die("out of memory");
			read_daemon(configs[ci].daemon_pid, &x->before);
		}
	}
	if (join_private_keyring() < 0)
		return 2;

	/* Interleaved: each round runs every (workers, config) once; the config order rotates. */
	for (r = 0; r < rounds; r++) {
		for (wi = 0; wi < nworker_sets; wi++) {
			int j;

			for (j = 0; j < nconfigs; j++) {
				int c = (int)((j + r) % nconfigs);
				struct result *x = &res[c][wi];
				struct daemon_stat a, b;
				double wall;

				fprintf(stderr, "kbench: %s round %ld/%ld: %s, %d workers\n", scenario, r + 1,
					rounds, configs[c].name, worker_sets[wi]);
				read_daemon(configs[c].daemon_pid, &a);
				if (hold)
					run_hold(&configs[c], worker_sets[wi], shm, &wall);
				else
					run_phase(&configs[c], worker_sets[wi], shm, &wall);
				read_daemon(configs[c].daemon_pid, &b);
				x->wall_s += wall / 1e3;
				x->cpu_ticks += b.ticks - a.ticks;
				collect(x, shm, worker_sets[wi], per_worker, r + 1);
			}
		}
	}

	if (tsv_path) {
		struct stat st;

		tsv = fopen(tsv_path, "a");
		if (!tsv)
			die("%s: %s", tsv_path, strerror(errno));
		if (fstat(fileno(tsv), &st) == 0 && st.st_size == 0)
			fprintf(tsv, "scenario\tconfig\tworkers\trounds\tsessions\tfailed\tp50_ms\tp90_ms\tp99_ms\t"
				"max_ms\topen_p50_ms\tclose_p50_ms\tsessions_per_s\tdaemon_cpu_ms_per_session\t"
				"daemon_rss_kb_before\tdaemon_rss_kb_after\tdaemon_hwm_kb_after\t"
				"daemon_threads_before\tdaemon_threads_after\tfailures\tfirst_failure\n");
	}
	printf("\n| scenario | config | workers | sessions | failed | p50 ms | p90 ms | p99 ms | max ms |"
	       " open p50 | close p50 | sessions/s | daemon CPU ms/session | daemon RSS MiB before → after"
	       " (peak) | daemon threads before → after |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|\n");
	for (wi = 0; wi < nworker_sets; wi++) {
		for (ci = 0; ci < nconfigs; ci++) {
			struct result *x = &res[ci][wi];
			double tick_ms = 1e3 / (double)sysconf(_SC_CLK_TCK);
			char errs[1024] = "", cpu[32] = "", rss[64] = "", thr[32] = "";
			double p50, p90, p99, mx, o50, c50, rate;
			int e;

			read_daemon(configs[ci].daemon_pid, &x->after);
			qsort(x->lat, (size_t)x->nlat, sizeof(float), cmp_float);
			qsort(x->open, (size_t)x->nlat, sizeof(float), cmp_float);
			qsort(x->close, (size_t)x->nlat, sizeof(float), cmp_float);
			p50 = pct(x->lat, x->nlat, .50);
			p90 = pct(x->lat, x->nlat, .90);
			p99 = pct(x->lat, x->nlat, .99);
			mx = x->nlat ? x->lat[x->nlat - 1] : NAN;
			o50 = pct(x->open, x->nlat, .50);
			c50 = pct(x->close, x->nlat, .50);
			rate = x->wall_s > 0 ? (double)x->sessions / x->wall_s : 0;
			for (e = 0; e < x->nerr; e++) {
				size_t l = strlen(errs);

				snprintf(errs + l, sizeof(errs) - l, "%s%ld× %s: %s", e ? "; " : "",
					 x->err[e].count, phase_name[x->err[e].phase],
					 pam_strerror(NULL, x->err[e].rc));
			}
			if (configs[ci].daemon_pid) {
				snprintf(cpu, sizeof(cpu), "%.3f",
					 x->sessions ? (double)x->cpu_ticks * tick_ms / (double)x->sessions : 0);
				snprintf(rss, sizeof(rss), "%.1f → %.1f (%.1f)", x->before.rss_kb / 1024.0,
					 x->after.rss_kb / 1024.0, x->after.hwm_kb / 1024.0);
				snprintf(thr, sizeof(thr), "%ld → %ld", x->before.threads, x->after.threads);
			}
			printf("| %s | %s | %d | %ld | %ld | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %s | %s | %s |\n",
			       scenario, configs[ci].name, worker_sets[wi], x->sessions, x->failed, p50, p90, p99, mx,
			       o50, c50, rate, cpu[0] ? cpu : "–", rss[0] ? rss : "–", thr[0] ? thr : "–");
			if (x->failed)
				printf("|  | ↳ failures: %s; first: %s | | | | | | | | | | | | | |\n", errs, x->first);
			if (tsv)
				fprintf(tsv, "%s\t%s\t%d\t%ld\t%ld\t%ld\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%s\t"
					"%ld\t%ld\t%ld\t%ld\t%ld\t%s\t%s\n",
					scenario, configs[ci].name, worker_sets[wi], rounds, x->sessions, x->failed,
					p50, p90, p99, mx, o50, c50, rate, cpu[0] ? cpu : "",
					x->before.rss_kb, x->after.rss_kb, x->after.hwm_kb, x->before.threads,
					x->after.threads, errs[0] ? errs : "", x->first[0] ? x->first : "");
		}
	}
	if (tsv)
		fclose(tsv);
	fflush(stdout);
	return 0;
}
