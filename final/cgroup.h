/*
 * cgroup.h: the container's cgroup on v2, v1 or hybrid hosts (step 05).
 */
#ifndef FINAL_CGROUP_H
#define FINAL_CGROUP_H

#include "config.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cgroup {
	bool v2; /* one unified hierarchy, or one per controller */
	const char *mode; /* "v2", "v1" or "hybrid", for messages */
	bool none; /* rootless without a delegated v2 subtree: no cgroup, every call does nothing */
	char base[256]; /* where CGROUP_PARENT is: /sys/fs/cgroup, or the subtree delegated to us */
	char name[64]; /* the container's cgroup, under CGROUP_PARENT */
};

/* Detect the layout once (statfs on /sys/fs/cgroup), and name the cgroup. */
void cgroup_init(struct cgroup *cg, const char *name);
int cgroup_create(const struct cgroup *cg);
/* Memory, CPU and pids limits, and the device allow-list (config.h). */
int cgroup_set_limits(const struct cgroup *cg, const struct config *cfg);
/* The calling (single-threaded) process joins the cgroup, on every hierarchy. */
int cgroup_enter(const struct cgroup *cg);
/* v2: the container's cgroup as a directory, for clone3(CLONE_INTO_CGROUP); v1: -1. */
int cgroup_dir_fd(const struct cgroup *cg);
long cgroup_oom_kills(const struct cgroup *cg);
struct cgroup_stats {
	unsigned long long cpu_usec; /* CPU time used, all processes together */
	unsigned long long mem_usage, mem_limit; /* bytes; limit 0: none */
	unsigned long long pids;
	unsigned long long io_read, io_write; /* bytes, block devices */
	bool cpu_known, io_known; /* not every v1 layout tells */
};

/* final stats: what the kernel counts for the container's cgroup. */
void cgroup_stats(const struct cgroup *cg, struct cgroup_stats *s);
/* final top: the pids in it (the host's numbers), at most MAX; -1 if it is gone. */
int cgroup_procs(const struct cgroup *cg, pid_t *pids, int max);
/* Remove it (retrying while its last processes are torn down); quiet if absent. */
void cgroup_remove(const struct cgroup *cg);

/*
 * final-oci: the cgroup PATH (linux.cgroupsPath, absolute from the root of
 * every hierarchy) with config.json's linux.resources, and PID in it.
 */
int cgroup_spec_create(const char *path, json_t *resources, pid_t pid);
int cgroup_spec_join(const char *path, pid_t pid);
/* The processes in PATH, at most MAX of them; their number. */
int cgroup_spec_pids(const char *path, pid_t *pids, int max);
/* Remove PATH; AND_PARENT: its parent too, if no other container uses it. */
void cgroup_spec_remove(const char *path, bool and_parent);

#endif
