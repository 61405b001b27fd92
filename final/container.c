/*
 * container.c: the lifecycle, where the mechanisms meet.
 *
 * `final run` is a *monitor*: it creates the container, waits for it, and
 * tears down what the container used when it ends. With -d the monitor goes
 * on in the background and `final run` returns once the container runs. The
 * order of `final run` (see monitor()) is the steps' order:
 *
 *   state record -> writable layer -> network (host side, step 06) ->
 *   cgroup with limits (step 05) -> with a bridge, the network namespace
 *   and the veth in it -> create (launch.c, as final-oci's): clone into new
 *   namespaces (step 02), the child sharing our memory while we wait ->
 *   child: cgroup namespace, hostname, its network, overlay + volumes +
 *   pivot_root + /proc /sys /dev (steps 03-04), terminal -> the init (PID
 *   1) executes tiny-init (init.c): "created", tiny-init waiting at a
 *   gate -> published ports, the record's init -> start (a byte into the
 *   gate; a socket of the monitor's own, or for `final create` the
 *   exec.fifo `final start` writes into) -> tiny-init starts CMD -> ready
 *   -> "running" -> wait -> teardown. (--userns=remap and rootless
 *   bridges: the child is a fork, which waits on a pipe while the monitor
 *   makes the veth, or starts slirp4netns, and records the init; launch.h.)
 *
 * "ready" is the last word: until CMD's execve() succeeds, the record says
 * "created" and exec refuses to join, because until then the child's mount
 * namespace may still have the host's root (an exec that joined it early
 * ran in the host's filesystem). The child reports on two pipes, each
 * with a mark (a NUL byte, launch.h) and then EOF: launch.c's ready pipe,
 * marked once the setup is complete and closed by tiny-init's execve
 * (O_CLOEXEC), and then
 * execd, marked by tiny-init at the start and closed at CMD's execve
 * (O_CLOEXEC). A line written there says why not; EOF without the mark
 * says the child died.
 */
#define _GNU_SOURCE
#include "container.h"
#include "cgroup.h"
#include "dl.h"
#include "image.h"
#include "init.h"
#include "launch.h"
#include "log.h"
#include "net.h"
#include "pidfd.h"
#include "rootfs.h"
#include "rootless.h"
#include "security.h"
#include "state.h"
#include "tty.h"
#include "userns.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/file.h>
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
	struct launch l; /* create/start (launch.h): the init, its pidfd, the gate */
	int self; /* a sealed copy of tiny-init (init.h), which the init becomes */
	char fifo[600]; /* `final create`: STATE/ID/exec.fifo, which `final start` opens */
	int execd[2]; /* once started, the init reports on execd[1] until CMD runs (above) */
	int tty_sock[2]; /* the child sends the pty's master back over this */
	int tty_slave; /* ...and keeps the slave for CMD (in the child) */
	int log_fd[2]; /* -d: the pipes the container's stdout and stderr go to... */
	int log_read[2]; /* ...which the monitor copies into the log */
	int attach; /* -dt: where `final attach` connects */
	int userns; /* --userns=remap: the user namespace the init joins last, or -1... */
	int netns; /* ...and the network namespace made in it, which it joins first */
	bool again; /* `final start`: an existing container */
	bool created; /* a life of it got as far as "created" */
	bool detached; /* -d: output into the log, through log_fd/log_read */
	struct log log;
};

static bool running(const struct container *c);
static int find(const char *name, struct container *c);
static bool monitor_gone(const struct container *c);
static bool wait_for(struct container *c, bool (*done)(const struct container *), double seconds);

/*** the child ***/

/* Root of the user namespace we joined (--userns=remap: ours is not mapped there, and an
 * execve as nobody would drop every capability). */
static int become_userns_root(void)
{
	return setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0
		   ? warn_errno("become root of the user namespace")
		   : 0;
}

/* --userns=remap, last, when the container is complete: root is the range's first id now. */
static void join_userns(int fd)
{
	if (setns(fd, CLONE_NEWUSER) < 0)
		die_errno("join the user namespace");
	close(fd);
	if (become_userns_root() < 0)
		_exit(EXIT_RUNTIME);
}

/* Inside: everything up to tiny-init (launch.c calls it once the go came; shared, at once). */
static void child_setup(struct launch *l)
{
	struct run *r = l->arg;
	int master;

	/* If the monitor dies, so does the container: nobody would clean up after it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (l->shared) /* the monitor waits: our marks are its */
		timing_mark("clone");
	else
		timing_restart();
	if (r->detached && (dup2(r->log_fd[0], 1) < 0 || dup2(r->log_fd[1], 2) < 0))
		die_errno("dup2 the log");
	if (!l->in_cgroup && cgroup_enter(&r->cg) < 0) /* before anything of the container's */
		_exit(EXIT_RUNTIME);
	if (unshare(CLONE_NEWCGROUP) < 0) /* now that we are in our cgroup (step 05) */
		die_errno("unshare(CLONE_NEWCGROUP)");
	if (r->netns >= 0 && (setns(r->netns, CLONE_NEWNET) < 0 || close(r->netns) < 0))
		die_errno("join the network namespace of the user namespace");
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
	r->tty_slave = -1;
	if (r->cfg->process.terminal) {
		master = tty_open(&r->tty_slave);
		if (master < 0 || tty_send_fd(r->tty_sock[1], master) < 0)
			_exit(EXIT_RUNTIME);
		close(master);
		close(r->tty_sock[1]);
	}
	if (r->userns >= 0)
		join_userns(r->userns);
}

/*
 * ...the init (PID 1), which runs CMD: tiny-init ("created" once it runs) waits
 * at the gate (launch.h, gated), then marks "started" on execd, which CMD's
 * execve closes.
 */
static void child_run(struct launch *l)
{
	struct run *r = l->arg;

	init_run(r->cfg,
		 &(struct init_fds){r->tty_slave, r->execd[1], l->ready[1], l->gate, &l->mask,
				    !l->shared},
		 r->self);
}

/*** the monitor ***/

static int clone_flags(const struct config *cfg)
{
	int flags = CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | SIGCHLD;

	/* --userns=remap: one made in the user namespace, joined (userns.c) */
	return cfg->namespaces.network == NET_HOST || cfg->userns.remap ? flags
									: flags | CLONE_NEWNET;
}

/* Close *FD unless it is closed already, and say it is. */
static void close_once(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* What the child needs besides launch.c's pipes: execd, the log's pipes, the tty's socket. */
static int make_pipes(struct run *r)
{
	if (pipe2(r->execd, O_CLOEXEC) < 0)
		return warn_errno("pipe2");
	for (int i = 0; r->detached && i < 2; i++) { /* [0] stdout, [1] stderr */
		int fds[2];

		if (pipe2(fds, O_CLOEXEC) < 0)
			return warn_errno("pipe2");
		r->log_read[i] = fds[0], r->log_fd[i] = fds[1];
	}
	if (r->cfg->process.terminal &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r->tty_sock) < 0)
		return warn_errno("socketpair");
	return 0;
}

/* The child has them now: ours would keep the pipes open forever. */
static void close_child_ends(struct run *r)
{
	close_once(&r->execd[1]);
	close_once(&r->tty_sock[1]);
	close_once(&r->log_fd[0]);
	close_once(&r->log_fd[1]);
	close_once(&r->userns);
}

/* ...and ours, at the end of a life. */
static void close_pipes(struct run *r)
{
	close_child_ends(r);
	close_once(&r->execd[0]);
	close_once(&r->tty_sock[0]);
	close_once(&r->log_read[0]);
	close_once(&r->log_read[1]);
}

static volatile pid_t forward_to; /* exec: our own child */
static volatile int forward_pidfd = -1; /* run: the container's init */

static volatile sig_atomic_t stop_requested; /* a signal to `final run`: no --restart */
static volatile sig_atomic_t early_signal; /* one that came before CMD ran: sent once it does */

static void forward(int sig)
{
	stop_requested = 1;
	if (forward_pidfd >= 0)
		proc_signal(forward_pidfd, sig);
	else if (forward_to > 1)
		kill(forward_to, sig);
	else
		early_signal = sig;
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
	rootfs_unmount_fuse(&r->fs);
}

