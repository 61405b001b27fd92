/*
 * ebpf.c: the device allow-list on cgroup v2, which has no devices files.
 *
 * Since Linux 4.15 the kernel asks a program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, before a process in
 * it opens or makes a device node. The program gets the device's type, major,
 * minor and the access asked for (read, write, mknod) in a
 * struct bpf_cgroup_dev_ctx, and returns 1 to allow it or 0 to refuse it:
 * open() or mknod() then fails with EPERM. crun, runc and systemd write this
 * program from raw instructions rather than compiling C with clang; so do we,
 * and it needs no library (bpf(2), include/uapi/linux/bpf.h).
 *
 * The program, for rules like "c 1:3 rwm" and "b *:* m":
 *
 *	r2 = type, r3 = access, r4 = major, r5 = minor
 *	rule 1: if r2 != CHAR goto rule 2; if r3 & ~rwm goto rule 2;
 *		if r4 != 1 goto rule 2; if r5 != 3 goto rule 2; return 1
 *	rule 2: if r2 != BLOCK goto end; if r3 & ~m goto end; return 1
 *	end:	return 0
 */
#define _GNU_SOURCE
#include "ebpf.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The instructions we use, named as in the kernel's include/linux/filter.h. */
#define INSN(CODE, DST, SRC, OFF, IMM)                                                             \
	((struct bpf_insn){                                                                        \
	    .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM)})
#define BPF_LDX_MEM_W(DST, SRC, OFF) INSN(BPF_LDX | BPF_MEM | BPF_W, DST, SRC, OFF, 0)
#define BPF_MOV32_REG(DST, SRC)	     INSN(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU32_IMM(OP, DST, IMM)  INSN(BPF_ALU | (OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_JMP_IMM(OP, DST, IMM)    INSN(BPF_JMP | (OP) | BPF_K, DST, 0, 0, IMM) /* off: later */
#define BPF_MOV64_IMM(DST, IMM)	     INSN(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define BPF_EXIT_INSN()		     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Where the prologue leaves the access's fields (r1 holds the context). */
enum { R_TYPE = BPF_REG_2, R_ACCESS, R_MAJOR, R_MINOR };

#define ACC_ALL (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

struct program {
	struct bpf_insn insns[6 + 6 * MAX_DEVICE_RULES + 2]; /* prologue, rules, "refuse" */
	int n;
};

static void emit(struct program *p, struct bpf_insn insn)
{
	p->insns[p->n++] = insn;
}

static int access_bits(const char *access)
{
	return (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0) |
	       (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0);
}

/*
 * One rule: a test for each field it names, each jumping past the rule when
 * the access does not match; then "allow". False if the rule has no test
 * (it allows everything): the verifier refuses code that cannot be reached.
 */
static bool emit_rule(struct program *p, const struct device_rule *r)
{
	int first = p->n, refused = ~access_bits(r->access) & ACC_ALL;

	if (r->type != 'a')
		emit(p, BPF_JMP_IMM(BPF_JNE, R_TYPE,
				    r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
	if (refused) /* any access asked for that the rule does not give */
		emit(p, BPF_JMP_IMM(BPF_JSET, R_ACCESS, refused));
	if (r->major >= 0)
		emit(p, BPF_JMP_IMM(BPF_JNE, R_MAJOR, r->major));
	if (r->minor >= 0)
		emit(p, BPF_JMP_IMM(BPF_JNE, R_MINOR, r->minor));
	emit(p, BPF_MOV64_IMM(BPF_REG_0, 1));
	emit(p, BPF_EXIT_INSN());
	for (int i = first; i < p->n - 2; i++) /* offsets count from the next instruction */
		p->insns[i].off = p->n - i - 1;
	return p->n - first > 2;
}

static void build(struct program *p, const struct device_rule *rules, int n)
{
	p->n = 0;
	/* access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_* */
	emit(p, BPF_LDX_MEM_W(R_TYPE, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	emit(p, BPF_MOV32_REG(R_ACCESS, R_TYPE));
	emit(p, BPF_ALU32_IMM(BPF_AND, R_TYPE, 0xffff));
	emit(p, BPF_ALU32_IMM(BPF_RSH, R_ACCESS, 16));
	emit(p, BPF_LDX_MEM_W(R_MAJOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major)));
	emit(p, BPF_LDX_MEM_W(R_MINOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor)));
	for (int i = 0; i < n && i < MAX_DEVICE_RULES; i++)
		if (!emit_rule(p, &rules[i]))
			return;
	emit(p, BPF_MOV64_IMM(BPF_REG_0, 0));
	emit(p, BPF_EXIT_INSN());
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* The program's descriptor; the kernel keeps it while it is attached. */
static int load(const struct program *p)
{
	union bpf_attr attr = {
	    .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
	    .insns = (uintptr_t)p->insns,
	    .insn_cnt = p->n,
	    .license = (uintptr_t) "GPL", /* matters only to GPL-only helpers: we call none */
	};
	int fd = sys_bpf(BPF_PROG_LOAD, &attr);

	/* Before Linux 5.11, a program's memory counted against RLIMIT_MEMLOCK. The
	 * container's processes exist already: they keep their own limit. */
	if (fd < 0 && errno == EPERM &&
	    setrlimit(RLIMIT_MEMLOCK, &(struct rlimit){RLIM_INFINITY, RLIM_INFINITY}) == 0)
		fd = sys_bpf(BPF_PROG_LOAD, &attr);
	return fd;
}

int ebpf_attach_device_rules(const char *dir, const struct device_rule *rules, int n)
{
	struct program p;
	union bpf_attr attr = {.attach_type = BPF_CGROUP_DEVICE,
			       /* nested cgroups may add programs: all must allow */
			       .attach_flags = BPF_F_ALLOW_MULTI};
	int prog, cgroup = -1, ret = -1;

	build(&p, rules, n);
	prog = load(&p);
	if (prog < 0)
		return warn_errno("bpf(BPF_PROG_LOAD) of the device program for %s", dir);
	cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup < 0) {
		warn_errno("open %s", dir);
		goto out;
	}
	attr.target_fd = cgroup;
	attr.attach_bpf_fd = prog;
	ret = sys_bpf(BPF_PROG_ATTACH, &attr);
	if (ret < 0)
		warn_errno("bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE) to %s", dir);
out:
	if (cgroup >= 0)
		close(cgroup);
	close(prog); /* the attachment holds the program until the cgroup is removed */
	return ret;
}
