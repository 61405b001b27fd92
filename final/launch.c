/*
 * launch.c: create, start, kill, for `final run` and final-oci alike
 * (launch.h says the protocol).
 *
 * Why a gate at all: `created` must mean complete (the readiness rule of
 * container.c), and the container's process must not run before `start`.
 * A FIFO is the gate the OCI lifecycle needs across processes (runc's
 * exec.fifo): `create` has returned by the time `start` comes, and a FIFO
 * in the record is how a later command reaches a process that waits.
 */
#define _GNU_SOURCE
#include "launch.h"
#include "pidfd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (1024 * 1024)

/*
 * The child: the parent's go (with our pid as the host numbers it), SETUP,
 * created, gate, RUN; GATED: SETUP, RUN (which marks "created" just before
 * its execve); SHARED: the same without a go (launch.h).
 */
static int child(void *arg)
{
	struct launch *l = arg;
	char go[32] = "", byte;

	errors_end_child(); /* SHARED: every signal blocked until our execve (launch.h) */
	/*
	 * Not dumpable (CVE-2016-9962's fix in runc): until it execs, this is
	 * the runtime, with the host's descriptors (exec.fifo among them); a
	 * process that joins the container (exec) must not reach them through
	 * /proc/PID/fd. execve() makes CMD dumpable again. (SHARED: the flag is
	 * our memory's, so the parent's too: it holds those descriptors as well.)
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close(l->ready[0]);
	if (!l->shared) {
		close(l->sync[1]);
		if (read(l->sync[0], go, sizeof(go) - 1) <= 0 || sscanf(go, "%d", &l->pid) != 1)
			_exit(EXIT_RUNTIME); /* EOF: the parent failed or died; it cleans up */
		close(l->sync[0]);
	}
	report_errors_to(l->ready[1]); /* every die() of the setup reaches create */
	l->setup(l);
	if (l->gated) /* marks ready[1] just before its execve, which closes it (launch.h) */
		l->run(l);
	if (write(l->ready[1], "", 1) != 1) /* the mark: created (EOF alone: we died) */
		_exit(EXIT_RUNTIME);
	report_errors_to(-1); /* closes the ready pipe */
	while (read(l->gate, &byte, 1) < 0)
		if (errno != EINTR)
			_exit(EXIT_RUNTIME);
	l->run(l);
	_exit(EXIT_RUNTIME);
}

#if defined(__x86_64__)
/* clone3(ARGS), and FN(ARG) in the child, on ARGS's stack: FN never returns. */
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg)
{
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov %[arg], %%rdi\n\t"
			 "call *%[fn]\n\t"
			 "hlt\n"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone3), "D"(args),
			   "S"(sizeof(*args)), [fn] "r"(fn), [arg] "r"(arg)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}
#elif defined(__aarch64__)
static long clone3_run(struct clone_args *args, int (*fn)(void *), void *arg)
{
	register long x8 __asm__("x8") = SYS_clone3, x0 __asm__("x0") = (long)args;
	register long x1 __asm__("x1") = sizeof(*args);

	__asm__ volatile("svc 0\n\t"
			 "cbnz x0, 1f\n\t"
			 "mov x0, %[arg]\n\t"
			 "blr %[fn]\n\t"
			 "brk #0\n"
			 "1:"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), [fn] "r"(fn), [arg] "r"(arg)
			 : "x30", "memory", "cc");
	return x0;
}
#endif

bool launch_can_share(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	static int can = -1;

	/*
	 * clone3 (Linux 5.3) says EINVAL to no arguments; ENOSYS if there is
	 * none, or a seccomp filter's ENOSYS or EPERM (final in a container):
	 * the fork() then.
	 */
	if (can < 0)
		can = syscall(SYS_clone3, NULL, 0) < 0 && errno == EINVAL;
	return can;
#else
	return false;
#endif
}

/*
 * SHARED: clone3(CLONE_VM | CLONE_VFORK), on a stack of its own, in its
 * cgroup (v2, as below) or, if the kernel refuses that, joining it itself;
 * we go on once it has exec'd or died. Every signal is blocked meanwhile,
 * ours and the child's until its execve: none of our handlers may run in
 * it, on our memory.
 */
