/*
 * stage07_oci.c: final as an OCI runtime (issue #19): final-oci, the same
 * binary under a second name, speaks runc's command line on a bundle, and
 * podman drives it.
 *
 * Bundles are made here: config.json written by the test, root.path the
 * test rootfs itself (read-only), a directory of the test's own bound in at
 * /out for what the container has to say. The records live in a --root of
 * the test's own (under FINAL_STATE); podman's storage under FINAL_DATA.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* final-oci, beside BIN (make final makes the link). */
static const char *oci_bin(void)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s-oci", bin);
	return path;
}

static const char *oci_root(void)
{
	static char root[512];

	snprintf(root, sizeof(root), "%s/oci", getenv("FINAL_STATE"));
	return root;
}

/* final-oci --root ROOT ARGS..., waited for (20 s). */
static int oci_run(struct proc *p, const char *const args[])
{
	const char *argv[32] = {oci_bin(), "--root", oci_root()};
	int n = 3;

	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	proc_start(p, argv);
	return proc_wait(p, 20);
}

#define OCI(p, ...) oci_run((p), CMD(__VA_ARGS__))
#define OCI_OK(p, ...)                                                                             \
	do {                                                                                       \
		OCI((p), __VA_ARGS__);                                                             \
		assert_exit((p), 0);                                                               \
	} while (0)

struct bundle {
	char dir[512]; /* config.json here */
	char out[600]; /* bound at /out in the container */
};

/*
 * A bundle running ARGS (a JSON array) on the test rootfs. PROCESS_EXTRA,
 * LINUX_EXTRA and TOP_EXTRA are JSON members added to "process", "linux" and
 * the document (each starting with a comma, or "").
 */
static void make_bundle_linux(struct bundle *b, const char *args, const char *process_extra,
			      const char *linux_extra, const char *top_extra)
{
	char path[700];
	FILE *f;

	snprintf(b->dir, sizeof(b->dir), "%s/bundle-XXXXXX", getenv("FINAL_DATA"));
	ck_assert(mkdtemp(b->dir));
	snprintf(b->out, sizeof(b->out), "%s/out", b->dir);
	ck_assert(mkdir(b->out, 0777) == 0);
	snprintf(path, sizeof(path), "%s/config.json", b->dir);
	f = fopen(path, "w");
	ck_assert(f);
	fprintf(
	    f,
	    "{\"ociVersion\": \"1.0.2\",\n"
	    " \"process\": {\"args\": %s, \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0},\n"
	    "   \"env\": [\"PATH=/bin:/sbin:/usr/bin\", \"FOO=from-config\"],\n"
	    "   \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"],\n"
	    "                    \"permitted\": [\"CAP_KILL\"]}%s},\n"
	    " \"root\": {\"path\": \"%s\", \"readonly\": true},\n"
	    " \"hostname\": \"ocibox\",\n"
	    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": "
	    "\"proc\"},\n"
	    "   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	    "    \"options\": [\"nosuid\", \"mode=755\"]},\n"
	    "   {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
	    "    \"options\": [\"newinstance\", \"ptmxmode=0666\"]},\n"
	    "   {\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"%s\",\n"
	    "    \"options\": [\"rbind\", \"rw\"]}],\n"
	    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": "
	    "\"ipc\"},\n"
	    "   {\"type\": \"uts\"}, {\"type\": \"network\"}]%s}%s}\n",
	    args, process_extra, test_rootfs, b->out, linux_extra, top_extra);
	ck_assert(fclose(f) == 0);
}

#define make_bundle(b, args, process_extra, top_extra)                                             \
	make_bundle_linux((b), (args), (process_extra), "", (top_extra))

/* OUT/NAME as the container wrote it, or "" */
static const char *out_file(const struct bundle *b, const char *name)
{
	char path[700];
	const char *text;

	snprintf(path, sizeof(path), "%s/%s", b->out, name);
	text = slurp(path);
	return text ? text : "";
}