/* Everything of a container, its record last. By its monitor, or under lock_record(). */
static void destroy(const struct container *c)
{
	rootfs_remove(c->id);
	state_remove(c);
}

/*
 * A container's record directory, flock()ed: held by its monitor (taken by
 * `run` or `start` and inherited through the fork) for the container's whole
 * life, so that two starts cannot both run it and `rm` cannot delete what a
 * start is bringing up. -1 (errno EWOULDBLOCK) if someone holds it.
 */
static int lock_record(const struct container *c)
{
	int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		close(fd);
		return errno = saved, -1;
	}
	return fd;
}

/*
 * destroy(), unless a monitor (or a start) holds the record for longer than
 * SECONDS: -1 then. A monitor that has just recorded "exited" holds it for
 * the moment it takes to end; a --rm container's removes the record itself
 * meanwhile, and a record gone is done (0).
 */
static int destroy_unless_busy(const struct container *c, double seconds)
{
	int lock;

	for (int i = 0; (lock = lock_record(c)) < 0; i++) {
		if (errno == ENOENT)
			return 0;
		if (i >= seconds * 50)
			return -1;
		usleep(20000);
	}
	destroy(c);
	close(lock);
	return 0;
}

/* Tell `final run -d` that the container runs ("ok") or why not (EOF: we died). */
static void notify(int fd, const char *msg)
{
	if (fd >= 0) {
		if (write(fd, msg, strlen(msg)) < 0)
			warn_errno("notify");
		close(fd);
	}
}

/* -p as the record keeps it: "[IP:]HOST:CTR/PROTO,..." (HOST 0: not chosen yet). */
static void format_ports(const struct port_mapping *p, int n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < n && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s%s%d:%d/%s", i ? "," : "", p[i].host_ip,
				p[i].host_ip[0] ? ":" : "", p[i].host_port, p[i].container_port,
				p[i].protocol);
}

/* -dt: the socket `final attach` connects to, in the state directory. */
static int listen_attach(struct run *r)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/attach.sock", r->c.dir);
	return tty_listen(path);
}

static void spill_to_log(const char *buf, size_t n, void *log)
{
	log_write(log, 1, buf, n); /* a terminal has one stream */
}

/*
 * /etc/hosts and /etc/hostname as docker writes them: localhost, the
 * container's name and hostname on its address, and --add-host's entries.
 * Files of the record's directory, bound read-only over the image's.
 */
static int write_etc_files(struct run *r)
{
	static char hosts[600], hostname[600];
	const struct config *cfg = r->cfg;
	char line[80] = "";
	FILE *f;

	snprintf(hosts, sizeof(hosts), "%s/hosts", r->c.dir);
	snprintf(hostname, sizeof(hostname), "%s/hostname", r->c.dir);
	if (cfg->namespaces.network == NET_HOST) /* the host's own, as docker */
		return 0;
	if (!(f = fopen(hosts, "we")))
		return warn_errno("write %s", hosts);
	fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	fprintf(f, "%s\t%s %s\n", r->net.leased ? net_ntoa(r->net.ip) : "127.0.1.1", cfg->hostname,
		r->c.name);
	for (int i = 0; i < cfg->dns.nhosts; i++)
		fprintf(f, "%s\t%s\n",
			strcmp(cfg->dns.hosts[i].ip, "host-gateway") ? cfg->dns.hosts[i].ip
								     : net_gateway(),
			cfg->dns.hosts[i].name);
	for (int i = 0; i < cfg->dns.nlinks; i++) {
		struct container other;
		const char *name = cfg->dns.links[i].container, *alias = cfg->dns.links[i].alias;

		if (state_find(name, &other) < 0 || !running(&other) || !other.ip[0])
			return fclose(f), warn("cannot link to %s: not a running container on the "
					       "bridge",
					       name);
		fprintf(f, "%s\t%s%s%s\n", other.ip, alias ? alias : "", alias ? " " : "",
			other.name);
	}
	if (fclose(f) != 0)
		return warn_errno("write %s", hosts);
	if (write_new_file(hostname, strcat(strncpy(line, cfg->hostname, 64), "\n")) < 0)
		return warn_errno("write %s", hostname);
	r->fs.hosts = hosts;
	r->fs.hostname = hostname;
	return 0;
}

/*
 * The monitor's half of create: the veth into its network namespace, the
 * published ports, and the record's init; while the child waits for its go,
 * or (shared, launch.h) once created, the veth made before
 * the clone (share_memory()). Either way before the start: CMD never runs
 * without its ports, nor before the record names its init, from when stop
 * and rm -f can end it.
 */
static int prepare_child(struct launch *l)
{
	struct run *r = l->arg;

	close_child_ends(r);
	timing_mark(l->shared ? "tiny-init's execve" : "clone");
	/* shared, the veth is in its namespace already (run_once) */
	if ((!l->shared && net_connect(&r->net, l->pid, r->netns) < 0) || net_publish(&r->net) < 0)
		return -1;
	if (r->netns >= 0)
		close(r->netns), r->netns = -1;
	r->c.init_pid = l->pid;
	r->c.init_start = l->start;
	snprintf(r->c.ip, sizeof(r->c.ip), "%s", r->net.leased ? net_ntoa(r->net.ip) : "");
	format_ports(r->net.ports, r->net.nports, r->c.ports, sizeof(r->c.ports));
	if (state_save(&r->c) < 0)
		return -1;
	timing_mark(l->shared ? "ports+record" : "veth+ports+record");
	return 0;
}

/*
 * Start the created container, as `final start` would (or, for `final
 * create`, say it is created and leave that to `final start`), then wait
 * for CMD's word: "ready" makes the container "running" (and `run -d`
 * returns); a CMD that cannot run ends it here, and its line goes to
 * `run -d` (a foreground run has printed it already). Not if `stop` or
 * `rm -f` came while it was set up (they mark it stopped, and wait for the
 * record to name its init, which it does from prepare_child() on): CMD
 * never runs then.
 */
static int start_and_wait_ready(struct run *r, int notify_fd, bool start)
{
	char why[1024], path[640];
	bool stopped = false;
	int passed;

	snprintf(path, sizeof(path), "%s/stopped", r->c.dir);
	if (!start) {
		notify(notify_fd, "ok"); /* `final create` prints the id and returns... */
		notify_fd = -1;
		dup2(r->log.fd, 2); /* ...and its caller's stderr is not ours to hold */
	} else if ((stopped = access(path, F_OK) == 0)) {
		launch_cancel(&r->l);
	} else if (launch_go(&r->l) < 0 && errno != EPIPE) { /* EPIPE: killed at the gate */
		warn_errno("start: write the gate");
		proc_signal(r->l.pidfd, SIGKILL);
	}
	/* the mark: past the gate; then EOF at CMD's execve, or the line that says why not */
	passed = launch_wait_word(r->execd[0], why, sizeof(why));
	r->execd[0] = -1;
	if (!start) /* killed before `final start` came: nobody removed it */
		unlink(r->fifo);
	if (passed < 0 && !why[0]) { /* killed or stopped while it waited: CMD never ran */
		stopped = stopped || (start && access(path, F_OK) == 0); /* stop kills it there */
		snprintf(why, sizeof(why), "%s: %s before its CMD ran\n", program_name,
			 stopped ? "the container was stopped"
				 : "the container's first process ended");
		if (notify_fd >= 0)
			notify(notify_fd, why); /* `run -d` prints it */
		else if (start)
			fputs(why, stderr);
		return -1;
	}
	if (why[0]) {
		if (notify_fd < 0 && r->detached) { /* `final start`'s: it and the log say it */
			snprintf(path, sizeof(path), "%s/start-error", r->c.dir);
			write_new_file(path, why);
			log_write(&r->log, 2, why, strlen(why));
		}
		notify(notify_fd, why);
		return -1;
	}
	snprintf(r->c.status, sizeof(r->c.status), "running");
	state_save(&r->c);
	notify(notify_fd, "ok");
	return 0;
}

/*
 * --userns=remap: the image's layers as copies owned by the range (once),
 * the writable layer's root and the --device nodes owned by the range's
 * root, and a user namespace for the init to join.
 */
