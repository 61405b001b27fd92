/*
 * spec.h: a bundle's config.json (OCI runtime spec 1.0-1.2), loaded.
 *
 * The fields `final run` has options for land in struct config (args, env,
 * cwd, user, terminal, root, hostname, rlimits, noNewPrivileges); the rest,
 * which only a bundle can say, lands here and hangs off config.spec.
 * linux.resources and linux.seccomp stay JSON: cgroup.c and security.c
 * translate them where they are applied, each the only reader of its part.
 */
#ifndef FINAL_SPEC_H
#define FINAL_SPEC_H

#include "config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct spec_mount {
	const char *destination, *type, *source;
	unsigned long flags;	   /* MS_* for mount(2) */
	unsigned long propagation; /* MS_SHARED, MS_SLAVE ... (| MS_REC), applied after */
	char data[512];		   /* the options mount(2) does not know: size=, mode= ... */
	bool bind;
};

struct spec_namespace {
	int type;	  /* CLONE_NEW* */
	const char *path; /* join this one instead of making a new one */
};

struct spec_idmap {
	unsigned long container, host, size;
};

struct spec_hook {
	const char *path;
	char **args, **env;
	int timeout; /* seconds; 0: none */
};

enum hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

struct spec_device {
	const char *path;
	char type; /* 'c', 'b', 'p' (u is c) */
	unsigned long major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

enum cap_set {
	CAP_BOUNDING,
	CAP_EFFECTIVE_SET,
	CAP_INHERITABLE_SET,
	CAP_PERMITTED_SET,
	CAP_AMBIENT
};

struct spec {
	const char *bundle; /* absolute */
	const char *rootfs; /* root.path, absolute */
	json_t *json;	    /* the whole document: every string below points into it */
	struct spec_mount *mounts;
	int nmounts;
	struct spec_namespace namespaces[8];
	int nnamespaces;
	struct spec_idmap uid_map[16], gid_map[16];
	int nuid_map, ngid_map;
	const char **masked, **readonly; /* NULL-terminated */
	const char **sysctl;		 /* key, value, key, value ..., NULL */
	struct spec_hook *hooks[HOOK_KINDS];
	int nhooks[HOOK_KINDS];
	struct spec_device *devices;
	int ndevices;
	const char *cgroups_path; /* NULL: none given */
	unsigned long rootfs_propagation;
	uint64_t caps[5]; /* enum cap_set */
	bool has_caps;
	int oom_score_adj;
	bool has_oom_score_adj;
	gid_t *groups; /* process.user.additionalGids */
	int ngroups;
	unsigned short console_rows, console_cols;
	json_t *resources; /* linux.resources, or NULL */
	json_t *seccomp;   /* linux.seccomp, or NULL */
	void *seccomp_bpf; /* ...compiled, when the runtime did it ahead (bundle.c) */
	size_t seccomp_len;
	json_t *annotations; /* or NULL */
};

/*
 * Load BUNDLE/config.json into CFG (and a new struct spec at cfg->spec).
 * A value that breaks the spec is refused with one line naming the field;
 * fields this runtime does not know are ignored, as the spec says.
 */
int spec_load(const char *bundle, struct config *cfg);
/* The same from a process.json alone (exec --process): CFG's process part. */
int spec_load_process(const char *path, struct config *cfg);
/* Does NS (CLONE_NEW*) appear in the spec's namespaces? Its entry, or NULL. */
const struct spec_namespace *spec_namespace(const struct spec *s, int type);
/* The default config.json of `spec`, as runc's. */
const char *spec_default(void);

#endif
