/*
 * container.c: the lifecycle, where the mechanisms meet.
 *
 * `final run` is a *monitor*: it creates the container, waits for it, and
 * tears down what the container used when it ends. With -d the monitor goes
 * on in the background and `final run` returns once the container runs. The
 * order of `final run` (see monitor()) is the steps' order:
 *
 *   state record -> writable layer -> network (host side, step 06) ->
 *   clone into new namespaces (step 02), the child waits on a pipe ->
 *   cgroup with limits (step 05) -> veth, published ports -> go ->
 *   child: cgroup namespace, hostname, its network, overlay + volumes +
 *   pivot_root + /proc /sys /dev (steps 03-04), terminal -> init (PID 1),
 *   which runs CMD -> wait -> teardown.
 */
#define _GNU_SOURCE
#include "container.h"
#include "cgroup.h"
#include "image.h"
#include "init.h"
#include "net.h"
#include "rootfs.h"
#include "security.h"
#include "state.h"
#include "tty.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
	struct config *cfg;
	struct container c;
	struct cgroup cg;
	struct net net;
	struct rootfs fs;
	int sync[2];	 /* the child waits on sync[0] until its cgroup and veth exist */
	int tty_sock[2]; /* the child sends the pty's master back over this */
	int log_fd;	 /* -d: the container's stdout and stderr */
};

#define STACK_SIZE (1024 * 1024)

/*** the child ***/

/* Until the parent writes a byte: EOF means it failed or died, and we must not run. */
static void wait_for_parent(struct run *r)
{
	char byte;

	close(r->sync[1]);
	if (read(r->sync[0], &byte, 1) != 1)
		_exit(EXIT_RUNTIME);
	close(r->sync[0]);
}

static int child(void *arg)
{
	struct run *r = arg;
	int slave = -1, master;

	/* If the monitor dies, so does the container: nobody would clean up after it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	wait_for_parent(r);
	timing_restart();
	if (r->log_fd >= 0 && (dup2(r->log_fd, 1) < 0 || dup2(r->log_fd, 2) < 0))
		die_errno("dup2 the log");
	if (unshare(CLONE_NEWCGROUP) < 0) /* now that we are in our cgroup (step 05) */
		die_errno("unshare(CLONE_NEWCGROUP)");
	if (r->cfg->hostname && sethostname(r->cfg->hostname, strlen(r->cfg->hostname)) < 0)
		die_errno("sethostname %s", r->cfg->hostname);
	timing_mark("namespaces");
	net_configure_inside(&r->net);
	timing_mark("network");
	r->fs.resolv_conf = r->net.resolv_conf[0] ? r->net.resolv_conf : NULL;
	rootfs_enter(&r->fs, r->cfg);
	timing_mark("rootfs: overlay+pivot_root+/proc+/dev");
	security_mask_paths();
	timing_mark("masked paths");
	if (r->cfg->process.terminal) {
		master = tty_open(&slave);
		if (master < 0 || tty_send_fd(r->tty_sock[1], master) < 0)
			exit(EXIT_RUNTIME);
		close(master);
		close(r->tty_sock[1]);
	}
	init_run(r->cfg, slave, security_apply);
}

/*** the monitor ***/

static int clone_flags(const struct config *cfg)
{
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD;

	return cfg->namespaces.network == NET_HOST ? flags : flags | CLONE_NEWNET;
}

static pid_t spawn(struct run *r)
{
	char *stack = malloc(STACK_SIZE);
	pid_t pid;

	if (!stack)
		die("out of memory");
	if (pipe2(r->sync, O_CLOEXEC) < 0)
		return warn_errno("pipe2");
	if (r->cfg->process.terminal &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r->tty_sock) < 0)
		return warn_errno("socketpair");
	pid = clone(child, stack + STACK_SIZE, clone_flags(r->cfg), r);
	if (pid < 0)
		return warn_errno("clone");
	close(r->sync[0]);
	if (r->cfg->process.terminal)
		close(r->tty_sock[1]);
	return pid;
}

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

