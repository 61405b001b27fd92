/*
 * security.c: what root inside the container may still do.
 *
 * Namespaces hide things; they do not take away power. Root in a container
 * is root on the shared kernel: with every capability it can mount, load
 * modules, reboot, read raw disks. This file takes away what a container
 * does not need, in this order (each needs what the next one removes):
 *
 *   masked paths   (needs CAP_SYS_ADMIN: mount)            security_mask_paths()
 *   rlimits, fds   (harmless)
 *   no_new_privs   (so seccomp needs no CAP_SYS_ADMIN)
 *   seccomp        (needs CAP_SYS_ADMIN or no_new_privs)
 *   bounding set   (needs CAP_SETPCAP)
 *   setuid/setgid  (needs CAP_SETUID/SETGID; keepcaps so root keeps its set)
 *   capabilities   (the set that is left, for good)
 *   execve
 *
 * The capability and syscall choices follow docker's defaults; final/README.md
 * says why each one goes.
 */
#define _GNU_SOURCE
#include "security.h"
#include "dl.h"
#include "rootless.h"
#include "spec.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*** capabilities ***/

/* Docker's default set (moby's oci/caps/defaults.go), minus MKNOD: see README. */
static const cap_value_t default_caps[] = {
    CAP_CHOWN,	      /* chown files in its own filesystem */
    CAP_DAC_OVERRIDE, /* root ignores file permissions, as programs expect */
    CAP_FSETID,	      /* keep setuid bits when it edits its own files */
    CAP_FOWNER,	      /* chmod/utime files it does not own */
    CAP_NET_RAW,      /* ping */
    CAP_SETGID,	      /* su, login, daemons dropping privileges */
    CAP_SETUID,
    CAP_SETFCAP,	  /* install files with capabilities (package managers) */
    CAP_SETPCAP,	  /* drop its own capabilities further */
    CAP_NET_BIND_SERVICE, /* listen on ports below 1024 */
    CAP_SYS_CHROOT,	  /* chroot: harmless inside pivot_root (step 03) */
    CAP_KILL,		  /* signal its own processes of other users */
    CAP_AUDIT_WRITE,	  /* login and sshd write audit records */
};

uint64_t security_default_caps(void)
{
	uint64_t bits = 0;

	for (size_t i = 0; i < N_ELEMS(default_caps); i++)
		bits |= 1ULL << default_caps[i];
	return bits;
}

uint64_t security_cap_bits(const char *name)
{
	char lower[64] = "cap_";
	cap_value_t cap;

	if (strcasecmp(name, "ALL") == 0)
		return (cap_max_bits() >= 64 ? ~0ULL : (1ULL << cap_max_bits()) - 1);
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	for (size_t i = 0; name[i] && i + 5 < sizeof(lower); i++)
		lower[4 + i] = (char)tolower((unsigned char)name[i]);
	if (cap_from_name(lower, &cap) < 0)
		return 0;
	return 1ULL << cap;
}

/* Take out of the bounding set every capability not in KEEP: no process can regain it. */
static void drop_bounding_set(uint64_t keep)
{
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
		if (!(keep & (1ULL << cap)) && cap_drop_bound(cap) < 0 && errno != EINVAL)
			die_errno("drop capability %s from the bounding set", cap_to_name(cap));
}

/*** seccomp ***/

/* CTX as a BPF program (malloc'd *BPF, *LEN bytes), and CTX released; a negative errno if not. */
static int export_bpf(scmp_filter_ctx ctx, void **bpf, size_t *len)
{
	int fd = memfd_create("seccomp", MFD_CLOEXEC), rc = fd < 0 ? -errno : 0;
	off_t end = 0;

	/* libseccomp 2.5 exports to a descriptor only (_mem is 2.6) */
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (rc == 0 && ((end = lseek(fd, 0, SEEK_END)) <= 0 || !(*bpf = malloc(end)) ||
			pread(fd, *bpf, end, 0) != end))
		rc = -EIO;
	if (fd >= 0)
		close(fd);
	*len = end;
	return rc;
}

/*
 * The default filter (seccomp-gen.c), compiled by libseccomp when final
 * was built and carried in its image, as tiny-init is (init.c): it is the
 * same for every container, and compiling it took 0.7 ms of every start.
 */