static pid_t spawn_shared(struct launch *l)
{
#if defined(__x86_64__) || defined(__aarch64__)
	struct clone_args args = {.flags =
				      (l->flags & ~0xff) | CLONE_VM | CLONE_VFORK | CLONE_PIDFD,
				  .pidfd = (uintptr_t)&l->pidfd,
				  .exit_signal = SIGCHLD,
				  .stack_size = STACK_SIZE};
	struct errors_state errors;
	/*
	 * A mapping of its own, its lowest page a guard: an overflow faults, and
	 * never writes into our heap (malloc's 1 MB came from the heap from the
	 * second life on). One for all our lives (--restart): an munmap() here,
	 * between the child's execve and the go it waits for, cost a TLB
	 * shootdown on the CPU the child ran on.
	 */
	static char *stack;
	sigset_t all;
	long pid = -EINVAL;

	if (!stack) {
		stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack == MAP_FAILED || mprotect(stack, 4096, PROT_NONE) < 0)
			die_errno("the first process's stack");
	}
	args.stack = (uintptr_t)stack;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	errors_save(&errors);
	if (l->cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP, args.cgroup = l->cgroup_fd;
		l->in_cgroup = true; /* what the child reads */
		pid = clone3_run(&args, child, l);
	}
	if (pid < 0) {
		args.flags &= ~CLONE_INTO_CGROUP, args.cgroup = 0;
		l->in_cgroup = false;
		pid = clone3_run(&args, child, l);
	}
	errors_restore(&errors); /* the child's changes to where errors go are not ours */
	sigprocmask(SIG_SETMASK, &l->mask, NULL);
	if (pid < 0)
		return errno = -pid, -1;
	return pid;
#else
	(void)l;
	return errno = ENOSYS, -1;
#endif
}

/*
 * v2: clone3(CLONE_INTO_CGROUP) (Linux 5.7) creates the child in its
 * cgroup, so nothing has to move it there, and moving a process
 * write-locks every thread group on the machine until an RCU grace period
 * ends (cgroup.c, cgroup_enter()). -1 where the kernel refuses it: clone()
 * then, and the caller's SETUP joins the cgroup itself.
 */
static pid_t clone_into_cgroup(struct launch *l)
{
	struct clone_args args = {.flags = (l->flags & ~0xff) | CLONE_PIDFD | CLONE_INTO_CGROUP,
				  .pidfd = (uintptr_t)&l->pidfd,
				  .cgroup = l->cgroup_fd,
				  .exit_signal = SIGCHLD};
	pid_t pid;

	l->in_cgroup = true; /* the child's copy says so */
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0) { /* the child: fork's way, on a copy of our stack */
		/*
		 * Until the child execs (a final-oci process, or tiny-init),
		 * O_CLOEXEC does not close this: open, the host's cgroup tree
		 * would be /proc/1/fd/N/.. to anyone in the container allowed
		 * to ptrace (--cap-add SYS_PTRACE).
		 */
		close(l->cgroup_fd);
		_exit(child(l));
	}
	l->in_cgroup = pid > 0;
	return pid;
}

static pid_t spawn(struct launch *l)
{
	char *stack;
	pid_t pid = -1;

	if (l->shared)
		return spawn_shared(l);
	l->in_cgroup = false;
	if (l->cgroup_fd >= 0)
		pid = clone_into_cgroup(l);
	if (pid >= 0)
		return pid;
	if (!(stack = malloc(STACK_SIZE)))
		die("out of memory");
	/* CLONE_PIDFD (Linux 5.2) */
	pid = clone(child, stack + STACK_SIZE, l->flags | SIGCHLD | CLONE_PIDFD, l, &l->pidfd);
	free(stack); /* the child runs on its own copy of our memory */
	return pid;
}

