/*
 * userns.c: --userns=remap, root inside a user namespace.
 *
 * Without it, root in the container is root on the host with fewer
 * capabilities: a kernel hole that a capability or seccomp misses is a
 * host-root hole. With it, the container's uid 0 is a host uid nobody uses
 * (docker's userns-remap): the range /etc/subuid gives a dedicated user,
 * "final-remap", created the first time it is needed.
 *
 * The order matters, and it is not the rootless one. Here the runtime is
 * root, so it builds the whole container as root (overlay, mounts, /dev,
 * the network, the cgroup) exactly as without the option, and its init
 * joins the user namespace last, as the final step before it starts CMD.
 * Every namespace belongs to the user namespace that was current when it
 * was made, and the capabilities of the container's root count only over
 * the namespaces of its own: its network namespace is made inside the user
 * namespace (ports below 1024, ping's raw socket, as without the option);
 * its mounts, hostname and IPC stay the host's root's, which docker's
 * confinement keeps from it anyway (CAP_SYS_ADMIN).
 *
 * Both are made before the container, by a process that exists only to be
 * in them: its id maps are written by us, from the host, before anyone uses
 * them (uid_map and gid_map can be written once; what is mapped is fixed
 * from then on), and descriptors of /proc/PID/ns/user and /ns/net keep the
 * namespaces after that process is gone. The container's init, still the
 * host's root, joins the network namespace first and the user one last.
 */
#define _GNU_SOURCE
#include "userns.h"
#include "layer.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RANGE_SIZE 65536
#define FIRST_ID   100000 /* where useradd starts subordinate ids too */

const char *userns_remap_user(void)
{
	const char *user = getenv("FINAL_REMAP_USER");

	return user && user[0] ? user : "final-remap";
}

