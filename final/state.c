/*
 * state.c: container records on disk, one directory each.
 */
#define _GNU_SOURCE
#include "state.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const char *state_root(void)
{
	const char *root = getenv("FINAL_STATE");

	return root && *root ? root : "/run/final";
}

/*
 * FINAL_DATA holds what containers wrote and what images brought: setuid
 * binaries, device nodes. Its mounts inside are nosuid/nodev where they must
 * be, but on the host the files sit on an ordinary filesystem: a directory
 * anyone may cross would let any local user run a container's setuid-root
 * file, or open an image's node of the host disk. So it is 0700, as docker
 * keeps /var/lib/docker (made so, and made so again, once per process).
 */
const char *data_root(void)
{
	static bool secured;
	const char *root = getenv("FINAL_DATA");

	root = root && *root ? root : "/var/lib/final";
	if (!secured && strcmp(root, "/") != 0) {
		secured = true;
		if (mkdir_p(root) < 0 || chmod(root, 0700) < 0)
			warn_errno("make %s private (0700)", root);
	}
	return root;
}

int state_lock(void)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/containers", state_root());
	if (mkdir_p(path) < 0)
		return warn_errno("mkdir %s", path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return warn_errno("lock %s", path);
	return fd;
}

void state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static bool name_valid(const char *name)
{
	size_t n =
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	return n > 0 && n < 64 && name[n] == '\0' && name[0] != '.' && name[0] != '-';
}

/*
 * Names: STATE/names/NAME is a symlink to the id, made with symlink(2),
 * which fails if it exists: a name is claimed in one step, and found
 * without reading every record (the time of `run` stays flat with 100
 * containers running). A link whose record is gone is stale and replaced.
 */
static void name_path(const char *name, char *path, size_t size)
{
	snprintf(path, size, "%s/names/%s", state_root(), name);
}

static int claim_name(const char *name, const char *id)
{
	char path[600], old[32], dir[600];
	ssize_t n;

	name_path(name, path, sizeof(path));
	if (symlink(id, path) == 0)
		return 0;
	if (errno == ENOENT && mkdir_p(dirname(strdupa(path))) == 0 && symlink(id, path) == 0)
		return 0;
	if (errno != EEXIST)
		return warn_errno("symlink %s", path);
	n = readlink(path, old, sizeof(old) - 1);
	old[n > 0 ? n : 0] = '\0';
	snprintf(dir, sizeof(dir), "%s/containers/%s", state_root(), old);
	if (n > 0 && access(dir, F_OK) == 0)
		return warn("the name '%s' is already in use", name);
	if (unlink(path) < 0 || symlink(id, path) < 0) /* stale: its record is gone */
		return warn_errno("symlink %s", path);
	return 0;
}

int state_create(struct container *c, const char *name)
{
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return warn_errno("getrandom");
	for (int i = 0; i < 8; i++)
		sprintf(c->id + 2 * i, "%02x", rnd[i]);
	if (name && strlen(name) > 63)
		return warn("bad container name '%.20s...': names are at most 63 characters", name);
	if (name && (name[0] == '.' || name[0] == '-'))
		return warn("bad container name '%s': a name starts with a letter, digit or '_'",
			    name);
	if (name && !name_valid(name))
		return warn("bad container name '%s': use letters, digits, '_', '.' and '-'", name);
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	if (!name)
		snprintf(c->name, sizeof(c->name), "ctr-%.6s", c->id);
	if (claim_name(c->name, c->id) < 0)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s/containers/%s", state_root(), c->id);
	if (mkdir(c->dir, 0700) < 0)
		return warn_errno("mkdir %s", c->dir);
	c->created = time(NULL);
	snprintf(c->status, sizeof(c->status), "created");
	if (state_save(c) < 0) { /* a full /run: no directory that no command would list */
		remove_tree(c->dir);
		return -1;
	}
	return 0;
}

/* VALUE with '%', '=' and every control character as %XX: one line, never a second key. */
static void put(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s=", key);
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '%' || *p == '=')
			fprintf(f, "%%%02x", *p);
		else
			fputc(*p, f);
	fputc('\n', f);
}

static void put_num(FILE *f, const char *key, const char *fmt, unsigned long long n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), fmt, n);
	put(f, key, buf);
}

/*
 * A record's files are written to STATE/ID/FILE.tmp.PID (TMP: its name) and
 * renamed into place by record_commit(): a reader never sees half a file.
 */
static FILE *record_open(const struct container *c, const char *file, char *tmp, size_t size)
{
	FILE *f;

	snprintf(tmp, size, "%s/%s.tmp.%d", c->dir, file, (int)getpid());
	if (!(f = fopen(tmp, "we")))
		warn_errno("write %s", tmp);
	return f;
}