static int remap(struct run *r)
{
	struct config *cfg = r->cfg;
	const struct id_shift *s = &cfg->userns.range;
	static char lower[4096];

	if (cfg->root.path != lower) {
		if (userns_shift_lowers(cfg->root.path, s, r->fs.dir, lower, sizeof(lower)) < 0)
			return -1;
		cfg->root.path = lower;
		for (int i = 0; i < cfg->ndevices; i++) {
			cfg->devices[i].uid += cfg->devices[i].uid < s->count ? s->uid : 0;
			cfg->devices[i].gid += cfg->devices[i].gid < s->count ? s->gid : 0;
		}
	}
	if (chown(r->fs.upper, s->uid, s->gid) < 0)
		return warn_errno("chown %s", r->fs.upper);
	return (r->userns = userns_create(s, &r->netns)) < 0 ? -1 : 0;
}

/*
 * Whether the first process may share our memory until its execve
 * (launch.h): not to join a user namespace (--userns=remap: setns refuses a
 * process whose memory is shared), nor where slirp4netns or pasta must
 * find its network namespace by its pid (rootless). The veth then goes into
 * a network namespace made now, which the child joins.
 */
static int share_memory(struct run *r)
{
	r->l.shared = launch_can_share() && !r->cfg->userns.remap &&
		      !(r->net.mode == NET_BRIDGE && r->net.user);
	if (!r->l.shared || r->net.mode != NET_BRIDGE)
		return 0;
	if ((r->netns = net_new_namespace()) < 0 || net_connect(&r->net, 0, r->netns) < 0)
		return -1;
	r->l.flags &= ~CLONE_NEWNET;
	/* the address into the record now: a monitor killed during the setup leaves a
	 * lease that container_reap_orphans() must find by it */
	snprintf(r->c.ip, sizeof(r->c.ip), "%s", r->net.leased ? net_ntoa(r->net.ip) : "");
	return state_save(&r->c);
}

/* One life of the container, from its layer to its teardown: CMD's status. */
static int run_once(struct run *r, int notify_fd, bool start, bool *started)
{
	int status = EXIT_RUNTIME, master = -1;

	*started = false;
	r->execd[0] = r->execd[1] = r->tty_sock[0] = r->tty_sock[1] = -1;
	r->log_read[0] = r->log_read[1] = r->log_fd[0] = r->log_fd[1] = -1;
	r->l = (struct launch){.flags = clone_flags(r->cfg),
			       .cgroup_fd = -1,
			       /* `final create`'s life waits for `final start`; any other for us */
			       .fifo = start ? NULL : r->fifo,
			       .gated = true,
			       .prepare = prepare_child,
			       .setup = child_setup,
			       .run = child_run,
			       .arg = r};
	if (r->self < 0 && (r->self = init_sealed_copy()) < 0)
		return status;
	/* --rm: the layer in memory; not for --userns=remap (the range owns it on disk) nor
	 * rootless (an overlay's upper layer on tmpfs needs Linux 6.6 there: user.* xattrs) */
	if (rootfs_prepare(&r->fs, r->c.id,
			   r->cfg->remove && !r->cfg->userns.remap && !rootless() ? r->c.dir
										  : NULL) < 0 ||
	    (r->cfg->userns.remap && remap(r) < 0) ||
	    rootfs_mount_fuse(&r->fs, r->cfg->root.path) < 0)
		return status;
	timing_mark("layer");
	if (net_prepare(&r->net, r->cfg, r->c.id) < 0)
		return status;
	if (write_etc_files(r) < 0)
		goto out_release;
	timing_mark("network (host)");
	if (cgroup_create(&r->cg) < 0 || cgroup_set_limits(&r->cg, r->cfg) < 0)
		goto out_release; /* the child is made in it (v2) or joins it itself (v1) */
	timing_mark("cgroup");
	if (make_pipes(r) < 0 || share_memory(r) < 0)
		goto out_release;
	r->l.cgroup_fd = cgroup_dir_fd(&r->cg);
	if (launch_create(&r->l) < 0) {
		notify(notify_fd, r->l.why);
		goto out_release;
	}
	r->created = true;
	if (!r->l.shared) /* else it was, before the record */
		timing_mark("created");
	if (r->cfg->process.terminal)
		master = tty_recv_fd(r->tty_sock[0]);
	*started = start_and_wait_ready(r, notify_fd, start) == 0;
	timing_mark("ready");
	/*
	 * Signals reach the init from now on, which passes them to CMD: before,
	 * nobody there would take them (until the child becomes tiny-init, it
	 * blocks them all, or has ours in a fork: launch.c). One that came
	 * meanwhile goes now, not nowhere.
	 */
	if (*started) {
		forward_pidfd = r->l.pidfd;
		if (early_signal)
			proc_signal(forward_pidfd, early_signal), early_signal = 0;
	}
	if (r->detached) /* from now on our own messages go to the log too */
		dup2(r->log.fd, 2);
	if (master >= 0 && *started && r->detached)
		tty_serve(master, r->attach, spill_to_log, &r->log); /* -dt: for `final attach` */
	else if (master >= 0 && *started)
		tty_relay(master);
	else if (r->detached && *started)
		log_relay(&r->log, r->log_read); /* until every process of the container is gone */
	close_once(&r->log_read[0]);
	close_once(&r->log_read[1]);
	if (master >= 0)
		close(master);
	status = wait_status(r->l.pid);
	timing_mark("container");
	if (status == 128 + SIGKILL && r->cfg->resources.memory && cgroup_oom_kills(&r->cg) > 0)
		fprintf(stderr, "final: container killed: out of memory (limit %s)\n",
			r->cfg->resources.memory_arg);
out_release:
	forward_pidfd = -1;
	close_pipes(r);
	close_once(&r->l.cgroup_fd);
	close_once(&r->netns);
	close_once(&r->l.pidfd);
	release(r);
	timing_mark("teardown");
	return status;
}

/* STATE/ID/stopped: `stop` and `rm -f` say the container must not come back (--restart). */
static void stopped_path(const struct container *c, char *path, size_t size)
{
	snprintf(path, size, "%s/stopped", c->dir);
}

/* --restart after CMD ended with STATUS, RESTARTS times so far; docker's rules. */
static bool restart_wanted(const struct run *r, int status, int restarts)
{
	const typeof(r->cfg->restart) *p = &r->cfg->restart;
	char path[600];

	stopped_path(&r->c, path, sizeof(path));
	if (stop_requested || access(path, F_OK) == 0)
		return false;
	return p->policy == RESTART_ALWAYS || (p->policy == RESTART_ON_FAILURE && status != 0 &&
					       (p->max_retries == 0 || restarts < p->max_retries));
}

