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
#include "ebpf.h"
#include "util.h"

#include <errno.h>
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
}

/* The directory of CONTROLLER's parent (FILE NULL, NAME NULL), cgroup, or a file in it. */
static void cgroup_path(const struct cgroup *cg, const char *controller, const char *name,
			const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s" CGROUP_PARENT "%s%s%s%s", CGROUP_ROOT,
		 cg->v2 ? "" : controller, cg->v2 ? "" : "/", name ? "/" : "", name ? name : "",
		 file ? "/" : "", file ? file : "");
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

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < N_ELEMS(controllers); i++) {
		snprintf(value, sizeof(value), "+%s", controllers[i].name);
		if (controllers[i].v2 && write_file(path, value) < 0)
			return snprintf(failed, size, "write %s to %s", value, path), -1;
	}
	return 0;
}

static size_t hierarchies(const struct cgroup *cg)
{
	return cg->v2 ? 1 : N_ELEMS(controllers);
}

static int try_create(const struct cgroup *cg, char *failed, size_t size)
{
	char path[512];

	if (cg->v2 && enable_controllers(CGROUP_ROOT, failed, size) < 0)
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
 * each rule into devices.allow. v2: one eBPF program that says the same.
 */
static int set_devices(const struct cgroup *cg, const struct config *cfg)
{
	const typeof(cfg->resources) *r = &cfg->resources;
	char path[512], rule[64];

	if (cg->v2) {
		cgroup_path(cg, "devices", cg->name, NULL, path, sizeof(path));
		return ebpf_attach_device_rules(path, r->devices, r->ndevices);
	}
	if (cgroup_write(cg, "devices", "devices.deny", "a") < 0)
		return -1;
	for (int i = 0; i < r->ndevices; i++) {
		format_rule(&r->devices[i], rule, sizeof(rule));
		if (cgroup_write(cg, "devices", "devices.allow", rule) < 0)
			return -1;
	}
	return 0;
}

int cgroup_set_limits(const struct cgroup *cg, const struct config *cfg)
{
	const typeof(cfg->resources) *r = &cfg->resources;
	char value[64], period[16];

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
	return set_devices(cg, cfg);
}

int cgroup_add(const struct cgroup *cg, pid_t pid)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < hierarchies(cg); i++)
		if (cgroup_write(cg, controllers[i].name, "cgroup.procs", value) < 0)
			return -1;
	return 0;
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
		for (int tries = 0; rmdir(path) < 0 && errno == EBUSY && tries < 200; tries++)
			usleep(10000);
		if (access(path, F_OK) == 0)
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
