/*
 * spec.c: load a bundle's config.json into struct config (and struct spec).
 *
 * The runtime spec's rule for what we do not know: "Runtimes MUST ignore
 * unknown properties"; for what we know but find wrong, one line naming the
 * field (`config.json: process.rlimits[1].type: unknown "RLIMIT_FOO"`) and
 * exit 125 before anything of the container exists. Every string the
 * structures hold points into the parsed document, kept for the process's
 * life (a `create` is short; the container's init execs soon).
 */
#define _GNU_SOURCE
#include "spec.h"
#include "dl.h"
#include "util.h"

#include <ctype.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

/*** reading values ***/

static void bad_field(const char *field, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void bad_field(const char *field, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	die("config.json: %s: %s", field, why);
}

static const char *const type_names[] = {"an object", "an array",  "a string",	"an integer",
					 "a number",  "a boolean", "a boolean", "null"};

/* OBJ.KEY if present and not null, else NULL; dies if it is not of TYPE. */
static json_t *get(json_t *obj, const char *key, json_type type, const char *field)
{
	json_t *v = obj ? json.object_get(obj, key) : NULL;

	if (!v || json_is_null(v))
		return NULL;
	if (type == JSON_TRUE	? !json_is_boolean(v)
	    : type == JSON_REAL ? !json_is_number(v)
				: json_typeof(v) != type)
		bad_field(field, "must be %s", type_names[type]);
	return v;
}

static const char *get_string(json_t *obj, const char *key, const char *field)
{
	json_t *v = get(obj, key, JSON_STRING, field);

	return v ? json.string_value(v) : NULL;
}

static bool get_bool(json_t *obj, const char *key, const char *field)
{
	json_t *v = get(obj, key, JSON_TRUE, field);

	return v && json_is_true(v);
}

/* An integer field between MIN and MAX; DEF when absent. */
static long long get_int(json_t *obj, const char *key, long long min, long long max, long long def,
			 const char *field)
{
	json_t *v = get(obj, key, JSON_INTEGER, field);
	long long n;

	if (!v)
		return def;
	n = json.integer_value(v);
	if (n < min || n > max)
		bad_field(field, "%lld is out of range [%lld, %lld]", n, min, max);
	return n;
}

/* An array of strings, NULL-terminated (an empty one if absent). */
static const char **get_strings(json_t *obj, const char *key, const char *field)
{
	json_t *a = get(obj, key, JSON_ARRAY, field), *v;
	size_t n = a ? json.array_size(a) : 0;
	const char **out = calloc(n + 1, sizeof(*out));

	if (!out)
		die("out of memory");
	for (size_t i = 0; i < n; i++) {
		v = json.array_get(a, i);
		if (!json_is_string(v))
			bad_field(field, "item %zu must be a string", i);
		out[i] = json.string_value(v);
	}
	return out;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/*** process ***/

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static void load_rlimits(json_t *process, struct config *cfg)
{
	json_t *a = get(process, "rlimits", JSON_ARRAY, "process.rlimits");
	char field[64];

	for (size_t i = 0; a && i < json.array_size(a); i++) {
		json_t *r = json.array_get(a, i);
		const char *type;
		size_t k;

		snprintf(field, sizeof(field), "process.rlimits[%zu].type", i);
		type = get_string(r, "type", field);
		for (k = 0; type && k < N_ELEMS(rlimit_names); k++)
			if (strcmp(type, rlimit_names[k].name) == 0)
				break;
		if (!type || k == N_ELEMS(rlimit_names))
			bad_field(field, "unknown \"%s\"", type ? type : "");
		for (int j = 0; j < cfg->security.nrlimits; j++)
			if (cfg->security.rlimits[j].resource == rlimit_names[k].resource)
				bad_field(field, "%s given twice", type);
		snprintf(field, sizeof(field), "process.rlimits[%zu]", i);
		cfg->security.rlimits[cfg->security.nrlimits++] =
		    (typeof(cfg->security.rlimits[0])){
			type,
			rlimit_names[k].resource,
			{get_int(r, "soft", 0, LLONG_MAX, 0, field),
			 get_int(r, "hard", 0, LLONG_MAX, 0, field)}};
		if (cfg->security.rlimits[cfg->security.nrlimits - 1].limit.rlim_cur >
		    cfg->security.rlimits[cfg->security.nrlimits - 1].limit.rlim_max)
			bad_field(field, "soft is above hard");
	}
}

static uint64_t load_cap_set(json_t *caps, const char *key)
{
	char field[64], lower[64];
	const char **names;
	uint64_t bits = 0;
	cap_value_t cap;

	snprintf(field, sizeof(field), "process.capabilities.%s", key);
	names = get_strings(caps, key, field);
	for (int i = 0; names[i]; i++) {
		size_t k;

		for (k = 0; names[i][k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)names[i][k]);
		lower[k] = '\0';
		if (strncmp(lower, "cap_", 4) != 0 || cap_from_name(lower, &cap) < 0)
			bad_field(field, "unknown capability \"%s\"", names[i]);
		bits |= 1ULL << cap;
	}
	free(names);
	return bits;
}

static void load_user(json_t *process, struct config *cfg)
{
	json_t *user = get(process, "user", JSON_OBJECT, "process.user");
	json_t *gids = get(user, "additionalGids", JSON_ARRAY, "process.user.additionalGids");
	struct spec *s = cfg->spec;

	cfg->process.uid = get_int(user, "uid", 0, UINT32_MAX - 1, 0, "process.user.uid");
	cfg->process.gid = get_int(user, "gid", 0, UINT32_MAX - 1, 0, "process.user.gid");
	cfg->process.user_set = true;
	s->ngroups = gids ? json.array_size(gids) : 0;
	s->groups = xcalloc(s->ngroups, sizeof(gid_t));
	for (int i = 0; i < s->ngroups; i++) {
		json_t *g = json.array_get(gids, i);

		if (!json_is_integer(g) || json.integer_value(g) < 0 ||
		    json.integer_value(g) >= UINT32_MAX)
			bad_field("process.user.additionalGids", "item %d must be a gid", i);
		s->groups[i] = json.integer_value(g);
	}
}

static void load_process(json_t *process, struct config *cfg, bool need_args)
{
	json_t *caps = get(process, "capabilities", JSON_OBJECT, "process.capabilities");
	json_t *size = get(process, "consoleSize", JSON_OBJECT, "process.consoleSize");
	const char **env = get_strings(process, "env", "process.env");
	struct spec *s = cfg->spec;

	if (!process)
		bad_field("process", "missing");
	cfg->process.args = (char **)get_strings(process, "args", "process.args");
	if (need_args && !cfg->process.args[0])
		bad_field("process.args", "must name a program");
	for (int i = 0; env[i]; i++) {
		if (!strchr(env[i], '='))
			bad_field("process.env", "\"%s\" is not KEY=VALUE", env[i]);
		if (cfg->process.nenv == MAX_ENV)
			bad_field("process.env", "more than %d variables", MAX_ENV);
		cfg->process.env[cfg->process.nenv++] = env[i];
	}
	cfg->process.cwd = get_string(process, "cwd", "process.cwd");
	if (!cfg->process.cwd)
		cfg->process.cwd = "/";
	if (cfg->process.cwd[0] != '/')
		bad_field("process.cwd", "must be an absolute path");
	cfg->process.terminal = get_bool(process, "terminal", "process.terminal");
	s->console_rows = get_int(size, "height", 0, USHRT_MAX, 0, "process.consoleSize.height");
	s->console_cols = get_int(size, "width", 0, USHRT_MAX, 0, "process.consoleSize.width");
	load_user(process, cfg);
	s->has_caps = caps != NULL;
	s->caps[CAP_BOUNDING] = load_cap_set(caps, "bounding");
	s->caps[CAP_EFFECTIVE_SET] = load_cap_set(caps, "effective");
	s->caps[CAP_INHERITABLE_SET] = load_cap_set(caps, "inheritable");
	s->caps[CAP_PERMITTED_SET] = load_cap_set(caps, "permitted");
	s->caps[CAP_AMBIENT] = load_cap_set(caps, "ambient");
	cfg->security.caps = s->caps[CAP_BOUNDING];
	load_rlimits(process, cfg);
	cfg->security.no_new_privs =
	    get_bool(process, "noNewPrivileges", "process.noNewPrivileges");
	s->has_oom_score_adj = get(process, "oomScoreAdj", JSON_INTEGER, "process.oomScoreAdj");
	s->oom_score_adj = get_int(process, "oomScoreAdj", -1000, 1000, 0, "process.oomScoreAdj");
}

/*** mounts ***/

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagations[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

static unsigned long propagation_flag(const char *name)
{
	for (size_t i = 0; i < N_ELEMS(propagations); i++)
		if (strcmp(name, propagations[i].name) == 0)
			return propagations[i].flag;
	return 0;
}

/* One option: a flag, a propagation, or data for the filesystem (size=, mode=...). */
static void mount_option(struct spec_mount *m, const char *opt)
{
	size_t len = strlen(m->data);

	for (size_t i = 0; i < N_ELEMS(mount_flags); i++)
		if (strcmp(opt, mount_flags[i].name) == 0) {
			if (mount_flags[i].clear)
				m->flags &= ~mount_flags[i].flag;
			else
				m->flags |= mount_flags[i].flag;
			m->bind |= (mount_flags[i].flag & MS_BIND) != 0;
			return;
		}
	if (propagation_flag(opt)) {
		m->propagation = propagation_flag(opt);
		return;
	}
	if (strcmp(opt, "tmpcopyup") == 0 || strncmp(opt, "idmap", 5) == 0)
		return; /* crun's and runc's extensions: not done here (README) */
	snprintf(m->data + len, sizeof(m->data) - len, "%s%s", len ? "," : "", opt);
}

static void load_mounts(json_t *root, struct spec *s)
{
	json_t *a = get(root, "mounts", JSON_ARRAY, "mounts");
	char field[64];

	s->nmounts = a ? json.array_size(a) : 0;
	s->mounts = xcalloc(s->nmounts, sizeof(*s->mounts));
	for (int i = 0; i < s->nmounts; i++) {
		json_t *o = json.array_get(a, i);
		struct spec_mount *m = &s->mounts[i];
		const char **opts;

		snprintf(field, sizeof(field), "mounts[%d]", i);
		if (!json_is_object(o))
			bad_field(field, "must be an object");
		snprintf(field, sizeof(field), "mounts[%d].destination", i);
		m->destination = get_string(o, "destination", field);
		if (!m->destination || m->destination[0] != '/')
			bad_field(field, "must be an absolute path");
		m->type = get_string(o, "type", "mounts[].type");
		m->source = get_string(o, "source", "mounts[].source");
		opts = get_strings(o, "options", "mounts[].options");
		for (int k = 0; opts[k]; k++)
			mount_option(m, opts[k]);
		free(opts);
		if (m->type && strcmp(m->type, "bind") == 0)
			m->bind = true, m->flags |= MS_BIND;
		if (!m->bind && !m->type)
			bad_field(field, "a mount with no type must be a bind mount");
	}
}

/*** linux ***/

static const struct {
	const char *name;
	int flag;
} ns_names[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static void load_namespaces(json_t *lx, struct spec *s)
{
	json_t *a = get(lx, "namespaces", JSON_ARRAY, "linux.namespaces");
	char field[64];

	for (size_t i = 0; a && i < json.array_size(a); i++) {
		json_t *o = json.array_get(a, i);
		const char *type;
		size_t k;

		snprintf(field, sizeof(field), "linux.namespaces[%zu].type", i);
		type = get_string(o, "type", field);
		for (k = 0; type && k < N_ELEMS(ns_names); k++)
			if (strcmp(type, ns_names[k].name) == 0)
				break;
		if (!type || k == N_ELEMS(ns_names))
			bad_field(field, "unknown namespace \"%s\"", type ? type : "");
		if (spec_namespace(s, ns_names[k].flag))
			bad_field(field, "\"%s\" given twice", type);
		if (s->nnamespaces == (int)N_ELEMS(s->namespaces))
			bad_field(field, "too many");
		s->namespaces[s->nnamespaces++] = (struct spec_namespace){
		    ns_names[k].flag, get_string(o, "path", "linux.namespaces[].path")};
		if (s->namespaces[s->nnamespaces - 1].path &&
		    s->namespaces[s->nnamespaces - 1].path[0] != '/')
			bad_field("linux.namespaces[].path", "must be an absolute path");
	}
}

static int load_idmap(json_t *lx, const char *key, struct spec_idmap *map, int max)
{
	json_t *a = get(lx, key, JSON_ARRAY, key);
	char field[64];
	int n = a ? json.array_size(a) : 0;

	snprintf(field, sizeof(field), "linux.%s", key);
	if (n > max)
		bad_field(field, "more than %d ranges", max);
	for (int i = 0; i < n; i++) {
		json_t *o = json.array_get(a, i);

		map[i] = (struct spec_idmap){get_int(o, "containerID", 0, UINT32_MAX, 0, field),
					     get_int(o, "hostID", 0, UINT32_MAX, 0, field),
					     get_int(o, "size", 1, UINT32_MAX, 1, field)};
	}
	return n;
}

static void load_devices(json_t *lx, struct spec *s)
{
	json_t *a = get(lx, "devices", JSON_ARRAY, "linux.devices");
	const char *f = "linux.devices[]";

	s->ndevices = a ? json.array_size(a) : 0;
	s->devices = xcalloc(s->ndevices, sizeof(*s->devices));
	for (int i = 0; i < s->ndevices; i++) {
		json_t *o = json.array_get(a, i);
		struct spec_device *d = &s->devices[i];
		const char *type = get_string(o, "type", "linux.devices[].type");

		d->path = get_string(o, "path", "linux.devices[].path");
		if (!d->path || d->path[0] != '/')
			bad_field("linux.devices[].path", "must be an absolute path");
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			bad_field("linux.devices[].type", "must be c, b, u or p");
		d->type = type[0] == 'u' ? 'c' : type[0];
		d->major = get_int(o, "major", 0, UINT32_MAX, 0, f);
		d->minor = get_int(o, "minor", 0, UINT32_MAX, 0, f);
		if (d->type != 'p' &&
		    (!get(o, "major", JSON_INTEGER, f) || !get(o, "minor", JSON_INTEGER, f)))
			bad_field("linux.devices[].major", "needed for a %c device", d->type);
		d->mode = get_int(o, "fileMode", 0, 07777, 0666, "linux.devices[].fileMode");
		d->uid = get_int(o, "uid", 0, UINT32_MAX - 1, 0, f);
		d->gid = get_int(o, "gid", 0, UINT32_MAX - 1, 0, f);
	}
}

static void load_sysctl(json_t *lx, struct spec *s)
{
	json_t *o = get(lx, "sysctl", JSON_OBJECT, "linux.sysctl");
	size_t n = o ? json.object_size(o) : 0, i = 0;

	s->sysctl = xcalloc(2 * n + 1, sizeof(char *));
	for (void *it = o ? json.object_iter(o) : NULL; it; it = json.object_iter_next(o, it)) {
		json_t *v = json.object_iter_value(it);

		if (!json_is_string(v))
			bad_field("linux.sysctl", "%s must be a string", json.object_iter_key(it));
		s->sysctl[i++] = json.object_iter_key(it);
		s->sysctl[i++] = json.string_value(v);
	}
}

static void load_linux(json_t *lx, struct spec *s)
{
	const char *prop;

	load_namespaces(lx, s);
	s->nuid_map = load_idmap(lx, "uidMappings", s->uid_map, N_ELEMS(s->uid_map));
	s->ngid_map = load_idmap(lx, "gidMappings", s->gid_map, N_ELEMS(s->gid_map));
	if ((s->nuid_map || s->ngid_map) && !spec_namespace(s, CLONE_NEWUSER))
		bad_field("linux.uidMappings", "needs a user namespace");
	s->masked = get_strings(lx, "maskedPaths", "linux.maskedPaths");
	s->readonly = get_strings(lx, "readonlyPaths", "linux.readonlyPaths");
	load_sysctl(lx, s);
	load_devices(lx, s);
	s->cgroups_path = get_string(lx, "cgroupsPath", "linux.cgroupsPath");
	s->resources = get(lx, "resources", JSON_OBJECT, "linux.resources");
	s->seccomp = get(lx, "seccomp", JSON_OBJECT, "linux.seccomp");
	prop = get_string(lx, "rootfsPropagation", "linux.rootfsPropagation");
	if (prop && !(s->rootfs_propagation = propagation_flag(prop)))
		bad_field("linux.rootfsPropagation", "unknown \"%s\"", prop);
}

/*** hooks ***/

static const char *const hook_names[HOOK_KINDS] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};

static void load_hooks(json_t *root, struct spec *s)
{
	json_t *hooks = get(root, "hooks", JSON_OBJECT, "hooks");
	char field[64];

	for (int k = 0; k < HOOK_KINDS; k++) {
		json_t *a;

		snprintf(field, sizeof(field), "hooks.%s", hook_names[k]);
		a = get(hooks, hook_names[k], JSON_ARRAY, field);
		s->nhooks[k] = a ? json.array_size(a) : 0;
		s->hooks[k] = xcalloc(s->nhooks[k], sizeof(struct spec_hook));
		for (int i = 0; i < s->nhooks[k]; i++) {
			json_t *o = json.array_get(a, i);
			struct spec_hook *h = &s->hooks[k][i];

			snprintf(field, sizeof(field), "hooks.%s[%d].path", hook_names[k], i);
			h->path = get_string(o, "path", field);
			if (!h->path || h->path[0] != '/')
				bad_field(field, "must be an absolute path");
			h->args = (char **)get_strings(o, "args", field);
			h->env = (char **)get_strings(o, "env", field);
			h->timeout = get_int(o, "timeout", 1, INT_MAX, 0, field);
		}
	}
}

/*** the document ***/

static json_t *load_file(const char *path)
{
	json_error_t err;
	json_t *root;

	if (dl_json() < 0)
		exit(EXIT_RUNTIME);
	root = json.load_file(path, 0, &err);
	if (!root)
		die("%s: %s (line %d)", path, err.text, err.line);
	if (!json_is_object(root))
		die("%s: not a JSON object", path);
	return root;
}

int spec_load(const char *bundle, struct config *cfg)
{
	char path[PATH_MAX], *abs = realpath(bundle, NULL);
	struct spec *s = xcalloc(1, sizeof(*s));
	const char *version, *root_path;
	json_t *root;

	if (!abs)
		die_errno("bundle %s", bundle);
	snprintf(path, sizeof(path), "%s/config.json", abs);
	root = load_file(path);
	cfg->spec = s;
	s->bundle = abs;
	s->json = root;
	version = get_string(root, "ociVersion", "ociVersion");
	if (!version || strncmp(version, "1.", 2) != 0)
		bad_field("ociVersion", "\"%s\" is not 1.x", version ? version : "");
	root_path = get_string(get(root, "root", JSON_OBJECT, "root"), "path", "root.path");
	if (!root_path || !root_path[0])
		bad_field("root.path", "missing");
	s->rootfs = root_path[0] == '/' ? root_path : xasprintf("%s/%s", abs, root_path);
	cfg->root.path = s->rootfs;
	cfg->root.readonly =
	    get_bool(get(root, "root", JSON_OBJECT, "root"), "readonly", "root.readonly");
	cfg->hostname = get_string(root, "hostname", "hostname");
	/* No process is valid for create; start refuses it (runtime.md "start"). */
	if (get(root, "process", JSON_OBJECT, "process"))
		load_process(get(root, "process", JSON_OBJECT, "process"), cfg, true);
	load_mounts(root, s);
	load_linux(get(root, "linux", JSON_OBJECT, "linux"), s);
	load_hooks(root, s);
	s->annotations = get(root, "annotations", JSON_OBJECT, "annotations");
	if (cfg->hostname && !spec_namespace(s, CLONE_NEWUTS))
		bad_field("hostname", "needs a uts namespace");
	return 0;
}

int spec_load_process(const char *path, struct config *cfg)
{
	if (!cfg->spec)
		cfg->spec = xcalloc(1, sizeof(*cfg->spec));
	cfg->process.nenv = 0;
	cfg->security.nrlimits = 0;
	load_process(load_file(path), cfg, true);
	return 0;
}

const struct spec_namespace *spec_namespace(const struct spec *s, int type)
{
	for (int i = 0; i < s->nnamespaces; i++)
		if (s->namespaces[i].type == type)
			return &s->namespaces[i];
	return NULL;
}

/* runc spec's default, abridged: sh on a terminal, in every namespace but user and cgroup. */
const char *spec_default(void)
{
	return "{\n"
	       "  \"ociVersion\": \"1.2.0\",\n"
	       "  \"process\": {\n"
	       "    \"terminal\": true,\n"
	       "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
	       "    \"args\": [\"sh\"],\n"
	       "    \"env\": "
	       "[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", "
	       "\"TERM=xterm\"],\n"
	       "    \"cwd\": \"/\",\n"
	       "    \"capabilities\": {\n"
	       "      \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	       "\"CAP_NET_BIND_SERVICE\"],\n"
	       "      \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	       "\"CAP_NET_BIND_SERVICE\"],\n"
	       "      \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	       "\"CAP_NET_BIND_SERVICE\"]\n"
	       "    },\n"
	       "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
	       "    \"noNewPrivileges\": true\n"
	       "  },\n"
	       "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	       "  \"hostname\": \"final\",\n"
	       "  \"mounts\": [\n"
	       "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	       "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
	       "\"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	       "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\", "
	       "\"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", "
	       "\"mode=0620\", "
	       "\"gid=5\"]},\n"
	       "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\", "
	       "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", "
	       "\"size=65536k\"]},\n"
	       "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": "
	       "\"mqueue\", "
	       "\"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
	       "    {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\", "
	       "\"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n"
	       "  ],\n"
	       "  \"linux\": {\n"
	       "    \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},\n"
	       "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": "
	       "\"ipc\"}, "
	       "{\"type\": \"uts\"}, {\"type\": \"mount\"}],\n"
	       "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", "
	       "\"/proc/keys\", "
	       "\"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", "
	       "\"/proc/sched_debug\", "
	       "\"/sys/firmware\", \"/proc/scsi\"],\n"
	       "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", "
	       "\"/proc/sysrq-trigger\"]\n"
	       "  }\n"
	       "}\n";
}
