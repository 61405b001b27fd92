/*
 * bundle.c: the OCI lifecycle, for final-oci (podman, containerd, the
 * runtime-tools suite): create, start, state, kill, delete, and exec, ps,
 * list. Like container.c it combines the mechanisms, and brings the
 * container up through the same create and start (launch.c); unlike
 * container.c it has no monitor, because the engines bring their own
 * (conmon, the shim): `create` leaves the container's first process
 * waiting, its parent is the engine's subreaper once `create` exits, and
 * every later command finds it through the record in ROOT/ID (--root,
 * default /run/final-oci).
 *
 *   create: record -> exec.fifo -> clone into config.json's namespaces, the
 *     child waits on a pipe -> id maps, cgroup + resources, prestart and
 *     createRuntime hooks -> go -> child: namespaces to join, mounts,
 *     devices, createContainer hooks, pivot_root, sysctl, masked paths,
 *     terminal, security -> "created": the mark, the ready pipe closes,
 *     create returns -> the child reads exec.fifo, which blocks until...
 *   start: one byte into exec.fifo, the fifo goes ("running"), poststart.
 *   delete: the cgroup, poststop hooks, the record.
 *
 * The readiness rule of container.c holds: `create` returns only once the
 * setup is complete, and the line that says why it is not is what the
 * ready pipe carries. A CMD that cannot be found fails `create`, as runc.
 */
#define _GNU_SOURCE
#include "bundle.h"
#include "cgroup.h"
#include "dl.h"
#include "launch.h"
#include "pidfd.h"
#include "rootfs.h"
#include "security.h"
#include "spec.h"
#include "tty.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CGROUP_PARENT "/final-oci" /* when config.json has no cgroupsPath */

/* What ROOT/ID/state says: enough for every command after create. */
struct record {
	char id[256], dir[PATH_MAX], bundle[PATH_MAX], cgroup[PATH_MAX], created[40];
	pid_t pid; /* the container's first process, as the host numbers it */
	unsigned long long start;
	int fifo_fd; /* its descriptor of exec.fifo, which its execve closes */
};

/*** the record ***/

/* runc's rule for IDs: letters, digits and _ + - . ; never a path, nor a dot first (ours). */
static int check_id(const char *id)
{
	if (!id || !id[0] || strlen(id) >= 256 || id[0] == '.' ||
	    id[strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.")])
		return warn("invalid container id '%s': letters, digits, _ + - ., not a dot first",
			    id ? id : "");
	return 0;
}

static int record_save(const struct record *r)
{
	char path[PATH_MAX + 16], text[3 * PATH_MAX + 200];

	snprintf(text, sizeof(text), "pid=%d\nstart=%llu\ncreated=%s\nbundle=%s\ncgroup=%s\n",
		 (int)r->pid, r->start, r->created, r->bundle, r->cgroup);
	snprintf(path, sizeof(path), "%s/state", r->dir);
	return write_new_file(path, text) < 0 ? warn_errno("write %s", path) : 0;
}

/* Read ROOT/ID's record; -1 with one line if there is none (or it is not ours). */
static int record_load(const char *root, const char *id, struct record *r)
{
	char path[PATH_MAX + 300], text[3 * PATH_MAX + 200], *line, *save;

	memset(r, 0, sizeof(*r));
	if (check_id(id) < 0)
		return -1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->dir, sizeof(r->dir), "%s/%s", root, id);
	snprintf(path, sizeof(path), "%s/state", r->dir);
	if (read_file(path, text, sizeof(text)) < 0)
		return warn("container %s does not exist", id);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "pid=%d", &r->pid) == 1 ||
		    sscanf(line, "start=%llu", &r->start) == 1)
			continue;
		else if (strncmp(line, "created=", 8) == 0)
			snprintf(r->created, sizeof(r->created), "%s", line + 8);
		else if (strncmp(line, "bundle=", 7) == 0)
			snprintf(r->bundle, sizeof(r->bundle), "%s", line + 7);
		else if (strncmp(line, "cgroup=", 7) == 0)
			snprintf(r->cgroup, sizeof(r->cgroup), "%s", line + 7);
	if (r->pid <= 1 || !r->start || r->cgroup[0] != '/')
		return warn("container %s: its record %s is damaged", id, path);
	return 0;
}

static bool fifo_exists(const struct record *r)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/exec.fifo", r->dir);
	return access(path, F_OK) == 0;
}

/* created: waiting on exec.fifo; running: past it; stopped: its first process is gone. */
static const char *status_of(const struct record *r)
{
	if (!proc_alive(r->pid, r->start))
		return "stopped";
	return fifo_exists(r) ? "created" : "running";
}

