/*
 * harness.h: what every stage's tests share.
 *
 * The tests are black-box: they run the binary under test (BIN) as a child,
 * with its output captured, and assert on its exit status, its output and
 * on kernel facts seen from the test's side (namespace inodes, mountinfo,
 * processes). Each test runs in its own process (Check's fork mode), so a
 * test may unshare namespaces without touching the runner or the host.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <sys/types.h>
#include <signal.h>
#include <sys/wait.h>

/*** the binary under test ***/

extern const char *bin; /* absolute path of the binary under test */
extern int cli_stage; /* which stage's command line BIN speaks */
extern const char *test_rootfs; /* absolute path of the test rootfs */

/*** registering tests ***/

/*
 * A test belongs to the stage that introduced it and applies to every later
 * stage up to UNTIL (0: all of them). From stage 02 on, every test needs
 * root (namespaces); without it they are reported skipped, never passed.
 */
void add_test(int stage, int until, const TTest *test);

/* A NULL-terminated argument list: CMD("/bin/sh", "-c", "exit 3"). */
#define CMD(...) ((const char *const[]){__VA_ARGS__, NULL})

/*** running things ***/

#define OUT_MAX 65536

struct proc {
	pid_t pid;
	char cmdline[512]; /* what was run, for messages: BIN and the options the test gave */
	int status; /* exit code, 128+N for signal N, -1 after a timeout */
	const char *input; /* stdin contents; NULL for /dev/null */
	uid_t uid; /* run as this uid (needs root) when nonzero */
	bool tty; /* on a new terminal (its controlling one): talk through tty_master */
	int tty_master;
	int out_fd, err_fd;
	char out[OUT_MAX], err[OUT_MAX];
};

/* Start ARGV (NULL-terminated) with stdout and stderr captured. */
void proc_start(struct proc *p, const char *const argv[]);
/* Wait up to TIMEOUT seconds; SIGKILL its process group on timeout. */
int proc_wait(struct proc *p, int timeout);
/* Read a terminal's MASTER until NEEDLE shows up (10 s at most); everything read so far. */
const char *tty_expect(int master, const char *needle);
/* Wait until stdout contains NEEDLE; false after TIMEOUT seconds. */
bool proc_wait_output(struct proc *p, const char *needle, int timeout);

/*
 * Run BIN with OPTS, then (from stage 03 on, where the CLI takes one) the
 * test rootfs, then CMD. Both lists are NULL-terminated; OPTS may be NULL.
 */
void ctr_start(struct proc *p, const char *const opts[], const char *const cmd[]);
int ctr_run(struct proc *p, const char *const opts[], const char *const cmd[]);
/* Start /bin/sh -c SCRIPT in a container; wait until it prints "ready". */
void ctr_start_ready(struct proc *p, const char *const opts[], const char *script);
/* SIGKILL the container's init CHILD from the host, and reap BIN. */
void ctr_kill(struct proc *p, pid_t child);
/* The host pid of BIN's child (the container's init), waiting for it to exist. */
pid_t ctr_child(struct proc *p);

/* The same with ROOTFS instead of the test rootfs (before stage 03: as CMD, as BIN sees it). */
int ctr_run_in(struct proc *p, const char *rootfs, const char *const cmd[]);
/* Run BIN with ARGS as they are (final's other commands: ps, stop, rm, ...). */
int bin_run(struct proc *p, const char *const args[]);
/* `final ARGS...`, expecting exit status 0. */
#define FINAL_OK(p, ...)                                                                           \
	do {                                                                                       \
		bin_run((p), CMD(__VA_ARGS__));                                                    \
		assert_exit((p), 0);                                                               \
	} while (0)

/*
 * A path inside the container. Before stage 03 there is no rootfs yet: the
 * command runs on the host, so the same file is found under the test rootfs.
 */
const char *ctr_path(const char *path);

/*** facts seen from the test's side ***/

/* Inode of /proc/PID/ns/NAME (PID 0: this process). */
unsigned long ns_inode(pid_t pid, const char *name);
/* The mount points of this process's mount namespace, one per line. */
char *mount_points(void);
/* A fresh mount namespace whose "/" is shared, as on a systemd host. */
void enter_shared_mount_ns(void);
/* A fresh UTS namespace, so that a faulty step cannot rename the host. */
void enter_private_uts_ns(void);
/*
 * A fresh network namespace with lo up, to play "the host" from stage 06 on:
 * bridges, veths and NAT rules are made there, never on the machine's own.
 */
void enter_test_host_netns(void);
/*
 * From stage 07 (final) on, also: state and data directories of the test's
 * own (FINAL_STATE, FINAL_DATA), and a check afterwards that no container
 * record, writable layer or cgroup of final is left in them.
 */