/* Signals to the runtime go to the container's init, which passes them to CMD. */
static void forward_signals(void)
{
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};

	for (size_t i = 0; i < N_ELEMS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_RUNTIME;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The resources of a container that has ended: cgroup and network. */
static void release(struct run *r)
{
	cgroup_remove(&r->cg);
	net_teardown(&r->net);
}

/* Everything of a container, its record last. */
static void destroy(const struct container *c)
{
	rootfs_remove(c->id);
	state_remove(c);
}

/* Tell `final run -d` that the container runs ("ok") or not (EOF). */
static void notify(int fd, const char *msg)
{
	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			warn_errno("notify");
		close(fd);
	}
}

static int monitor(struct run *r, int notify_fd)
{
	int status = EXIT_RUNTIME;
	pid_t pid;

	cgroup_init(&r->cg, r->c.id);
	if (rootfs_prepare(&r->fs, r->c.id) < 0)
		goto out;
	timing_mark("layer");
	if (net_prepare(&r->net, r->cfg, r->c.id) < 0)
		goto out;
	timing_mark("network (host)");
	forward_signals();
	pid = spawn(r);
	if (pid < 0)
		goto out_release;
	timing_mark("clone");
	if (cgroup_create(&r->cg) < 0 || cgroup_set_limits(&r->cg, r->cfg) < 0 ||
	    cgroup_add(&r->cg, pid) < 0)
		goto out_kill;
	timing_mark("cgroup");
	if (net_connect(&r->net, pid) < 0 || net_publish(&r->net, r->cfg) < 0)
		goto out_kill;
	r->c.init_pid = forward_to = pid;
	snprintf(r->c.status, sizeof(r->c.status), "running");
	snprintf(r->c.ip, sizeof(r->c.ip), "%s", r->net.leased ? net_ntoa(r->net.ip) : "");
	state_save(&r->c);
	timing_mark("veth+ports+record");
	if (write(r->sync[1], "1", 1) != 1) /* go */
		warn_errno("release the container");
	close(r->sync[1]);
	notify(notify_fd, "ok");
	if (r->log_fd >= 0) /* detached: from now on our own messages go to the log too */
		dup2(r->log_fd, 2);
	if (r->cfg->process.terminal) {
		int master = tty_recv_fd(r->tty_sock[0]);

		if (master >= 0)
			tty_relay(master);
	}
	status = wait_status(pid);
	timing_mark("container");
	if (status == 128 + SIGKILL && r->cfg->resources.memory && cgroup_oom_kills(&r->cg) > 0)
		fprintf(stderr, "final: container killed: out of memory (limit %s)\n",
			r->cfg->resources.memory_arg);
	goto out_release;
out_kill:
	kill(pid, SIGKILL);
	wait_status(pid);
out_release:
	release(r);
	timing_mark("teardown");
out:
	/* "exited" only once everything is released: stop and rm wait for it. */
	r->c.exit_code = status;
	snprintf(r->c.status, sizeof(r->c.status), "exited");
	state_save(&r->c);
	if (r->cfg->remove)
		destroy(&r->c);
	timing_mark("record");
	timing_report("runtime");
	return status;
}

/* A printable command line for ps: the arguments joined by spaces. */
static void join_args(char *const *args, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (; *args && len + 1 < size; args++)
		len += snprintf(out + len, size - len, "%s%s", len ? " " : "", *args);
}

static int create_record(struct run *r)
{
	static const char *const modes[] = {"bridge", "none", "host"};
	int lock = state_lock(), ret;

	/* Before the record exists: a record without a live monitor is reaped as a crash. */
	r->c.monitor_pid = getpid();
	ret = lock < 0 ? -1 : state_create(&r->c, r->cfg->name);

	state_unlock(lock);
	if (ret < 0)
		return -1;
	snprintf(r->c.image, sizeof(r->c.image), "%s", r->cfg->image);
	join_args(r->cfg->process.args, r->c.command, sizeof(r->c.command));
	snprintf(r->c.network, sizeof(r->c.network), "%s", modes[r->cfg->namespaces.network]);
	for (int i = 0, len = 0; i < r->cfg->nports; i++)
		len += snprintf(r->c.ports + len, sizeof(r->c.ports) - len, "%s%d:%d/%s",
				i ? "," : "", r->cfg->ports[i].host_port,
				r->cfg->ports[i].container_port, r->cfg->ports[i].protocol);
	r->c.remove = r->cfg->remove;
	r->c.caps = r->cfg->security.caps;
	r->c.seccomp = r->cfg->security.seccomp;
	r->c.no_new_privs = r->cfg->security.no_new_privs;
	r->c.monitor_pid = getpid();
	return state_save(&r->c);
}