static int monitor(struct run *r, int notify_fd)
{
	int status = EXIT_RUNTIME, restarts = 0;
	bool started = false, ever = false;
	char path[600];

	cgroup_init(&r->cg, r->c.id);
	stopped_path(&r->c, path, sizeof(path));
	unlink(path); /* a new start */
	snprintf(path, sizeof(path), "%s/start-error", r->c.dir);
	unlink(path); /* ...whose word this would not be */
	forward_signals();
	if (r->detached && r->cfg->process.terminal && (r->attach = listen_attach(r)) < 0)
		goto out;
	snprintf(r->fifo, sizeof(r->fifo), "%s/exec.fifo", r->c.dir);
	for (;;) {
		/* `final create`: the first life waits for `final start`; a restart does not */
		status = run_once(r, notify_fd, !r->cfg->create_only || restarts, &started);
		ever |= started;
		notify_fd = -1; /* `run -d` heard about the first start */
		if (!started || !restart_wanted(r, status, restarts))
			break;
		usleep((100000 << (restarts < 5 ? restarts : 5))); /* 0.1 s, doubling to 3.2 s */
		restarts++;
		r->c.exit_code = status, r->c.init_pid = 0, r->c.init_start = 0;
		snprintf(r->c.status, sizeof(r->c.status), "created");
		state_save(&r->c);
	}
out:
	/* "exited" only once everything is released: stop and rm wait for it. */
	r->c.exit_code = status;
	snprintf(r->c.status, sizeof(r->c.status), "exited");
	state_save(&r->c);
	/*
	 * A new container that never ran leaves nothing; one started again
	 * stays, and so does one `final create` made (docker's: its status
	 * says why it did not start).
	 */
	if (r->cfg->remove || (!ever && !r->again && !(r->cfg->create_only && r->created)))
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

/*
 * What `inspect` shows of the configuration (Config, HostConfig), in
 * docker's names, as STATE/ID/inspect: in the record's encoding, not JSON,
 * so that `run` need not load jansson (dl.h) for it, 0.1-0.5 ms of every start;
 * inspect makes the JSON (inspect_fields, below).
 */
static void save_inspect_config(const struct run *r)
{
	static const char *const modes[] = {"bridge", "none", "host"};
	const struct config *cfg = r->cfg;
	char user[32], hostname[13], memory[24], cpus[24], pids[24], **binds, **pairs, **p;
	int nargs = 0;

	while (cfg->process.args[nargs])
		nargs++;
	/* a pair for each item of the lists, the 10 fixed keys below, and the NULL */
	pairs = calloc(2 * (nargs + cfg->process.nenv + cfg->nmounts + 10) + 1, sizeof(*pairs));
	binds = calloc(cfg->nmounts + 1, sizeof(*binds));
	if (!pairs || !binds)
		return free(pairs), free(binds), (void)warn("out of memory");
#define PAIR(k, v) (*p++ = (char *)(k), *p++ = (char *)(v))
	p = pairs;
	for (int i = 0; i < nargs; i++)
		PAIR("Config.Cmd", cfg->process.args[i]);
	for (int i = 0; i < cfg->process.nenv; i++)
		PAIR("Config.Env", cfg->process.env[i]);
	snprintf(hostname, sizeof(hostname), "%.12s", r->c.id); /* docker's default, as run's */
	snprintf(user, sizeof(user), "%d:%d", (int)cfg->process.uid, (int)cfg->process.gid);
	PAIR("Config.Image", cfg->image);
	PAIR("Config.WorkingDir", cfg->process.cwd ? cfg->process.cwd : "");
	PAIR("Config.User", user);
	PAIR("Config.Hostname", cfg->hostname ? cfg->hostname : hostname);
	snprintf(memory, sizeof(memory), "%lld", (long long)cfg->resources.memory);
	snprintf(cpus, sizeof(cpus), "%lld",
		 (long long)cfg->resources.cpu_quota * (1000000000 / CPU_PERIOD_US));
	snprintf(pids, sizeof(pids), "%lld", (long long)cfg->resources.pids_max);
	PAIR("HostConfig.Memory", memory);
	PAIR("HostConfig.NanoCpus", cpus);
	PAIR("HostConfig.PidsLimit", pids);
	for (int i = 0; i < cfg->nmounts; i++)
		PAIR("HostConfig.Binds",
		     binds[i] =
			 xasprintf("%s:%s%s", cfg->mounts[i].source, cfg->mounts[i].destination,
				   cfg->mounts[i].readonly ? ":ro" : ""));
	PAIR("HostConfig.ReadonlyRootfs", cfg->root.readonly ? "1" : "0");
	PAIR("HostConfig.NetworkMode", modes[cfg->namespaces.network]);
	PAIR("HostConfig.AutoRemove", cfg->remove ? "1" : "0");
#undef PAIR
	state_write_pairs(&r->c, "inspect", pairs);
	for (int i = 0; i < cfg->nmounts; i++)
		free(binds[i]);
	free(binds);
	free(pairs);
}

/*
 * run's working directory and arguments, NUL-separated, as STATE/ID/run-args:
 * `final start` parses them again into the same configuration.
 */
static void save_run_args(const struct run *r)
{
	char path[600], cwd[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/run-args", r->c.dir);
	if (!r->cfg->run_argv || !getcwd(cwd, sizeof(cwd)) || !(f = fopen(path, "we")))
		return;
	fwrite(cwd, 1, strlen(cwd) + 1, f);
	for (char **a = r->cfg->run_argv; *a; a++)
		fwrite(*a, 1, strlen(*a) + 1, f);
	if (fclose(f) != 0)
		warn_errno("write %s", path);
}

/* The whole record, then (under the lock, so names stay unique) its directory and file. */
static int create_record(struct run *r)
{
	static const char *const modes[] = {"bridge", "none", "host"};
	int lock, ret;

	snprintf(r->c.image, sizeof(r->c.image), "%s", r->cfg->image);
	join_args(r->cfg->process.args, r->c.command, sizeof(r->c.command));
	snprintf(r->c.network, sizeof(r->c.network), "%s",
		 rootless() && r->cfg->namespaces.network == NET_BRIDGE
		     ? "slirp"
		     : modes[r->cfg->namespaces.network]);
	format_ports(r->cfg->ports, r->cfg->nports, r->c.ports, sizeof(r->c.ports));
	r->c.remove = r->cfg->remove;
	r->c.caps = r->cfg->security.caps;
	r->c.seccomp = r->cfg->security.seccomp;
	r->c.no_new_privs = r->cfg->security.no_new_privs;
	r->c.userns = r->cfg->userns.remap;
	/* Before the record exists: a record without a live monitor is reaped as a crash. */
	r->c.monitor_pid = getpid();
	r->c.monitor_start = proc_start_time(getpid());
	lock = state_lock();
	ret = lock < 0 ? -1 : state_create(&r->c, r->cfg->name);
	state_unlock(lock);
	if (ret == 0)
		save_run_args(r);
	if (ret == 0)
		save_inspect_config(r);
	return ret;
}

/*
 * -d: the monitor becomes a daemon (its own session, stdin /dev/null, the
 * container's output in the state directory's "log"); we wait until it says
 * the container runs, print the id, and return.
 */
static int run_detached(struct run *r)
{
	int fds[2], null;
	char buf[1024] = "";
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return warn_errno("pipe2"), EXIT_RUNTIME;
	pid = fork();
	if (pid < 0)
		return warn_errno("fork"), EXIT_RUNTIME;
	if (pid == 0) {
		close(fds[0]);
		setsid();
		null = open("/dev/null", O_RDWR);
		rootfs_paths(&r->fs, r->c.id);
		if (log_open(&r->log, r->fs.dir) < 0 || null < 0 || dup2(null, 0) < 0 ||
		    dup2(r->log.fd, 1) < 0) {
			destroy(&r->c);
			_exit(EXIT_RUNTIME);
		}
		r->detached = true;
		r->c.monitor_pid = getpid();
		r->c.monitor_start = proc_start_time(getpid());
		state_save(&r->c);
		_exit(monitor(r, fds[1]));
	}
	close(fds[1]);
	if (read(fds[0], buf, sizeof(buf) - 1) > 0 && strcmp(buf, "ok") == 0) {
		printf("%s\n", r->c.id);
		return 0;
	}
	/* The setup failed: its line, and the status the container ended with. */
	fputs(buf, stderr);
	return wait_status(pid);
}

/*
 * Rootless (rootless.c), what needs the host's root is refused, one line:
 * the bridge (a veth on the host, NAT), limits (no cgroup of the user's own:
 * v1 never delegates one, and a v2 subtree systemd delegates is not used
 * yet), --userns=remap (the user namespace is there already), devices.
 */
static int refuse_rootless(const struct config *cfg)
{
	const typeof(cfg->resources) *r = &cfg->resources;
	struct cgroup cg;
	struct stat st;

	/* Files of an id the user namespace does not map are nobody's inside: root could
	 * not even make the mount point of /etc/hosts. In the namespace, ours are 0. */
	if (!strchr(cfg->root.path, ':') && stat(cfg->root.path, &st) == 0 && st.st_uid != 0)
		return warn("rootless: %s is not yours: its files would be nobody's inside; use a "
			    "rootfs of your own (make rootfs as yourself) or an image",
			    cfg->image);
	if (cfg->namespaces.network == NET_HOST)
		return warn("rootless: --network host: the host's network namespace is the host "
			    "root's (bridge: slirp4netns; or none)");
	cgroup_init(&cg, "");
	if ((r->memory || r->cpu_quota || r->pids_max) && cg.none)
		return warn(
		    "rootless: --memory, --cpus and --pids-limit need a cgroup of your own: "
		    "a cgroup v2 subtree delegated to you (systemd's user@UID.service), and "
		    "this machine has %s",
		    cg.v2 ? "none above yours" : "cgroup v1, which never delegates one");
	if (cfg->userns.remap)
		return warn("rootless: --userns=remap is for root; you are in a user "
			    "namespace already");
	if (cfg->ndevices)
		return warn("rootless: --device needs root");
	return 0;
}

/* RUN's container: a new record, or with EXISTING (start) that one again. */
static int run_container(struct config *cfg, const struct container *existing)
{
	static char lower[4096];
	struct run r = {.cfg = cfg, .attach = -1, .userns = -1, .netns = -1, .self = -1};

	if (image_resolve(cfg, lower, sizeof(lower)) < 0)
		return EXIT_RUNTIME;
	cfg->root.path = lower;
	if (rootless() && refuse_rootless(cfg) < 0)
		return EXIT_RUNTIME;
	if (cfg->userns.remap && cfg->namespaces.network == NET_HOST)
		return warn("--userns=remap cannot share the host's network: its namespace belongs "
			    "to "
			    "the host's root (docker refuses it too)"),
		       EXIT_RUNTIME;
	if (cfg->userns.remap && userns_remap_range(&cfg->userns.range) < 0)
		return EXIT_RUNTIME;
	timing_mark("image");
	if (existing) { /* the same id, name, writable layer and log; a new monitor */
		r.c = *existing;
		r.again = true;
		r.c.monitor_pid = getpid();
		r.c.monitor_start = proc_start_time(getpid());
		r.c.init_pid = 0, r.c.init_start = 0, r.c.exit_code = 0;
		snprintf(r.c.status, sizeof(r.c.status), "created");
		if (state_save(&r.c) < 0)
			return EXIT_RUNTIME;
	} else if (create_record(&r) < 0 || lock_record(&r.c) < 0) {
		return EXIT_RUNTIME; /* (nobody else knows a new record's directory yet) */
	}
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

int container_run(struct config *cfg)
{
	return run_container(cfg, NULL);
}

int container_run_args(const char *name, int *argc, char ***argv)
{
	struct container c;
	char path[600], *buf;
	size_t len = 0;
	FILE *f;

	if (find(name, &c) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/run-args", c.dir);
	if (!(f = fopen(path, "re")))
		return warn("container %s cannot be started again: no run-args", name);
	buf = malloc(1 << 16);
	len = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (!buf || len == 0 || buf[len - 1] != '\0')
		return free(buf), warn("%s: damaged", path);
	*argv = calloc(len + 2, sizeof(char *)); /* more than the strings there are */
	*argc = 0;
	(*argv)[(*argc)++] = "run";
	for (size_t at = strlen(buf) + 1; at < len; at += strlen(buf + at) + 1)
		(*argv)[(*argc)++] = buf + at;
	if (chdir(buf) < 0) /* relative paths mean what they meant to run */
		return warn_errno("chdir %s", buf);
	return 0;
}

static bool not_created(const struct container *c)
{
	return strcmp(c->status, "created") != 0;
}

/*
 * `final start` of a container `final create` made: the byte into its
 * exec.fifo that launch.c's gate waits for (`final run`'s monitor writes
 * into a pipe of its own, so that no `final start` can start a run, or a
 * --restart's next life); then until CMD runs, or why it did not.
 */
static int start_created(struct container *c, const char *name)
{
	char fifo[600], error[640], why[1024] = "";
	struct stat st;

	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", c->dir);
	snprintf(error, sizeof(error), "%s/start-error", c->dir);
	/* ENOENT: another start took it, or its monitor removed it; ENXIO: nobody waits */
	if (launch_start(fifo, &st) < 0)
		return warn("container %s is running already", name), EXIT_RUNTIME;
	/* Its monitor writes start-error (CMD could not run) before the record leaves
	 * "created"; gone, with --rm, the line is in nobody's hands: as started. */
	if (wait_for(c, not_created, 10) && read_file(error, why, sizeof(why)) >= 0 && why[0])
		return fputs(why, stderr), EXIT_RUNTIME;
	printf("%s\n", name);
	return 0;
}

int container_start(const char *name, struct config *cfg)
{
	struct container c;

	container_reap_orphans(); /* a crashed life's cgroup and lease go first */
	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	if (strcmp(c.status, "created") == 0 && !monitor_gone(&c))
		return start_created(&c, name);
	/*
	 * Held by the new monitor from here (fork keeps it): a second start fails
	 * here. A monitor that has just recorded "exited" may hold it a moment more.
	 */
	for (int i = 0; lock_record(&c) < 0; i++)
		if (running(&c) || i == 100 || (usleep(20000), state_find(c.id, &c) < 0))
			return warn("container %s is running already", name), EXIT_RUNTIME;
	if (state_find(c.id, &c) < 0 || running(&c))
		return warn("container %s is running already", name), EXIT_RUNTIME;
	cfg->detach = true; /* docker start: in the background */
	cfg->name = NULL;
	return run_container(cfg, &c) == 0 ? 0 : EXIT_RUNTIME;
}

/*** the other commands ***/

static int find(const char *name, struct container *c)
{
	if (state_find(name, c) < 0)
		return warn("no such container: %s", name);
	return 0;
}

/* Is the container's monitor gone (exited, a zombie, or its pid someone else's now)? */
static bool monitor_gone(const struct container *c)
{
	return !proc_alive(c->monitor_pid, c->monitor_start);
}

static bool running(const struct container *c)
{
	return strcmp(c->status, "exited") != 0 && !monitor_gone(c);
}

/* Send SIG to C's init, if it is still the process the record names; false if not. */
static bool signal_init(const struct container *c, int sig)
{
	int pidfd = proc_open(c->init_pid, c->init_start);
	bool sent = pidfd >= 0 && proc_signal(pidfd, sig) == 0;

	if (pidfd >= 0)
		close(pidfd);
	return sent;
}

/* A container whose monitor died without cleaning up: do it now. */
static void reap_one(struct container *c, void *arg)
{
	struct cgroup cg;

	(void)arg;
	if (strcmp(c->status, "exited") == 0 || !monitor_gone(c))
		return;
	signal_init(c, SIGKILL); /* only if its init is still the one that started */
	cgroup_init(&cg, c->id);
	cgroup_remove(&cg);
	if (strcmp(c->network, "bridge") == 0)
		net_cleanup_leftovers(c->id, c->ip);
	c->exit_code = 137;
	snprintf(c->status, sizeof(c->status), "exited");
	if (!c->remove || destroy_unless_busy(c, 2) < 0) /* its init dies of SIGKILL meanwhile */
		state_save(c);
}

void container_reap_orphans(void)
{
	int lock = state_lock();

	if (lock >= 0)
		state_each(reap_one, NULL);
	state_unlock(lock);
}

static bool ended(const struct container *c)
{
	return !running(c);
}

/* Past the point where it has an init to signal (or never will have one). */
static bool has_init(const struct container *c)
{
	return c->init_pid > 0 || ended(c);
}

/* Wait up to SECONDS until DONE(C), reading C again; true if it came (or C is gone). */
static bool wait_for(struct container *c, bool (*done)(const struct container *), double seconds)
{
	char id[sizeof(c->id)];

	memcpy(id, c->id, sizeof(id));
	for (int i = 0; i < seconds * 50; i++) {
		if (state_find(id, c) < 0 || done(c))
			return true;
		usleep(20000);
	}
	return false;
}

/* Stopped on purpose: its monitor does not --restart it. */
static void mark_stopped(const struct container *c)
{
	char path[600];

	stopped_path(c, path, sizeof(path));
	if (running(c) && write_new_file(path, "") < 0)
		warn_errno("write %s", path);
}

/*
 * SIGTERM to each init the container has until it has ended, SIGKILL after
 * TIMEOUT seconds. Each: with --restart, the monitor may be between two
 * lives (it decided to restart just before `stopped` was written), and the
 * next life must be stopped too.
 */
int container_stop(const char *name, int timeout)
{
	unsigned long long termed = 0;
	struct container c;
	double waited = 0;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	mark_stopped(&c);
	/* Created: CMD has not run, and the init that waits ignores SIGTERM (it has no
	 * handler yet, and it is PID 1: pid_namespaces(7)). Nothing to be graceful with. */
	if (strcmp(c.status, "created") == 0)
		timeout = 0;
	while (running(&c) && waited < timeout + 10) {
		if (c.init_start != termed && signal_init(&c, SIGTERM)) /* init forwards it */
			termed = c.init_start;
		if (waited >= timeout)
			signal_init(&c, SIGKILL);
		wait_for(&c, ended, 0.1);
		waited += 0.1;
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
		mark_stopped(&c);
		wait_for(&c, has_init, 10);
		launch_kill(c.init_pid, c.init_start); /* final-oci delete --force's kill */
		wait_for(&c, ended, 10);
	}
	container_reap_orphans();
	if (state_find(c.id, &c) == 0 && /* --rm containers are gone already */
	    destroy_unless_busy(&c, 10) < 0)
		return warn("container %s is being started: try again", name), EXIT_RUNTIME;
	printf("%s\n", name);
	return 0;
}

struct ps_options {
	bool all, quiet;
	const char *format; /* --format: docker's field names, {{.ID}} {{.Names}} ... */
};

static int print_format(json_t *obj, const char *format);

static void print_row(struct container *c, void *arg)
{
	const struct ps_options *o = arg;
	bool up = running(c);
	char when[32], status[32];
	time_t created = c->created;

	if (!up && !o->all)
		return;
	if (o->quiet) {
		printf("%s\n", c->id);
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&created));
	if (up) /* created: set up, CMD not started (yet, or until `final start`) */
		snprintf(status, sizeof(status), "%s", c->status);
	else
		snprintf(status, sizeof(status), "exited (%d)", c->exit_code);
	if (o->format) {
		json_t *row = json.pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "ID", c->id,
					"Names", c->name, "Image", c->image, "Command", c->command,
					"Status", status, "CreatedAt", when, "Ports", c->ports,
					"Networks", c->network, "IPAddress", up ? c->ip : "");

		print_format(row, o->format);
		json.delete(row);
		return;
	}
	/* The container's bytes: no escape sequence reaches the terminal. */
	for (char *p = c->command; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	printf("%-16s  %-16s  %-12s  %-15s  %-19s  %s\n", c->id, c->name, status,
	       up && c->ip[0] ? c->ip : "-", when, c->command);
}

int container_ps(bool all, bool quiet, const char *format)
{
	struct ps_options o = {all, quiet, format};

	container_reap_orphans(); /* a container whose monitor was killed is listed as exited */
	if (format && dl_json() < 0)
		return EXIT_RUNTIME;
	if (!quiet && !format)
		printf("%-16s  %-16s  %-12s  %-15s  %-19s  %s\n", "CONTAINER ID", "NAME", "STATUS",
		       "IP", "CREATED", "COMMAND");
	state_each(print_row, &o);
	return 0;
}

int container_kill(const char *name, int sig)
{
	struct container c;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	wait_for(&c, has_init, 10);
	if (!running(&c) || !signal_init(&c, sig))
		return warn("container %s is not running", name), EXIT_RUNTIME;
	printf("%s\n", name);
	return 0;
}

/* final wait NAME: until it has exited; prints its exit status. */
int container_wait(const char *name)
{
	struct container c;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	while (!wait_for(&c, ended, 3600))
		;
	printf("%d\n", c.exit_code);
	return 0;
}

/* final port NAME: each published port as docker prints it, "80/tcp -> 0.0.0.0:8080". */
int container_port(const char *name)
{
	struct container c;
	char *save = NULL;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	for (char *m = strtok_r(c.ports, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		char ip[16] = "0.0.0.0", proto[4] = "";
		int host = 0, ctr = 0;

		if (strchr(m, '.')) /* IP:HOST:CTR/PROTO */
			sscanf(m, "%15[0-9.]:%d:%d/%3s", ip, &host, &ctr, proto);
		else
			sscanf(m, "%d:%d/%3s", &host, &ctr, proto);
		printf("%d/%s -> %s:%d\n", ctr, proto, ip, host);
	}
	return 0;
}

/*** stats, top ***/

struct sample {
	struct container c;
	struct cgroup_stats cg;
	unsigned long long net_rx, net_tx; /* as the container sees them */
	double at; /* seconds */
};

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The host's end of the veth: what it receives, the container sent. */
static unsigned long long veth_bytes(const struct container *c, const char *counter)
{
	char path[128], value[32] = "";

	snprintf(path, sizeof(path), "/sys/class/net/vf%.8s/statistics/%s", c->id, counter);
	return read_file(path, value, sizeof(value)) > 0 ? strtoull(value, NULL, 10) : 0;
}

static void take_sample(struct sample *s)
{
	struct cgroup cg;

	cgroup_init(&cg, s->c.id);
	cgroup_stats(&cg, &s->cg);
	s->net_rx = veth_bytes(&s->c, "tx_bytes");
	s->net_tx = veth_bytes(&s->c, "rx_bytes");
	s->at = now_seconds();
}

static void print_bytes(char *out, size_t size, unsigned long long n, bool known)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = n;
	int u = 0;

	for (; v >= 1024 && u < 4; u++)
		v /= 1024;
	if (!known)
		snprintf(out, size, "--");
	else
		snprintf(out, size, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

/* One row from two samples: CPU % of one CPU over the interval, as docker's. */
static void print_stats_row(const struct sample *a, const struct sample *b)
{
	char mem[16], lim[16], rx[16], tx[16], rd[16], wr[16], cpu[16] = "--";

	if (b->cg.cpu_known)
		snprintf(cpu, sizeof(cpu), "%.2f%%",
			 (b->cg.cpu_usec - a->cg.cpu_usec) / 1e4 / (b->at - a->at));
	print_bytes(mem, sizeof(mem), b->cg.mem_usage, true);
	print_bytes(lim, sizeof(lim), b->cg.mem_limit,
		    b->cg.mem_limit != 0 && b->cg.mem_limit < (1ULL << 62));
	print_bytes(rx, sizeof(rx), b->net_rx, b->c.ip[0]);
	print_bytes(tx, sizeof(tx), b->net_tx, b->c.ip[0]);
	print_bytes(rd, sizeof(rd), b->cg.io_read, b->cg.io_known);
	print_bytes(wr, sizeof(wr), b->cg.io_write, b->cg.io_known);
	char m[40], n[40], io[40];

	snprintf(m, sizeof(m), "%s / %s", mem, lim);
	snprintf(n, sizeof(n), "%s / %s", rx, tx);
	snprintf(io, sizeof(io), "%s / %s", rd, wr);
	printf("%-16s  %-16s  %-8s  %-21s  %-21s  %-21s  %llu\n", b->c.id, b->c.name, cpu, m, n, io,
	       b->cg.pids);
}

struct stats_list {
	struct sample *s;
	int n;
};

static void add_running(struct container *c, void *arg)
{
	struct stats_list *l = arg;

	if (running(c) && (l->s = realloc(l->s, (l->n + 1) * sizeof(*l->s))))
		l->s[l->n++].c = *c;
}

/* final stats [--no-stream] [NAME...]: every second (or once), all running or NAMEs. */
int container_stats(char *const names[], bool no_stream)
{
	struct stats_list l = {0};
	struct sample *before;
	struct cgroup cg;

	cgroup_init(&cg, "");
	if (cg.none)
		return warn("rootless: stats reads the containers' cgroups, and without a cgroup "
			    "subtree delegated to you they have none"),
		       EXIT_RUNTIME;

	if (!*names)
		state_each(add_running, &l);
	for (; *names; names++) {
		struct container c;

		if (find(*names, &c) < 0)
			return free(l.s), EXIT_RUNTIME;
		add_running(&c, &l);
	}
	if (!l.s && l.n)
		die("out of memory");
	before = calloc(l.n + 1, sizeof(*before));
	for (int i = 0; i < l.n; i++)
		take_sample(&l.s[i]);
	do {
		usleep(500000);
		printf("%-16s  %-16s  %-8s  %-21s  %-21s  %-21s  %s\n", "CONTAINER ID", "NAME",
		       "CPU %", "MEM USAGE / LIMIT", "NET I/O", "BLOCK I/O", "PIDS");
		for (int i = 0; i < l.n; i++) {
			before[i] = l.s[i];
			take_sample(&l.s[i]);
			print_stats_row(&before[i], &l.s[i]);
		}
		fflush(stdout);
	} while (!no_stream);
	free(before);
	free(l.s);
	return 0;
}

/* final top NAME: the container's processes, as the host numbers them. */
int container_top(const char *name)
{
	struct container c;
	struct cgroup cg;
	pid_t pids[4096];
	int n;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	cgroup_init(&cg, c.id);
	if (cg.none)
		return warn("rootless: top lists a container's cgroup, and %s has none", name),
		       EXIT_RUNTIME;
	if (!running(&c) || (n = cgroup_procs(&cg, pids, N_ELEMS(pids))) < 0)
		return warn("container %s is not running", name), EXIT_RUNTIME;
	printf("%-8s  %-8s  %-8s  %s\n", "PID", "PPID", "UID", "CMD");
	for (int i = 0; i < n; i++) {
		char path[64], status[2048] = "", cmd[1024] = "";
		int ppid = 0, uid = -1, len;
		const char *p;

		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		if (read_file(path, status, sizeof(status)) < 0)
			continue; /* gone meanwhile */
		if ((p = strstr(status, "\nPPid:")))
			ppid = atoi(p + 7);
		if ((p = strstr(status, "\nUid:")))
			uid = atoi(p + 5);
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pids[i]);
		len = read_file(path, cmd, sizeof(cmd));
		for (int j = 0; j < len; j++) /* NUL-separated arguments; its own bytes */
			if (cmd[j] == '\0')
				cmd[j] = j < len - 1 ? ' ' : '\0';
			else if ((unsigned char)cmd[j] < 0x20 || (unsigned char)cmd[j] >= 0x7f)
				cmd[j] =
				    '?'; /* no escape sequence (nor C1's) reaches the terminal */
		printf("%-8d  %-8d  %-8d  %s\n", (int)pids[i], ppid, uid, cmd);
	}
	return 0;
}

/*** inspect ***/

/* The value at PATH (".State.Pid") in OBJ as text: Go template's {{.State.Pid}}, simplified. */
static void print_field(json_t *obj, const char *path, bool as_json)
{
	char *copy = strdupa(path), *save = NULL, *text;

	for (char *key = strtok_r(copy, ".", &save); key && obj; key = strtok_r(NULL, ".", &save))
		obj = json.object_get(obj, key);
	if (!obj)
		fputs("<no value>", stdout);
	else if (!as_json && json_is_string(obj))
		fputs(json.string_value(obj), stdout);
	else if ((text = json.dumps(obj, JSON_COMPACT | JSON_ENCODE_ANY))) {
		fputs(text, stdout);
		free(text);
	}
}

/* --format: the text, with each {{.A.B}} or {{json .A.B}} replaced by that value. */
static int print_format(json_t *obj, const char *format)
{
	for (const char *p = format; *p;) {
		const char *open = strstr(p, "{{"), *close = open ? strstr(open, "}}") : NULL;
		char field[256];
		bool as_json;

		if (!open || !close) {
			fputs(p, stdout);
			break;
		}
		fwrite(p, 1, open - p, stdout);
		snprintf(field, sizeof(field), "%.*s", (int)(close - open - 2), open + 2);
		as_json = sscanf(field, " json %255s", field) == 1;
		if (!as_json && sscanf(field, " %255s", field) != 1)
			return warn("bad --format '%s': use {{.Field.Path}}", format);
		if (field[0] != '.')
			return warn("bad --format '%s': use {{.Field.Path}}", format);
		print_field(obj, field, as_json);
		p = close + 2;
	}
	putchar('\n');
	return 0;
}

/* STATE/ID/inspect's keys (save_inspect_config()), in the order inspect shows them, and
 * what each holds: a string, a list of them, a number, a boolean. */
static const struct {
	const char *key;
	char type; /* 's', 'a', 'i', 'b' */
} inspect_fields[] = {
    {"Config.Cmd", 'a'},
    {"Config.Env", 'a'},
    {"Config.Image", 's'},
    {"Config.WorkingDir", 's'},
    {"Config.User", 's'},
    {"Config.Hostname", 's'},
    {"HostConfig.Memory", 'i'},
    {"HostConfig.NanoCpus", 'i'},
    {"HostConfig.PidsLimit", 'i'},
    {"HostConfig.Binds", 'a'},
    {"HostConfig.ReadonlyRootfs", 'b'},
    {"HostConfig.NetworkMode", 's'},
    {"HostConfig.AutoRemove", 'b'},
};

/* KEY's place in OBJ (its section, made if need be), its name there in NAME; -1 if unknown. */
static int inspect_field(json_t *obj, const char *key, json_t **section, const char **name)
{
	for (size_t i = 0; i < N_ELEMS(inspect_fields); i++) {
		const char *dot = strchr(key, '.');
		char part[16];

		if (strcmp(key, inspect_fields[i].key) != 0 || !dot)
			continue;
		snprintf(part, sizeof(part), "%.*s", (int)(dot - key), key);
		if (!(*section = json.object_get(obj, part)))
			json.object_set_new(obj, part, *section = json.object());
		*name = dot + 1;
		return inspect_fields[i].type;
	}
	return -1;
}

/* One line of STATE/ID/inspect into ARG, the JSON object; lines of unknown keys are ignored. */
static void inspect_line(const char *key, const char *value, void *arg)
{
	json_t *section, *list;
	const char *name;

	switch (inspect_field(arg, key, &section, &name)) {
	case 'a':
		if ((list = json.object_get(section, name)))
			json.array_append_new(list, json.string(value));
		break;
	case 'i':
		json.object_set_new(section, name, json.integer(strtoll(value, NULL, 10)));
		break;
	case 'b':
		json.object_set_new(section, name, json.pack("b", strcmp(value, "1") == 0));
		break;
	case 's':
		json.object_set_new(section, name, json.string(value));
		break;
	}
}

/* Config and HostConfig from STATE/ID/inspect, every field there even if empty. */
static json_t *inspect_config(const struct container *c)
{
	json_t *obj = json.object(), *section;
	const char *name;

	for (size_t i = 0; i < N_ELEMS(inspect_fields); i++) {
		char type = inspect_fields[i].type;

		inspect_field(obj, inspect_fields[i].key, &section, &name);
		json.object_set_new(section, name,
				    type == 'a'	  ? json.array()
				    : type == 'i' ? json.integer(0)
				    : type == 'b' ? json.pack("b", 0)
						  : json.string(""));
	}
	if (state_read_pairs(c, "inspect", inspect_line, obj) < 0) {
		char path[600];

		/* a record being made, a damaged file (said), or one of a final before it */
		json.delete(obj);
		snprintf(path, sizeof(path), "%s/config.json", c->dir);
		return (obj = json.load_file(path, 0, NULL)) ? obj : json.object();
	}
	return obj;
}

/* The record's side of inspect: Id, Name, State, NetworkSettings, the ports. */
static json_t *inspect_container(const struct container *c)
{
	json_t *obj = inspect_config(c), *ports = json.object(), *bindings = json.object(), *host;
	char created[32], *save = NULL, *list = strdupa(c->ports);
	time_t t = c->created;
	bool up = running(c);

	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		char ip[16] = "", proto[4] = "", key[16], port[8];
		int hport = 0, cport = 0;

		if (strchr(m, '.'))
			sscanf(m, "%15[0-9.]:%d:%d/%3s", ip, &hport, &cport, proto);
		else
			sscanf(m, "%d:%d/%3s", &hport, &cport, proto);
		snprintf(key, sizeof(key), "%d/%s", cport, proto);
		snprintf(port, sizeof(port), "%d", hport);
		json.object_set_new(
		    ports, key,
		    json.pack("[{s:s,s:s}]", "HostIp", ip[0] ? ip : "0.0.0.0", "HostPort", port));
		json.object_set_new(bindings, key,
				    json.pack("[{s:s,s:s}]", "HostIp", ip, "HostPort", port));
	}
	if ((host = json.object_get(obj, "HostConfig")))
		json.object_set_new(host, "PortBindings", bindings);
	else
		json.delete(bindings);
	json.object_set_new(obj, "Id", json.string(c->id));
	json.object_set_new(obj, "Name", json.pack("s++", "/", c->name, ""));
	json.object_set_new(obj, "Created", json.string(created));
	json.object_set_new(obj, "State",
			    json.pack("{s:s,s:b,s:i,s:i,s:s}", "Status", up ? c->status : "exited",
				      "Running", up && !strcmp(c->status, "running"), "Pid",
				      up ? (int)c->init_pid : 0, "ExitCode", up ? 0 : c->exit_code,
				      "StartedAt", created));
	json.object_set_new(obj, "NetworkSettings",
			    json.pack("{s:s,s:o}", "IPAddress", up ? c->ip : "", "Ports", ports));
	return obj;
}

/* final inspect [--format F] NAME|IMAGE...: docker's shape where it applies. */
int container_inspect(char *const names[], const char *format)
{
	json_t *all, *one;
	char *text;
	int status = 0;

	if (dl_json() < 0)
		return EXIT_RUNTIME;
	all = json.array();
	for (; *names; names++) {
		struct container c;

		if (state_find(*names, &c) == 0)
			one = inspect_container(&c);
		else if (!(one = image_inspect(*names))) {
			status = warn("no such container or image: %s", *names);
			continue;
		}
		if (format && print_format(one, format) < 0)
			status = -1;
		json.array_append_new(all, one);
	}
	if (!format && (text = json.dumps(all, JSON_INDENT(4)))) {
		printf("%s\n", text);
		free(text);
	}
	json.delete(all);
	return status < 0 ? EXIT_RUNTIME : 0;
}

/* -dt's terminal, until Ctrl-P Ctrl-Q (0) or the end of the container (its status). */
int container_attach(const char *name)
{
	struct container c;
	char path[600];

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	if (!running(&c) || strcmp(c.status, "running") != 0)
		return warn("container %s is not running", name), EXIT_RUNTIME;
	snprintf(path, sizeof(path), "%s/attach.sock", c.dir);
	if (access(path, F_OK) < 0)
		return warn("container %s has no terminal to attach to (run it with -dit)", name),
		       EXIT_RUNTIME;
	switch (tty_attach(path)) {
	case 1:
		return 0;
	case 0:
		wait_for(&c, ended, 10);
		return c.exit_code;
	default:
		return EXIT_RUNTIME;
	}
}

static bool still_running(void *arg)
{
	struct container *c = arg;

	return state_find(c->id, c) == 0 && running(c);
}

int container_logs(const char *name, bool follow)
{
	struct container c;
	struct rootfs fs;

	if (find(name, &c) < 0)
		return EXIT_RUNTIME;
	rootfs_paths(&fs, c.id);
	if (log_print(fs.dir, follow, still_running, &c) < 0)
		return warn("container %s has no log (only detached containers have one)", name),
		       EXIT_RUNTIME;
	return 0;
}

/*
 * Join C's namespaces through a pidfd of its init, and its cgroup: only a
 * container whose setup is complete ("running"), and only if the init is
 * still the process the record names. Every namespace but the PID one (and,
 * --userns=remap, the user one): our child joins those (exec_child()), and
 * *PIDFD, the init's, stays open for it. Then check that "/" is the
 * container's own and not the host's: the mount namespace has the host's
 * root until the child pivots.
 */
static int join_container(const char *name, const struct container *c, int *pidfd_out)
{
	const int nstypes = CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | CLONE_NEWCGROUP |
			    CLONE_NEWNS; /* setns() does the mount ns last */
	struct stat host_root, root;
	struct cgroup cg;
	int pidfd;

	if (!running(c) || strcmp(c->status, "running") != 0)
		return warn("container %s is not running", name);
	pidfd = proc_open(c->init_pid, c->init_start);
	if (pidfd < 0)
		return warn("container %s is not running", name);
	cgroup_init(&cg, c->id);
	if (stat("/", &host_root) < 0 || cgroup_enter(&cg) < 0)
		return close(pidfd), -1;
	/*
	 * Inside, until CMD's execve we are final's binary, the host's file: no
	 * process of the container may open our /proc/PID/exe or mem (the
	 * CVE-2019-5736 path). Dropping capabilities makes us non-dumpable too;
	 * this holds even when the container keeps them all (--cap-add ALL).
	 */
	prctl(PR_SET_DUMPABLE, 0);
	/* Rootless: the user namespace first, in the same call, where its owner (we) gets the
	 * capabilities to join the rest. --userns=remap: our child joins it, last. */
	if (proc_setns(pidfd, c->init_pid, c->init_start,
		       nstypes | (geteuid() != 0 ? CLONE_NEWUSER : 0)) < 0)
		return close(pidfd), errno == ESRCH ? warn("container %s is not running", name)
						    : warn_errno("setns into %s", name);
	if (stat("/", &root) < 0)
		return close(pidfd), -1;
	if (root.st_dev == host_root.st_dev && root.st_ino == host_root.st_ino)
		return close(pidfd),
		       warn("container %s has no root of its own: refusing to exec", name);
	*pidfd_out = pidfd;
	return 0;
}

/*
 * exec's child, outside the container's PID namespace still: it joins it
 * (for its children) and executes tiny-init, which confines itself as CMD
 * is confined, starts CMD's process, born in the container's PID namespace
 * with CMD's capabilities, filter and user, and waits for it. Nothing in
 * the container ever sees a process of the exec with more: one that joined
 * it with the host's root capabilities (its fork, then its execve of
 * tiny-init) could be taken over by a process in there allowed to ptrace
 * (--cap-add SYS_PTRACE), and made to run its own system calls.
 */
static void __attribute__((noreturn))
exec_child(const struct config *cfg, const struct container *c, int pidfd, int self, int tty)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* --userns=remap: the user namespace last, as the init did: the PID namespace is the
	 * host root's, as the others */
	if (proc_setns(pidfd, c->init_pid, c->init_start, CLONE_NEWPID) < 0 ||
	    (c->userns && proc_setns(pidfd, c->init_pid, c->init_start, CLONE_NEWUSER) < 0))
		die_errno("setns into %s", c->name);
	if (c->userns && become_userns_root() < 0)
		exit(EXIT_RUNTIME);
	close(pidfd);
	process_exec(cfg, cfg->process.args, self, tty);
}

/*
 * exec: join every namespace of the container's init but its PID one (and
 * its cgroup), then fork: the child joins that, which applies only to its
 * children (step 02), and tiny-init starts the exec'd process there.
 */
int container_exec(const char *name, struct config *cfg)
{
	struct container c;
	int slave = -1, master = -1, pidfd = -1, self;
	pid_t pid;

	/* Before we join: the container's /dev/null could be a FIFO that blocks us forever. */
	if (!cfg->process.interactive && !cfg->process.terminal) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (null >= 0)
			dup2(null, 0);
	}
	if (find(name, &c) < 0 || join_container(name, &c, &pidfd) < 0)
		return EXIT_RUNTIME;
	/* The same confinement as the container's own processes. */
	cfg->security.caps = c.caps;
	cfg->security.seccomp = c.seccomp;
	cfg->security.no_new_privs = c.no_new_privs;
	if (cfg->process.terminal && (master = tty_open(&slave)) < 0)
		return EXIT_RUNTIME;
	/* tiny-init's copy, ours (the host's root's: under --userns=remap, not one the
	 * container's root could read, which would make it dumpable) */
	if ((self = init_sealed_copy()) < 0)
		return EXIT_RUNTIME;
	pid = fork();
	if (pid < 0)
		return warn_errno("fork"), EXIT_RUNTIME;
	if (pid == 0)
		exec_child(cfg, &c, pidfd, self, slave);
	close(pidfd);
	close(self);
	forward_to = pid;
	forward_signals();
	if (master >= 0) {
		close(slave);
		tty_relay(master);
	}
	return wait_status(pid);
}

/*** network prune ***/

int container_network_prune(void)
{
	container_reap_orphans(); /* a crashed container's lease is not a user */
	return net_prune() < 0 ? EXIT_RUNTIME : 0;
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
	container_reap_orphans(); /* a crashed container uses nothing */
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
	long long *freed = arg, size = rootfs_disk_usage(c->id);

	if (running(c) || destroy_unless_busy(c, 0) < 0)
		return;
	*freed += size;
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