/* The record's copy of config.json, loaded (it was checked by create). */
static void load_saved_spec(const struct record *r, struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	spec_load(r->dir, cfg);
}

/* The state of the runtime spec (runtime.md "State"), as JSON. */
static char *state_json(const struct record *r, const char *status, json_t *annotations)
{
	json_t *o = json.object();
	char *text;

	json.object_set_new(o, "ociVersion", json.string("1.2.0"));
	json.object_set_new(o, "id", json.string(r->id));
	json.object_set_new(o, "status", json.string(status));
	json.object_set_new(o, "pid", json.integer(strcmp(status, "stopped") ? r->pid : 0));
	json.object_set_new(o, "bundle", json.string(r->bundle));
	json.object_set_new(o, "created", json.string(r->created));
	json.object_set_new(o, "owner", json.string(""));
	if (annotations)
		json.object_set_new(o, "annotations", json_incref(annotations));
	text = json.dumps(o, JSON_INDENT(2));
	json.delete(o);
	if (!text)
		die("out of memory");
	return text;
}

/*** hooks ***/

/* Wait for PID up to TIMEOUT seconds (0: forever); its status, or -1 after killing it. */
static int wait_hook(pid_t pid, int timeout)
{
	int status;

	for (long ms = 0; !timeout || ms < timeout * 1000L; ms += 10) {
		pid_t got = waitpid(pid, &status, WNOHANG);

		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (got < 0 && errno != EINTR)
			return -1;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/*
 * Run the hooks of KIND in order, each with the state on its stdin
 * (config.md "POSIX-platform Hooks"); stop at the first that fails.
 */
static int run_hooks(const struct spec *s, enum hook_kind kind, const char *state)
{
	/* after start and after delete, a failed hook is a warning, and the others still run */
	bool go_on = kind == HOOK_POSTSTART || kind == HOOK_POSTSTOP;
	int ret = 0;

	static const char *const names[] = {"prestart",	      "createRuntime", "createContainer",
					    "startContainer", "poststart",     "poststop"};

	for (int i = 0; i < s->nhooks[kind]; i++) {
		const struct spec_hook *h = &s->hooks[kind][i];
		char *path_only[] = {(char *)h->path, NULL};
		int in[2], status;
		void (*old)(int);
		pid_t pid;

		if (pipe2(in, O_CLOEXEC) < 0 || (pid = fork()) < 0)
			return warn_errno("run the %s hook %s", names[kind], h->path);
		if (pid == 0) {
			if (dup2(in[0], 0) < 0)
				_exit(127);
			execve(h->path, h->args[0] ? h->args : path_only, h->env);
			warn_errno("%s hook %s", names[kind], h->path);
			_exit(127);
		}
		close(in[0]);
		/* a hook may exit without reading: EPIPE, not SIGPIPE (ignored only here, or
		 * the container's process would inherit it across execve) */
		old = signal(SIGPIPE, SIG_IGN);
		if (write(in[1], state, strlen(state)) < 0 && errno != EPIPE)
			warn_errno("write the state to the %s hook %s", names[kind], h->path);
		signal(SIGPIPE, old);
		close(in[1]);
		status = wait_hook(pid, h->timeout);
		if (status != 0)
			ret = warn(status < 0 ? "%s hook %s: timed out after %d s"
					      : "%s hook %s: exited with status %d",
				   names[kind], h->path, status < 0 ? h->timeout : status);
		if (ret < 0 && !go_on)
			break;
	}
	return ret;
}

/*** the child: everything inside the container, up to execve ***/

struct child {
	struct config *cfg;
	struct record rec; /* the child's copy; its pid comes with the parent's go */
	int console;	   /* --console-socket, or -1 */
	int preserve;	   /* --preserve-fds */
	bool new_userns;
	const struct bundle_opts *o;
	const char *prog; /* process.args[0], found in the container; NULL: none */
};

/* setns() into the namespaces config.json names by path; the user namespace first. */
static void join_namespaces(const struct spec *s)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < s->nnamespaces; i++) {
			const struct spec_namespace *ns = &s->namespaces[i];
			int fd;

			if (!ns->path || ns->type == CLONE_NEWPID ||
			    (ns->type == CLONE_NEWUSER) != (pass == 0))
				continue;
			if ((fd = open(ns->path, O_RDONLY | O_CLOEXEC)) < 0 ||
			    setns(fd, ns->type) < 0)
				die_errno("join the namespace %s", ns->path);
			close(fd);
		}
}