int launch_create(struct launch *l)
{
	char go[32];
	int status;
	bool gate_open = false, created;

	l->pid = -1, l->pidfd = -1, l->gate = -1, l->go = -1, l->why[0] = '\0';
	l->sync[0] = l->sync[1] = l->ready[0] = l->ready[1] = -1;
	if (!l->fifo) { /* the caller's own: nobody else can reach it */
		int gate[2];

		/* a socket, not a pipe: launch_go()'s send() to a process gone is EPIPE alone */
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gate) < 0) {
			warn_errno("socketpair");
			goto fail;
		}
		l->gate = gate[0], l->go = gate[1];
		gate_open = true;
	} else {
		unlink(l->fifo);
		/*
		 * 0600, not runc's 0622: final-oci's records are 0711 under a 0755
		 * root, and any user could otherwise start a created container. The
		 * child reads the descriptor it inherits; it never opens the path.
		 * O_RDWR: open does not wait for a writer, and the child's read waits.
		 */
		if (mkfifo(l->fifo, 0600) < 0 || chmod(l->fifo, 0600) < 0 ||
		    (l->gate = open(l->fifo, O_RDWR | O_CLOEXEC)) < 0) {
			warn_errno("mkfifo %s", l->fifo);
			goto fail;
		}
		gate_open = true;
	}
	l->shared = l->shared && l->gated && launch_can_share();
	if ((!l->shared && pipe2(l->sync, O_CLOEXEC) < 0) || pipe2(l->ready, O_CLOEXEC) < 0) {
		warn_errno("pipe2");
		goto fail;
	}
	sigprocmask(SIG_SETMASK, NULL, &l->mask);
	l->pid = spawn(l);
	/* the child's alone from now: with ours open, a start would not see it gone */
	if (gate_open)
		close(l->gate);
	gate_open = false;
	if (l->pid < 0) {
		warn_errno("clone");
		goto fail;
	}
	l->start = proc_start_time(l->pid); /* our unreaped child: the number cannot move */
	close(l->ready[1]), l->ready[1] = -1;
	if (!l->shared) {
		close(l->sync[0]), l->sync[0] = -1;
		if (l->prepare && l->prepare(l) < 0)
			goto fail;
		snprintf(go, sizeof(go), "%d", (int)l->pid);
		if (write(l->sync[1], go, strlen(go)) < 0) {
			warn_errno("release the container");
			goto fail;
		}
		close(l->sync[1]), l->sync[1] = -1;
	}
	created = launch_wait_word(l->ready[0], l->why, sizeof(l->why)) == 0 && !l->why[0];
	l->ready[0] = -1;
	if (created && (!l->shared || !l->prepare || l->prepare(l) == 0))
		return 0;
	if (created)
		goto fail;
	if (!l->why[0]) /* killed (stop, rm -f) while it was set up */
		warn("the container's first process ended before its setup was complete");
fail:
	if (gate_open)
		close(l->gate);
	if (l->go >= 0)
		close(l->go), l->go = -1;
	for (int i = 0; i < 2; i++) {
		if (l->sync[i] >= 0)
			close(l->sync[i]);
		if (l->ready[i] >= 0)
			close(l->ready[i]);
	}
	if (l->pid > 0) { /* ours and unreaped: its number is still its own */
		kill(l->pid, SIGKILL);
		while (waitpid(l->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (l->pidfd >= 0)
		close(l->pidfd), l->pidfd = -1;
	if (l->fifo)
		unlink(l->fifo);
	return -1;
}

int launch_start(const char *fifo, struct stat *st)
{
	char mine[PATH_MAX + 32];
	int fd;

	/*
	 * Two starts at once would both get their byte into the FIFO before
	 * the child reads one, and both say so. rename() is atomic: one of
	 * them has the FIFO; the other finds none, as after the first.
	 */
	snprintf(mine, sizeof(mine), "%s.%d", fifo, (int)getpid());
	if (rename(fifo, mine) < 0)
		return -1;
	/* O_NONBLOCK: ENXIO, not a hang, if nobody waits on it any more */
	fd = open(mine, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	unlink(mine);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || write(fd, "1", 1) != 1) {
		int saved = errno;

		close(fd);
		return errno = saved, -1;
	}
	close(fd);
	return 0;
}

int launch_go(struct launch *l)
{
	int ok = send(l->go, "1", 1, MSG_NOSIGNAL) == 1 ? 0 : -1, saved = errno;

	close(l->go), l->go = -1;
	errno = saved;
	return ok;
}

void launch_cancel(struct launch *l)
{
	if (l->go >= 0)
		close(l->go), l->go = -1;
}

void launch_kill(pid_t pid, unsigned long long start)
{
	int pidfd = proc_open(pid, start);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd < 0)
		return;
	proc_signal(pidfd, SIGKILL);
	poll(&p, 1, 5000); /* a pidfd is readable once its process has exited (5.3) */
	close(pidfd);
}

int launch_wait_word(int fd, char *why, size_t size)
{
	size_t len = 0;
	ssize_t n;
	bool mark;

	while (len + 1 < size && (n = read(fd, why + len, size - len - 1)) != 0)
		if (n > 0)
			len += n;
		else if (errno != EINTR)
			break;
	close(fd);
	mark = len > 0 && why[0] == '\0';
	if (mark) /* the line, if any, follows the mark */
		memmove(why, why + 1, --len);
	why[len] = '\0';
	return mark ? 0 : -1;
}