static int record_commit(const struct container *c, const char *file, FILE *f, const char *tmp)
{
	char path[600];
	bool failed = ferror(f); /* (fclose reports only the last write's error) */

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	if ((fclose(f) != 0) | failed || rename(tmp, path) < 0) {
		warn_errno("write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int state_write_pairs(const struct container *c, const char *file, char *const pairs[])
{
	char tmp[600];
	FILE *f = record_open(c, file, tmp, sizeof(tmp));

	if (!f)
		return -1;
	for (; pairs[0] && pairs[1]; pairs += 2)
		put(f, pairs[0], pairs[1]);
	return record_commit(c, file, f, tmp);
}

int state_save(const struct container *c)
{
	char tmp[600];
	FILE *f = record_open(c, "state", tmp, sizeof(tmp));

	if (!f)
		return -1;
	put(f, "id", c->id);
	put(f, "name", c->name);
	put(f, "status", c->status);
	put_num(f, "monitor_pid", "%llu", c->monitor_pid);
	put_num(f, "monitor_start", "%llu", c->monitor_start);
	put_num(f, "init_pid", "%llu", c->init_pid);
	put_num(f, "init_start", "%llu", c->init_start);
	put_num(f, "exit_code", "%llu", c->exit_code);
	put_num(f, "created", "%llu", c->created);
	put(f, "image", c->image);
	put(f, "command", c->command);
	put(f, "ip", c->ip);
	put(f, "network", c->network);
	put(f, "ports", c->ports);
	put_num(f, "remove", "%llu", c->remove);
	put_num(f, "caps", "%llx", c->caps);
	put_num(f, "seccomp", "%llu", c->seccomp);
	put_num(f, "no_new_privs", "%llu", c->no_new_privs);
	put_num(f, "userns", "%llu", c->userns);
	return record_commit(c, "state", f, tmp);
}

/* Undo put() in place; false if V holds a bad escape. */
static bool unescape(char *v)
{
	char *out = v;

	for (; *v; v++) {
		unsigned int byte;

		if (*v != '%')
			*out++ = *v;
		else if (sscanf(v + 1, "%2x", &byte) == 1 && isxdigit(v[1]) && isxdigit(v[2]) &&
			 byte)
			*out++ = (char)byte, v += 2;
		else
			return false;
	}
	*out = '\0';
	return true;
}

int state_read_pairs(const struct container *c, const char *file,
		     void (*fn)(const char *key, const char *value, void *arg), void *arg)
{
	char path[600], *line = NULL;
	size_t size = 0;
	ssize_t n;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", c->dir, file);
	if (!(f = fopen(path, "re")))
		return -1;
	while (ret == 0 && (n = getline(&line, &size, f)) > 0) {
		char *v = strchr(line, '=');

		if (!v || line[n - 1] != '\n') {
			ret = warn("%s: damaged", path);
			break;
		}
		line[n - 1] = '\0';
		*v++ = '\0';
		if (!unescape(v))
			ret = warn("%s: damaged", path);
		else
			fn(line, v, arg);
	}
	free(line);
	fclose(f);
	return ret;
}

/* A whole decimal (or, with BASE 16, hex) number no larger than MAX; false otherwise. */
static bool number(const char *v, int base, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(v, &end, base);
	return *v && isxdigit(*v) && !*end && errno == 0 && *out <= max;
}

#define TEXT(field)	      (strlen(v) < sizeof(field) ? (memcpy(field, v, strlen(v) + 1), true) : false)
#define NUM(field, base, max) (number(v, base, max, &n) ? ((field) = n, true) : false)

/* Set the field named K from the text V: false if V is not a value it can hold. */
static bool set_field(struct container *c, const char *k, const char *v)
{
	unsigned long long n;

	if (!strcmp(k, "id"))
		return TEXT(c->id);
	if (!strcmp(k, "name"))
		return TEXT(c->name);
	if (!strcmp(k, "status"))
		return TEXT(c->status);
	if (!strcmp(k, "monitor_pid"))
		return NUM(c->monitor_pid, 10, INT32_MAX);
	if (!strcmp(k, "monitor_start"))
		return NUM(c->monitor_start, 10, ULLONG_MAX);
	if (!strcmp(k, "init_pid"))
		return NUM(c->init_pid, 10, INT32_MAX);
	if (!strcmp(k, "init_start"))
		return NUM(c->init_start, 10, ULLONG_MAX);
	if (!strcmp(k, "exit_code"))
		return NUM(c->exit_code, 10, 255);
	if (!strcmp(k, "created"))
		return NUM(c->created, 10, INT64_MAX);
	if (!strcmp(k, "image"))
		return TEXT(c->image);
	if (!strcmp(k, "command"))
		return TEXT(c->command);
	if (!strcmp(k, "ip"))
		return TEXT(c->ip);
	if (!strcmp(k, "network"))
		return TEXT(c->network);
	if (!strcmp(k, "ports"))
		return TEXT(c->ports);
	if (!strcmp(k, "remove"))
		return NUM(c->remove, 10, 1);
	if (!strcmp(k, "caps"))
		return NUM(c->caps, 16, ULLONG_MAX);
	if (!strcmp(k, "seccomp"))
		return NUM(c->seccomp, 10, 1);
	if (!strcmp(k, "no_new_privs"))
		return NUM(c->no_new_privs, 10, 1);
	if (!strcmp(k, "userns"))
		return NUM(c->userns, 10, 1);
	return true; /* a field of a later version: ignored */
}

static bool one_of(const char *v, const char *const set[])
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return true;
	return false;
}

/* NULL if C, read from directory ID, may be acted on; else the first field that is wrong. */
static const char *invalid_field(const struct container *c, const char *id)
{
	static const char *const statuses[] = {"created", "running", "exited", NULL};
	static const char *const networks[] = {"bridge", "none", "host", "slirp", NULL};
	struct in_addr addr;

	if (strlen(c->id) != 16 || strspn(c->id, "0123456789abcdef") != 16 || strcmp(c->id, id))
		return "id";
	if (!name_valid(c->name))
		return "name";
	if (!one_of(c->status, statuses))
		return "status";
	if (c->monitor_pid <= 1 || !c->monitor_start)
		return "monitor_pid";
	/* Only a container still being set up has no init yet. */
	if (c->init_pid == 0 ? c->init_start || !strcmp(c->status, "running")
			     : c->init_pid <= 1 || !c->init_start)
		return "init_pid";
	if (!one_of(c->network, networks))
		return "network";
	if (c->ip[0] && inet_pton(AF_INET, c->ip, &addr) != 1)
		return "ip";
	if (strspn(c->ports, "0123456789.:/,tcpud") != strlen(c->ports))
		return "ports";
	return NULL;
}

/* Read the record in DIR (whose last component is the id); -1 if damaged, reported. */
static int state_load(const char *dir, const char *id, struct container *c)
{
	char path[600], line[2048];
	const char *bad = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "re");
	if (!f)
		return -1; /* being created: state_create makes the directory, then the file */
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	while (!bad && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v || !strchr(v, '\n'))
			bad = "a line";
		else if ((*v++ = '\0', v[strcspn(v, "\n")] = '\0', !unescape(v)) ||
			 !set_field(c, line, v))
			bad = line;
	}
	fclose(f);
	if (!bad)
		bad = invalid_field(c, id);
	if (bad)
		return warn("ignoring the damaged record %s: bad %s", path, bad);
	return 0;
}

