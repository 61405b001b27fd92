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
 * All signals stay blocked, so none is dropped on the way to PID 1 (a
 * blocked signal is never ignored, pid_namespaces(7)) and none interrupts
 * us: rt_sigtimedwait() takes them one by one. Signals that came while the
 * runtime's init exec'd us are pending still (a mask survives execve).
 */
#define NR_SIGCHLD 17
#define NR_WNOHANG 1

#if defined(__x86_64__)
enum { SYS_kill = 62, SYS_wait4 = 61, SYS_rt_sigprocmask = 14, SYS_rt_sigtimedwait = 128,
       SYS_getpid = 39, SYS_write = 1, SYS_exit_group = 231 };

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
       SYS_getpid = 172, SYS_write = 64, SYS_exit_group = 94 };

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

/* CMD's pid, from FINAL_INIT_CMD=PID in ENVP (init.h); 0 if none. */
static long cmd_pid(char **envp)
{
	static const char name[] = "FINAL_INIT_CMD=";

	for (; *envp; envp++) {
		const char *s = *envp;
		unsigned i = 0;
		long pid = 0;

		while (name[i] && s[i] == name[i])
			i++;
		if (name[i])
			continue;
		for (s += i; *s >= '0' && *s <= '9' && pid < 1 << 22; s++)
			pid = pid * 10 + (*s - '0');
		return *s ? 0 : pid;
	}
	return 0;
}

void __attribute__((noreturn, used)) start(long *sp)
{
	static const char usage[] = "final-init: the init of final's containers, started by "
				    "final run\n";
	char **envp = (char **)(sp + 1) + sp[0] + 1;
	unsigned long all = ~0UL; /* the kernel's sigset_t: 64 bits */
	long cmd = cmd_pid(envp), sig, pid;
	int status;
	long info[16]; /* siginfo_t: 128 bytes */

	if (cmd <= 1 || sys(SYS_getpid, 0, 0, 0, 0) != 1) {
		sys(SYS_write, 2, (long)usage, sizeof(usage) - 1, 0);
		exit_with(2);
	}
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