void enter_test_final_dirs(void);
/* The runner's: make the parents of those directories, and remove them after a stage. */
void make_test_final_parents(void);
void remove_test_final_parents(void);
void check_test_final_dirs(void);
/* Fail if a process BIN started is still alive (we are their subreaper). */
void assert_no_process_left(void);

/* True on pure cgroup v2 (/sys/fs/cgroup is cgroup2), false on v1 and hybrid. */
bool cgroup_v2(void);
/* The directory of PID's cgroup for CONTROLLER, as the host sees it. */
const char *cgroup_dir(pid_t pid, const char *controller);
/* Every cgroup directory (two levels deep): v2's, or v1's memory, cpu, pids and devices. */
char *cgroup_tree(void);
/*
 * No cgroup of this test's containers is left (BEFORE: a cgroup_tree(); freed).
 * Only cgroups that are the test's own count, so that other programs on the
 * machine (systemd, another learner, a second test run) may make and remove
 * theirs meanwhile: new directories named after a runtime the test started
 * (step05-PID), the cgroups its containers were seen in while they ran, a
 * container id in the test's FINAL_STATE, and the tutorial's parent
 * directories (containers-in-c, final) once nothing is left in them.
 */
void assert_no_new_cgroups(char *before);

/* BEFORE and AFTER (snapshots of WHAT, one item a line) must be equal; frees both.
 * A failure lists only the lines that differ. */
void assert_unchanged(const char *what, char *before, char *after);
/* Each {OPTION, VALUE} must be refused: exit 125, one line naming VALUE. */
void assert_bad_options(const char *const bad[][2], size_t n);

/*
 * --userns=remap: FINAL_REMAP_USER is a user of the test's own (final-test-PID),
 * which final creates on first use; it is removed (userdel) when the test ends.
 */
void use_test_remap_user(void);
/* Its range's first id in FILE (/etc/subuid, /etc/subgid); 0 if it has none. */
unsigned long remap_range_start(const char *file);

/*
 * Rootless: a user of the test's own (final-user-PID), with /etc/subuid and
 * /etc/subgid ranges when RANGES, a HOME of its own in /tmp (*HOME), and
 * XDG_RUNTIME_DIR and XDG_DATA_HOME under it instead of FINAL_STATE and
 * FINAL_DATA; all removed when the test ends. Its uid (run as it with
 * struct proc's uid).
 */
uid_t use_test_user(bool ranges, const char **home);
/* A copy of the test rootfs in its home, owned by it (a rootfs of the user's own). */
const char *test_user_rootfs(uid_t uid);
/* Its range's first id in FILE; 0 if it has none. */
unsigned long test_user_range(const char *file);
/* FN when the test ends, passed or failed, after its containers are removed. */
void at_test_end(void (*fn)(void));

/* Read a whole (small) file into a static buffer; NULL if unreadable. */
const char *slurp(const char *path);
/*
 * A new directory NAME-XXXXXX in the test's FINAL_DATA (which the runner
 * removes even when the test fails), into DIR.
 */
void test_data_dir(char *dir, size_t size, const char *name);

/*** networks the tests make (nethelp.c) ***/

/*
 * iproute2's ip on the test's side, by path: a busybox /bin/sh built with
 * "standalone shell" (as Debian's, and the test VM's) runs its own applet
 * for a bare `ip`, which cannot make veth pairs.
 */
#define IP "/usr/sbin/ip"
/* Retry a client in the container for up to 5 s: the server may not listen yet. */
#define RETRY(cmd) "for i in $(seq 50); do " cmd " && exit 0; sleep 0.1; done; exit 1"

/* Run a shell command on the test's side; fail the test if it fails. */
void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The interfaces of the test's network namespace, one name per line. */
char *link_names(void);
/* Connect to ADDR:PORT, retrying for 10 s; what the server says, or "(no connection)". */
const char *fetch(const char *addr, int port);
/* Accept one connection on PORT and write the peer's address to FD. */
void accept_and_report(int port, int fd);
/*
 * A "remote" host: a process in a network namespace of its own, linked to
 * the test's by a veth pair on 203.0.113.0/24 (TEST-NET-3: the test's side
 * is .1, the remote .2, routed through the test's side). It runs BODY(FD).
 */
pid_t start_remote(void (*body)(int fd), int fd);
/* What the remote wrote to the pipe FDS (up to 5 s), then end it. */
const char *await_remote(pid_t remote, int fds[2]);

/*** registries the tests make (registry.c) ***/

#define TEST_USER     "tester"
#define TEST_PASSWORD "s3cret-pw"
#define TOKEN_PORT    5002

