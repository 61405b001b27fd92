/*
 * rootless.c: final run by an ordinary user, without sudo.
 *
 * An unprivileged process may create a user namespace, and in it it is
 * root: it may then create every other kind of namespace, mount proc, tmpfs
 * and overlayfs (Linux 5.11), bind-mount what it can read. What it may not
 * do is anything the host's root would have to allow: mknod, a veth on the
 * host's bridge, a cgroup outside a subtree it was given.
 *
 * So every command but exec first enters a new user namespace (podman's
 * `unshare` does the same), and then runs as root there:
 *
 *   1. unshare(CLONE_NEWUSER). We are uid 65534 (unmapped) for a moment.
 *   2. The id maps, written once, before anything else. With ranges in
 *      /etc/subuid and /etc/subgid for the user, newuidmap and newgidmap
 *      (Debian's uidmap package) write "0 UID 1" and "1 START COUNT": they
 *      are setuid root because mapping ids other than your own needs
 *      CAP_SETUID in the parent namespace, and they check the ranges against
 *      the files root wrote. Without ranges we map only our own id, which
 *      any process may do for itself, after writing "deny" to
 *      /proc/self/setgroups: otherwise dropping a supplementary group with
 *      setgroups() would let a user escape a group-based "deny" rule.
 *   3. setresuid(0): root of the namespace, with its capabilities.
 *
 * Containers are made from there as usual; their namespaces belong to that
 * user namespace. exec cannot make its own (a second one, even with the same
 * maps, has no power over the first's namespaces): it joins the container's
 * user namespace from outside, which its owner (us) may do.
 */
#define _GNU_SOURCE
#include "rootless.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool rootless(void)
{
	static int known = -1;
	unsigned long inside, outside, count;
	FILE *f;

	if (known >= 0)
		return known;
	known = geteuid() != 0;
	if (!known && (f = fopen("/proc/self/uid_map", "re"))) {
		/* root, but of a user namespace whose 0 is not the host's 0 */
		known = fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 &&
			(outside != 0 || count != 4294967295UL);
		fclose(f);
	}
	return known;
}

/* A directory of the user's own: made 0700, or refused if someone else's (a /tmp squatter). */
static int own_dir(const char *path)
{
	struct stat st;

	if ((mkdir_p(dirname_of(path)) < 0 || mkdir(path, 0700) < 0) && errno != EEXIST)
		return warn_errno("mkdir %s", path);
	if (lstat(path, &st) < 0)
		return warn_errno("%s", path);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
		return warn("%s is not a directory of yours, closed to others (mode 0700)", path);
	return 0;
}