__asm__(".pushsection .rodata\n\t.balign 16\n"
	".global default_filter\n\t.hidden default_filter\ndefault_filter:\n\t.incbin \"" SECCOMP_BPF
	"\"\n"
	".global default_filter_end\n\t.hidden default_filter_end\ndefault_filter_end:\n\t"
	".popsection\n");
extern const struct sock_filter default_filter[], default_filter_end[];

size_t security_filter(const struct config *cfg, const void **program)
{
	*program = default_filter;
	return cfg->security.seccomp ? (size_t)(default_filter_end - default_filter) : 0;
}

/*** paths ***/

/* runc's defaults: kernel memory, keys, timers, hardware; and what writes to the host's kernel. */
static const char *const masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
					     "/proc/sysrq-trigger"};

void security_mask_paths(void)
{
	struct stat st;

	for (size_t i = 0; i < N_ELEMS(masked_paths); i++) {
		const char *p = masked_paths[i];

		if (stat(p, &st) < 0)
			continue; /* not on this kernel */
		/* A directory gets an empty read-only tmpfs, a file /dev/null. */
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") < 0
					: mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
			die_errno("mask %s", p);
	}
	for (size_t i = 0; i < N_ELEMS(readonly_paths); i++) {
		const char *p = readonly_paths[i];

		if (stat(p, &st) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
			die_errno("make %s read-only", p);
	}
}

/*** the runtime's own binary ***/

int security_sealed_copy(const char *name, const void *buf, size_t len)
{
	int exe = buf ? -1 : open("/proc/self/exe", O_RDONLY | O_CLOEXEC), copy = -1;
	ssize_t n = -1;

	if ((buf || exe >= 0) && (copy = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) >= 0)
		while ((n = buf ? write(copy, buf, len) : sendfile(copy, exe, NULL, 1 << 30)) > 0)
			if (buf && (size_t)n == len)
				break;
	/* Sealed: nobody, not even root, can change this copy from now on. */
	if (n < 0 || (buf && (size_t)n != len) ||
	    fcntl(copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
		warn_errno("a sealed copy of the runtime");
		if (copy >= 0)
			close(copy);
		copy = -1;
	}
	if (exe >= 0)
		close(exe);
	return copy;
}

void security_run_from_sealed_copy(char **argv)
{
	char link[64] = "";
	int copy;

	if (readlink("/proc/self/exe", link, sizeof(link) - 1) > 0 &&
	    strncmp(link, "/memfd:", 7) == 0)
		return; /* running from the copy already */
	if ((copy = security_sealed_copy("final", NULL, 0)) < 0)
		exit(EXIT_RUNTIME);
	fexecve(copy, argv, environ);
	die_errno("fexecve the runtime's copy");
}

/*** a bundle's security (final-oci) ***/

/* config.json's maskedPaths and readonlyPaths, in place of runc's defaults above. */
void security_mask_spec_paths(const char *const *masked, const char *const *readonly)
{
	struct stat st;

	for (int i = 0; masked[i]; i++) {
		if (stat(masked[i], &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)
			? mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, "size=0") < 0
			: mount("/dev/null", masked[i], NULL, MS_BIND, NULL) < 0)
			die_errno("mask %s", masked[i]);
	}
	for (int i = 0; readonly[i]; i++) {
		if (stat(readonly[i], &st) < 0)
			continue;
		if (mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, readonly[i], NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC,
			  NULL) < 0)
			die_errno("make %s read-only", readonly[i]);
	}
}

/* "SCMP_ACT_ERRNO" and its errnoRet: libseccomp's action; -1 if unknown. */
static long seccomp_action(const char *name, json_t *ret, int def_errno)
{
	int e = ret && json_is_integer(ret) ? (int)json.integer_value(ret) : def_errno;

	if (!name)
		return -1;
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		return SCMP_ACT_ALLOW;
	if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		return SCMP_ACT_ERRNO(e);
	if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		return SCMP_ACT_KILL;
	if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		return SCMP_ACT_KILL_PROCESS;
	if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		return SCMP_ACT_TRAP;
	if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		return SCMP_ACT_TRACE(e);
	if (strcmp(name, "SCMP_ACT_LOG") == 0)
		return SCMP_ACT_LOG;
	return -1;
}