struct test_registry {
	int port; /* 127.0.0.1:PORT, no authentication: pushes go here */
	int auth_port; /* the same storage behind htpasswd or token authentication */
	char dir[512]; /* its storage, configurations and logs, under FINAL_DATA */
};

/* tests/build: mkimage, regserver, busybox-layer.tar.gz. */
const char *tests_build(void);
/* tests/build/regserver: the token issuer, the cutting proxy, the fake registry. */
const char *regserver(void);
/* Start a server that ends with the test, its output appended to LOG. */
void start_server(const char *const argv[], const char *log);
/* Wait until something listens on 127.0.0.1:PORT. */
void wait_port(int port);
/* A registry on loopback; AUTH: NULL, "htpasswd" or "token" (for auth_port). */
void registry_start(struct test_registry *r, const char *auth);
/*
 * Push the OCI layout LAYOUT (tag latest, an index with all it names) as
 * NAME:latest; with DOCKER, converted to Docker's media types (schema 2).
 */
void registry_push(const struct test_registry *r, const char *layout, const char *name,
		   bool docker);
/* An OCI layout for this machine's platform: image config CONFIG, LAYERS (space-separated). */
void build_image(const char *layout, const char *config, const char *layers);
/*
 * An image of the test rootfs plus EXTRA layers (built by mkimage tar),
 * pushed as NAME (with DOCKER, in Docker's schema 2 media types).
 */
void push_image_as(const struct test_registry *r, const char *name, const char *config,
		   const char *extra, bool docker);
void push_image(const struct test_registry *r, const char *name, const char *config,
		const char *extra);
/* linux/amd64 or linux/arm64: what final picks from an index here. */
void host_platform(char *out, size_t size);

/*** assertions with context ***/

/* Exit status, printing the command line and stderr when it is not the one expected. */
#define assert_exit(p, code)                                                                       \
	ck_assert_msg((p)->status == (code), "exit status %d, expected %d; ran: %s; stderr: %s",   \
		      (p)->status, (code), (p)->cmdline, (p)->err)
#define assert_out_eq(p, text)                                                                     \
	ck_assert_msg(strcmp((p)->out, (text)) == 0,                                               \
		      "stdout '%s', expected '%s'; ran: %s; stderr: %s", (p)->out, (text),         \
		      (p)->cmdline, (p)->err)
#define assert_contains(hay, needle)                                                               \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not found in: %s", (needle), (hay))
/* `final ARGS...` must fail with one line on stderr that contains WANT. */
#define FINAL_REFUSES(p, want, ...)                                                                \
	do {                                                                                       \
		bin_run((p), CMD(__VA_ARGS__));                                                    \
		assert_exit((p), 125);                                                             \
		assert_one_line((p)->err);                                                         \
		assert_contains((p)->err, want);                                                   \
	} while (0)
/* A user error: exactly one line on stderr. */
#define assert_one_line(text)                                                                      \
	ck_assert_msg(strlen(text) > 1 && strchr(text, '\n') == (text) + strlen(text) - 1,         \
		      "expected one line on stderr, got: '%s'", (text))

/*** failures name the test's line ***/

/*
 * The helpers above that can fail are called through these macros, which
 * record the caller's file and line first: a failure inside a helper is then
 * reported at the line of the test that called it, not the harness's.
 */
void harness_at(const char *file, int line);
#ifndef HARNESS_INTERNAL
#define AT_CALLER(call)		    (harness_at(__FILE__, __LINE__), call)
#define proc_wait(...)		    AT_CALLER(proc_wait(__VA_ARGS__))
#define ctr_run(...)		    AT_CALLER(ctr_run(__VA_ARGS__))
#define ctr_run_in(...)		    AT_CALLER(ctr_run_in(__VA_ARGS__))
#define bin_run(...)		    AT_CALLER(bin_run(__VA_ARGS__))
#define ctr_start_ready(...)	    AT_CALLER(ctr_start_ready(__VA_ARGS__))
#define ctr_kill(...)		    AT_CALLER(ctr_kill(__VA_ARGS__))
#define ctr_child(...)		    AT_CALLER(ctr_child(__VA_ARGS__))
#define tty_expect(...)		    AT_CALLER(tty_expect(__VA_ARGS__))
#define assert_unchanged(...)	    AT_CALLER(assert_unchanged(__VA_ARGS__))
#define assert_no_new_cgroups(...)  AT_CALLER(assert_no_new_cgroups(__VA_ARGS__))
#define assert_bad_options(...)	    AT_CALLER(assert_bad_options(__VA_ARGS__))
#define assert_no_process_left(...) AT_CALLER(assert_no_process_left(__VA_ARGS__))
#define sh(...)			    AT_CALLER(sh(__VA_ARGS__))
#endif

#endif
