/*
 * container.h: the lifecycle — run, exec, stop, remove, list, logs.
 * The only part of final that combines the mechanisms.
 */
#ifndef FINAL_CONTAINER_H
#define FINAL_CONTAINER_H

#include "config.h"

#include <stdbool.h>

/* Each returns the command's exit status. */
int container_run(struct config *cfg);
/* start NAME: run's arguments again (and its working directory, as ours). */
int container_run_args(const char *name, int *argc, char ***argv);
/* ...parsed into CFG: the stopped container NAME again, its writable layer kept. */
int container_start(const char *name, struct config *cfg);
int container_exec(const char *name, struct config *cfg);
int container_stop(const char *name, int timeout);
int container_rm(const char *name, bool force);
int container_ps(bool all, bool quiet, const char *format);
int container_kill(const char *name, int sig);
int container_wait(const char *name);
int container_logs(const char *name, bool follow);
int container_attach(const char *name);
int container_port(const char *name);
int container_inspect(char *const names[], const char *format);
int container_stats(char *const names[], bool no_stream);
int container_top(const char *name);
/* final network prune: the bridge and its NAT table, when no container uses them. */
int container_network_prune(void);
/* final rmi: the image NAME and its unshared layers, unless a container still runs on them. */
int container_remove_image(const char *name);
/* final system df: images, containers, unused layers, partial downloads; their sizes. */
int container_system_df(void);
/* final system prune: exited containers, partial downloads, unused layers. */
int container_system_prune(void);
/* Clean up after containers whose monitor died (SIGKILL): every command calls it first. */
void container_reap_orphans(void);

#endif