struct found {
	const char *key;
	struct container *out;
	int exact, prefix; /* how many match exactly (name or id), by id prefix */
	struct container first_prefix;
};

static void match(struct container *c, void *arg)
{
	struct found *f = arg;

	if (strcmp(c->name, f->key) == 0 || strcmp(c->id, f->key) == 0) {
		*f->out = *c;
		f->exact++;
	} else if (strlen(f->key) >= 4 && strncmp(c->id, f->key, strlen(f->key)) == 0) {
		f->first_prefix = *c;
		f->prefix++;
	}
}

/* KEY's record through the names index, or as an id: -1 if neither. */
static int find_direct(const char *key, struct container *c)
{
	char path[600], id[32] = "";
	ssize_t n;

	if (!name_valid(key))
		return -1;
	name_path(key, path, sizeof(path));
	n = readlink(path, id, sizeof(id) - 1);
	id[n > 0 ? n : 0] = '\0';
	if (n <= 0)
		snprintf(id, sizeof(id), "%.16s", key);
	snprintf(path, sizeof(path), "%s/containers/%s", state_root(), id);
	if (access(path, F_OK) < 0 || state_load(path, id, c) < 0)
		return -1;
	return strcmp(c->name, key) == 0 || strcmp(c->id, key) == 0 ? 0 : -1;
}

/* An exact name or id first; else a unique id prefix of 4 or more digits. */
int state_find(const char *name_or_id, struct container *c)
{
	struct found f = {.key = name_or_id, .out = c};

	if (find_direct(name_or_id, c) == 0)
		return 0;

	state_each(match, &f);
	if (f.exact == 1)
		return 0;
	if (f.exact == 0 && f.prefix == 1) {
		*c = f.first_prefix;
		return 0;
	}
	return -1;
}

static int by_created(const void *a, const void *b)
{
	const struct container *x = a, *y = b;

	return x->created < y->created ? -1 : x->created > y->created;
}

void state_each(void (*fn)(struct container *c, void *arg), void *arg)
{
	char path[256];
	struct container *all = NULL;
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/containers", state_root());
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char dir[512];

		if (e->d_name[0] == '.' || strlen(path) + strlen(e->d_name) + 2 > sizeof(dir))
			continue;
		all = realloc(all, (n + 1) * sizeof(*all));
		if (!all)
			die("out of memory");
		snprintf(dir, sizeof(dir), "%s/%s", path, e->d_name);
		if (state_load(dir, e->d_name, &all[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(all, n, sizeof(*all), by_created);
	for (size_t i = 0; i < n; i++)
		fn(&all[i], arg);
	free(all);
}

int state_remove(const struct container *c)
{
	char path[600], id[32] = "";
	ssize_t n;

	name_path(c->name, path, sizeof(path));
	n = readlink(path, id, sizeof(id) - 1);
	if (n > 0 && (id[n] = '\0', strcmp(id, c->id) == 0))
		unlink(path); /* its own: a name taken again since is not */
	if (remove_tree(c->dir) < 0)
		return warn_errno("remove %s", c->dir);
	return 0;
}