/*
 * -d: the monitor becomes a daemon (its own session, stdin /dev/null, the
 * container's output in the state directory's "log"); we wait until it says
 * the container runs, print the id, and return.
 */
static int run_detached(struct run *r)
{
	int fds[2], null;
	char buf[8] = "";
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return warn_errno("pipe2"), EXIT_RUNTIME;
	pid = fork();
	if (pid < 0)
		return warn_errno("fork"), EXIT_RUNTIME;
	if (pid == 0) {
		char log[600];

		close(fds[0]);
		setsid();
		snprintf(log, sizeof(log), "%s/log", r->c.dir);
		r->log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		null = open("/dev/null", O_RDWR);
		if (r->log_fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(r->log_fd, 1) < 0)
			_exit(EXIT_RUNTIME);
		r->c.monitor_pid = getpid();
		state_save(&r->c);
		_exit(monitor(r, fds[1]));
	}
	close(fds[1]);
	if (read(fds[0], buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "ok")) {
		waitpid(pid, NULL, 0);
		return EXIT_RUNTIME;
	}
	printf("%s\n", r->c.id);
	return 0;
}

int container_run(struct config *cfg)
{
	static char lower[4096];
	struct run r = {.cfg = cfg, .log_fd = -1};

	if (image_resolve(cfg, lower, sizeof(lower)) < 0)
		return EXIT_RUNTIME;
	cfg->root.path = lower;
	timing_mark("image");
	if (create_record(&r) < 0)
		return EXIT_RUNTIME;
	timing_mark("state");
	if (!cfg->hostname) /* docker's default: the short id */
		cfg->hostname = strndup(r.c.id, 12);
	if (cfg->detach)
		return run_detached(&r);
	if (!cfg->process.interactive && !cfg->process.terminal) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
	}
	return monitor(&r, -1);
}

/*** the other commands ***/

static int find(const char *name, struct container *c)
{
	if (state_find(name, c) < 0)
		return warn("no such container: %s", name);
	return 0;
}

/* Is the container's monitor gone (exited, or a zombie nobody reaped yet)? */
static bool monitor_gone(const struct container *c)
{
	char path[64], stat[256], *close_paren;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)c->monitor_pid);
	if (read_file(path, stat, sizeof(stat)) < 0)
		return true;
	close_paren = strrchr(stat, ')');
	return !close_paren || close_paren[2] == 'Z' || close_paren[2] == 'X';
}

static bool running(const struct container *c)
{
	return strcmp(c->status, "exited") != 0 && !monitor_gone(c);
}

/* A container whose monitor died without cleaning up: do it now. */
static void reap_one(struct container *c, void *arg)
{
	struct cgroup cg;

	(void)arg;
	if (strcmp(c->status, "exited") == 0 || !monitor_gone(c))
		return;
	if (pid_alive(c->init_pid))
		kill(c->init_pid, SIGKILL);
	cgroup_init(&cg, c->id);
	cgroup_remove(&cg);
	if (strcmp(c->network, "bridge") == 0)
		net_cleanup_leftovers(c->id, c->ip);
	c->exit_code = 137;
	snprintf(c->status, sizeof(c->status), "exited");
	if (c->remove)
		destroy(c);
	else
		state_save(c);
}

void container_reap_orphans(void)
{
	int lock = state_lock();

	if (lock >= 0)
		state_each(reap_one, NULL);
	state_unlock(lock);
}

