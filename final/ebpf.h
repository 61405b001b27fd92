/*
 * ebpf.h: the cgroup v2 device allow-list, an eBPF program built by hand.
 */
#ifndef FINAL_EBPF_H
#define FINAL_EBPF_H

#include "config.h"

/*
 * Load a BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly RULES (N of
 * them) and refuses every other device, and attach it to the cgroup directory
 * DIR. -1 with errno kept, after one line naming the bpf() command and DIR.
 */
int ebpf_attach_device_rules(const char *dir, const struct device_rule *rules, int n);

#endif