/* Poll `state ID` until it says STATUS (5 s). */
static void wait_status(const char *id, const char *status)
{
	char want[64];
	struct proc p = {0};

	snprintf(want, sizeof(want), "\"status\": \"%s\"", status);
	for (int i = 0; i < 50; i++) {
		OCI(&p, "state", id);
		if (strstr(p.out, want))
			return;
		usleep(100000);
	}
	ck_abort_msg("container %s never became %s: %s", id, status, p.out);
}

/* Nothing of container ID left: no record, no cgroup. */
static void assert_gone(const char *id)
{
	char path[600];
	struct proc p = {0};

	OCI(&p, "state", id);
	ck_assert_int_ne(p.status, 0);
	assert_contains(p.err, "does not exist");
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%sfinal-oci/%s", cgroup_v2() ? "" : "pids/",
		 id);
	ck_assert_msg(access(path, F_OK) < 0, "cgroup left behind: %s", path);
}

/*
 * The lifecycle split: after create, the container exists (a pid, a
 * cgroup, "created") but its process has not run; start runs it; the
 * process outlives both commands; delete leaves nothing.
 */
START_TEST(oci_create_start_state_delete)
{
	struct proc p = {0};
	struct bundle b;
	char pid_file[700], fifo[700];
	struct stat st;
	pid_t pid;

	make_bundle(&b, "[\"/bin/sh\", \"-c\", \"echo ran-$((6*7)) > /out/ran; sleep 100\"]", "",
		    "");
	snprintf(pid_file, sizeof(pid_file), "%s/pid", b.dir);
	OCI_OK(&p, "create", "--bundle", b.dir, "--pid-file", pid_file, "life");
	pid = atoi(slurp(pid_file));
	ck_assert_msg(pid > 1 && kill(pid, 0) == 0, "no process behind the pid file: %d", pid);
	OCI_OK(&p, "state", "life");
	assert_contains(p.out, "\"status\": \"created\"");
	assert_contains(p.out, "\"id\": \"life\"");
	ck_assert_str_eq(out_file(&b, "ran"), ""); /* created is not started */
	/* and only by its owner: /run/final-oci is 0755, a record 0711 (as runc's) */
	snprintf(fifo, sizeof(fifo), "%s/life/exec.fifo", oci_root());
	ck_assert_msg(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "no FIFO at %s", fifo);
	ck_assert_msg((st.st_mode & 0077) == 0, "%s is mode %o: any user may start the container",
		      fifo, (unsigned)(st.st_mode & 0777));
	/* nor by a process that joins it: the waiting process is not dumpable, so its
	 * descriptors (exec.fifo's) are out of reach through /proc/1/fd (CVE-2016-9962) */
	OCI(&p, "exec", "life", "/bin/sh", "-c",
	    "for f in /proc/1/fd/*; do case $(readlink $f) in *exec.fifo*) echo 1 >$f;; esac; "
	    "done 2>/dev/null; true");
	usleep(300000);
	ck_assert_msg(!out_file(&b, "ran")[0], "an exec started the container through /proc/1/fd");
	OCI_OK(&p, "start", "life");
	for (int i = 0; i < 50 && !out_file(&b, "ran")[0]; i++)
		usleep(100000);
	ck_assert_str_eq(out_file(&b, "ran"), "ran-42\n");
	OCI_OK(&p, "state", "life");
	assert_contains(p.out, "\"status\": \"running\"");
	OCI(&p, "delete", "life"); /* running: refused, and nothing changes */
	ck_assert_int_ne(p.status, 0);
	ck_assert(kill(pid, 0) == 0);
	OCI_OK(&p, "kill", "life", "KILL");
	wait_status("life", "stopped");
	OCI_OK(&p, "delete", "life");
	assert_gone("life");
}
END_TEST