/* linux.sysctl: net.ipv4.ip_forward is /proc/sys/net/ipv4/ip_forward. */
static void apply_sysctl(const struct spec *s)
{
	char path[512];

	for (int i = 0; s->sysctl[i]; i += 2) {
		snprintf(path, sizeof(path), "/proc/sys/%s", s->sysctl[i]);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		if (write_file(path, s->sysctl[i + 1]) < 0)
			die_errno("sysctl %s=%s", s->sysctl[i], s->sysctl[i + 1]);
	}
}

/* process.terminal: a pty of the container's devpts, its master to the console socket. */
static void attach_console(const struct child *c)
{
	struct winsize ws = {.ws_row = c->cfg->spec->console_rows,
			     .ws_col = c->cfg->spec->console_cols};
	int slave, master = tty_open(&slave);

	if (master < 0 || tty_send_fd(c->console, master) < 0)
		exit(EXIT_RUNTIME);
	if (ws.ws_row && ws.ws_col)
		ioctl(master, TIOCSWINSZ, &ws);
	close(master);
	close(c->console);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
	    dup2(slave, 1) < 0 || dup2(slave, 2) < 0)
		die_errno("make the console the controlling terminal");
	if (slave > 2)
		close(slave);
}

/* args[0] through the container's PATH, as execvp would, but now: a missing one fails create. */
static const char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	static char full[PATH_MAX];

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? name : NULL;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");

		snprintf(full, sizeof(full), "%.*s/%s", (int)n, p, name);
		if (access(full, X_OK) == 0)
			return full;
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* The environment, the directory and the program of config.json's process. */
static const char *prepare_process(const struct config *cfg)
{
	const char *prog;

	clearenv();
	for (int i = 0; i < cfg->process.nenv; i++)
		putenv((char *)cfg->process.env[i]);
	if (chdir(cfg->process.cwd) < 0)
		die_errno("chdir %s (process.cwd)", cfg->process.cwd);
	prog = find_program(cfg->process.args[0]);
	if (!prog)
		die("%s: executable file not found in $PATH", cfg->process.args[0]);
	return prog;
}

static void write_oom_score_adj(const struct spec *s)
{
	char value[16];

	snprintf(value, sizeof(value), "%d", s->oom_score_adj);
	if (s->has_oom_score_adj && write_file("/proc/self/oom_score_adj", value) < 0)
		die_errno("write %s to /proc/self/oom_score_adj", value);
}

