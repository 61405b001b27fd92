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

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define MAX_MOUNTS 32
#define MAX_ENV	   256
#define MAX_PORTS  16

enum network_mode { NET_BRIDGE, NET_NONE, NET_HOST };

struct mount_entry { /* OCI mounts[]: here only bind mounts (-v) */
	const char *source, *destination;
	bool readonly;
};

struct port_mapping { /* -p HOSTPORT:CTRPORT[/tcp|udp] */
	int host_port, container_port;
	const char *protocol; /* "tcp" or "udp" */
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
	struct { /* OCI linux.namespaces: which network namespace */
		enum network_mode network;
	} namespaces;
	struct {			   /* OCI linux.resources */
		unsigned long long memory; /* bytes; 0: no limit */
		const char *memory_arg;	   /* as written, for messages */
		long cpu_quota;		   /* µs per CPU_PERIOD_US; 0: no limit */
		long pids_max;		   /* 0: no limit */
	} resources;
	struct port_mapping ports[MAX_PORTS];
	int nports;
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
	bool remove;	      /* --rm */
};

#define CPU_PERIOD_US 100000

#endif
