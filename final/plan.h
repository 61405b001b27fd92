/*
 * plan.h: how CMD is to start, as the runtime writes it for tiny-init.
 *
 * The runtime decides everything: CMD's arguments, environment, working
 * directory, user, capabilities, limits and seccomp program (init.c). It
 * writes that to a memfd, and tiny-init (tiny-init.c: no libc, so no
 * libcap, no libseccomp) maps it and carries it out with system calls. One
 * build of this tree makes both: native byte order and layout. Offsets count
 * from the plan's first byte, whose last byte is 0 (every string ends); an
 * array of offsets ends with 0.
 */
#ifndef FINAL_PLAN_H
#define FINAL_PLAN_H

/* tiny-init's one environment variable: the plan's descriptor */
#define PLAN_ENV "FINAL_PLAN"
#define PLAN_MAGIC 0x6e616c70u /* "plan" */

enum {
	PLAN_ROOT = 1,	       /* CMD's user is root: it keeps CAPS (else none) */
	PLAN_NO_NEW_PRIVS = 2, /* no_new_privs for CMD (the init always has it) */
	PLAN_ROOTLESS = 4,     /* setgroups() may be refused (rootless.c) */
};

struct plan_rlimit {
	unsigned long long resource, cur, max;
};

struct plan {
	unsigned int magic, flags;
	unsigned int uid, gid;
	int report;		    /* CMD's errors go there too, or -1; closed at its execve */
	int tty;		    /* CMD's terminal, or -1 */
	int gate;		    /* one read from here first if >= 0 (the start), a NUL on REPORT */
	unsigned long long caps;    /* CMD's bounding set, and what root keeps of it */
	unsigned long long ncaps;   /* the capabilities this kernel knows: 0 .. ncaps - 1 */
	unsigned long long sigmask; /* CMD's signal mask */
	unsigned long long nrlimits, rlimits; /* struct plan_rlimit[] */
	unsigned long long nfilter, filter;   /* struct sock_filter[], none if nfilter is 0 */
	unsigned long long cwd;		      /* a string */
	unsigned long long argv, envp;	      /* offsets of strings */
	unsigned long long size;	      /* the whole plan's */
};

#endif