/* The namespaces: those to join, root in a new user namespace, a cgroup namespace, the name. */
static void enter_namespaces(const struct child *c)
{
	const struct spec *s = c->cfg->spec;
	const struct spec_namespace *cgroupns = spec_namespace(s, CLONE_NEWCGROUP);

	join_namespaces(s);
	if (c->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		die_errno("become root in the user namespace (is uid 0 mapped?)");
	/* after clone: rooted at the cgroup the parent has put us in meanwhile */
	if (cgroupns && !cgroupns->path && unshare(CLONE_NEWCGROUP) < 0)
		die_errno("unshare(CLONE_NEWCGROUP)");
	if (c->cfg->hostname && sethostname(c->cfg->hostname, strlen(c->cfg->hostname)) < 0)
		die_errno("sethostname %s", c->cfg->hostname);
}

/*
 * The filesystem, in the order each step needs the one before: mounts while
 * the host's paths are still reachable (bind sources, createContainer hooks),
 * pivot_root, then /proc/sys (sysctl) before it goes read-only (readonlyPaths).
 */
static void set_up_filesystem(const struct child *c, const struct record *rec)
{
	const struct config *cfg = c->cfg;
	const struct spec *s = cfg->spec;

	if (!spec_namespace(s, CLONE_NEWNS)) {
		/* The runtime's own mount namespace: not one mount of ours may land in it
		 * (pivot_root there would pivot the host). The root by chroot, nothing else. */
		if (chroot(s->rootfs) < 0 || chdir("/") < 0)
			die_errno("chroot %s", s->rootfs);
		return;
	}
	rootfs_mount_bundle(cfg, c->new_userns || spec_namespace(s, CLONE_NEWUSER));
	if (run_hooks(s, HOOK_CREATE_CONTAINER, state_json(rec, "created", s->annotations)) < 0)
		exit(EXIT_RUNTIME);
	rootfs_pivot_bundle(cfg);
	apply_sysctl(s);
	security_mask_spec_paths(s->masked, s->readonly);
	rootfs_finish_bundle(cfg);
}

/*
 * The child (launch.c calls it once the parent's go came: its cgroup, id
 * maps, prestart hooks): everything up to "created". A CMD that cannot be
 * found fails here, so `create` fails, as runc's.
 */
static void child_setup(struct launch *l)
{
	struct child *c = l->arg;
	struct config *cfg = c->cfg;

	c->rec.pid = l->pid;
	enter_namespaces(c);
	set_up_filesystem(c, &c->rec);
	if (!cfg->process.args) /* none: created, and start will refuse it */
		return;
	if (cfg->process.terminal)
		attach_console(c);
	write_oom_score_adj(cfg->spec);
	c->prog = prepare_process(cfg);
	/* CVE-2024-21626: nothing of the runtime's reaches CMD but --preserve-fds (5.11) */
	if (syscall(SYS_close_range, 3 + c->preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_errno("close_range");
	security_apply_spec(cfg);
}

/* ...and, once `start` opened the gate (exec.fifo), the container's process. */
static void child_run(struct launch *l)
{
	struct child *c = l->arg;
	struct config *cfg = c->cfg;

	if (!c->prog)
		_exit(EXIT_RUNTIME);
	if (run_hooks(cfg->spec, HOOK_START_CONTAINER,
		      state_json(&c->rec, "running", cfg->spec->annotations)) < 0)
		_exit(EXIT_RUNTIME);
	execv(c->prog, cfg->process.args);
	die_errno("exec %s", c->prog);
}

/*** create ***/

static int clone_flags(const struct spec *s)
{
	int flags = SIGCHLD;

	for (int i = 0; i < s->nnamespaces; i++)
		if (!s->namespaces[i].path && s->namespaces[i].type != CLONE_NEWCGROUP)
			flags |= s->namespaces[i].type;
	return flags;
}

static int write_id_map(pid_t pid, const char *file, const struct spec_idmap *map, int n)
{
	char path[64], text[16 * 40] = "";
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += snprintf(text + len, sizeof(text) - len, "%lu %lu %lu\n", map[i].container,
				map[i].host, map[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (n && write_file(path, text) < 0)
		return warn_errno("write %s", path);
	return 0;
}

/* linux.cgroupsPath as a path from every hierarchy's root; --systemd-cgroup's slice:prefix:name
 * too. */
static void cgroup_path_of(const struct spec *s, const struct bundle_opts *o, const char *id,
			   char *out, size_t size)
{
	const char *p = s->cgroups_path;
	char slice[256], prefix[256], name[256];

	if (!p || !p[0])
		snprintf(out, size, DEFAULT_CGROUP_PARENT "/%s", id);
	else if (o->systemd_cgroup &&
		 sscanf(p, "%255[^:]:%255[^:]:%255s", slice, prefix, name) == 3)
		snprintf(out, size, "/%s/%s-%s.scope", slice, prefix, name);
	else
		snprintf(out, size, "%s%s", p[0] == '/' ? "" : "/", p);
}

/* Is R's cgroup in the parent final-oci makes when config.json names none? */
static bool own_parent(const struct record *r)
{
	return strncmp(r->cgroup, DEFAULT_CGROUP_PARENT "/", strlen(DEFAULT_CGROUP_PARENT) + 1) ==
	       0;
}

static int connect_console(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(addr.sun_path))
		return warn("console socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return warn_errno("connect to the console socket %s", path);
	return fd;
}

/* Atomically: a temporary file, renamed over FILE (so a reader never sees half). */
static int write_pid_file(const char *file, pid_t pid)
{
	char tmp[PATH_MAX], text[32];

	if (!file)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", file, (int)getpid());
	snprintf(text, sizeof(text), "%d", (int)pid);
	if (write_new_file(tmp, text) < 0 || rename(tmp, file) < 0)
		return unlink(tmp), warn_errno("write the pid file %s", file);
	return 0;
}

/* The record's directory and what is in it: state, config.json's copy, exec.fifo. */
static int make_record(const struct config *cfg, const char *id, const struct bundle_opts *o,
		       struct record *r)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 16], text[1 << 16];
	struct timespec now;
	int fd;
	ssize_t n;

	if (check_id(id) < 0)
		return -1;
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->dir, sizeof(r->dir), "%s/%s", o->root, id);
	snprintf(r->bundle, sizeof(r->bundle), "%s", cfg->spec->bundle);
	if (mkdir_p(o->root) < 0)
		return warn_errno("mkdir %s", o->root);
	if (mkdir(r->dir, 0711) < 0)
		return errno == EEXIST ? warn("container %s already exists", id)
				       : warn_errno("mkdir %s", r->dir);
	clock_gettime(CLOCK_REALTIME, &now);
	strftime(r->created, sizeof(r->created), "%Y-%m-%dT%H:%M:%S", gmtime(&now.tv_sec));
	snprintf(r->created + strlen(r->created), sizeof(r->created) - strlen(r->created),
		 ".%09ldZ", now.tv_nsec);
	snprintf(src, sizeof(src), "%s/config.json", r->bundle);
	snprintf(dst, sizeof(dst), "%s/config.json", r->dir);
	/* the copy delete and exec read: the bundle may be gone or changed by then */
	if ((fd = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (n = read(fd, text, sizeof(text) - 1)) < 0) {
		warn_errno("read %s", src);
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	close(fd);
	text[n] = '\0';
	if (n < (ssize_t)sizeof(text) - 1 && write_new_file(dst, text) == 0)
		return 0; /* exec.fifo: launch_create() makes it */
	warn_errno("copy %s", dst);
fail:
	remove_tree(r->dir); /* ours: we made it above */
	return -1;
}

static void remove_record(const struct record *r)
{
	if (r->dir[0] && remove_tree(r->dir) < 0)
		warn_errno("remove %s", r->dir);
}

/*
 * linux.seccomp compiled once per profile, not once per container: engines
 * give every container the same profile, and libseccomp takes 35 ms to
 * compile podman's. ROOT/seccomp/HASH holds the profile as text (compact,
 * keys sorted, with libseccomp's version) and its BPF after it; a hit must
 * match the text byte for byte, so a hash collision is a miss, never the
 * wrong filter. Written to a temporary file and renamed, as the pid file.
 * (ROOT/.seccomp cannot be a container's: no id starts with a dot.)
 */
static void precompile_seccomp(struct spec *s, const char *root)
{
	const struct scmp_version *v = seccomp_version();
	char *profile = json.dumps(s->seccomp, JSON_COMPACT | JSON_SORT_KEYS), *key, path[PATH_MAX],
	     tmp[PATH_MAX + 32], *cached = NULL;
	unsigned long long hash = 14695981039346656037ULL; /* FNV-1a */
	size_t klen, n = 0;
	int fd;

	if (!profile)
		return;
	key = xasprintf("libseccomp %u.%u.%u\n%s", v->major, v->minor, v->micro, profile);
	klen = strlen(key) + 1;
	for (const char *c = key; *c; c++)
		hash = (hash ^ (unsigned char)*c) * 1099511628211ULL;
	snprintf(path, sizeof(path), "%s/.seccomp/%016llx", root, hash);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		struct stat st;

		if (fstat(fd, &st) == 0 && (size_t)st.st_size > klen &&
		    (cached = malloc(st.st_size)) && read(fd, cached, st.st_size) == st.st_size &&
		    memcmp(cached, key, klen) == 0)
			n = st.st_size - klen;
		close(fd);
	}
	if (n) {
		s->seccomp_bpf = cached + klen, s->seccomp_len = n;
		return;
	}
	if (security_compile_seccomp(s->seccomp, &s->seccomp_bpf, &s->seccomp_len) < 0)
		exit(EXIT_RUNTIME);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if (mkdir_p(dirname_of(path)) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return; /* no cache: compiled all the same */
	if (write(fd, key, klen) != (ssize_t)klen ||
	    write(fd, s->seccomp_bpf, s->seccomp_len) != (ssize_t)s->seccomp_len || close(fd) < 0 ||
	    rename(tmp, path) < 0)
		unlink(tmp);
}

/* Enter the pid namespace config.json names by path: setns() applies to our children (step 02). */
static int join_pid_namespace(const struct spec *s)
{
	const struct spec_namespace *ns = spec_namespace(s, CLONE_NEWPID);
	int fd;

	if (!ns || !ns->path)
		return 0;
	if ((fd = open(ns->path, O_RDONLY | O_CLOEXEC)) < 0 || setns(fd, CLONE_NEWPID) < 0)
		return warn_errno("join the pid namespace %s", ns->path);
	close(fd);
	return 0;
}

/* The parent's half of create, while the child waits: id maps, cgroup, record, hooks. */
static int prepare_child(struct launch *l)
{
	struct child *c = l->arg;
	struct record *r = &c->rec;
	const struct spec *s = c->cfg->spec;

	r->pid = l->pid, r->start = l->start;
	r->fifo_fd = l->gate; /* the child's descriptor of exec.fifo: the same number */
	if (c->console >= 0)
		close(c->console);
	if (c->new_userns && (write_id_map(r->pid, "uid_map", s->uid_map, s->nuid_map) < 0 ||
			      write_id_map(r->pid, "gid_map", s->gid_map, s->ngid_map) < 0))
		return -1;
	cgroup_path_of(s, c->o, r->id, r->cgroup, sizeof(r->cgroup));
	if (cgroup_spec_create(r->cgroup, s->resources, r->pid) < 0 || record_save(r) < 0)
		return -1;
	if (run_hooks(s, HOOK_PRESTART, state_json(r, "created", s->annotations)) < 0 ||
	    run_hooks(s, HOOK_CREATE_RUNTIME, state_json(r, "created", s->annotations)) < 0)
		return -1;
	return 0;
}

/* create; with WAIT_PID, the pid of the container's first process (for run). */
static int create(struct config *cfg, const char *id, const struct bundle_opts *o, pid_t *wait_pid)
{
	struct child c = {.cfg = cfg, .console = -1, .preserve = o->preserve_fds, .o = o};
	char fifo[PATH_MAX + 16];
	struct launch l = {.flags = clone_flags(cfg->spec),
			   .cgroup_fd = -1,
			   .fifo = fifo,
			   .prepare = prepare_child,
			   .setup = child_setup,
			   .run = child_run,
			   .arg = &c};
	struct record *r = &c.rec;

	if (cfg->process.terminal && !o->console_socket && o->console_fd < 0)
		return warn("process.terminal needs --console-socket"), EXIT_RUNTIME;
	if (make_record(cfg, id, o, r) < 0) /* "exists": another's, not ours to remove */
		return EXIT_RUNTIME;
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", r->dir);
	if (cfg->spec->seccomp)
		precompile_seccomp(cfg->spec, o->root);
	c.new_userns = spec_namespace(cfg->spec, CLONE_NEWUSER) &&
		       !spec_namespace(cfg->spec, CLONE_NEWUSER)->path;
	if (join_pid_namespace(cfg->spec) < 0 ||
	    (cfg->process.terminal &&
	     (c.console = o->console_socket ? connect_console(o->console_socket) : o->console_fd) <
		 0))
		goto fail;
	if (launch_create(&l) < 0) { /* the child said why on stderr already, which is ours */
		if (l.pid < 0 && c.console >= 0 && c.console != o->console_fd)
			close(c.console); /* prepare_child() did not */
		if (r->cgroup[0])
			cgroup_spec_remove(r->cgroup, own_parent(r));
		goto fail;
	}
	if (l.pidfd >= 0)
		close(l.pidfd);
	if (write_pid_file(o->pid_file, r->pid) < 0) {
		launch_kill(r->pid, r->start);
		cgroup_spec_remove(r->cgroup, own_parent(r));
		goto fail;
	}
	if (wait_pid)
		*wait_pid = r->pid;
	return 0;
fail:
	remove_record(r);
	return EXIT_RUNTIME;
}

int bundle_create(struct config *cfg, const char *id, const struct bundle_opts *o)
{
	return create(cfg, id, o, NULL);
}

/*** the other commands ***/

/*
 * Until R's process has exec'd (its exec.fifo, FIFO, closed by execve) or
 * ended: poststart hooks run "after the user-specified process is executed".
 */
static void wait_for_exec(const struct record *r, const struct stat *fifo)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)r->pid, r->fifo_fd);
	for (int i = 0; i < 20000 && stat(path, &st) == 0 && st.st_ino == fifo->st_ino &&
			st.st_dev == fifo->st_dev && proc_alive(r->pid, r->start);
	     i++)
		usleep(500);
}

int bundle_start(const char *id, const struct bundle_opts *o)
{
	char fifo[PATH_MAX + 16];
	struct stat st;
	struct config cfg;
	struct record r;

	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	if (strcmp(status_of(&r), "created") != 0)
		return warn("container %s is %s, not created: cannot start it", id, status_of(&r)),
		       EXIT_RUNTIME;
	load_saved_spec(&r, &cfg);
	if (!cfg.process.args) { /* runtime.md: start MUST generate an error; it ends here */
		launch_kill(r.pid, r.start);
		return warn("container %s: config.json has no process to start", id), EXIT_RUNTIME;
	}
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", r.dir);
	/* launch_start takes the FIFO away: "running" from now is its absence */
	if (launch_start(fifo, &st) < 0)
		return warn_errno("start %s: write %s", id, fifo), EXIT_RUNTIME;
	wait_for_exec(&r, &st);
	run_hooks(cfg.spec, HOOK_POSTSTART,
		  state_json(&r, "running", cfg.spec->annotations)); /* warns */
	return 0;
}

int bundle_state(const char *id, const struct bundle_opts *o)
{
	struct config cfg;
	struct record r;

	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	load_saved_spec(&r, &cfg);
	printf("%s\n", state_json(&r, status_of(&r), cfg.spec->annotations));
	return 0;
}

static int parse_signal(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigabbrev_np(sig) && strcasecmp(s, sigabbrev_np(sig)) == 0)
			return sig;
	return -1;
}

