/*
 * security.h: what a process inside the container may still do.
 * Capabilities, no_new_privs, seccomp, rlimits, masked /proc paths, and the
 * runtime's own binary kept out of the container's reach.
 */
#ifndef FINAL_SECURITY_H
#define FINAL_SECURITY_H

#include "config.h"

#include <jansson.h>

#include <stddef.h>
#include <stdint.h>

/* Docker's default capability set, as a bitmask of CAP_* numbers. */
uint64_t security_default_caps(void);
/* CAP as in docker's --cap-add/--cap-drop ("NET_ADMIN", "CAP_NET_ADMIN", "ALL"): its bits, 0 if
 * unknown. */
uint64_t security_cap_bits(const char *name);

/* In the mount namespace, after /proc and /sys: mask and make read-only what runc does. */
void security_mask_paths(void);
/*
 * The default seccomp filter, compiled when final was built (seccomp-gen.c):
 * its instructions at *PROGRAM (struct sock_filter, 8 bytes each), how many
 * (0 when CFG has no filter). tiny-init loads it, for CMD and for itself
 * (plan.h); the rest of CMD's confinement is there too, with system calls.
 */
size_t security_filter(const struct config *cfg, const void **program);
/* final-oci: config.json's masked and read-only paths (NULL-terminated lists). */
void security_mask_spec_paths(const char *const *masked, const char *const *readonly);
/* final-oci: CMD's confinement with config.json's values (cfg->spec): five capability
 * sets, additional groups, its seccomp profile. Dies with a message on failure. */
void security_apply_spec(const struct config *cfg);
/* linux.seccomp compiled to a BPF program (malloc'd *BPF, *LEN bytes); -1 with a message. */
int security_compile_seccomp(json_t *profile, void **bpf, size_t *len);
/*
 * CVE-2019-5736: a process that a container can see (its init, an exec'd
 * process until its execve) must not lead to a file of the host: through
 * /proc/PID/exe it could be opened and written, and run as root on the host
 * next time. A sealed in-memory copy instead, which nothing can change, not
 * even root. security_sealed_copy() makes one named NAME (a descriptor,
 * O_CLOEXEC; -1 with a message) of the LEN bytes at BUF, or with BUF NULL
 * of this binary: `final run`'s init becomes tiny-init from one (init.c).
 * security_run_from_sealed_copy() re-executes the whole command from a copy
 * of this binary (final exec, final-oci), or returns if it runs from one.
 */
int security_sealed_copy(const char *name, const void *buf, size_t len);
void security_run_from_sealed_copy(char **argv);

#endif
