/*
 * tiny-init.c: PID 1 of a `final run` container once CMD has started.
 *
 * init.c starts CMD from a clone of the runtime, and that clone then
 * re-executes itself as this program, from a sealed in-memory copy
 * (security.h, CVE-2019-5736): from then on /proc/1/exe leads to nothing
 * anyone can write, and /proc/1/cmdline is "final-init". The runtime itself
 * cannot be that program: it is linked dynamically, and its loader is not
 * in the container's root. This is freestanding instead (no libc, its own
 * _start), so it runs in any root, and it is small enough to copy at every
 * start (the Makefile builds it and init.c carries it, .incbin).
 *
 * What it does is tini's: forward every signal to CMD, reap every process
 * that ends (orphans are re-parented to PID 1), and exit with CMD's status.
 * Called final-exec, it is also what CMD's process executes last (below).
 * All signals stay blocked, so none is dropped on the way to PID 1 (a
 * blocked signal is never ignored, pid_namespaces(7)) and none interrupts
 * us: rt_sigtimedwait() takes them one by one. Signals that came while the
 * runtime's init exec'd us are pending still (a mask survives execve).
 */
#define NR_SIGCHLD 17
#define NR_WNOHANG 1

#if defined(__x86_64__)
enum { SYS_kill = 62, SYS_wait4 = 61, SYS_rt_sigprocmask = 14, SYS_rt_sigtimedwait = 128,
       SYS_getpid = 39, SYS_write = 1, SYS_exit_group = 231, SYS_fcntl = 72, SYS_execve = 59,
       SYS_prctl = 157 };

static long sys(long n, long a, long b, long c, long d)
{
	register long r10 __asm__("r10") = d;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The kernel starts us with argc, argv, envp on the stack. */
__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall start\n\thlt\n");
#elif defined(__aarch64__)
enum { SYS_kill = 129, SYS_wait4 = 260, SYS_rt_sigprocmask = 135, SYS_rt_sigtimedwait = 137,
       SYS_getpid = 172, SYS_write = 64, SYS_exit_group = 94, SYS_fcntl = 25, SYS_execve = 221,
       SYS_prctl = 167 };

static long sys(long n, long a, long b, long c, long d)
{
	register long x8 __asm__("x8") = n, x0 __asm__("x0") = a, x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c, x3 __asm__("x3") = d;

	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl start\n");
#else
#error "tiny-init.c: x86_64 and aarch64 only (a system call is an instruction of its own)"
#endif

static void __attribute__((noreturn)) exit_with(int status)
{
	for (;;)
		sys(SYS_exit_group, status, 0, 0, 0);
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

/* "final: CMD: WHAT" on stderr and on REPORT (`run -d` hears it there), then exit with STATUS. */
static void __attribute__((noreturn)) fail(int report, const char *cmd, const char *what,
					   int status)
{
	char line[512];
	unsigned n = 0;

	for (const char *p = "final: "; *p; p++)
		line[n++] = *p;
	for (; *cmd && n < 400; cmd++)
		line[n++] = *cmd;
	for (const char *p = ": "; *p; p++)
		line[n++] = *p;
	for (; *what && n < sizeof(line) - 1; what++)
		line[n++] = *what;
	line[n++] = '\n';
	sys(SYS_write, 2, (long)line, n, 0);
	if (report > 2)
		sys(SYS_write, report, (long)line, n, 0);
	exit_with(status);
}

/*
 * final-exec REPORT CMD [ARG...]: what CMD's process executes last, so that
 * it is not final's image when the kernel looks up CMD's path and its
 * interpreter's (a `#!/proc/self/exe` would be final's file). execvp()'s
 * search of PATH; REPORT closes with our execve, and hears why not.
 */
static void __attribute__((noreturn)) exec_cmd(char **argv, char **envp)
{
	static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	long report = number(argv[1]), err = -2 /* ENOENT */, e;
	const char *cmd = argv[2], *path = env_get(envp, "PATH=");
	char buf[4096];
	int slash = 0;

	if (report < 0 || !cmd)
		exit_with(2);
	sys(SYS_fcntl, report, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */, 0);
	for (const char *c = cmd; *c; c++)
		slash |= *c == '/';
	if (slash)
		err = sys(SYS_execve, (long)cmd, (long)(argv + 2), (long)envp, 0);
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
			e = sys(SYS_execve, (long)buf, (long)(argv + 2), (long)envp, 0);
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
	if (err == -2)
		fail(report, cmd, "command not found", 127);
	fail(report, cmd,
	     err == -13  ? "Permission denied"
	     : err == -8 ? "Exec format error"
			 : "cannot be executed",
	     126);
}

void __attribute__((noreturn, used)) start(long *sp)
{
	static const char usage[] = "final-init: the init of final's containers, started by "
				    "final run\n";
	char **argv = (char **)(sp + 1), **envp = argv + sp[0] + 1;
	unsigned long all = ~0UL; /* the kernel's sigset_t: 64 bits */
	long cmd = number(env_get(envp, "FINAL_INIT_CMD=")), sig, pid;
	int status;
	long info[16]; /* siginfo_t: 128 bytes */

	if (sp[0] >= 3 && after(argv[0], "final-exec") && !*after(argv[0], "final-exec"))
		exec_cmd(argv, envp);
	if (cmd <= 1 || sys(SYS_getpid, 0, 0, 0, 0) != 1) {
		sys(SYS_write, 2, (long)usage, sizeof(usage) - 1, 0);
		exit_with(2);
	}
	/* Not dumpable already (an execute-only file, init.c); whatever fs.suid_dumpable says: */
	sys(SYS_prctl, 4 /* PR_SET_DUMPABLE */, 0, 0, 0);
	sys(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, 0, sizeof(all));
	for (;;) {
		sig = sys(SYS_rt_sigtimedwait, (long)&all, (long)info, 0, sizeof(all));
		if (sig < 0)
			continue;
		if (sig != NR_SIGCHLD) {
			sys(SYS_kill, cmd, sig, 0, 0);
			continue;
		}
		while ((pid = sys(SYS_wait4, -1, (long)&status, NR_WNOHANG, 0)) > 0)
			if (pid == cmd) /* exited: its code; killed: 128 + the signal */
				exit_with((status & 0x7f) == 0 ? (status >> 8) & 0xff
							       : 128 + (status & 0x7f));
	}
}
