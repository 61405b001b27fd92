/*
 * init.c: PID 1 of the container, the way docker --init (tini) does it.
 *
 * Step 04's README explains the PID 1 problem: orphans are re-parented to
 * PID 1, which must reap them or they stay zombies; and the kernel delivers
 * to PID 1 only the signals it has a handler for, so a CMD that relies on
 * SIGTERM's default action would ignore `final stop`. The init runs CMD as
 * its child, reaps everything, forwards every signal to CMD, and exits with
 * CMD's status: tiny-init.c, which this file starts with a plan of how CMD
 * is to start (plan.h).
 */
#define _GNU_SOURCE
#include "init.h"
#include "plan.h"
#include "rootless.h"
#include "security.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * tiny-init (tiny-init.c), which the Makefile builds and passes as TINY_INIT:
 * its bytes are part of final's own image.
 */
__asm__(".pushsection .rodata\n\t.balign 16\n"
	".global tiny_init\n\t.hidden tiny_init\ntiny_init:\n\t.incbin \"" TINY_INIT "\"\n"
	".global tiny_init_end\n\t.hidden tiny_init_end\ntiny_init_end:\n\t.popsection\n");
extern const char tiny_init[], tiny_init_end[];

int init_sealed_copy(void)
{
	int fd = security_sealed_copy(INIT_TITLE, tiny_init, tiny_init_end - tiny_init);

	/*
	 * Execute-only: a process whose file it may not read is not dumpable
	 * after execve (/proc/PID/mem, ptrace need CAP_SYS_PTRACE then). Root
	 * may read it, so tiny-init also makes itself not dumpable, first.
	 */
	if (fd >= 0 && fchmod(fd, 0111) < 0) {
		warn_errno("chmod the init's copy");
		close(fd);
		fd = -1;
	}
	return fd;
}

/*** the plan ***/

struct plan_buf {
	char *data;
	size_t len, cap;
};

/* N bytes of DATA (zeros if NULL) at the next multiple of 8: where they are. */
static unsigned long long plan_add(struct plan_buf *b, const void *data, size_t n)
{
	size_t at = (b->len + 7) & ~(size_t)7;

	if (at + n > b->cap) {
		b->cap = 2 * (at + n) + 4096;
		if (!(b->data = realloc(b->data, b->cap)))
			die("out of memory");
	}
	memset(b->data + b->len, 0, at - b->len);
	if (data)
		memcpy(b->data + at, data, n);
	else
		memset(b->data + at, 0, n);
	b->len = at + n;
	return at;
}

/* STRINGS (NULL-terminated), and the list of where each is, ending in 0: the list's offset. */
static unsigned long long plan_add_strings(struct plan_buf *b, char *const strings[])
{
	unsigned long long list, at;
	size_t n = 0;

	while (strings[n])
		n++;
	list = plan_add(b, NULL, (n + 1) * sizeof(at));
	for (size_t i = 0; i < n; i++) {
		at = plan_add(b, strings[i], strlen(strings[i]) + 1);
		memcpy(b->data + list + i * sizeof(at), &at, sizeof(at));
	}
	return list;
}

/*
 * CMD's environment, as docker makes it, none of ours (we are the
 * container's child): PATH, HOME, HOSTNAME, TERM, then -e's, each replacing
 * the variable it names (-e NAME without a value removes it), as setenv()
 * and putenv() would after clearenv(). Into a new list, not our environ:
 * the runtime's child that writes the plan may share the runtime's memory
 * (launch.h). Malloc'd, the strings it adds too (*OWN, to free).
 */