/* A broken config.json: one line naming the field, nothing made. So for a missing program. */
START_TEST(oci_bad_bundles_are_refused_with_one_line)
{
	struct proc p = {0};
	struct bundle b;

	make_bundle(&b, "[\"/bin/true\"]",
		    ", \"rlimits\": [{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]", "");
	OCI(&p, "create", "--bundle", b.dir, "bad1");
	assert_exit(&p, 125);
	assert_contains(p.err, "process.rlimits[0].type");
	assert_one_line(p.err);
	ck_assert_msg(strncmp(p.err, "final-oci: ", 11) == 0, "not final-oci's own line: %s",
		      p.err); /* an engine logs it: it names the runtime it ran */
	assert_gone("bad1");
	make_bundle(&b, "[\"no-such-program\"]", "", "");
	OCI(&p, "create", "--bundle", b.dir, "bad2");
	assert_exit(&p, 125);
	assert_contains(p.err, "no-such-program: executable file not found");
	assert_one_line(p.err);
	assert_gone("bad2");
	OCI_OK(&p, "list", "--quiet");
	ck_assert_str_eq(p.out, "");
}
END_TEST

/* A unix socket listening at PATH, for --console-socket. */
static int listen_at(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert(strlen(path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
		  listen(fd, 1) == 0);
	return fd;
}

/* One descriptor received over SOCK (SCM_RIGHTS), as conmon receives the pty. */
static int receive_fd(int sock)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct cmsghdr *c;
	int fd = -1;

	ck_assert(recvmsg(sock, &msg, 0) > 0);
	c = CMSG_FIRSTHDR(&msg);
	ck_assert(c && c->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* process.terminal: the pty's master arrives on --console-socket; the process has it as stdio. */
START_TEST(oci_console_socket_receives_the_pty)
{
	struct proc p = {0};
	struct bundle b;
	char sock_path[700];
	int listener, conn, master;

	make_bundle(&b, "[\"/bin/sh\", \"-c\", \"test -t 0 && echo tty-$((6*7)); sleep 100\"]",
		    ", \"terminal\": true", "");
	snprintf(sock_path, sizeof(sock_path), "%s/console.sock", b.dir);
	listener = listen_at(sock_path);
	OCI_OK(&p, "create", "--bundle", b.dir, "--console-socket", sock_path, "tty");
	conn = accept(listener, NULL, NULL);
	ck_assert(conn >= 0);
	master = receive_fd(conn);
	OCI_OK(&p, "start", "tty");
	tty_expect(master, "tty-42");
	OCI_OK(&p, "delete", "--force", "tty");
	assert_gone("tty");
}
END_TEST

/* exec: CMD in every namespace of the container, or a process.json in place of its process. */
START_TEST(oci_exec_joins_the_container)
{
	struct proc p = {0};
	struct bundle b;
	char process[700];
	FILE *f;

	make_bundle(&b, "[\"/bin/sleep\", \"100\"]", "", "");
	OCI_OK(&p, "run", "--detach", "--bundle", b.dir, "ex");
	OCI_OK(&p, "exec", "ex", "/bin/sh", "-c", "hostname; echo $FOO; ls /out");
	ck_assert_str_eq(p.out, "ocibox\nfrom-config\n");
	/* in the init's cgroups, every hierarchy (hybrid: the unified one has no `tasks`) */
	OCI_OK(&p, "exec", "ex", "/bin/sh", "-c",
	       "[ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same || "
	       "cat /proc/self/cgroup /proc/1/cgroup");
	ck_assert_str_eq(p.out, "same\n");
	snprintf(process, sizeof(process), "%s/process.json", b.dir);
	ck_assert((f = fopen(process, "w")));
	fprintf(f, "{\"args\": [\"/bin/sh\", \"-c\", \"echo $FOO $$\"], \"cwd\": \"/\",\n"
		   " \"env\": [\"FOO=from-process\"], \"user\": {\"uid\": 0, \"gid\": 0}}\n");
	ck_assert(fclose(f) == 0);
	OCI_OK(&p, "exec", "--process", process, "ex");
	ck_assert_msg(strncmp(p.out, "from-process ", 13) == 0 && atoi(p.out + 13) > 1 &&
			  atoi(p.out + 13) < 100,
		      "not in the container's pid namespace: %s", p.out);
	OCI_OK(&p, "ps", "--format", "json", "ex");
	ck_assert_msg(p.out[0] == '[' && atoi(p.out + 1) > 1, "ps: %s", p.out);
	OCI_OK(&p, "delete", "--force", "ex");
	assert_gone("ex");
}
END_TEST

/* Hooks get the state on stdin: prestart at create, poststop at delete. */
START_TEST(oci_hooks_receive_the_state)
{
	const char *data = getenv("FINAL_DATA");
	char top[2048], path[600];
	struct proc p = {0};
	struct bundle b;

	snprintf(top, sizeof(top),
		 ", \"hooks\": {\"prestart\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", "
		 "\"cat > %s/prestart\"]}],\n"
		 "  \"poststop\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat > "
		 "%s/poststop\"]}]}",
		 data, data);
	make_bundle(&b, "[\"/bin/true\"]", "", top);
	OCI_OK(&p, "create", "--bundle", b.dir, "hooked");
	snprintf(path, sizeof(path), "%s/prestart", data);
	assert_contains(slurp(path), "\"id\": \"hooked\"");
	assert_contains(slurp(path), "\"pid\": ");
	OCI_OK(&p, "start", "hooked");
	wait_status("hooked", "stopped");
	OCI_OK(&p, "delete", "hooked");
	snprintf(path, sizeof(path), "%s/poststop", data);
	ck_assert_msg(slurp(path), "the poststop hook did not run");
	assert_contains(slurp(path), "\"status\": \"stopped\"");
	assert_gone("hooked");
}
END_TEST

/*
 * linux.seccomp, translated: a profile that refuses mkdir with EPERM. Twice:
 * the second container gets the filter from the runtime's cache of compiled
 * profiles, and must be confined the same.
 */
START_TEST(oci_seccomp_profile_is_applied_compiled_or_cached)
{
	const char *script = "[\"/bin/sh\", \"-c\", \"grep ^Seccomp: /proc/self/status; "
			     "mkdir /dev/x 2>/dev/null && echo made || echo refused\"]";
	const char *profile =
	    ", \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": "
	    "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"], \"syscalls\": [{\"names\": "
	    "[\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]}";
	struct proc p = {0};
	struct bundle b;

	make_bundle(&b, script, "", ""); /* the control: no profile, mkdir works */
	OCI_OK(&p, "run", "--bundle", b.dir, "nosc");
	ck_assert_str_eq(p.out, "Seccomp:\t0\nmade\n");
	for (int round = 0; round < 2; round++) {
		make_bundle_linux(&b, script, "", profile, "");
		OCI_OK(&p, "run", "--bundle", b.dir, round ? "sc1" : "sc0");
		ck_assert_str_eq(p.out, "Seccomp:\t2\nrefused\n");
	}
	assert_gone("sc1");
}
END_TEST

/*** podman ***/

/*
 * podman with final-oci as its runtime, everything it keeps under the
 * test's FINAL_DATA (storage: vfs, so no overlay mount outlives the test).
 * --ulimit: podman's defaults raise nofile and nproc to its own maximum,
 * above this machine's hard limits, which no runtime may exceed.
 */
static void podman_start(struct proc *p, const char *const args[])
{
	static char root[600], runroot[600], tmp[600];
	const char *argv[48] = {"/usr/bin/podman",
				"--root",
				root,
				"--runroot",
				runroot,
				"--tmpdir",
				tmp,
				"--runtime",
				oci_bin(),
				"--cgroup-manager=cgroupfs",
				"--events-backend=file",
				"--storage-driver=vfs"};
	int n = 12;

	ck_assert_msg(access(argv[0], X_OK) == 0, "podman is not installed (make deps)");
	snprintf(root, sizeof(root), "%s/podman/root", getenv("FINAL_DATA"));
	snprintf(runroot, sizeof(runroot), "%s/podman/run", getenv("FINAL_DATA"));
	snprintf(tmp, sizeof(tmp), "%s/podman/tmp", getenv("FINAL_DATA"));
	for (int i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	proc_start(p, argv);
}

static int podman(struct proc *p, const char *const args[])
{
	podman_start(p, args);
	return proc_wait(p, 60);
}

#define PODMAN(p, ...) podman((p), CMD(__VA_ARGS__))
#define ULIMITS	       "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"
/* the containers' cgroups, and conmon's (PODMAN_CGROUP/conmon, which podman leaves behind) */
#define PODMAN_CGROUP "/final-oci-podman"
#define RUN	      "run", "--cgroup-parent", PODMAN_CGROUP

/* The test rootfs as podman's image "finaltest". */
static void podman_import(void)
{
	char script[1024];
	struct proc p = {0};

	snprintf(script, sizeof(script),
		 "tar -C %s -c . | podman --root %s/podman/root --runroot %s/podman/run "
		 "--storage-driver=vfs import - finaltest >/dev/null",
		 test_rootfs, getenv("FINAL_DATA"), getenv("FINAL_DATA"));
	proc_start(&p, CMD("/bin/sh", "-c", script));
	proc_wait(&p, 60);
	assert_exit(&p, 0);
}

/* Everything podman keeps: its containers, images, the mounts of its storage, conmon's cgroups. */
static void podman_cleanup(void)
{
	struct proc p = {0};

	PODMAN(&p, "rm", "-af");
	PODMAN(&p, "system", "reset", "-f");
	proc_start(&p, CMD("/bin/sh", "-c",
			   "for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do rmdir $h" PODMAN_CGROUP
			   "/conmon $h" PODMAN_CGROUP " 2>/dev/null; done; true"));
	proc_wait(&p, 10);
}

START_TEST(podman_runs_final_oci)
{
	struct proc p = {0}, t = {.tty = true};

	enter_shared_mount_ns(); /* whatever podman mounts goes with the test */
	podman_import();
	PODMAN(&p, RUN, "--rm", "--network", "none", ULIMITS, "finaltest", "echo", "hi");
	assert_exit(&p, 0);
	ck_assert_str_eq(p.out, "hi\n");
	PODMAN(&p, RUN, "-d", "--name", "web", "--network", "none", ULIMITS, "finaltest", "sleep",
	       "100");
	assert_exit(&p, 0);
	PODMAN(&p, "exec", "web", "sh", "-c", "echo in-$((6*7)) $$");
	assert_exit(&p, 0);
	assert_contains(p.out, "in-42");
	PODMAN(&p, "stop", "-t", "1", "web");
	assert_exit(&p, 0);
	PODMAN(&p, "rm", "web");
	assert_exit(&p, 0);
	/* -it: the pty comes through the console socket to conmon */
	podman_start(&t, CMD(RUN, "--rm", "-it", "--network", "none", ULIMITS, "finaltest", "sh",
			     "-c", "test -t 0 && echo tty-$((6*7))"));
	tty_expect(t.tty_master, "tty-42");
	proc_wait(&t, 60);
	assert_exit(&t, 0);
	/* podman's own bridge (in the test's network namespace): an address on it */
	PODMAN(&p, RUN, "--rm", ULIMITS, "finaltest", "ip", "-4", "-o", "addr", "show", "eth0");
	assert_exit(&p, 0);
	assert_contains(p.out, "inet 10.");
	podman_cleanup();
}
END_TEST

/*** containerd ***/

/* ctr ARGS... against the test's own containerd at SOCK. */
static int ctr(struct proc *p, const char *sock, const char *const args[])
{
	const char *argv[32] = {"/usr/bin/ctr", "--address", sock};
	int n = 3;

	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	proc_start(p, argv);
	return proc_wait(p, 60);
}

/*
 * containerd (its runc shim, whose BinaryName ctr's --runc-binary sets)
 * drives final-oci: the path to Kubernetes' CRI. A containerd of the
 * test's own (its root, state and socket under FINAL_DATA, no CRI plugin),
 * the image imported from podman's, the native snapshotter (no overlay).
 */
START_TEST(containerd_runs_final_oci)
{
	const char *data = getenv("FINAL_DATA");
	char config[600], sock[600], log[600], archive[600], text[2048];
	struct proc p = {0};
	FILE *f;

	ck_assert_msg(access("/usr/bin/containerd", X_OK) == 0,
		      "containerd is not installed (make deps)");
	enter_shared_mount_ns();
	podman_import();
	snprintf(archive, sizeof(archive), "%s/image.tar", data);
	PODMAN(&p, "save", "--format", "docker-archive", "-o", archive, "finaltest");
	assert_exit(&p, 0);
	snprintf(config, sizeof(config), "%s/containerd.toml", data);
	snprintf(sock, sizeof(sock), "%s/containerd.sock", data);
	snprintf(log, sizeof(log), "%s/containerd.log", data);
	snprintf(text, sizeof(text),
		 "version = 2\nroot = \"%s/containerd\"\nstate = \"%s/containerd-state\"\n"
		 "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
		 "[grpc]\n  address = \"%s\"\n[ttrpc]\n  address = \"%s.ttrpc\"\n",
		 data, data, sock, sock);
	ck_assert((f = fopen(config, "w")) && fputs(text, f) >= 0 && fclose(f) == 0);
	start_server(CMD("/usr/bin/containerd", "--config", config), log);
	for (int i = 0; i < 100 && access(sock, F_OK) < 0; i++)
		usleep(100000);
	ctr(&p, sock, CMD("images", "import", "--snapshotter", "native", archive));
	assert_exit(&p, 0);
	/* The proof is a file in a directory of ours: ctr's copy of a process's output can
	 * lose a short one under load (its fifos, not the runtime), seen once in a full run. */
	snprintf(text, sizeof(text), "type=bind,src=%s,dst=/out,options=rbind:rw", data);
	ctr(&p, sock,
	    CMD("run", "--rm", "--snapshotter", "native", "--cgroup", "/final-oci/c1", "--mount",
		text, "--runc-binary", oci_bin(), "localhost/finaltest:latest", "c1", "sh", "-c",
		"echo ctr-$((6*7)) > /out/ctr-ran; hostname"));
	assert_exit(&p, 0);
	snprintf(archive, sizeof(archive), "%s/ctr-ran", data);
	ck_assert_msg(slurp(archive) && strcmp(slurp(archive), "ctr-42\n") == 0,
		      "the container did not run: %s", p.err);
	ctr(&p, sock, CMD("images", "rm", "localhost/finaltest:latest"));
	podman_cleanup();
}
END_TEST

void stage07_oci_tests(void)
{
	add_test(7, 0, oci_create_start_state_delete);
	add_test(7, 0, oci_bad_bundles_are_refused_with_one_line);
	add_test(7, 0, oci_console_socket_receives_the_pty);
	add_test(7, 0, oci_exec_joins_the_container);
	add_test(7, 0, oci_hooks_receive_the_state);
	add_test(7, 0, oci_seccomp_profile_is_applied_compiled_or_cached);
	/* The engines where they are installed (make deps installs both; the test VM has
	 * neither, and its suite runs without them). */
	if (access("/usr/bin/podman", X_OK) == 0)
		add_test(7, 0, podman_runs_final_oci);
	if (access("/usr/bin/containerd", X_OK) == 0)
		add_test(7, 0, containerd_runs_final_oci);
}