/* Wait up to SECONDS for C's monitor to finish; true if it did. */
static bool wait_gone(struct container *c, double seconds)
{
	for (int i = 0; i < seconds * 50; i++) {
		struct container now;

		if (state_find(c->id, &now) < 0 || strcmp(now.status, "exited") == 0 ||
		    monitor_gone(&now))
			return true;
		usleep(20000);
	}
	return false;
}

int container_stop(const char *name, int timeout)
{
	struct container c;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	if (running(&c)) {
		kill(c.init_pid, SIGTERM); /* init forwards it to CMD */
		if (!wait_gone(&c, timeout)) {
			kill(c.init_pid, SIGKILL);
			wait_gone(&c, 10);
		}
	}
	container_reap_orphans();
	printf("%s\n", name);
	return 0;
}

int container_rm(const char *name, bool force)
{
	struct container c;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	if (running(&c)) {
		if (!force)
			return warn("container %s is running: stop it first, or rm -f", name),
			       EXIT_RUNTIME;
		kill(c.init_pid, SIGKILL);
		wait_gone(&c, 10);
	}
	container_reap_orphans();
	if (state_find(c.id, &c) == 0) /* --rm containers are gone already */
		destroy(&c);
	printf("%s\n", name);
	return 0;
}

static void print_row(struct container *c, void *arg)
{
	bool all = *(bool *)arg, up = running(c);
	char when[32], status[32];
	time_t created = c->created;

	if (!up && !all)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&created));
	if (up)
		snprintf(status, sizeof(status), "running");
	else
		snprintf(status, sizeof(status), "exited (%d)", c->exit_code);
	printf("%-16s  %-16s  %-12s  %-15s  %-19s  %s\n", c->id, c->name, status,
	       c->ip[0] ? c->ip : "-", when, c->command);
}

int container_ps(bool all)
{
	printf("%-16s  %-16s  %-12s  %-15s  %-19s  %s\n", "CONTAINER ID", "NAME", "STATUS", "IP",
	       "CREATED", "COMMAND");
	state_each(print_row, &all);
	return 0;
}

int container_logs(const char *name, bool follow)
{
	struct container c;
	char path[600], buf[4096];
	ssize_t n;
	int fd;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	snprintf(path, sizeof(path), "%s/log", c.dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return warn("container %s has no log (only detached containers have one)", name),
		       EXIT_RUNTIME;
	for (;;) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(1, buf, n) < 0)
				return EXIT_RUNTIME;
		if (!follow || !running(&c))
			break;
		usleep(100000);
		if (state_find(c.id, &c) < 0)
			break;
	}
	close(fd);
	return 0;
}

/*
 * exec: join every namespace of the container's init (and its cgroup), then
 * fork, because a new PID namespace only applies to children (step 02).
 * setns() into the mount namespace last; it also moves us to its root.
 */
int container_exec(const char *name, struct config *cfg)
{
	static const char *const namespaces[] = {"ipc", "uts", "net", "pid", "cgroup", "mnt"};
	struct container c;
	struct cgroup cg;
	int fds[N_ELEMS(namespaces)], slave = -1, master = -1;
	pid_t pid;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	if (!running(&c))
		return warn("container %s is not running", name), EXIT_RUNTIME;
	/* The same confinement as the container's own processes. */
	cfg->security.caps = c.caps;
	cfg->security.seccomp = c.seccomp;
	cfg->security.no_new_privs = c.no_new_privs;
	for (size_t i = 0; i < N_ELEMS(namespaces); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)c.init_pid, namespaces[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return warn_errno("open %s", path), EXIT_RUNTIME;
	}
	cgroup_init(&cg, c.id);
	if (cgroup_add(&cg, getpid()) < 0)
		return EXIT_RUNTIME;
	for (size_t i = 0; i < N_ELEMS(namespaces); i++)
		if (setns(fds[i], 0) < 0)
			return warn_errno("setns %s", namespaces[i]), EXIT_RUNTIME;
	if (cfg->process.terminal && (master = tty_open(&slave)) < 0)
		return EXIT_RUNTIME;
	if (!cfg->process.interactive && !cfg->process.terminal) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
	}
	pid = fork();
	if (pid < 0)
		return warn_errno("fork"), EXIT_RUNTIME;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (slave >= 0 && (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 ||
				   dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0))
			die_errno("attach the terminal");
		process_exec(cfg, cfg->process.args, security_apply);
	}
	forward_to = pid;
	forward_signals();
	if (master >= 0) {
		close(slave);
		tty_relay(master);
	}
	return wait_status(pid);
}

