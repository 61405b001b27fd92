/*
 * cgroup.c: the container's cgroup (step 05, generalised to a name).
 *
 * crun's way: the layout is detected once, and one bool picks the v1 or v2
 * file name at each write; there is no v1 copy and v2 copy of the logic.
 * See step05-cgroups/README.md for the rules (subtree_control, "no internal
 * processes") behind the parent cgroup.
 *
 * One resource differs in kind, not only in file name: which devices the
 * container may open. v1 has a devices controller with an allow-list in
 * files; v2 has none, and asks an eBPF program attached to the cgroup
 * (ebpf.c). Either way the list is the config's (config.h), and everything
 * not on it is refused.
 */
#define _GNU_SOURCE
#include "cgroup.h"
#include "dl.h"
#include "ebpf.h"
#include "rootless.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CGROUP_ROOT   "/sys/fs/cgroup"
#define CGROUP_PARENT "final" /* one parent for every final container */

/*
 * v1: one hierarchy each. v2: one hierarchy, where those marked v2 are enabled
 * in cgroup.subtree_control; devices is no v2 controller (ebpf.c replaces it).
 */
static const struct {
	const char *name;
	bool v2;
} controllers[] = {{"memory", true}, {"cpu", true}, {"pids", true}, {"devices", false}};

/*
 * Rootless on v2: the topmost cgroup above ours that is ours (owned by our
 * uid, with cgroup.procs and cgroup.subtree_control ours to write), as
 * systemd hands user@UID.service to the user. Moving a process needs write
 * access to cgroup.procs of the source's and destination's common ancestor:
 * inside that subtree, that is ours. False if there is none.
 */
static bool delegated(char *base, size_t size)
{
	char line[400], dir[512], file[600], top[512] = "";
	FILE *f = fopen("/proc/self/cgroup", "re");
	struct stat st;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::/", 4) != 0)
		;
	fclose(f);
	if (strncmp(line, "0::/", 4) != 0)
		return false;
	line[strcspn(line, "\n")] = '\0';
	snprintf(dir, sizeof(dir), "%s%.*s", CGROUP_ROOT, 400, line + 3);
	while (strlen(dir) > strlen(CGROUP_ROOT) && stat(dir, &st) == 0 && st.st_uid == getuid()) {
		snprintf(file, sizeof(file), "%s/cgroup.subtree_control", dir);
		if (access(file, W_OK) == 0 &&
		    (snprintf(file, sizeof(file), "%s/cgroup.procs", dir), access(file, W_OK) == 0))
			snprintf(top, sizeof(top), "%s", dir);
		*strrchr(dir, '/') = '\0';
	}
	snprintf(base, size, "%s", top);
	return top[0] != '\0';
}

void cgroup_init(struct cgroup *cg, const char *name)
{
	struct statfs fs;

	if (statfs(CGROUP_ROOT, &fs) < 0)
		die_errno("statfs %s", CGROUP_ROOT);
	cg->v2 = fs.f_type == CGROUP2_SUPER_MAGIC;
	if (cg->v2)
		cg->mode = "v2";
	else if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		cg->mode = "hybrid";
	else
		cg->mode = "v1";
	snprintf(cg->name, sizeof(cg->name), "%s", name);
	snprintf(cg->base, sizeof(cg->base), "%s", CGROUP_ROOT);
	/* An ordinary user owns a cgroup only where one was delegated to it: never on v1;
	 * on v2, systemd's user@UID.service (Delegate=yes). Without one, no cgroup at all,
	 * and limits are refused (container.c). */
	cg->none = rootless() && !(cg->v2 && delegated(cg->base, sizeof(cg->base)));
}

/* The directory of CONTROLLER's parent (FILE NULL, NAME NULL), cgroup, or a file in it. */
static void cgroup_path(const struct cgroup *cg, const char *controller, const char *name,
			const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s" CGROUP_PARENT "%s%s%s%s", cg->base, cg->v2 ? "" : controller,
		 cg->v2 ? "" : "/", name ? "/" : "", name ? name : "", file ? "/" : "",
		 file ? file : "");
}

static int cgroup_write(const struct cgroup *cg, const char *controller, const char *file,
			const char *value)
{
	char path[512];

	cgroup_path(cg, controller, cg->name, file, path, sizeof(path));
	if (write_file(path, value) < 0)
		return warn_errno("write %s to %s", value, path);
	return 0;
}