static const struct {
	const char *name;
	enum scmp_compare op;
} seccomp_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* One entry of linux.seccomp.syscalls: the same rule for each of its names. */
static void seccomp_add_syscalls(scmp_filter_ctx ctx, json_t *sc, size_t idx, uint32_t def,
				 int def_errno)
{
	json_t *names = json.object_get(sc, "names"), *args = json.object_get(sc, "args");
	json_t *act = json.object_get(sc, "action");
	long action = seccomp_action(json_is_string(act) ? json.string_value(act) : NULL,
				     json.object_get(sc, "errnoRet"), def_errno);
	struct scmp_arg_cmp cmp[6];
	unsigned int ncmp = 0;

	if (action < 0)
		die("config.json: linux.seccomp.syscalls[%zu].action: unknown", idx);
	for (size_t i = 0; args && i < json.array_size(args) && ncmp < 6; i++) {
		json_t *a = json.array_get(args, i), *op = json.object_get(a, "op");
		size_t k;

		for (k = 0; k < N_ELEMS(seccomp_ops) && json_is_string(op); k++)
			if (strcmp(json.string_value(op), seccomp_ops[k].name) == 0)
				break;
		if (!json_is_string(op) || k == N_ELEMS(seccomp_ops))
			die("config.json: linux.seccomp.syscalls[%zu].args[%zu].op: unknown", idx,
			    i);
		cmp[ncmp++] = (struct scmp_arg_cmp){
		    json.integer_value(json.object_get(a, "index")), seccomp_ops[k].op,
		    json.integer_value(json.object_get(a, "value")),
		    json.integer_value(json.object_get(a, "valueTwo"))};
	}
	if ((uint32_t)action == def)
		return; /* libseccomp refuses a rule that says what the default says */
	for (size_t i = 0; names && i < json.array_size(names); i++) {
		const char *name = json.string_value(json.array_get(names, i));
		int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
		int rc;

		if (nr == __NR_SCMP_ERROR)
			continue; /* a system call this libseccomp does not know: as runc */
		rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
		if (rc < 0 && rc != -EEXIST) {
			errno = -rc;
			die_errno("config.json: linux.seccomp.syscalls[%zu]: %s", idx, name);
		}
	}
}

