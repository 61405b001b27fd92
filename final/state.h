/*
 * state.h: what final remembers about each container between commands.
 *
 * One directory per container under the state root (FINAL_STATE, default
 * /run/final: a tmpfs, so a reboot forgets containers that cannot survive
 * one anyway), holding a "state" file of key=value lines and, for detached
 * containers, the "log". ps, stop, rm, logs and exec read it; the monitor
 * (the final process that waits for the container) writes it.
 *
 * The container chooses part of what is written (its command line), so no
 * value may become a key: values are %-escaped (a newline is "%0a"), and
 * every record is validated when it is read (the id is its directory's
 * name, pids are > 1 with a start time, the status one of three). A record
 * that fails is reported and left alone: nothing is deleted or signalled on
 * the strength of a field that was not validated.
 */
#ifndef FINAL_STATE_H
#define FINAL_STATE_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

struct container {
	char id[17]; /* 16 hex digits */
	char name[64];
	char dir[512];	   /* its state directory */
	char status[16];   /* "created" (being set up), "running" (complete), "exited" */
	pid_t monitor_pid; /* the final process that waits for it */
	pid_t init_pid;	   /* its PID 1, as the host numbers it; 0 until it exists */
	unsigned long long monitor_start, init_start; /* their start times: see pidfd.h */
	int exit_code;
	time_t created;
	char image[512];	    /* ROOTFS as given */
	char command[512];	    /* CMD, for ps */
	char ip[16];		    /* its address on the bridge, or "" */
	char network[8];	    /* bridge, none, host */
	char ports[256];	    /* -p mappings, "8080:80/tcp,..." */
	bool remove;		    /* --rm */
	unsigned long long caps;    /* what exec gives a new process: the capabilities... */
	bool seccomp, no_new_privs; /* ...the filter and no_new_privs of the container */
	bool userns;		    /* --userns=remap: exec joins its user namespace too */
};

const char *state_root(void);
/* Where writable layers and unpacked images live (FINAL_DATA, default /var/lib/final). */
const char *data_root(void);
/* Serialise commands that create, rename or clean up containers. */
int state_lock(void);
void state_unlock(int fd);
/* Under the lock: a new id, the given or a generated name (unique), and its directory. */
int state_create(struct container *c, const char *name);
int state_save(const struct container *c);
/*
 * Another file of the record, STATE/ID/FILE, in the same encoding: KEY=VALUE
 * lines from PAIRS (key, value, key, value, ..., NULL), a key again for each
 * item of a list; read back, unescaped, one FN(KEY, VALUE) a line (-1: no
 * such file, or a damaged one, said).
 */
int state_write_pairs(const struct container *c, const char *file, char *const pairs[]);
int state_read_pairs(const struct container *c, const char *file,
		     void (*fn)(const char *key, const char *value, void *arg), void *arg);
/* Find a container by name or id (or a unique id prefix). */
int state_find(const char *name_or_id, struct container *c);
/* Call FN for every container, oldest first. */
void state_each(void (*fn)(struct container *c, void *arg), void *arg);
int state_remove(const struct container *c);

#endif
