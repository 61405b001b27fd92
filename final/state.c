/*
 * state.c: container records on disk, one directory each.
 */
#define _GNU_SOURCE
#include "state.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

const char *data_root(void)
{
	const char *root = getenv("FINAL_DATA");

	return root && *root ? root : "/var/lib/final";
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

static bool name_taken(const char *name)
{
	struct container c;

	return state_find(name, &c) == 0 && strcmp(c.name, name) == 0;
}

int state_create(struct container *c, const char *name)
{
	unsigned char rnd[8];

	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return warn_errno("getrandom");
	for (int i = 0; i < 8; i++)
		sprintf(c->id + 2 * i, "%02x", rnd[i]);
	if (name && !name_valid(name))
		return warn("bad container name '%s': use letters, digits, '_', '.' and '-'", name);
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	if (!name)
		snprintf(c->name, sizeof(c->name), "ctr-%.6s", c->id);
	if (name_taken(c->name))
		return warn("the name '%s' is already in use", c->name);
	snprintf(c->dir, sizeof(c->dir), "%s/containers/%s", state_root(), c->id);
	if (mkdir(c->dir, 0700) < 0)
		return warn_errno("mkdir %s", c->dir);
	c->created = time(NULL);
	snprintf(c->status, sizeof(c->status), "created");
	return state_save(c);
}

/* Written to a temporary file and renamed: a reader never sees half a state. */
int state_save(const struct container *c)
{
	char tmp[600], path[600];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/state.tmp.%d", c->dir, (int)getpid());
	snprintf(path, sizeof(path), "%s/state", c->dir);
	f = fopen(tmp, "we");
	if (!f)
		return warn_errno("write %s", tmp);
	fprintf(
	    f,
	    "id=%s\nname=%s\nstatus=%s\nmonitor_pid=%d\ninit_pid=%d\nexit_code=%d\ncreated=%lld\n"
	    "image=%s\ncommand=%s\nip=%s\nnetwork=%s\nports=%s\nremove=%d\ncaps=%llx\n"
	    "seccomp=%d\nno_new_privs=%d\n",
	    c->id, c->name, c->status, (int)c->monitor_pid, (int)c->init_pid, c->exit_code,
	    (long long)c->created, c->image, c->command, c->ip, c->network, c->ports, c->remove,
	    c->caps, c->seccomp, c->no_new_privs);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return warn_errno("write %s", path);
	return 0;
}

#define COPY(field) snprintf(field, sizeof(field), "%s", v)

/* Set the field named K from the text V. */
static void set_field(struct container *c, const char *k, const char *v)
{
	if (strcmp(k, "id") == 0)
		COPY(c->id);
	else if (strcmp(k, "name") == 0)
		COPY(c->name);
	else if (strcmp(k, "status") == 0)
		COPY(c->status);
	else if (strcmp(k, "monitor_pid") == 0)
		c->monitor_pid = atoi(v);
	else if (strcmp(k, "init_pid") == 0)
		c->init_pid = atoi(v);
	else if (strcmp(k, "exit_code") == 0)
		c->exit_code = atoi(v);
	else if (strcmp(k, "created") == 0)
		c->created = atoll(v);
	else if (strcmp(k, "image") == 0)
		COPY(c->image);
	else if (strcmp(k, "command") == 0)
		COPY(c->command);
	else if (strcmp(k, "ip") == 0)
		COPY(c->ip);
	else if (strcmp(k, "network") == 0)
		COPY(c->network);
	else if (strcmp(k, "ports") == 0)
		COPY(c->ports);
	else if (strcmp(k, "remove") == 0)
		c->remove = atoi(v);
	else if (strcmp(k, "caps") == 0)
		c->caps = strtoull(v, NULL, 16);
	else if (strcmp(k, "seccomp") == 0)
		c->seccomp = atoi(v);
	else if (strcmp(k, "no_new_privs") == 0)
		c->no_new_privs = atoi(v);
}

static int state_load(const char *dir, struct container *c)
{
	char path[600], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/state", dir);
	f = fopen(path, "re");
	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "%s", dir);
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		set_field(c, line, v);
	}
	fclose(f);
	return c->id[0] ? 0 : -1;
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

/* An exact name or id first; else a unique id prefix of 4 or more digits. */
int state_find(const char *name_or_id, struct container *c)
{
	struct found f = {.key = name_or_id, .out = c};

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
		if (state_load(dir, &all[n]) == 0)
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
	if (remove_tree(c->dir) < 0)
		return warn_errno("remove %s", c->dir);
	return 0;
}
