/*
 * tiny-init.c: PID 1 of a `final run` container, and what starts CMD.
 *
 * The runtime's child sets the container up (container.c), writes a plan
 * of how CMD is to start (plan.h: its arguments, environment, user,
 * capabilities, limits, seccomp program) and executes this program, from
 * a sealed in-memory copy (security.h, CVE-2019-5736): from then on
 * /proc/1/exe leads to nothing anyone can write, and /proc/1/cmdline is
 * "final-init". The container is "created" once we run: we wait for the
 * start (launch.h's gate), and only then does CMD's process exist: we
 * start it, and it carries the plan out and executes CMD, so no process of
 * the container ever sees the runtime as its init, and what /proc/self/exe
 * names at CMD's execve (a "#!/proc/self/exe" script) is this copy, not
 * final's file. The runtime itself cannot be PID 1 here: it is linked dynamically,
 * and its loader is not in the container's root. This is freestanding (no
 * libc, its own _start), so it runs in any root, and it is small enough to
 * copy at every start (the Makefile builds it; init.c carries it, .incbin).
 *
 * As PID 1 it does what tini does: forward every signal to CMD, reap every
 * process that ends (orphans are re-parented to PID 1), and exit with
 * CMD's status, with no privilege of its own. All signals stay blocked, so
 * none is dropped on the way to PID 1 (a blocked signal is never ignored,
 * pid_namespaces(7)) and none interrupts us: rt_sigtimedwait() takes them
 * one by one. Signals that came while the runtime's child exec'd us are
 * pending still (a mask survives execve). Called final-exec, it is the
 * parent of a `final exec` process, outside the container's PID namespace:
 * the same, but that it confines itself before it starts the process, which
 * is inside from its birth.
 */
#include "plan.h"

#include <asm/unistd.h> /* the system calls' numbers (macros only: no libc) */

#define NR_SIGCHLD 17
#define NR_WNOHANG 1

