/*
 * config.h: everything a container is, in one structure.
 *
 * Shaped after the OCI runtime spec's config.json (process, root, hostname,
 * mounts, linux.namespaces, linux.resources): the command line fills it
 * (main.c), or a bundle's config.json (spec.c, for final-oci). Every
 * mechanism reads it; only container.c combines them.
 */
#ifndef FINAL_CONFIG_H
#define FINAL_CONFIG_H

#include "layer.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_MOUNTS	 32
#define MAX_ENV		 256
#define MAX_PORTS	 16
#define MAX_DEVICES	 16 /* --device */
#define MAX_DEVICE_RULES 32 /* the defaults below, and one per --device */

enum network_mode { NET_BRIDGE, NET_NONE, NET_HOST };

struct mount_entry { /* OCI mounts[]: here only bind mounts (-v) */
	const char *source, *destination;
	bool readonly;
};

struct port_mapping {	  /* -p [IP:][HOSTPORT]:CTRPORT[/tcp|udp], or -p CTRPORT */
	char host_ip[16]; /* only packets to this address of the host; "": any */
	int host_port;	  /* 0: a free one, chosen when the container starts */
	int container_port;
	const char *protocol; /* "tcp" or "udp" */
};

/* OCI linux.devices[]: a node --device makes in the container */
struct device_node {
	const char *path; /* in the container, under /dev */
	char type;	  /* 'c' or 'b' */
	unsigned int major, minor;
	mode_t mode; /* permission bits, as on the host */
	uid_t uid;
	gid_t gid;
};

/* OCI linux.resources.devices[]: a device the cgroup lets CMD open or make */
struct device_rule {
	char type;	    /* 'c', 'b' or 'a' (both) */
	int major, minor;   /* -1: any ("*") */
	const char *access; /* some of "rwm": read, write, mknod */
};

/*
 * Docker's default allow-list, which main.c copies into every container's
 * config: the nodes rootfs.c makes in /dev, the pseudo-terminals of its
 * devpts, and mknod of any node (making one is harmless; opening it is what
 * the cgroup refuses). Every other device, the host's disks first, cannot be
 * opened, whatever node an image ships or CAP_MKNOD makes (final/README.md).
 */
static const struct device_rule default_device_rules[] = {
    {'c', 1, 3, "rwm"},	   /* /dev/null */
    {'c', 1, 5, "rwm"},	   /* /dev/zero */
    {'c', 1, 7, "rwm"},	   /* /dev/full */
    {'c', 1, 8, "rwm"},	   /* /dev/random */
    {'c', 1, 9, "rwm"},	   /* /dev/urandom */
    {'c', 5, 0, "rwm"},	   /* /dev/tty */
    {'c', 5, 2, "rwm"},	   /* /dev/ptmx, /dev/pts/ptmx */
    {'c', 136, -1, "rwm"}, /* /dev/pts/N */
    {'c', -1, -1, "m"},	   /* mknod, not open */
    {'b', -1, -1, "m"},
};

struct config {
	struct {	     /* OCI process */
		char **args; /* CMD and its arguments */
		const char *env[MAX_ENV + 1];
		int nenv;
		const char *cwd; /* -w; "/" by default */
		uid_t uid;	 /* -u UID[:GID] */
		gid_t gid;
		bool user_set;		/* -u given: the image's User does not apply */
		const char *entrypoint; /* --entrypoint: replaces the image's Entrypoint */
		bool terminal;		/* -t: a pseudo-terminal */
		bool interactive;	/* -i: keep stdin open */
	} process;
	struct {		  /* OCI root */
		const char *path; /* the read-only lower layer: a directory */
		bool readonly;	  /* --read-only */
	} root;
	const char *hostname;
	struct mount_entry mounts[MAX_MOUNTS];
	int nmounts;
	struct device_node devices[MAX_DEVICES]; /* OCI linux.devices */
	int ndevices;
	struct { /* OCI linux.namespaces: which network namespace */
		enum network_mode network;
	} namespaces;
	struct { /* --userns=remap: root inside is range.uid outside (userns.c) */
		bool remap;
		struct id_shift range;
	} userns;
	struct {			   /* OCI linux.resources */
		unsigned long long memory; /* bytes; 0: no limit */
		const char *memory_arg;	   /* as written, for messages */
		long cpu_quota;		   /* µs per CPU_PERIOD_US; 0: no limit */
		long pids_max;		   /* 0: no limit */
		/* OCI linux.resources.devices: an allow-list, every other device refused */
		struct device_rule devices[MAX_DEVICE_RULES];
		int ndevices;
	} resources;
	struct port_mapping ports[MAX_PORTS];
	int nports;
	struct {			/* names: /etc/resolv.conf and /etc/hosts */
		const char *servers[4]; /* --dns: instead of the host's nameservers */
		int nservers;
		struct {
			const char *name, *ip;
		} hosts[16]; /* --add-host NAME:IP */
		int nhosts;
		struct {
			const char *container, *alias;
		} links[8]; /* --link NAME[:ALIAS]: its address in /etc/hosts */
		int nlinks;
	} dns;
	struct { /* OCI process.capabilities, noNewPrivileges, rlimits; linux.seccomp */
		uint64_t caps;	   /* the capabilities CMD keeps, as CAP_* bits */
		bool no_new_privs; /* on by default */
		bool seccomp;	   /* on by default; --security-opt seccomp=unconfined */
		struct {
			const char *name; /* as in --ulimit: nofile, nproc, ... */
			int resource;	  /* RLIMIT_* */
			struct rlimit limit;
		} rlimits[16];
		int nrlimits;
	} security;

	/* final-oci: what only a bundle's config.json says (spec.h); NULL for `final run` */
	struct spec *spec;

	/* runtime options, outside the OCI spec */
	const char *name;     /* --name; generated when NULL */
	const char *image;    /* ROOTFS: a directory, a tarball or an image name */
	const char *platform; /* --platform for an image pulled by run; NULL: this machine's */
	bool detach;	      /* -d */
	bool create_only;     /* final create: set up, and wait for `final start` */
	bool remove;	      /* --rm */
	char **run_argv;      /* run's options and arguments as given, for a later `start` */
	struct {	      /* --restart no|on-failure[:N]|always */
		enum { RESTART_NO, RESTART_ON_FAILURE, RESTART_ALWAYS } policy;
		int max_retries; /* on-failure:N; 0: no limit */
	} restart;
};

#define CPU_PERIOD_US 100000

#endif