static char **cmd_environment(const struct config *cfg, char ***own)
{
	char **env = calloc(cfg->process.nenv + 5, sizeof(*env));
	char **mine = calloc(5, sizeof(*mine));
	int n = 0, m = 0;

	if (!env || !mine)
		die("out of memory");
	env[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[n++] = cfg->process.uid ? "HOME=/" : "HOME=/root";
	if (cfg->hostname)
		env[n++] = mine[m++] = xasprintf("HOSTNAME=%s", cfg->hostname);
	if (cfg->process.terminal)
		env[n++] = "TERM=xterm";
	for (int i = 0; i < cfg->process.nenv; i++) {
		const char *e = cfg->process.env[i], *eq = strchr(e, '=');
		size_t len = eq ? (size_t)(eq - e) : strlen(e);
		int j = 0;

		while (j < n && !(strncmp(env[j], e, len) == 0 && env[j][len] == '='))
			j++;
		if (eq)
			env[j] = (char *)e, n += j == n;
		else if (j < n) /* as putenv("NAME"): gone */
			memmove(env + j, env + j + 1, (n-- - j) * sizeof(*env));
	}
	*own = mine;
	return env;
}

/*
 * How CMD (ARGV) is to start, in a memfd for tiny-init (plan.h): its
 * descriptor, open across execve. FDS: init.h's (-1: none), and the
 * signal mask CMD gets.
 */
static int write_plan(const struct config *cfg, char *const argv[], const struct init_fds *fds)
{
	const typeof(cfg->security) *s = &cfg->security;
	struct plan p = {.magic = PLAN_MAGIC,
			 .uid = cfg->process.uid,
			 .gid = cfg->process.gid,
			 .report = fds->report,
			 .tty = fds->tty,
			 .gate = fds->gate,
			 .caps = s->caps,
			 .ncaps = cap_max_bits()};
	struct plan_buf b = {0};
	const void *filter;
	char **env, **own;
	int fd;

	p.flags = (cfg->process.uid == 0 ? PLAN_ROOT : 0) |
		  (s->no_new_privs ? PLAN_NO_NEW_PRIVS : 0) | (rootless() ? PLAN_ROOTLESS : 0);
	memcpy(&p.sigmask, fds->mask, sizeof(p.sigmask)); /* the kernel's 64 bits */
	plan_add(&b, NULL, sizeof(p));
	p.nrlimits = s->nrlimits;
	p.rlimits = plan_add(&b, NULL, s->nrlimits * sizeof(struct plan_rlimit));
	for (int i = 0; i < s->nrlimits; i++) {
		struct plan_rlimit r = {s->rlimits[i].resource, s->rlimits[i].limit.rlim_cur,
					s->rlimits[i].limit.rlim_max};

		memcpy(b.data + p.rlimits + i * sizeof(r), &r, sizeof(r));
	}
	p.nfilter = security_filter(cfg, &filter);
	p.filter = plan_add(&b, filter, p.nfilter * 8);
	p.cwd = plan_add(&b, cfg->process.cwd ? cfg->process.cwd : "/",
			 strlen(cfg->process.cwd ? cfg->process.cwd : "/") + 1);
	p.argv = plan_add_strings(&b, argv);
	env = cmd_environment(cfg, &own);
	p.envp = plan_add_strings(&b, env);
	for (char **o = own; *o; o++)
		free(*o);
	free(own);
	free(env);
	plan_add(&b, "", 1); /* the last byte is 0 */
	p.size = b.len;
	memcpy(b.data, &p, sizeof(p));
	fd = memfd_create("final-plan", 0); /* open across our execve: tiny-init's */
	if (fd < 0 || write(fd, b.data, b.len) != (ssize_t)b.len)
		die_errno("write CMD's plan");
	free(b.data);
	return fd;
}

/* Execute SELF, tiny-init, as NAME with the plan PLAN. */
static void __attribute__((noreturn)) exec_plan(int self, const char *name, int plan)
{
	char env[32];

	snprintf(env, sizeof(env), "%s=%d", PLAN_ENV, plan);
	fexecve(self, (char *[]){(char *)name, NULL}, (char *[]){env, NULL});
	die_errno("execute %s (tiny-init)", name);
}

void process_exec(const struct config *cfg, char *const argv[], int self, int tty)
{
	const int report = errors_reported_to(), keep[] = {report, self, tty};
	sigset_t mask;

	/*
	 * CVE-2024-21626: no descriptor of the runtime reaches CMD, and none is
	 * open when a path is looked up (the working directory, CMD's path and
	 * its interpreter's at execve): a directory's /proc/self/fd/N/.. would
	 * be the host's tree. The report pipe (not a directory) stays, and
	 * closes at CMD's execve.
	 */
	if (close_fds_but(keep, N_ELEMS(keep)) < 0 || (tty >= 0 && fcntl(tty, F_SETFD, 0) < 0))
		die_errno("close_range");
	sigprocmask(SIG_SETMASK, NULL, &mask);
	timing_report("exec, until tiny-init's execve");
	exec_plan(self, "final-exec",
		  write_plan(cfg, argv, &(struct init_fds){tty, report, -1, -1, &mask, false}));
}

void init_run(const struct config *cfg, const struct init_fds *fds, int self)
{
	const int keep[] = {fds->report, fds->gate, fds->tty};
	sigset_t all;
	int plan;

	/*
	 * Every signal blocked from here (a child sharing the runtime's memory
	 * has had them blocked since the clone, launch.h): none of the runtime's
	 * handlers runs; what came during the setup is dropped below, and what
	 * comes after waits, through our execve, for tiny-init to pass it on.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* -t: our stdio was the terminal `final run` was given (the host's): the container's */
	if (fds->tty >= 0 &&
	    (dup2(fds->tty, 0) < 0 || dup2(fds->tty, 1) < 0 || dup2(fds->tty, 2) < 0))
		die_errno("dup2 the terminal");
	plan = write_plan(cfg, cfg->process.args, fds);
	/*
	 * CVE-2024-21626's leaked descriptor, by another door: a directory the
	 * monitor left us (the record's, the cgroup's) would be the host's tree
	 * through /proc/1/fd/N/.. to a process in here allowed to ptrace, and
	 * CMD's (tiny-init starts it) at its chdir and execve. Our execve closes
	 * every one but stdio and what tiny-init needs: the plan, CMD's terminal,
	 * the report pipe and the gate (none a directory of the host).
	 */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 ||
	    fcntl(plan, F_SETFD, 0) < 0)
		die_errno("close_range");
	for (size_t i = 0; i < N_ELEMS(keep); i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) < 0)
			die_errno("close_range");
	timing_mark("plan");
	if (fds->timings)
		timing_report("container, until the init's execve");
	/*
	 * A signal sent to us while we set the container up is dropped, as PID
	 * 1 without a handler drops it (pid_namespaces(7)), rather than end CMD
	 * before CMD runs (a fork's, launch.h, was taken by the runtime's
	 * handler in our copy, and lost, as before). The runtime passes its own
	 * signals on once CMD runs.
	 */
	while (sigtimedwait(&all, NULL, &(struct timespec){0, 0}) > 0)
		;
	/* the setup is complete: "created" once the execve below closes READY */
	if (fds->ready >= 0 && write(fds->ready, "", 1) != 1)
		die_errno("write the mark");
	/*
	 * Until now the init has been the runtime, cloned: its /proc/1/exe the
	 * runtime's file, its /proc/1/cmdline the runtime's command line (`final
	 * run -v /host/path:... /the/rootfs ...`), its memory the configuration.
	 * From here it is tiny-init, from a sealed copy (security.h), with
	 * nothing of ours, and only then does CMD's process exist: nothing in
	 * the container ever saw the runtime.
	 */
	exec_plan(self, INIT_TITLE, plan);
}