/* linux.seccomp, translated to libseccomp's rules (dies naming the field). */
static scmp_filter_ctx build_spec_seccomp(json_t *profile)
{
	json_t *def_ret = json.object_get(profile, "defaultErrnoRet");
	json_t *def_act = json.object_get(profile, "defaultAction");
	json_t *arches = json.object_get(profile, "architectures");
	json_t *syscalls = json.object_get(profile, "syscalls");
	long def = seccomp_action(json_is_string(def_act) ? json.string_value(def_act) : NULL,
				  def_ret, EPERM);
	scmp_filter_ctx ctx;
	int rc;

	if (def < 0)
		die("config.json: linux.seccomp.defaultAction: unknown");
	if (!(ctx = seccomp_init(def)))
		die("seccomp_init failed");
	/* no_new_privs is process.noNewPrivileges's to decide, not libseccomp's. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	for (size_t i = 0; arches && i < json.array_size(arches); i++) {
		const char *a = json.string_value(json.array_get(arches, i));
		char lower[32] = "";
		uint32_t arch;

		for (size_t k = 0; a && a[k] && k < sizeof(lower) - 1; k++)
			lower[k] = (char)tolower((unsigned char)a[k]);
		if (strncmp(lower, "scmp_arch_", 10) != 0 ||
		    !(arch = seccomp_arch_resolve_name(lower + 10)))
			die("config.json: linux.seccomp.architectures: unknown \"%s\"", a ? a : "");
		rc = seccomp_arch_add(ctx, arch);
		if (rc < 0 && rc != -EEXIST)
			die("config.json: linux.seccomp.architectures: cannot add %s", a);
	}
	for (size_t i = 0; syscalls && i < json.array_size(syscalls); i++)
		seccomp_add_syscalls(ctx, json.array_get(syscalls, i), i, def,
				     def_ret ? (int)json.integer_value(def_ret) : EPERM);
	return ctx;
}

int security_compile_seccomp(json_t *profile, void **bpf, size_t *len)
{
	int rc = export_bpf(build_spec_seccomp(profile), bpf, len);

	if (rc < 0) {
		errno = -rc;
		return warn_errno("compile the seccomp filter of config.json");
	}
	return 0;
}

/* The filter, compiled by the parent (bundle.c keeps them) or now; as libseccomp loads it. */
static void load_spec_seccomp(const struct spec *s)
{
	void *bpf = s->seccomp_bpf;
	size_t len = s->seccomp_len;
	struct sock_fprog prog;

	if (!bpf && security_compile_seccomp(s->seccomp, &bpf, &len) < 0)
		exit(EXIT_RUNTIME);
	prog = (struct sock_fprog){.len = len / sizeof(struct sock_filter), .filter = bpf};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		die_errno("load the seccomp filter of config.json");
}

/* The five capability sets of process.capabilities, as config.json says them. */
static void set_spec_capabilities(const struct spec *s)
{
	cap_t caps = cap_init(), have = cap_get_proc();

	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++) {
		const uint64_t bit = 1ULL << cap;
		cap_flag_value_t held = CAP_CLEAR;

		/* Only what we hold: a runtime without CAP_SYS_RESOURCE cannot grant it, and
		 * a capability asked for by name is not quietly left out (runc, crun agree). */
		cap_get_flag(have, cap, CAP_PERMITTED, &held);
		if (held != CAP_SET && ((s->caps[CAP_BOUNDING] | s->caps[CAP_PERMITTED_SET] |
					 s->caps[CAP_EFFECTIVE_SET] | s->caps[CAP_INHERITABLE_SET] |
					 s->caps[CAP_AMBIENT]) &
					bit))
			die("config.json: process.capabilities: %s is not the runtime's own: it "
			    "cannot "
			    "grant it",
			    cap_to_name(cap));

		if (s->caps[CAP_PERMITTED_SET] & bit)
			cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_SET);
		if (s->caps[CAP_EFFECTIVE_SET] & bit)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_SET);
		if (s->caps[CAP_INHERITABLE_SET] & bit)
			cap_set_flag(caps, CAP_INHERITABLE, 1, &cap, CAP_SET);
	}
	if (cap_set_proc(caps) < 0)
		die_errno("set the capabilities of config.json");
	cap_free(caps);
	cap_free(have);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die_errno("clear ambient capabilities");
	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
		if (s->caps[CAP_AMBIENT] & (1ULL << cap))
			prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0,
			      0); /* as runc: best effort */
}

/*
 * The order of tiny-init's confine() (plan.h), with config.json's values. seccomp goes on
 * while CAP_SYS_ADMIN is still ours unless no_new_privs lets it go on last
 * (runc's order: the fewer system calls the runtime itself makes under the
 * container's filter, the better).
 */
void security_apply_spec(const struct config *cfg)
{
	const struct spec *s = cfg->spec;

	for (int i = 0; i < cfg->security.nrlimits; i++)
		if (setrlimit(cfg->security.rlimits[i].resource, &cfg->security.rlimits[i].limit) <
		    0)
			die_errno("setrlimit %s", cfg->security.rlimits[i].name);
	if (cfg->security.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_NO_NEW_PRIVS)");
	if (s->seccomp && !cfg->security.no_new_privs)
		load_spec_seccomp(s);
	drop_bounding_set(s->caps[CAP_BOUNDING]);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		die_errno("prctl(PR_SET_KEEPCAPS)");
	if (setgroups(s->ngroups, s->groups) < 0 && !(errno == EPERM && s->ngroups == 0))
		die_errno("setgroups (process.user.additionalGids)");
	if (setresgid(cfg->process.gid, cfg->process.gid, cfg->process.gid) < 0 ||
	    setresuid(cfg->process.uid, cfg->process.uid, cfg->process.uid) < 0)
		die_errno("become user %u:%u", (unsigned)cfg->process.uid,
			  (unsigned)cfg->process.gid);
	set_spec_capabilities(s);
	if (s->seccomp && cfg->security.no_new_privs)
		load_spec_seccomp(s);
}