/*** rmi ***/

static void find_image_user(struct container *c, void *arg)
{
	const char **image = arg;

	if (*image && strcmp(c->image, *image) == 0 && strcmp(c->status, "exited") != 0) {
		warn("image %s is used by container %s (%s): stop it first", *image, c->name,
		     c->id);
		*image = NULL;
	}
}

int container_remove_image(const char *name)
{
	char image[800];
	const char *check = image;

	if (image_name(name, image, sizeof(image)) < 0)
		return EXIT_RUNTIME;
	state_each(find_image_user, &check); /* its layers are that container's root */
	if (!check)
		return EXIT_RUNTIME;
	return image_remove(image) < 0 ? EXIT_RUNTIME : 0;
}

/*** system df, system prune ***/

struct usage {
	char *images; /* "\nNAME\n..." of every container's image */
	int containers, running;
	long long size, reclaimable;
};

static void count_container(struct container *c, void *arg)
{
	struct usage *u = arg;
	long long size = rootfs_disk_usage(c->id);
	char *old = u->images;

	u->images = xasprintf("%s%s\n", old, c->image);
	free(old);
	u->containers++;
	u->size += size;
	if (running(c))
		u->running++;
	else
		u->reclaimable += size;
}

static bool image_in_use(const char *name, void *arg)
{
	char *key = xasprintf("\n%s\n", name);
	bool found = strstr(((struct usage *)arg)->images, key) != NULL;

	free(key);
	return found;
}

static void print_usage_row(const char *type, int total, int active, long long size,
			    long long reclaimable)
{
	char s[32], r[32];

	format_size(s, sizeof(s), size);
	format_size(r, sizeof(r), reclaimable);
	printf("%-18s  %5d  %6d  %10s  %10s (%d%%)\n", type, total, active, s, r,
	       size ? (int)(100 * reclaimable / size) : 0);
}

/* docker system df, simplified: what each kind of thing takes, and what prune would free. */
int container_system_df(void)
{
	struct usage u = {.images = strdup("\n")};
	struct store_usage s;

	state_each(count_container, &u);
	if (image_usage(&s, image_in_use, &u) < 0)
		return EXIT_RUNTIME;
	printf("%-18s  %5s  %6s  %10s  %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
	print_usage_row("Images", s.images, s.images_active, s.images_size, s.images_reclaimable);
	print_usage_row("Containers", u.containers, u.running, u.size, u.reclaimable);
	print_usage_row("Unused layers", s.unused, 0, s.unused_size, s.unused_size);
	print_usage_row("Partial downloads", s.leftovers, 0, s.leftovers_size, s.leftovers_size);
	free(u.images);
	return 0;
}

static void prune_container(struct container *c, void *arg)
{
	long long *freed = arg;

	if (running(c))
		return;
	*freed += rootfs_disk_usage(c->id);
	destroy(c);
	printf("%s\n", c->id);
}

/*
 * docker system prune, simplified: exited containers (records and writable
 * layers), then what pulls left behind and the blobs and layers no image
 * uses. Images stay: `final rmi` removes those.
 */
int container_system_prune(void)
{
	long long freed = 0, store;
	char total[32];

	container_reap_orphans(); /* a container whose monitor died is an exited one */
	printf("Deleted containers:\n");
	state_each(prune_container, &freed);
	if ((store = image_prune()) < 0)
		return EXIT_RUNTIME;
	format_size(total, sizeof(total), freed + store);
	printf("\nTotal reclaimed space: %s\n", total);
	return 0;
}
