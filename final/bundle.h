/*
 * bundle.h: the OCI lifecycle of final-oci (create, start, state, kill,
 * delete; run, exec, ps, list), on a bundle's config.json.
 */
#ifndef FINAL_BUNDLE_H
#define FINAL_BUNDLE_H

#include "config.h"

#include <stdbool.h>

/* The options of runc's command line that these commands use. */
struct bundle_opts {
	const char *root;	    /* --root: the records, one directory per container */
	const char *console_socket; /* --console-socket: where the pty's master goes */
	int console_fd;		    /* ...or this socket (run on our own terminal); -1: none */
	const char *pid_file;	    /* --pid-file */
	int preserve_fds;	    /* --preserve-fds N: 3 .. 3+N-1 reach the process */
	bool systemd_cgroup;	    /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
	bool detach, force, all;    /* run/exec -d, delete --force, kill --all */
};

/* Each returns the command's exit status. */
int bundle_create(struct config *cfg, const char *id, const struct bundle_opts *o);
int bundle_start(const char *id, const struct bundle_opts *o);
int bundle_run(struct config *cfg, const char *id, const struct bundle_opts *o);
int bundle_state(const char *id, const struct bundle_opts *o);
int bundle_kill(const char *id, const char *signal, const struct bundle_opts *o);
int bundle_delete(const char *id, const struct bundle_opts *o);
int bundle_ps(const char *id, bool json_format, const struct bundle_opts *o);
int bundle_list(bool quiet, const struct bundle_opts *o);
/* exec: CFG from the container's config.json, with PROCESS_JSON's process or ARGS. */
int bundle_exec_config(const char *id, const char *process_json, char **args, struct config *cfg,
		       const struct bundle_opts *o);
int bundle_exec(struct config *cfg, const char *id, const struct bundle_opts *o);

#endif