int bundle_kill(const char *id, const char *signame, const struct bundle_opts *o)
{
	int sig = parse_signal(signame ? signame : "TERM"), pidfd;
	struct record r;
	pid_t pids[4096];

	if (sig < 0)
		return warn("unknown signal '%s'", signame), EXIT_RUNTIME;
	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	if (o->all) {
		for (int i = 0, n = cgroup_spec_pids(r.cgroup, pids, N_ELEMS(pids)); i < n; i++)
			kill(pids[i], sig);
		return 0;
	}
	if (strcmp(status_of(&r), "stopped") == 0 || (pidfd = proc_open(r.pid, r.start)) < 0)
		return warn("container %s is not running", id), EXIT_RUNTIME;
	if (proc_signal(pidfd, sig) < 0)
		return warn_errno("kill %s", id), EXIT_RUNTIME;
	close(pidfd);
	return 0;
}

int bundle_delete(const char *id, const struct bundle_opts *o)
{
	struct config cfg;
	struct record r;
	pid_t pids[4096];

	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	if (strcmp(status_of(&r), "stopped") != 0) {
		if (!o->force)
			return warn("container %s is %s: stop it first, or delete --force", id,
				    status_of(&r)),
			       EXIT_RUNTIME;
		launch_kill(r.pid, r.start);
	}
	load_saved_spec(&r, &cfg);
	if (!spec_namespace(cfg.spec, CLONE_NEWPID) || spec_namespace(cfg.spec, CLONE_NEWPID)->path)
		/* no pid namespace of its own: its other processes did not die with it */
		for (int i = 0, n = cgroup_spec_pids(r.cgroup, pids, N_ELEMS(pids)); i < n; i++)
			kill(pids[i], SIGKILL);
	cgroup_spec_remove(r.cgroup, own_parent(&r));
	run_hooks(cfg.spec, HOOK_POSTSTOP,
		  state_json(&r, "stopped", cfg.spec->annotations)); /* warns */
	remove_record(&r);
	return 0;
}