#if defined(__x86_64__)
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* FN(ARG) in a process that shares our memory, on the stack below TOP: its pid. */
static long spawn(void (*fn)(void *), void *arg, char *top)
{
	register long r10 __asm__("r10") = 0, r8 __asm__("r8") = 0;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %[arg], %%rdi\n\t"
			 "call *%[fn]\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(__NR_clone), "D"(0x100 | 17 /* CLONE_VM | SIGCHLD */), "S"(top),
			   "d"(0), "r"(r10), "r"(r8), [fn] "r"(fn), [arg] "r"(arg)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The kernel starts us with argc, argv, envp on the stack. */
__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall start\n\thlt\n");
#elif defined(__aarch64__)
static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

static long spawn(void (*fn)(void *), void *arg, char *top)
{
	register long x8 __asm__("x8") = __NR_clone, x0 __asm__("x0") = 0x100 | 17;
	register long x1 __asm__("x1") = (long)top, x2 __asm__("x2") = 0, x3 __asm__("x3") = 0;
	register long x4 __asm__("x4") = 0;

	__asm__ volatile("svc 0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x0, %[arg]\n\t"
			 "blr %[fn]\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), [fn] "r"(fn), [arg] "r"(arg)
			 : "x30", "memory");
	return x0;
}

__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl start\n");
#else
#error "tiny-init.c: x86_64 and aarch64 only (a system call is an instruction of its own)"
#endif

static long sys(long n, long a, long b, long c, long d)
{
	return sys6(n, a, b, c, d, 0, 0);
}

static void __attribute__((noreturn)) exit_with(int status)
{
	for (;;)
		sys(__NR_exit_group, status, 0, 0, 0);
}

/* S after PREFIX if S starts with it, else 0. */
static const char *after(const char *s, const char *prefix)
{
	while (*prefix && *s == *prefix)
		s++, prefix++;
	return *prefix ? 0 : s;
}

/* The decimal number S is, or -1. */
static long number(const char *s)
{
	long n = 0;

	if (!s || !*s)
		return -1;
	for (; *s >= '0' && *s <= '9' && n < 1 << 22; s++)
		n = n * 10 + (*s - '0');
	return *s ? -1 : n;
}

/* NAME's value in ENVP ("NAME=" included in NAME), or 0. */
static const char *env_get(char **envp, const char *name)
{
	const char *v = 0;

	for (; *envp && !v; envp++)
		v = after(*envp, name);
	return v;
}

/*** one line of error, as the runtime's die_errno() writes it ***/

struct line {
	char s[512];
	unsigned n;
};

static void put(struct line *l, const char *s)
{
	for (; *s && l->n < 400; s++)
		l->s[l->n++] = *s;
}

static void put_number(struct line *l, unsigned long n)
{
	char digits[24];
	int i = 0;

	do
		digits[i++] = (char)('0' + n % 10);
	while ((n /= 10) && i < 23);
	while (i > 0 && l->n < 400)
		l->s[l->n++] = digits[--i];
}

static const struct {
	long err;
	const char *text;
} error_texts[] = {
    {-1, "Operation not permitted"},
    {-2, "No such file or directory"},
    {-7, "Argument list too long"},
    {-8, "Exec format error"},
    {-12, "Cannot allocate memory"},
    {-13, "Permission denied"},
    {-20, "Not a directory"},
    {-22, "Invalid argument"},
    {-26, "Text file busy"},
    {-36, "File name too long"},
    {-40, "Too many levels of symbolic links"},
};

static const char *error_text(long err)
{
	for (unsigned i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
		if (error_texts[i].err == err)
			return error_texts[i].text;
	return 0;
}

/* "final: WHAT[: ERR's text]" on stderr and on REPORT (`run -d` hears it there); exit STATUS. */
static void __attribute__((noreturn)) fail(long report, struct line *l, long err, int status)
{
	if (err < 0) {
		put(l, ": ");
		if (error_text(err))
			put(l, error_text(err));
		else
			put(l, "error "), put_number(l, -err);
	}
	l->s[l->n++] = '\n';
	sys(__NR_write, 2, (long)l->s, l->n, 0);
	if (report > 2)
		sys(__NR_write, report, (long)l->s, l->n, 0);
	exit_with(status);
}

static struct line *say(struct line *l, const char *what)
{
	l->n = 0;
	put(l, "final: ");
	put(l, what);
	return l;
}

/*** the plan (plan.h) ***/

/* Mapped from the descriptor PLAN_ENV names, offsets made pointers; 0 if there is none. */
static struct plan *plan_map(char **envp)
{
	long fd = number(env_get(envp, PLAN_ENV "=")), size;
	unsigned long long *list[2];
	struct plan *p;
	char *base;

	if (fd < 0)
		return 0;
	size = sys(__NR_lseek, fd, 0, 2 /* SEEK_END */, 0);
	base = size < (long)sizeof(*p)
		   ? 0
		   : (char *)sys6(__NR_mmap, 0, size, 3 /* PROT_READ|PROT_WRITE */,
				  2 /* MAP_PRIVATE */, fd, 0);
	sys(__NR_close, fd, 0, 0, 0);
	if (!base || (unsigned long)base > -4096UL)
		return 0;
	p = (struct plan *)base;
	/* every offset inside, every list 8-aligned, no count that overflows */
	if (p->magic != PLAN_MAGIC || p->size != (unsigned long long)size || base[size - 1] ||
	    p->cwd >= p->size || p->argv >= p->size || p->envp >= p->size || p->rlimits > p->size ||
	    p->filter > p->size || (p->argv | p->envp | p->rlimits | p->filter) % 8 ||
	    p->nrlimits > (p->size - p->rlimits) / sizeof(struct plan_rlimit) ||
	    p->nfilter > (p->size - p->filter) / 8 || p->nfilter > 4096)
		return 0;
	list[0] = (unsigned long long *)(base + p->argv);
	list[1] = (unsigned long long *)(base + p->envp);
	for (int i = 0; i < 2; i++)
		for (unsigned long long *a = list[i]; *a; a++) {
			if ((char *)(a + 1) > base + size || *a >= p->size)
				return 0;
			*a = (unsigned long long)(unsigned long)(base + *a);
		}
	return p;
}

static char **plan_strings(const struct plan *p, unsigned long long offset)
{
	return (char **)((char *)p + offset);
}

/* The limits (--ulimit), for CMD and the init alike. */
static void set_limits(const struct plan *p)
{
	const struct plan_rlimit *r = (const void *)((const char *)p + p->rlimits);
	struct line l;
	long e;

	for (unsigned long long i = 0; i < p->nrlimits; i++)
		if ((e = sys(__NR_prlimit64, 0, r[i].resource, (long)&r[i].cur, 0)) < 0)
			fail(p->report, say(&l, "setrlimit"), e, 125);
}

/* The seccomp program, or nothing. */
static long load_filter(const struct plan *p)
{
	struct {
		unsigned short len;
		const void *filter;
	} prog = {(unsigned short)p->nfilter, (const char *)p + p->filter};

	if (!p->nfilter)
		return 0;
	return sys(__NR_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, (long)&prog, 0);
}

struct cap_header {
	unsigned version; /* _LINUX_CAPABILITY_VERSION_3 */
	int pid;
};

/* The permitted capabilities we hold, a bit for each, in *HELD. */
static long held_caps(unsigned long long *held)
{
	struct cap_header header = {0x20080522, 0};
	unsigned data[6]; /* {effective, permitted, inheritable}: bits 0-31, then 32-63 */
	long e = sys(__NR_capget, (long)&header, (long)data, 0, 0);

	*held = data[1] | (unsigned long long)data[4] << 32;
	return e;
}

/* Permitted, effective and inheritable: KEEP's, and nothing else. */
static long set_caps(unsigned long long keep)
{
	struct cap_header header = {0x20080522, 0};
	unsigned data[6];

	for (int i = 0; i < 2; i++)
		data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = (unsigned)(keep >> 32 * i);
	return sys(__NR_capset, (long)&header, (long)data, 0, 0);
}

/*
 * CMD's confinement, in this order: no_new_privs and the filter (which
 * needs CAP_SYS_ADMIN without no_new_privs, still ours), the bounding set,
 * the user (keeping the permitted set), then the capabilities root keeps of
 * what it holds (--cap-add ALL cannot exceed the runtime's own set); none
 * for another user, nor ambient ones.
 */
static void confine(const struct plan *p)
{
	unsigned long long keep = 0;
	struct line l;
	long e;

	if ((p->flags & PLAN_NO_NEW_PRIVS) &&
	    (e = sys(__NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0)) < 0)
		fail(p->report, say(&l, "prctl(PR_SET_NO_NEW_PRIVS)"), e, 125);
	if ((e = load_filter(p)) < 0)
		fail(p->report, say(&l, "load the seccomp filter"), e, 125);
	for (unsigned long long cap = 0; cap < p->ncaps && cap < 64; cap++)
		if (!(p->caps >> cap & 1) &&
		    (e = sys(__NR_prctl, 24 /* PR_CAPBSET_DROP */, (long)cap, 0, 0)) < 0 &&
		    e != -22)
			fail(p->report, say(&l, "drop a capability from the bounding set"), e, 125);
	if ((e = sys(__NR_prctl, 8 /* PR_SET_KEEPCAPS */, 1, 0, 0)) < 0 ||
	    ((e = sys(__NR_setgroups, 0, 0, 0, 0)) < 0 &&
	     !(e == -1 && (p->flags & PLAN_ROOTLESS))) ||
	    (e = sys(__NR_setresgid, p->gid, p->gid, p->gid, 0)) < 0 ||
	    (e = sys(__NR_setresuid, p->uid, p->uid, p->uid, 0)) < 0) {
		say(&l, "become user "), put_number(&l, p->uid), put(&l, ":"),
		    put_number(&l, p->gid);
		fail(p->report, &l, e, 125);
	}
	if (((p->flags & PLAN_ROOT) && (e = held_caps(&keep)) < 0) ||
	    (e = set_caps(keep & p->caps)) < 0)
		fail(p->report, say(&l, "set capabilities"), e, 125);
	if ((e = sys(__NR_prctl, 47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0)) < 0 && e != -22)
		fail(p->report, say(&l, "clear ambient capabilities"), e, 125);
}

/*
 * The init's own: no capability, none to come (the bounding set), CMD's
 * user, no_new_privs, CMD's filter. It needs none: it signals CMD, which
 * runs as the same user, and reaps. Root's full set here would be one
 * ptrace away from any process of the container allowed to ptrace (--cap-add
 * __NR_PTRACE writes /proc/1/mem), and so would the unfiltered system calls.
 */
static void drop_privileges(const struct plan *p, long cmd)
{
	int ok = 1;

	for (unsigned long long cap = 0; cap < p->ncaps && cap < 64; cap++)
		ok &= sys(__NR_prctl, 24 /* PR_CAPBSET_DROP */, (long)cap, 0, 0) == 0;
	ok &= sys(__NR_prctl, 47 /* PR_CAP_AMBIENT */, 4 /* CLEAR_ALL */, 0, 0) == 0;
	ok &= sys(__NR_setgroups, 0, 0, 0, 0) == 0 || (p->flags & PLAN_ROOTLESS);
	ok &= sys(__NR_setresgid, p->gid, p->gid, p->gid, 0) == 0 &&
	      sys(__NR_setresuid, p->uid, p->uid, p->uid, 0) == 0;
	ok &= set_caps(0) == 0;
	ok &= sys(__NR_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0) == 0 && load_filter(p) == 0;
	if (!ok) {
		struct line l;

		sys(__NR_kill, cmd, 9 /* SIGKILL */, 0, 0);
		fail(-1, say(&l, "drop the init's privileges"), 0, 125);
	}
}

/*
 * Execute CMD (ARGS) as execvp() does: its path, or a search of PATH in
 * ENVP. REPORT closes with our execve, and hears why not.
 */
static void __attribute__((noreturn)) exec_cmd(char **args, char **envp, long report)
{
	static const char default_path[] =
	    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *cmd = args[0], *path = env_get(envp, "PATH=");
	long err = -2 /* ENOENT */, e;
	struct line l;
	char buf[4096];
	int slash = 0;

	if (!cmd)
		exit_with(125);
	if (report >= 0)
		sys(__NR_fcntl, report, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */, 0);
	for (const char *c = cmd; *c; c++)
		slash |= *c == '/';
	if (slash)
		err = sys(__NR_execve, (long)cmd, (long)args, (long)envp, 0);
	/* each entry of PATH in turn ("" is the working directory, as execvp's) */
	for (path = path ? path : default_path; !slash && *cmd; path += *path == ':') {
		unsigned n = 0;
		const char *c = cmd;

		for (; *path && *path != ':'; path++)
			if (n < sizeof(buf))
				buf[n++] = *path;
		if (n == 0)
			buf[n++] = '.';
		if (n < sizeof(buf))
			buf[n++] = '/';
		for (; *c && n < sizeof(buf); c++)
			buf[n++] = *c;
		if (n < sizeof(buf)) {
			buf[n] = 0;
			e = sys(__NR_execve, (long)buf, (long)args, (long)envp, 0);
		} else {
			e = -36; /* ENAMETOOLONG: not a shorter name instead */
		}
		if (e == -13 /* EACCES */)
			err = e; /* as execvp: remembered, and the search goes on */
		else if (e != -2 && e != -20 /* ENOTDIR */ && e != -36) {
			err = e;
			break;
		}
		if (!*path)
			break;
	}
	say(&l, cmd), put(&l, ": ");
	if (err == -2) {
		put(&l, "command not found");
		fail(report, &l, 0, 127);
	}
	put(&l, err == -13  ? "Permission denied"
		: err == -8 ? "Exec format error"
			    : "cannot be executed");
	fail(report, &l, 0, 126);
}

/* Set once the init has no privilege left: CMD's process, which shares our memory, waits for it. */
static volatile int init_dropped;

/* Set when we confined ourselves before we started CMD's process (final-exec), which then is. */
static volatile int born_confined;

/* CMD's working directory, then its confinement. */
static void enter(const struct plan *p)
{
	const char *cwd = (const char *)p + p->cwd;
	struct line l;
	long e;

	if ((e = sys(__NR_chdir, (long)cwd, 0, 0, 0)) < 0)
		say(&l, "chdir "), put(&l, cwd), fail(p->report, &l, e, 125);
	confine(p);
}

/* CMD's process: its terminal, its working directory, its confinement, CMD. */
static void __attribute__((noreturn)) start_cmd(void *arg)
{
	const struct plan *p = arg;
	struct line l;
	long e;

	sys(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&p->sigmask, 0, 8);
	if (p->tty >= 0) { /* the controlling terminal, and stdin, stdout, stderr */
		if ((e = sys(__NR_setsid, 0, 0, 0, 0)) < 0 ||
		    (e = sys(__NR_ioctl, p->tty, 0x540E /* TIOCSCTTY */, 0, 0)) < 0)
			fail(p->report, say(&l, "make the terminal the controlling one"), e, 125);
		for (int fd = 0; fd < 3; fd++)
			if (fd != p->tty && (e = sys(__NR_dup3, p->tty, fd, 0, 0)) < 0)
				fail(p->report, say(&l, "dup2 the terminal"), e, 125);
		if (p->tty > 2)
			sys(__NR_close, p->tty, 0, 0, 0);
	}
	if (!born_confined)
		enter(p);
	/*
	 * The init may not be root still when CMD runs: a CMD allowed to ptrace
	 * (--cap-add __NR_PTRACE) would make it run code with all of root's
	 * capabilities (the_init_has_no_privilege). (A `final exec` process
	 * waits for its parent the same way, though nothing in the container can
	 * name that one.)
	 */
	while (!__atomic_load_n(&init_dropped, __ATOMIC_ACQUIRE))
		sys(__NR_futex, (long)&init_dropped, 128 /* FUTEX_WAIT_PRIVATE */, 0, 0);
	exec_cmd(plan_strings(p, p->argv), plan_strings(p, p->envp), p->report);
}

/* CMD's process's stack, until its execve */
static char cmd_stack[32 << 10] __attribute__((aligned(16)));

void __attribute__((noreturn, used)) start(long *sp)
{
	static const char usage[] = "final-init: the init of final's containers, started by "
				    "final run\n";
	char **argv = (char **)(sp + 1), **envp = argv + sp[0] + 1;
	unsigned long all = ~0UL; /* the kernel's sigset_t: 64 bits */
	struct plan *p;
	long cmd, sig, pid;
	int status, exec_parent;
	long info[16]; /* siginfo_t: 128 bytes */
	struct line l;

	/*
	 * Not dumpable, first of all: our file is execute-only (init.c), but
	 * root may read it, and an execve makes a process that may read its
	 * file dumpable again (whatever fs.suid_dumpable says).
	 */
	sys(__NR_prctl, 4 /* PR_SET_DUMPABLE */, 0, 0, 0);
	p = plan_map(envp);
	/* PID 1 of a container (final-init), or the parent of a `final exec` process */
	exec_parent = sp[0] == 1 && after(argv[0], "final-exec") && !*after(argv[0], "final-exec");
	if (!p || (sys(__NR_getpid, 0, 0, 0, 0) != 1 && !exec_parent)) {
		sys(__NR_write, 2, (long)usage, sizeof(usage) - 1, 0);
		exit_with(2);
	}
	sys(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, 0, sizeof(all));
	/*
	 * The container is "created" (our execve closed the runtime's ready
	 * pipe, launch.h): the start's gate is ours to wait at; "started" then
	 * goes on the report pipe.
	 */
	if (p->gate >= 0) {
		char byte;
		long n;

		while ((n = sys(__NR_read, p->gate, (long)&byte, 1, 0)) == -4 /* EINTR */)
			;
		if (n != 1) /* EOF: the runtime went without a start (launch_cancel()) */
			exit_with(125);
		sys(__NR_close, p->gate, 0, 0, 0);
		if (p->report >= 0 && sys(__NR_write, p->report, (long)"", 1, 0) != 1)
			exit_with(125);
	}
	set_limits(p);
	/*
	 * final-exec: the process we start is in the container's PID namespace
	 * from its birth, where a process allowed to ptrace (--cap-add
	 * __NR_PTRACE) could take it over while it held our privileges (we are
	 * outside: nothing in there can name us). So it is born confined: we
	 * confine ourselves first. (The init's CMD is the first process in its
	 * container: nothing is there to see it before its execve.)
	 */
	if (exec_parent)
		enter(p), born_confined = 1;
	/*
	 * CMD's process shares our memory (CLONE_VM, as posix_spawn() starts
	 * one): fork() would copy the page tables, and each of us would then
	 * fault on every page it writes first. We write nothing of CMD's but
	 * INIT_DROPPED, and CMD's execve gives it a memory of its own.
	 */
	cmd = spawn(start_cmd, p, cmd_stack + sizeof(cmd_stack));
	if (cmd < 0)
		fail(p->report, say(&l, "fork CMD's process"), cmd, 125);
	/* CMD's terminal and report are CMD's: its execve closes the report ("ready") */
	if (p->tty >= 0)
		sys(__NR_close, p->tty, 0, 0, 0);
	if (p->report >= 0)
		sys(__NR_close, p->report, 0, 0, 0);
	if (exec_parent) { /* CMD's bounding set, filter, user: no capability left */
		long e = set_caps(0);

		if (e < 0)
			sys(__NR_kill, cmd, 9, 0, 0),
			    fail(-1, say(&l, "drop capabilities"), e, 125);
	} else {
		drop_privileges(p, cmd);
	}
	__atomic_store_n(&init_dropped, 1, __ATOMIC_RELEASE);
	sys(__NR_futex, (long)&init_dropped, 129 /* FUTEX_WAKE_PRIVATE */, 1, 0);
	for (;;) {
		sig = sys(__NR_rt_sigtimedwait, (long)&all, (long)info, 0, sizeof(all));
		if (sig < 0)
			continue;
		if (sig != NR_SIGCHLD) {
			sys(__NR_kill, cmd, sig, 0, 0);
			continue;
		}
		while ((pid = sys(__NR_wait4, -1, (long)&status, NR_WNOHANG, 0)) > 0)
			if (pid == cmd) /* exited: its code; killed: 128 + the signal */
				exit_with((status & 0x7f) == 0 ? (status >> 8) & 0xff
							       : 128 + (status & 0x7f));
	}
}