/* Swap accounting may be compiled out or off: then the file does not exist. */
static int cgroup_write_optional(const struct cgroup *cg, const char *controller, const char *file,
				 const char *value)
{
	char path[512];

	cgroup_path(cg, controller, cg->name, file, path, sizeof(path));
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return cgroup_write(cg, controller, file, value);
}

/*
 * v2: a controller works in a cgroup only if every ancestor enables it for its
 * children. Quiet: cgroup_create() decides what to report. FAILED names what failed.
 */
static int enable_controllers(const char *dir, char *failed, size_t size)
{
	char path[512], value[32];

	char available[512] = "";

	/* only what DIR has (a delegated subtree may lack cpu): a limit on a missing one fails
	 * loudly when it is written */
	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	read_file(path, available, sizeof(available));
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < N_ELEMS(controllers); i++) {
		snprintf(value, sizeof(value), "+%s", controllers[i].name);
		if (controllers[i].v2 && strstr(available, controllers[i].name) &&
		    write_file(path, value) < 0)
			return snprintf(failed, size, "write %s to %s", value, path), -1;
	}
	return 0;
}

static size_t hierarchies(const struct cgroup *cg)
{
	return cg->none ? 0 : cg->v2 ? 1 : N_ELEMS(controllers);
}

static int try_create(const struct cgroup *cg, char *failed, size_t size)
{
	char path[512];

	if (cg->none)
		return 0;
	if (cg->v2 && enable_controllers(cg->base, failed, size) < 0)
		return -1;
	for (size_t i = 0; i < hierarchies(cg); i++) {
		cgroup_path(cg, controllers[i].name, NULL, NULL, path, sizeof(path));
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return snprintf(failed, size, "mkdir %s (cgroup %s)", path, cg->mode), -1;
		if (cg->v2 && enable_controllers(path, failed, size) < 0)
			return -1;
		cgroup_path(cg, controllers[i].name, cg->name, NULL, path, sizeof(path));
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return snprintf(failed, size, "mkdir %s", path), -1;
	}
	return 0;
}

/*
 * The parent is removed by the last container to leave (cgroup_remove), so
 * it can vanish between our mkdir and our next write: ENOENT means "again".
 */
int cgroup_create(const struct cgroup *cg)
{
	char failed[600];

	for (int tries = 0; tries < 10; tries++) {
		if (try_create(cg, failed, sizeof(failed)) == 0)
			return 0;
		if (errno != ENOENT)
			break;
	}
	return warn_errno("%s", failed);
}

/* "c 1:3 rwm", "b *:* m": a rule as v1's devices.allow reads it. */
static void format_rule(const struct device_rule *r, char *buf, size_t size)
{
	char major[16] = "*", minor[16] = "*";

	if (r->major >= 0)
		snprintf(major, sizeof(major), "%d", r->major);
	if (r->minor >= 0)
		snprintf(minor, sizeof(minor), "%d", r->minor);
	snprintf(buf, size, "%c %s:%s %s", r->type, major, minor, r->access);
}

/*
 * Deny every device, then allow the config's. v1: "a" (all) into devices.deny,
 * each rule into devices.allow: one write() a rule, through one descriptor
 * (an open and a close fewer for each). v2: one eBPF program that says the
 * same.
 */