/* $XDG_RUNTIME_DIR/final and ${XDG_DATA_HOME:-~/.local/share}/final, unless FINAL_* say. */
static int user_dirs(void)
{
	const char *runtime = getenv("XDG_RUNTIME_DIR"), *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char path[4096];
	struct passwd *pw;

	if (!home && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	if (!getenv("FINAL_STATE")) {
		if (runtime && runtime[0] == '/')
			snprintf(path, sizeof(path), "%s/final", runtime);
		else /* no systemd login session: a directory of our own in /tmp */
			snprintf(path, sizeof(path), "/tmp/final-%u", (unsigned)getuid());
		if (own_dir(path) < 0)
			return -1;
		setenv("FINAL_STATE", path, 1);
	}
	if (!getenv("FINAL_DATA")) {
		if (data && data[0] == '/')
			snprintf(path, sizeof(path), "%s/final", data);
		else if (home && home[0] == '/')
			snprintf(path, sizeof(path), "%s/.local/share/final", home);
		else
			return warn("no HOME nor XDG_DATA_HOME: set FINAL_DATA");
		if (mkdir_p(path) < 0 && errno != EEXIST)
			return warn_errno("mkdir %s", path);
		setenv("FINAL_DATA", path, 1);
	}
	return 0;
}

/* The user's first range in FILE (/etc/subuid: NAME:START:COUNT, or UID:START:COUNT). */
static bool sub_range(const char *file, const char *name, unsigned long *start,
		      unsigned long *count)
{
	char line[512], who[256], id[32];
	FILE *f = fopen(file, "re");
	bool found = false;

	snprintf(id, sizeof(id), "%u", (unsigned)getuid());
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%255[^:]:%lu:%lu", who, start, count) == 3 && *count > 0 &&
			(strcmp(who, name) == 0 || strcmp(who, id) == 0);
	if (f)
		fclose(f);
	return found;
}

/* newuidmap PID 0 ID 1 1 START COUNT (and newgidmap): 0 if it worked. */
static int new_map(const char *tool, pid_t pid, unsigned long id, unsigned long start,
		   unsigned long count)
{
	char p[16], i[24], s[24], n[24];
	int status;
	pid_t child;

	snprintf(p, sizeof(p), "%d", (int)pid);
	snprintf(i, sizeof(i), "%lu", id);
	snprintf(s, sizeof(s), "%lu", start);
	snprintf(n, sizeof(n), "%lu", count);
	child = fork();
	if (child < 0)
		return warn_errno("fork");
	if (child == 0) {
		execlp(tool, tool, p, "0", i, "1", "1", s, n, (char *)NULL);
		die_errno("%s (Debian's uidmap package)", tool);
	}
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return warn("%s %s 0 %s 1 1 %s %s failed", tool, p, i, s, n);
	return 0;
}

/* Only our own id: "deny" to setgroups first, then the maps, written by ourselves. */
static int own_id_only(uid_t uid, gid_t gid)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return warn_errno("write /proc/self/uid_map");
	if (write_file("/proc/self/setgroups", "deny") < 0)
		return warn_errno("write /proc/self/setgroups");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return warn_errno("write /proc/self/gid_map");
	return 0;
}

int rootless_enter(bool enter)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : "";
	unsigned long us, un, gs, gn;
	bool ranges;
	int go[2], status = 0;
	pid_t helper = -1, self = getpid();
	char byte = 0;

	if (user_dirs() < 0)
		return -1;
	if (!enter)
		return 0;
	ranges =
	    sub_range("/etc/subuid", name, &us, &un) && sub_range("/etc/subgid", name, &gs, &gn);
	if (!ranges) {
		char said[4200];

		/* said once: a file in the state directory remembers it */
		snprintf(said, sizeof(said), "%s/said-no-subuid", getenv("FINAL_STATE"));
		if (access(said, F_OK) < 0) {
			fprintf(stderr,
				"final: %s has no range in /etc/subuid and /etc/subgid: only your "
				"own id is mapped (root inside); files of other owners in an image "
				"cannot be unpacked (sudo usermod --add-subuids 100000-165535 "
				"--add-subgids 100000-165535 %s)\n",
				name[0] ? name : "this user", name[0] ? name : "USER");
			close(open(said, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
		}
	}
	/* newuidmap writes our maps from outside, after the unshare: a helper waits for it. */
	if (ranges && (pipe2(go, O_CLOEXEC) < 0 || (helper = fork()) < 0))
		return warn_errno("fork the id map helper");
	if (helper == 0) {
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(1);
		_exit(new_map("newuidmap", self, uid, us, un) < 0 ||
		      new_map("newgidmap", self, gid, gs, gn) < 0);
	}
	if (ranges)
		close(go[0]);
	if (unshare(CLONE_NEWUSER) < 0) {
		warn_errno("unshare(CLONE_NEWUSER): are user namespaces allowed "
			   "(sysctl kernel.unprivileged_userns_clone, "
			   "kernel.apparmor_restrict_unprivileged_userns)?");
		if (ranges)
			close(go[1]), waitpid(helper, NULL, 0);
		return -1;
	}
	if (ranges) {
		if (write(go[1], "1", 1) != 1)
			status = -1;
		close(go[1]);
		if (waitpid(helper, &status, 0) < 0 || status != 0)
			return warn("the id maps of the user namespace could not be written");
	} else if (own_id_only(uid, gid) < 0) {
		return -1;
	}
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return warn_errno("become root of the user namespace");
	return 0;
}