/* NAME's (or UID's) first range in FILE (/etc/subuid: NAME:START:COUNT); *END: past every range. */
static bool find_range(const char *file, const char *name, uid_t uid, unsigned long *start,
		       unsigned long *count, unsigned long *end)
{
	char line[512], who[256], id[32];
	unsigned long s, n;
	bool found = false;
	FILE *f = fopen(file, "re");

	*end = FIRST_ID;
	snprintf(id, sizeof(id), "%u", (unsigned)uid);
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%255[^:]:%lu:%lu", who, &s, &n) != 3)
			continue;
		if (s + n > *end)
			*end = s + n;
		if (!found && (strcmp(who, name) == 0 || strcmp(who, id) == 0)) {
			*start = s, *count = n;
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* PROG ARGS..., waited for: 0 if it succeeded. */
static int run_tool(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return warn_errno("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* quiet: our one line names it if it fails */
		if (null >= 0)
			dup2(null, 1), dup2(null, 2);
		execvp(argv[0], argv);
		die_errno("%s (Debian's passwd package)", argv[0]);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return warn("%s failed", argv[0]);
	return 0;
}

/* The user, its /etc/subuid and /etc/subgid ranges: made with shadow's tools if missing. */
static int ensure_user(const char *name, struct passwd **pw, bool *made)
{
	char *const useradd[] = {
	    "useradd",	  "--system",	  "--no-create-home", "--shell", "/usr/sbin/nologin",
	    "--home-dir", "/nonexistent", "--user-group",     "--",	 (char *)name,
	    NULL};
	const char *shell;

	*made = false;
	if ((*pw = getpwnam(name))) {
		/*
		 * Its ranges are the container's root: an account someone can log in as
		 * (or an ordinary user's uid) could use them itself through newuidmap, and
		 * signal, trace or own what the container's root runs and writes.
		 */
		shell = (*pw)->pw_shell ? strrchr((*pw)->pw_shell, '/') : NULL;
		if ((*pw)->pw_uid >= 1000 || (*pw)->pw_uid == 0 || !shell ||
		    (strcmp(shell, "/nologin") != 0 && strcmp(shell, "/false") != 0))
			return warn("--userns=remap: %s is not a dedicated system user (uid below "
				    "1000, no login shell): its ranges would be its own to use",
				    name);
		return 0;
	}
	fprintf(stderr, "final: --userns=remap: creating the user %s for its id range\n", name);
	if (run_tool(useradd) < 0 || !(*pw = getpwnam(name)))
		return warn("--userns=remap: cannot create the user %s", name);
	*made = true;
	return 0;
}

/* PW's range in FILE; added (OPTION of usermod) only to a user we MADE: an existing one's
 * ranges are its administrator's to give. */
static int ensure_range(const char *file, const char *option, const struct passwd *pw, bool made,
			unsigned long *start, unsigned long *count)
{
	unsigned long end;
	char range[64];
	int fd;

	if (find_range(file, pw->pw_name, pw->pw_uid, start, count, &end))
		return 0;
	if (!made)
		return warn("--userns=remap: %s has no range in %s, and final adds ranges only to "
			    "the user it makes (sudo usermod %s START-END %s)",
			    pw->pw_name, file, option, pw->pw_name);
	/* usermod refuses to add ranges to a file that does not exist (a minimal system) */
	if ((fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return warn_errno("create %s", file);
	close(fd);
	snprintf(range, sizeof(range), "%lu-%lu", end, end + RANGE_SIZE - 1);
	{
		char *const usermod[] = {"usermod", (char *)option, range, "--", pw->pw_name, NULL};

		if (run_tool(usermod) < 0 ||
		    !find_range(file, pw->pw_name, pw->pw_uid, start, count, &end))
			return warn("--userns=remap: cannot give %s the ids %s in %s", pw->pw_name,
				    range, file);
	}
	return 0;
}

int userns_remap_range(struct id_shift *s)
{
	const char *name = userns_remap_user();
	char path[600];
	unsigned long gcount;
	struct passwd *pw;
	bool made;
	int lock, ret;

	/* a name useradd takes as a name, never as an option */
	if (!name[0] || strlen(name) > 32 || name[0] == '-' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
		return warn("FINAL_REMAP_USER %s: use lowercase letters, digits, '_' and '-' (not "
			    "first), at most 32",
			    name);
	/* Two first runs at once would both create the user: one at a time. */
	snprintf(path, sizeof(path), "%s/remap.lock", data_root());
	if (mkdir_p(data_root()) < 0 ||
	    (lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || flock(lock, LOCK_EX) < 0)
		return warn_errno("lock %s", path);
	ret = ensure_user(name, &pw, &made) < 0 ||
		      ensure_range("/etc/subuid", "--add-subuids", pw, made, &s->uid, &s->count) <
			  0 ||
		      ensure_range("/etc/subgid", "--add-subgids", pw, made, &s->gid, &gcount) < 0
		  ? -1
		  : 0;
	close(lock);
	if (ret < 0)
		return -1;
	if (gcount < s->count)
		s->count = gcount;
	if (s->count < RANGE_SIZE || s->uid == 0 || s->gid == 0)
		return warn("--userns=remap: %s's ranges in /etc/subuid and /etc/subgid must hold "
			    "%d ids, not from 0",
			    name, RANGE_SIZE);
	return 0;
}

static int hold(void *arg)
{
	int *fds = arg;
	char byte;

	close(fds[1]);
	return read(fds[0], &byte, 1) < 0;
}

static int write_map(pid_t pid, const char *file, unsigned long start, unsigned long count)
{
	char path[64], map[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	snprintf(map, sizeof(map), "0 %lu %lu\n", start, count);
	if (write_file(path, map) < 0)
		return warn_errno("write %s", path);
	return 0;
}

static int open_ns(pid_t pid, const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		warn_errno("open %s", path);
	return fd;
}

int userns_create(const struct id_shift *s, int *netns)
{
	static char stack[64 * 1024];
	int fds[2], fd = -1, status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return warn_errno("pipe2");
	/* the user namespace first, then the network one, its own (clone(2)) */
	pid = clone(hold, stack + sizeof(stack),
		    CLONE_NEWUSER | (netns ? CLONE_NEWNET : 0) | SIGCHLD, fds);
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		return warn_errno("clone(CLONE_NEWUSER)");
	}
	if (write_map(pid, "uid_map", s->uid, s->count) == 0 &&
	    write_map(pid, "gid_map", s->gid, s->count) == 0 && (fd = open_ns(pid, "user")) >= 0 &&
	    netns && (*netns = open_ns(pid, "net")) < 0)
		close(fd), fd = -1;
	close(fds[1]); /* it ends */
	waitpid(pid, &status, 0);
	return fd;
}

/* A lower layer, owned by the range: a store layer's copy is shared, any other is ours. */
static int shifted_layer(const char *layer, const struct id_shift *s, const char *own, int n,
			 char **out)
{
	char *layers = xasprintf("%s/layers/sha256/", data_root()), *tmp;
	bool stored = strncmp(layer, layers, strlen(layers)) == 0 && !strchr(layer, '@');
	struct stat st;
	int ret = 0;

	*out = stored ? xasprintf("%s@%lu-%lu", layer, s->uid, s->gid)
		      : xasprintf("%s/lower-%d", own, n);
	free(layers);
	if (stat(*out, &st) == 0)
		return 0; /* made by an earlier container, or this one's earlier life */
	tmp = xasprintf("%s.tmp.%d", *out, (int)getpid());
	if (mkdir(tmp, 0700) < 0)
		ret = warn_errno("mkdir %s", tmp);
	else if (layer_copy_shifted(layer, tmp, s) < 0)
		ret = -1;
	/* Renamed when complete: a half copy never has the name. If another
	 * container's copy got there first, it is the same. */
	if (ret == 0 && rename(tmp, *out) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		ret = warn_errno("rename %s", tmp);
	remove_tree(tmp);
	free(tmp);
	return ret;
}

int userns_shift_lowers(const char *lower, const struct id_shift *s, const char *own, char *out,
			size_t size)
{
	char *list = strdup(lower), *save = NULL;
	size_t len = 0;
	int n = 0;

	out[0] = '\0';
	for (char *layer = strtok_r(list, ":", &save); layer; layer = strtok_r(NULL, ":", &save)) {
		char *copy;

		if (shifted_layer(layer, s, own, n++, &copy) < 0)
			return free(list), -1;
		len +=
		    snprintf(out + len, len < size ? size - len : 0, "%s%s", len ? ":" : "", copy);
		free(copy);
	}
	free(list);
	if (len >= size)
		return warn("too many layers for --userns=remap");
	return 0;
}