static int set_devices(const struct cgroup *cg, const struct config *cfg)
{
	const typeof(cfg->resources) *r = &cfg->resources;
	char path[512], rule[64];
	int fd;

	if (cg->v2) {
		cgroup_path(cg, "devices", cg->name, NULL, path, sizeof(path));
		return ebpf_attach_device_rules(path, r->devices, r->ndevices);
	}
	if (cgroup_write(cg, "devices", "devices.deny", "a") < 0)
		return -1;
	cgroup_path(cg, "devices", cg->name, "devices.allow", path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		return warn_errno("open %s", path);
	for (int i = 0; i < r->ndevices; i++) {
		format_rule(&r->devices[i], rule, sizeof(rule));
		if (write(fd, rule, strlen(rule)) != (ssize_t)strlen(rule)) {
			warn_errno("write %s to %s", rule, path);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

int cgroup_set_limits(const struct cgroup *cg, const struct config *cfg)
{
	const typeof(cfg->resources) *r = &cfg->resources;
	char value[64], period[16];

	if (cg->none)
		return 0;
	if (r->memory) {
		snprintf(value, sizeof(value), "%llu", r->memory);
		if (cgroup_write(cg, "memory", cg->v2 ? "memory.max" : "memory.limit_in_bytes",
				 value) < 0 ||
		    cgroup_write_optional(
			cg, "memory", cg->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
			cg->v2 ? "0" : value) < 0)
			return -1;
	}
	if (r->cpu_quota) {
		snprintf(period, sizeof(period), "%d", CPU_PERIOD_US);
		snprintf(value, sizeof(value), "%ld %d", r->cpu_quota, CPU_PERIOD_US);
		if (cg->v2 ? cgroup_write(cg, "cpu", "cpu.max", value) < 0
			   : (cgroup_write(cg, "cpu", "cpu.cfs_period_us", period) < 0 ||
			      cgroup_write(cg, "cpu", "cpu.cfs_quota_us", strtok(value, " ")) < 0))
			return -1;
	}
	if (r->pids_max) {
		snprintf(value, sizeof(value), "%ld", r->pids_max);
		if (cgroup_write(cg, "pids", "pids.max", value) < 0)
			return -1;
	}
	/* Rootless, /dev's nodes are the host's, bound, and mknod is not allowed at all; the
	 * eBPF program v2 needs could not be attached (bpf(2) wants the host's CAP_SYS_ADMIN). */
	return rootless() ? 0 : set_devices(cg, cfg);
}

/*
 * The calling process joins its cgroup: the container's init before it does
 * anything else, `exec` before it joins the namespaces. Moving a process by
 * PID (to cgroup.procs, from the parent) write-locks every thread group on
 * the machine, and that lock waits for an RCU grace period: 6 to 22 ms here,
 * most of a start's time. A single thread that moves itself ("0" to v1's
 * `tasks`) needs no such lock in recent kernels: 0.08 ms here (Linux 6.18;
 * where a kernel still takes it, this is no slower). Ours are
 * single-threaded, so the thread is the process. v2 has no `tasks`; there
 * "0" to cgroup.procs takes the same lock as a PID.
 */
int cgroup_enter(const struct cgroup *cg)
{
	for (size_t i = 0; i < hierarchies(cg); i++)
		if (cgroup_write(cg, controllers[i].name, cg->v2 ? "cgroup.procs" : "tasks", "0") <
		    0)
			return -1;
	return 0;
}

int cgroup_dir_fd(const struct cgroup *cg)
{
	char path[512];

	if (!cg->v2 || cg->none)
		return -1;
	cgroup_path(cg, "memory", cg->name, NULL, path, sizeof(path));
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

long cgroup_oom_kills(const struct cgroup *cg)
{
	char path[512], line[128];
	long kills = 0;
	FILE *f;

	cgroup_path(cg, "memory", cg->name, cg->v2 ? "memory.events" : "memory.oom_control", path,
		    sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %ld", &kills) == 1)
			break;
	fclose(f);
	return kills;
}

void cgroup_remove(const struct cgroup *cg)
{
	char path[512];

	for (size_t i = 0; i < hierarchies(cg); i++) {
		cgroup_path(cg, controllers[i].name, cg->name, NULL, path, sizeof(path));
		int gone, tries = 0;

		while (!(gone = rmdir(path) == 0) && errno == EBUSY && tries++ < 200)
			usleep(10000);
		if (!gone && access(path, F_OK) == 0)
			warn_errno("rmdir %s", path);
		cgroup_path(cg, controllers[i].name, NULL, NULL, path, sizeof(path));
		rmdir(path); /* busy while other containers run: fine */
	}
}

/*** what `stats` and `top` read ***/

/* FILE of CONTROLLER's container cgroup, opened; NULL if it is not there. */
static FILE *cgroup_open(const struct cgroup *cg, const char *controller, const char *file)
{
	char path[512];

	cgroup_path(cg, controller, cg->name, file, path, sizeof(path));
	return fopen(path, "re");
}

/* The first number in FILE after KEY ("" for the file's first number); 0 if none. */
static unsigned long long cgroup_number(const struct cgroup *cg, const char *controller,
					const char *file, const char *key)
{
	FILE *f = cgroup_open(cg, controller, file);
	char line[256];
	unsigned long long n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 &&
		    sscanf(line + strlen(key), " %llu", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

int cgroup_procs(const struct cgroup *cg, pid_t *pids, int max)
{
	FILE *f = cgroup_open(cg, "pids", "cgroup.procs");
	int n = 0, pid;

	if (!f)
		return -1;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

/*
 * Without cpuacct in the cpu hierarchy: the CPU time of the processes in
 * the cgroup now, utime + stime (fields 14 and 15 of /proc/PID/stat, in
 * clock ticks). Processes that have ended no longer count: a rate over a
 * short interval is still right.
 */
static unsigned long long procs_cpu_usec(const struct cgroup *cg)
{
	pid_t pids[4096];
	int n = cgroup_procs(cg, pids, N_ELEMS(pids));
	unsigned long long total = 0;

	for (int i = 0; i < n; i++) {
		char path[64], stat[1024], *p;
		unsigned long long utime, stime;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		if (read_file(path, stat, sizeof(stat)) > 0 && (p = strrchr(stat, ')')) &&
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
			   &stime) == 2)
			total += utime + stime;
	}
	return total * 1000000 / sysconf(_SC_CLK_TCK);
}

/*
 * v2: cpu.stat's usage_usec, memory.current and .max, pids.current, and
 * io.stat's rbytes and wbytes summed over devices. v1: memory.usage_in_bytes
 * and .limit_in_bytes, pids.current; CPU time from cpuacct.usage where cpu
 * and cpuacct share a hierarchy (most distributions), and no block I/O (final
 * joins no blkio hierarchy).
 */
void cgroup_stats(const struct cgroup *cg, struct cgroup_stats *s)
{
	FILE *f;
	char line[512], *p;

	memset(s, 0, sizeof(*s));
	s->pids = cgroup_number(cg, "pids", "pids.current", "");
	if (!cg->v2) {
		s->mem_usage = cgroup_number(cg, "memory", "memory.usage_in_bytes", "");
		s->mem_limit = cgroup_number(cg, "memory", "memory.limit_in_bytes", "");
		if ((f = cgroup_open(cg, "cpu", "cpuacct.usage"))) {
			s->cpu_known = fscanf(f, "%llu", &s->cpu_usec) == 1;
			s->cpu_usec /= 1000; /* ns */
			fclose(f);
		} else {
			s->cpu_usec = procs_cpu_usec(cg);
			s->cpu_known = true;
		}
		return;
	}
	s->mem_usage = cgroup_number(cg, "memory", "memory.current", "");
	s->mem_limit = cgroup_number(cg, "memory", "memory.max", ""); /* "max": 0 */
	s->cpu_usec = cgroup_number(cg, "cpu", "cpu.stat", "usage_usec");
	s->cpu_known = true;
	f = cgroup_open(cg, "io", "io.stat"); /* there if the io controller is enabled */
	s->io_known = f != NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, "rbytes=")))
			s->io_read += strtoull(p + 7, NULL, 10);
		if ((p = strstr(line, "wbytes=")))
			s->io_write += strtoull(p + 7, NULL, 10);
	}
	if (f)
		fclose(f);
}

/*** a bundle's cgroup (final-oci) ***/

/*
 * config.json names its cgroup by path (linux.cgroupsPath) and may set any
 * of linux.resources. The same layout detection as above; on v1 the path is
 * made in every mounted hierarchy, and each resource file is written in the
 * hierarchy its name starts with ("memory.limit_in_bytes" in memory/).
 * A file this kernel does not have (kernel memory is gone since 6.1, swap
 * accounting may be off) is skipped: the README lists them.
 */

/* Each hierarchy's directory for PATH (v2: one), into DIRS; their number. */
static int spec_dirs(const struct cgroup *cg, const char *path, char dirs[][512], int max)
{
	struct dirent *e;
	struct statfs fs;
	int n = 0;
	DIR *d;

	if (cg->v2) {
		snprintf(dirs[0], 512, "%s%s", CGROUP_ROOT, path);
		return 1;
	}
	if (!(d = opendir(CGROUP_ROOT)))
		return warn_errno("opendir %s", CGROUP_ROOT);
	while ((e = readdir(d)) && n < max) {
		char mnt[300];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue; /* cpu -> cpu,cpuacct: the same hierarchy twice */
		snprintf(mnt, sizeof(mnt), "%s/%s", CGROUP_ROOT, e->d_name);
		if (statfs(mnt, &fs) < 0 ||
		    (fs.f_type != CGROUP_SUPER_MAGIC && fs.f_type != CGROUP2_SUPER_MAGIC))
			continue;
		snprintf(dirs[n++], 512, "%s%s", mnt, path);
	}
	closedir(d);
	return n;
}

#define CPUSET_ROOT CGROUP_ROOT "/cpuset"

/* v1 cpuset: a new cgroup starts with no CPUs and no memory nodes; fill DIR and its parents from
 * the top. */
static void inherit_cpuset(const char *dir)
{
	char parent[512], path[600], value[256];

	for (const char *p = strchr(dir + strlen(CPUSET_ROOT) + 1, '/');; p = strchr(p + 1, '/')) {
		size_t len = p ? (size_t)(p - dir) : strlen(dir);

		for (int i = 0; i < 2; i++) {
			const char *file = i ? "cpuset.mems" : "cpuset.cpus";

			snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir, file);
			if (read_file(path, value, sizeof(value)) < 0 || value[0] != '\n')
				continue;
			snprintf(parent, sizeof(parent), "%s",
				 dirname_of(path)); /* the cgroup... */
			snprintf(path, sizeof(path), "%s/%s", dirname_of(parent),
				 file); /* ...its parent's */
			if (read_file(path, value, sizeof(value)) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", parent, file);
			write_file(path, value);
		}
		if (!p)
			break;
	}
}

/*
 * mkdir -p DIR, and on v2 every controller enabled on the way down, from the
 * root to DIR's parent (not in DIR: a cgroup with processes may not hand
 * controllers to children, the "no internal processes" rule). One write per
 * controller: one this kernel lacks must not cost the others.
 */
static int spec_mkdir(const struct cgroup *cg, const char *dir)
{
	static const char *const enable[] = {"+cpu",	"+cpuset", "+io",
					     "+memory", "+pids",   "+hugetlb"};
	char sub[600];

	if (mkdir_p(dir) < 0)
		return warn_errno("mkdir %s", dir);
	if (cg->v2)
		for (const char *p = dir + strlen(CGROUP_ROOT); p; p = strchr(p + 1, '/')) {
			snprintf(sub, sizeof(sub), "%.*s/cgroup.subtree_control", (int)(p - dir),
				 dir);
			for (size_t i = 0; i < N_ELEMS(enable); i++)
				write_file(sub, enable[i]);
		}
	if (strncmp(dir, CPUSET_ROOT "/", strlen(CPUSET_ROOT) + 1) == 0)
		inherit_cpuset(dir);
	return 0;
}

struct spec_cg {
	const struct cgroup *cg;
	char dirs[16][512];
	int n;
};

/* Does the v1 hierarchy directory DIR (ROOT/cpu,cpuacct/PATH) hold CONTROLLER (LEN bytes)? */
static bool holds(const char *dir, const char *controller, size_t len)
{
	const char *p = dir + strlen(CGROUP_ROOT) + 1, *end = p + strcspn(p, "/");

	while (p < end) {
		size_t n = strcspn(p, ",/");

		if (n == len && strncmp(p, controller, len) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* v2: is CONTROLLER (LEN bytes) enabled in DIR (its cgroup.controllers)? */
static bool v2_has_controller(const char *dir, const char *controller, size_t len)
{
	char path[600], list[512];

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	if (read_file(path, list, sizeof(list)) < 0)
		return false;
	for (char *tok = strtok(list, " \n"); tok; tok = strtok(NULL, " \n"))
		if (strlen(tok) == len && strncmp(tok, controller, len) == 0)
			return true;
	return false;
}

/* Write VALUE to FILE in the hierarchy FILE's prefix names (v2: the one). */
static int res_write(const struct spec_cg *s, const char *file, const char *value)
{
	char path[700];

	for (int i = 0; i < s->n; i++) {
		if (!s->cg->v2 && !holds(s->dirs[i], file, strcspn(file, ".")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->dirs[i], file);
		if (access(path, F_OK) < 0 && errno == ENOENT) {
			if (s->cg->v2 && !v2_has_controller(s->dirs[i], file, strcspn(file, ".")))
				break; /* refused below, as on v1 */
			return 0;
		}
		if (write_file(path, value) < 0)
			return warn_errno("write %s to %s", value, path);
		return 0;
	}
	/* a limit asked for and no controller to hold it: refused, not ignored */
	return warn("linux.resources: this host has no %.*s cgroup controller for %s",
		    (int)strcspn(file, "."), file, file);
}

static int res_int(const struct spec_cg *s, json_t *obj, const char *key, const char *file)
{
	json_t *v = json.object_get(obj, key);
	char value[32];

	if (!v || json_is_null(v))
		return 0;
	snprintf(value, sizeof(value), "%lld", (long long)json.integer_value(v));
	return res_write(s, file, value);
}

static int res_string(const struct spec_cg *s, json_t *obj, const char *key, const char *file)
{
	json_t *v = json.object_get(obj, key);

	return json_is_string(v) && json.string_value(v)[0]
		   ? res_write(s, file, json.string_value(v))
		   : 0;
}

static int res_memory_v1(const struct spec_cg *s, json_t *m)
{
	if (res_int(s, m, "limit", "memory.limit_in_bytes") < 0)
		return -1;
	/* memsw may not go below limit, nor limit above memsw: one order fails, the other not */
	if (res_int(s, m, "swap", "memory.memsw.limit_in_bytes") < 0 &&
	    (res_int(s, m, "limit", "memory.limit_in_bytes") < 0 ||
	     res_int(s, m, "swap", "memory.memsw.limit_in_bytes") < 0))
		return -1;
	if (json_is_true(json.object_get(m, "disableOOMKiller")) &&
	    res_write(s, "memory.oom_control", "1") < 0)
		return -1;
	return res_int(s, m, "reservation", "memory.soft_limit_in_bytes") < 0 ||
		       res_int(s, m, "kernel", "memory.kmem.limit_in_bytes") < 0 ||
		       res_int(s, m, "kernelTCP", "memory.kmem.tcp.limit_in_bytes") < 0 ||
		       res_int(s, m, "swappiness", "memory.swappiness") < 0
		   ? -1
		   : 0;
}

static int res_memory_v2(const struct spec_cg *s, json_t *m)
{
	json_t *limit = json.object_get(m, "limit"), *swap = json.object_get(m, "swap");
	char value[32];

	if (res_int(s, m, "limit", "memory.max") < 0 ||
	    res_int(s, m, "reservation", "memory.low") < 0)
		return -1;
	if (json_is_integer(swap)) { /* v1's memsw is memory + swap; v2's swap.max is swap alone */
		long long sw = json.integer_value(swap),
			  lim = json_is_integer(limit) ? json.integer_value(limit) : 0;

		if (sw == -1)
			snprintf(value, sizeof(value), "max");
		else
			snprintf(value, sizeof(value), "%lld", sw > lim ? sw - lim : 0);
		return res_write(s, "memory.swap.max", value);
	}
	return 0;
}

static int res_cpu(const struct spec_cg *s, json_t *c)
{
	json_t *quota = json.object_get(c, "quota"), *period = json.object_get(c, "period");
	json_t *shares = json.object_get(c, "shares");
	char value[64];

	if (res_string(s, c, "cpus", "cpuset.cpus") < 0 ||
	    res_string(s, c, "mems", "cpuset.mems") < 0)
		return -1;
	if (!s->cg->v2)
		return res_int(s, c, "shares", "cpu.shares") < 0 ||
			       res_int(s, c, "period", "cpu.cfs_period_us") < 0 ||
			       res_int(s, c, "quota", "cpu.cfs_quota_us") < 0 ||
			       res_int(s, c, "realtimePeriod", "cpu.rt_period_us") < 0 ||
			       res_int(s, c, "realtimeRuntime", "cpu.rt_runtime_us") < 0
			   ? -1
			   : 0;
	if (json_is_integer(shares)) { /* crun's conversion of [2, 262144] to [1, 10000] */
		snprintf(value, sizeof(value), "%lld",
			 1 + ((json.integer_value(shares) - 2) * 9999) / 262142);
		if (res_write(s, "cpu.weight", value) < 0)
			return -1;
	}
	if (json_is_integer(quota) || json_is_integer(period)) {
		long long q = json_is_integer(quota) ? json.integer_value(quota) : -1;

		long long per = json_is_integer(period) ? json.integer_value(period) : 100000LL;

		if (q > 0)
			snprintf(value, sizeof(value), "%lld %lld", q, per);
		else
			snprintf(value, sizeof(value), "max %lld", per);
		return res_write(s, "cpu.max", value);
	}
	return 0;
}

/* blkio.weight_device "8:0 500", blkio.throttle.* "8:0 1048576" */
static int res_blkio_devices(const struct spec_cg *s, json_t *b, const char *key, const char *field,
			     const char *file)
{
	json_t *a = json.object_get(b, key);
	char value[64];

	for (size_t i = 0; json_is_array(a) && i < json.array_size(a); i++) {
		json_t *d = json.array_get(a, i), *v = json.object_get(d, field);

		if (!json_is_integer(v))
			continue;
		snprintf(value, sizeof(value), "%lld:%lld %lld",
			 (long long)json.integer_value(json.object_get(d, "major")),
			 (long long)json.integer_value(json.object_get(d, "minor")),
			 (long long)json.integer_value(v));
		if (res_write(s, file, value) < 0)
			return -1;
	}
	return 0;
}

static int res_blkio(const struct spec_cg *s, json_t *b)
{
	if (s->cg->v2)
		return 0; /* io.weight, io.max: README */
	return res_int(s, b, "weight", "blkio.weight") < 0 ||
		       res_int(s, b, "leafWeight", "blkio.leaf_weight") < 0 ||
		       res_blkio_devices(s, b, "weightDevice", "weight", "blkio.weight_device") <
			   0 ||
		       res_blkio_devices(s, b, "weightDevice", "leafWeight",
					 "blkio.leaf_weight_device") < 0 ||
		       res_blkio_devices(s, b, "throttleReadBpsDevice", "rate",
					 "blkio.throttle.read_bps_device") < 0 ||
		       res_blkio_devices(s, b, "throttleWriteBpsDevice", "rate",
					 "blkio.throttle.write_bps_device") < 0 ||
		       res_blkio_devices(s, b, "throttleReadIOPSDevice", "rate",
					 "blkio.throttle.read_iops_device") < 0 ||
		       res_blkio_devices(s, b, "throttleWriteIOPSDevice", "rate",
					 "blkio.throttle.write_iops_device") < 0
		   ? -1
		   : 0;
}

/* v1 devices: config.json's rules in order, then what every container needs (runc's list). */
static int res_devices(const struct spec_cg *s, json_t *a)
{
	static const char *const needed[] = {
	    "c *:* m",	 "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
	    "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"};
	char rule[64], major[16], minor[16];

	if (s->cg->v2)
		return 0; /* an eBPF program there: README */
	for (size_t i = 0; json_is_array(a) && i < json.array_size(a); i++) {
		json_t *d = json.array_get(a, i), *ma = json.object_get(d, "major"),
		       *mi = json.object_get(d, "minor");
		const char *type = json.string_value(json.object_get(d, "type"));
		const char *access = json.string_value(json.object_get(d, "access"));

		snprintf(major, sizeof(major),
			 json_is_integer(ma) && json.integer_value(ma) >= 0 ? "%lld" : "*",
			 (long long)json.integer_value(ma));
		snprintf(minor, sizeof(minor),
			 json_is_integer(mi) && json.integer_value(mi) >= 0 ? "%lld" : "*",
			 (long long)json.integer_value(mi));
		if (!type || !type[0] || strcmp(type, "a") == 0)
			snprintf(rule, sizeof(rule), "a");
		else
			snprintf(rule, sizeof(rule), "%s %s:%s %s", type, major, minor,
				 access && access[0] ? access : "rwm");
		if (res_write(s,
			      json_is_true(json.object_get(d, "allow")) ? "devices.allow"
									: "devices.deny",
			      rule) < 0)
			return -1;
	}
	for (size_t i = 0; i < N_ELEMS(needed); i++)
		if (res_write(s, "devices.allow", needed[i]) < 0)
			return -1;
	return 0;
}

static int res_other(const struct spec_cg *s, json_t *r)
{
	json_t *pids = json.object_get(r, "pids"), *net = json.object_get(r, "network");
	json_t *huge = json.object_get(r, "hugepageLimits"),
	       *prio = json.object_get(net, "priorities");
	char file[128], value[128];

	if (json_is_object(pids)) {
		long long n = json.integer_value(json.object_get(pids, "limit"));

		snprintf(value, sizeof(value), n > 0 ? "%lld" : "max", n);
		if (res_write(s, "pids.max", value) < 0)
			return -1;
	}
	for (size_t i = 0; json_is_array(huge) && i < json.array_size(huge); i++) {
		json_t *h = json.array_get(huge, i);

		snprintf(file, sizeof(file), "hugetlb.%s.%s",
			 json.string_value(json.object_get(h, "pageSize")),
			 s->cg->v2 ? "max" : "limit_in_bytes");
		snprintf(value, sizeof(value), "%lld",
			 (long long)json.integer_value(json.object_get(h, "limit")));
		if (res_write(s, file, value) < 0)
			return -1;
	}
	if (res_int(s, net, "classID", "net_cls.classid") < 0)
		return -1;
	for (size_t i = 0; json_is_array(prio) && i < json.array_size(prio); i++) {
		json_t *p = json.array_get(prio, i);

		snprintf(value, sizeof(value), "%s %lld",
			 json.string_value(json.object_get(p, "name")),
			 (long long)json.integer_value(json.object_get(p, "priority")));
		if (res_write(s, "net_prio.ifpriomap", value) < 0)
			return -1;
	}
	return 0;
}

static int spec_resources(const struct spec_cg *s, json_t *r)
{
	json_t *mem = json.object_get(r, "memory"), *cpu = json.object_get(r, "cpu");
	json_t *blkio = json.object_get(r, "blockIO");

	if (json_is_object(mem) && (s->cg->v2 ? res_memory_v2(s, mem) : res_memory_v1(s, mem)) < 0)
		return -1;
	if (json_is_object(cpu) && res_cpu(s, cpu) < 0)
		return -1;
	if (json_is_object(blkio) && res_blkio(s, blkio) < 0)
		return -1;
	return res_devices(s, json.object_get(r, "devices")) < 0 ? -1 : res_other(s, r);
}

static void spec_init(struct spec_cg *s, const struct cgroup *cg, const char *path)
{
	s->cg = cg;
	s->n = spec_dirs(cg, path, s->dirs, N_ELEMS(s->dirs));
}

int cgroup_spec_create(const char *path, json_t *resources, pid_t pid)
{
	struct cgroup cg;
	struct spec_cg s;
	char value[32], file[600];

	cgroup_init(&cg, "");
	spec_init(&s, &cg, path);
	for (int i = 0; i < s.n; i++)
		if (spec_mkdir(&cg, s.dirs[i]) < 0)
			return -1;
	if (resources && spec_resources(&s, resources) < 0)
		return -1;
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (int i = 0; i < s.n; i++) {
		snprintf(file, sizeof(file), "%s/cgroup.procs", s.dirs[i]);
		if (write_file(file, value) < 0)
			return warn_errno("write %s to %s", value, file);
	}
	return 0;
}

int cgroup_spec_join(const char *path, pid_t pid)
{
	struct cgroup cg;
	struct spec_cg s;
	char value[32], file[600];

	cgroup_init(&cg, "");
	spec_init(&s, &cg, path);
	snprintf(value, sizeof(value), "%d", (int)pid);
	for (int i = 0; i < s.n; i++) {
		bool self;

		/* ourselves, where there is a tasks file (v1): no lock (cgroup_enter()) */
		snprintf(file, sizeof(file), "%s/tasks", s.dirs[i]);
		self = pid == getpid() && access(file, F_OK) == 0;
		if (!self)
			snprintf(file, sizeof(file), "%s/cgroup.procs", s.dirs[i]);
		if (write_file(file, self ? "0" : value) < 0 && errno != ENOENT)
			return warn_errno("write %s to %s", self ? "0" : value, file);
	}
	return 0;
}

int cgroup_spec_pids(const char *path, pid_t *pids, int max)
{
	struct cgroup cg;
	struct spec_cg s;
	char file[600];
	int n = 0, pid;
	FILE *f;

	cgroup_init(&cg, "");
	spec_init(&s, &cg, path);
	for (int i = 0; i < s.n && n == 0; i++) {
		snprintf(file, sizeof(file), "%s/cgroup.procs", s.dirs[i]);
		if (!(f = fopen(file, "re")))
			continue;
		while (n < max && fscanf(f, "%d", &pid) == 1)
			pids[n++] = pid;
		fclose(f);
	}
	return n;
}

void cgroup_spec_remove(const char *path, bool and_parent)
{
	struct cgroup cg;
	struct spec_cg s;

	cgroup_init(&cg, "");
	spec_init(&s, &cg, path);
	for (int i = 0; i < s.n; i++) {
		for (int tries = 0; rmdir(s.dirs[i]) < 0 && errno == EBUSY && tries < 100; tries++)
			usleep(10000);
		if (access(s.dirs[i], F_OK) == 0)
			warn_errno("rmdir %s", s.dirs[i]);
		else if (and_parent)
			rmdir(dirname_of(s.dirs[i])); /* busy while other containers run: fine */
	}
}
