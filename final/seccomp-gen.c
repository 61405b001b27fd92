/*
 * seccomp-gen.c: the default seccomp filter of `final run`, compiled when
 * final is built. The Makefile runs this and writes its output, a BPF
 * program, into final's image (security.c); a container's start loads it
 * as it is, without compiling it again (libseccomp took 0.7 ms of every
 * start for a program that is the same every time).
 *
 * Usage: seccomp-gen > final.seccomp
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A deny-list: everything is allowed except these, each refused with EPERM
 * (ENOSYS for clone3). Docker's profile is an allow-list, more robust
 * against syscalls added later; a deny-list reads as a list of reasons,
 * which is what this tutorial is for. Other architectures' system calls
 * (32-bit int 0x80, x32) are killed outright by libseccomp's default.
 */
static const int denied[] = {
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key), /* the kernel keyring is not namespaced */
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load), /* boot another kernel */
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module), /* code into the kernel */
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),	 /* kernel programs, kernel memory via perf */
    SCMP_SYS(userfaultfd),	 /* freezes the kernel at will: exploit helper */
    SCMP_SYS(open_by_handle_at), /* opens host files by handle (the "shocker" escape) */
    SCMP_SYS(mount),
    SCMP_SYS(umount2),
    SCMP_SYS(pivot_root), /* rearranging mounts */
    SCMP_SYS(setns),	  /* joining other namespaces */
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(reboot), /* the whole machine's */
    SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime),
    SCMP_SYS(clock_adjtime),
    SCMP_SYS(adjtimex), /* the clock is not namespaced */
    SCMP_SYS(acct),
    SCMP_SYS(quotactl), /* host-wide accounting and quotas */
    SCMP_SYS(iopl),
    SCMP_SYS(ioperm), /* raw I/O ports */
    SCMP_SYS(lookup_dcookie),
    SCMP_SYS(nfsservctl), /* obsolete, attack surface only */
};

/* New namespaces of any kind, through clone() or unshare(): each flag its own rule. */
static const unsigned long ns_flags[] = {CLONE_NEWNS,	  CLONE_NEWUTS, CLONE_NEWIPC,
					 CLONE_NEWUSER,	  CLONE_NEWPID, CLONE_NEWNET,
					 CLONE_NEWCGROUP, CLONE_NEWTIME};

int main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < N_ELEMS(denied); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	for (size_t i = 0; rc == 0 && i < N_ELEMS(ns_flags); i++) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	}
	/* clone3 passes its flags in memory, which seccomp cannot read: say it does not
	 * exist, and the C library falls back to clone(), whose flags we can check. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* TIOCSTI pushes characters into the terminal's input: the host shell's, if shared. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffff, TIOCSTI));
	if (rc == 0 && isatty(1))
		rc = -ENOTTY; /* a program, not text */
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, 1);
	if (rc < 0) {
		fprintf(stderr, "seccomp-gen: compile the default filter: %s\n", strerror(-rc));
		return 1;
	}
	seccomp_release(ctx);
	return 0;
}