static volatile pid_t forward_to;

static void forward(int sig)
{
	if (forward_to > 1)
		kill(forward_to, sig);
}

/*
 * run in the foreground: create, start, and be the container's monitor,
 * as runc run: signals go to its process, a terminal (no --console-socket)
 * is relayed here, and delete comes when it ends.
 */
int bundle_run(struct config *cfg, const char *id, const struct bundle_opts *o)
{
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct sigaction sa = {.sa_handler = forward, .sa_flags = SA_RESTART};
	struct bundle_opts own = *o;
	int status, ret, sv[2] = {-1, -1}, master = -1;
	pid_t pid;

	if (cfg->process.terminal && !o->console_socket && !o->detach) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return warn_errno("socketpair"), EXIT_RUNTIME;
		own.console_fd = sv[1];
	}
	ret = create(cfg, id, &own, o->detach ? NULL : &pid);
	if (ret == 0 && sv[0] >= 0 && (master = tty_recv_fd(sv[0])) < 0)
		ret = warn("run %s: no terminal from the container", id);
	if (ret != 0 || (ret = bundle_start(id, o)) != 0 || o->detach)
		return ret;
	forward_to = pid;
	for (size_t i = 0; i < N_ELEMS(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	if (master >= 0)
		tty_relay(master);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bundle_delete(id, o);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int bundle_ps(const char *id, bool json_format, const struct bundle_opts *o)
{
	pid_t pids[4096];
	struct record r;
	int n;

	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	n = cgroup_spec_pids(r.cgroup, pids, N_ELEMS(pids));
	if (json_format) {
		printf("[");
		for (int i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", (int)pids[i]);
		printf("]\n");
		return 0;
	}
	printf("PID\tCMD\n");
	for (int i = 0; i < n; i++) {
		char path[64], comm[64] = "?";

		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[i]);
		read_file(path, comm, sizeof(comm));
		comm[strcspn(comm, "\n")] = '\0';
		printf("%d\t%s\n", (int)pids[i], comm);
	}
	return 0;
}

int bundle_list(bool quiet, const struct bundle_opts *o)
{
	struct dirent **names;
	int n = scandir(o->root, &names, NULL, alphasort);

	if (!quiet)
		printf("%-32s %-8s %-8s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	for (int i = 0; i < n; i++) {
		struct record r;

		if (names[i]->d_name[0] != '.' && record_load(o->root, names[i]->d_name, &r) == 0) {
			const char *st = status_of(&r);

			if (quiet)
				printf("%s\n", r.id);
			else
				printf("%-32s %-8d %-8s %-40s %s\n", r.id,
				       strcmp(st, "stopped") ? (int)r.pid : 0, st, r.bundle,
				       r.created);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return 0;
}

/*** exec ***/

/* In the new process: the container's namespaces (user first, mount last), then CMD. */
static void exec_child(struct config *cfg, const struct record *r, int console, int ready)
{
	static const int order[] = {CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS,
				    CLONE_NEWNET,  CLONE_NEWCGROUP, CLONE_NEWNS};
	static const char *const names[] = {"user", "ipc", "uts", "net", "cgroup", "mnt"};
	char path[64], self[64];
	struct stat a, b;
	const char *prog;

	int fds[N_ELEMS(order)];

	report_errors_to(ready);
	/* every namespace opened first, through the host's /proc, then checked, then joined */
	for (size_t i = 0; i < N_ELEMS(order); i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)r->pid, names[i]);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", names[i]);
		fds[i] = -1; /* the same as ours: nothing to join (and setns(user) would fail) */
		if (stat(path, &a) == 0 && stat(self, &b) == 0 && a.st_ino == b.st_ino)
			continue;
		if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die_errno("open %s", path);
	}
	if (!proc_alive(r->pid, r->start)) /* the numbers were its, checked after the fact */
		die("container %s is not running", r->id);
	for (size_t i = 0; i < N_ELEMS(order); i++)
		if (fds[i] >= 0 && (setns(fds[i], order[i]) < 0 || close(fds[i]) < 0))
			die_errno("join the %s namespace of %s", names[i], r->id);
	if (cfg->process.terminal) {
		struct child c = {.cfg = cfg, .console = console};

		attach_console(&c);
	}
	write_oom_score_adj(cfg->spec);
	prog = prepare_process(cfg);
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_errno("close_range");
	security_apply_spec(cfg);
	execv(prog, cfg->process.args);
	die_errno("exec %s", prog);
}

int bundle_exec(struct config *cfg, const char *id, const struct bundle_opts *o)
{
	int console = -1, ready[2], status, pidns;
	char why[2048], path[64];
	struct record r;
	pid_t pid;

	if (record_load(o->root, id, &r) < 0)
		return EXIT_RUNTIME;
	if (strcmp(status_of(&r), "stopped") == 0)
		return warn("container %s is not running", id), EXIT_RUNTIME;
	if (cfg->process.terminal &&
	    (!o->console_socket || (console = connect_console(o->console_socket)) < 0))
		return warn("a terminal needs --console-socket"), EXIT_RUNTIME;
	if (cfg->spec->seccomp)
		precompile_seccomp(cfg->spec, o->root);
	/* the pid namespace applies to our children (step 02); the cgroup is inherited */
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)r.pid);
	if ((pidns = open(path, O_RDONLY | O_CLOEXEC)) < 0 || setns(pidns, CLONE_NEWPID) < 0 ||
	    cgroup_spec_join(r.cgroup, getpid()) < 0 || pipe2(ready, O_CLOEXEC) < 0)
		return warn_errno("join container %s", id), EXIT_RUNTIME;
	pid = fork();
	if (pid < 0)
		return warn_errno("fork"), EXIT_RUNTIME;
	if (pid == 0) {
		close(ready[0]);
		exec_child(cfg, &r, console, ready[1]);
	}
	close(ready[1]);
	launch_wait_word(ready[0], why, sizeof(why));
	if (why[0]) {
		waitpid(pid, &status, 0);
		return EXIT_RUNTIME;
	}
	if (write_pid_file(o->pid_file, pid) < 0)
		return EXIT_RUNTIME;
	if (o->detach)
		return 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* exec's configuration: the container's own process, with --process or CMD in place. */
int bundle_exec_config(const char *id, const char *process_json, char **args, struct config *cfg,
		       const struct bundle_opts *o)
{
	struct record r;

	if (record_load(o->root, id, &r) < 0)
		return -1;
	load_saved_spec(&r, cfg);
	if (process_json)
		return spec_load_process(process_json, cfg);
	if (!args || !args[0])
		return warn("exec: no command (give CMD or --process FILE)");
	cfg->process.args = args;
	cfg->process.terminal = false;
	return 0;
}
