/*
 * oci.c: final-oci, the OCI runtime command line, in runc's shape.
 *
 *   final-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup]
 *             COMMAND [OPTIONS] ID ...
 *
 * podman (through conmon) and containerd (through its shim) call a runtime
 * binary this way, with a bundle: config.json and a root filesystem. This
 * file only parses: spec.c loads config.json, bundle.c does the lifecycle.
 * The same binary answers to `final` (docker's commands) and to `final-oci`
 * (this): main() looks at its name (README: "final under real engines").
 */
#define _GNU_SOURCE
#include "oci.h"
#include "bundle.h"
#include "security.h"
#include "spec.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct option_spec {
	const char *name;   /* long name, without dashes */
	char short_name;    /* or 0 */
	const char **value; /* an option with a value, or... */
	bool *flag;	    /* ...a switch (NULL, NULL: accepted and ignored) */
};

/*
 * Options anywhere among the arguments (runc's library takes them before the
 * positional ones; engines always do), up to the MAX_POS'th positional one:
 * exec's CMD keeps its own dashes. Returns the positional arguments.
 */
static int parse_options(int argc, char **argv, const struct option_spec *opts, size_t nopts,
			 int max_pos, char **pos)
{
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		size_t k, len;

		if (a[0] != '-' || !a[1] || npos >= max_pos) {
			pos[npos++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			while (++i < argc)
				pos[npos++] = argv[i];
			break;
		}
		a += a[1] == '-' ? 2 : 1;
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (k = 0; k < nopts; k++)
			if ((strlen(opts[k].name) == len && strncmp(a, opts[k].name, len) == 0) ||
			    (len == 1 && opts[k].short_name == a[0]))
				break;
		if (k == nopts)
			die("unknown option %s (final-oci --help)", argv[i]);
		if (opts[k].value) {
			if (!eq && i + 1 >= argc)
				die("option %s needs a value", argv[i]);
			*opts[k].value = eq ? eq + 1 : argv[++i];
		} else if (opts[k].flag) {
			*opts[k].flag = !eq || strcmp(eq + 1, "false") != 0;
		}
	}
	pos[npos] = NULL;
	return npos;
}

static const char usage_text[] =
    "usage: final-oci [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] "
    "COMMAND\n"
    "  create [--bundle DIR] [--console-socket PATH] [--pid-file FILE] [--preserve-fds N] ID\n"
    "  start ID | state ID | kill ID [SIGNAL] [--all] | delete [--force] ID\n"
    "  run [create's options] [--detach] ID\n"
    "  exec [--process FILE.json] [--detach] [--pid-file FILE] [--console-socket PATH] [--tty]\n"
    "       [--cwd DIR] [--env KEY=VAL] ID [CMD...]\n"
    "  ps [--format table|json] ID | list [--quiet] [--format table|json]\n"
    "  spec [--bundle DIR] | features | --version\n";

static int spec_command(const char *bundle)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/config.json", bundle ? bundle : ".");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		die_errno("create %s", path);
	if (write(fd, spec_default(), strlen(spec_default())) < 0 || close(fd) < 0)
		die_errno("write %s", path);
	return 0;
}

static int features(void)
{
	printf("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.2.0\",\n"
	       "  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", "
	       "\"startContainer\", "
	       "\"poststart\", \"poststop\"],\n"
	       "  \"mountOptions\": [\"async\", \"atime\", \"bind\", \"dev\", \"diratime\", "
	       "\"dirsync\", \"exec\", "
	       "\"mand\", \"noatime\", \"nodev\", \"nodiratime\", \"noexec\", \"nomand\", "
	       "\"norelatime\", "
	       "\"nostrictatime\", \"nosuid\", \"private\", \"rbind\", \"relatime\", \"remount\", "
	       "\"ro\", "
	       "\"rprivate\", \"rshared\", \"rslave\", \"runbindable\", \"rw\", \"shared\", "
	       "\"slave\", "
	       "\"strictatime\", \"suid\", \"sync\", \"unbindable\"],\n"
	       "  \"linux\": {\n    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", "
	       "\"pid\", \"user\", "
	       "\"uts\"],\n    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false},\n"
	       "    \"seccomp\": {\"enabled\": true}\n  }\n}\n");
	return 0;
}

/* Everything after the global options: one command and its own. */
static int dispatch(const char *command, int argc, char **argv, struct bundle_opts *o)
{
	const char *bundle = ".", *preserve = "0", *process = NULL, *format = "table", *cwd = NULL;
	const char *env = NULL, *user = NULL;
	bool tty = false, quiet = false;
	const struct option_spec opts[] = {
	    {"bundle", 'b', &bundle, NULL},
	    {"console-socket", 0, &o->console_socket, NULL},
	    {"pid-file", 0, &o->pid_file, NULL},
	    {"preserve-fds", 0, &preserve, NULL},
	    {"detach", 'd', NULL, &o->detach},
	    {"force", 'f', NULL, &o->force},
	    {"all", 'a', NULL, &o->all},
	    {"process", 'p', &process, NULL},
	    {"tty", 't', NULL, &tty},
	    {"format", 0, &format, NULL},
	    {"quiet", 'q', NULL, &quiet},
	    {"cwd", 0, &cwd, NULL},
	    {"env", 'e', &env, NULL},
	    {"user", 'u', &user, NULL},
	    {"no-pivot", 0, NULL, NULL},
	    {"no-new-keyring", 0, NULL, NULL},
	    {"no-subreaper", 0, NULL, NULL},
	    {"keep", 0, NULL, NULL},
	};
	char **pos = calloc(argc + 1, sizeof(char *));
	bool is_exec = strcmp(command, "exec") == 0;
	int npos = parse_options(argc, argv, opts, N_ELEMS(opts), is_exec ? 1 : argc, pos);
	struct config cfg = {0};

	o->preserve_fds = atoi(preserve);
	if (strcmp(command, "spec") == 0)
		return spec_command(bundle);
	if (strcmp(command, "features") == 0)
		return features();
	if (strcmp(command, "list") == 0)
		return bundle_list(quiet, o);
	if (npos < 1)
		die("%s: no container id (final-oci --help)", command);
	if (strcmp(command, "create") == 0 || strcmp(command, "run") == 0) {
		spec_load(bundle, &cfg);
		return command[0] == 'c' ? bundle_create(&cfg, pos[0], o)
					 : bundle_run(&cfg, pos[0], o);
	}
	if (strcmp(command, "start") == 0)
		return bundle_start(pos[0], o);
	if (strcmp(command, "state") == 0)
		return bundle_state(pos[0], o);
	if (strcmp(command, "kill") == 0)
		return bundle_kill(pos[0], npos > 1 ? pos[1] : NULL, o);
	if (strcmp(command, "delete") == 0)
		return bundle_delete(pos[0], o);
	if (strcmp(command, "ps") == 0)
		return bundle_ps(pos[0], strcmp(format, "json") == 0, o);
	if (is_exec) {
		if (bundle_exec_config(pos[0], process, pos + 1, &cfg, o) < 0)
			return EXIT_RUNTIME;
		cfg.process.terminal |= tty;
		if (cwd)
			cfg.process.cwd = cwd;
		if (env && cfg.process.nenv < MAX_ENV)
			cfg.process.env[cfg.process.nenv++] = env;
		if (user && sscanf(user, "%u:%u", &cfg.process.uid, &cfg.process.gid) < 1)
			die("exec --user %s: use UID[:GID]", user);
		return bundle_exec(&cfg, pos[0], o);
	}
	die("unknown command '%s' (final-oci --help)", command);
}

int oci_main(int argc, char **argv)
{
	const char *log = NULL, *log_format = "text", *criu = NULL, *rootless = NULL;
	struct bundle_opts o = {.root = "/run/final-oci", .console_fd = -1};
	bool debug = false, version = false, help = false;
	const struct option_spec globals[] = {
	    {"root", 0, &o.root, NULL},		  {"log", 0, &log, NULL},
	    {"log-format", 0, &log_format, NULL}, {"systemd-cgroup", 0, NULL, &o.systemd_cgroup},
	    {"debug", 0, NULL, &debug},		  {"criu", 0, &criu, NULL},
	    {"rootless", 0, &rootless, NULL},	  {"version", 'v', NULL, &version},
	    {"help", 'h', NULL, &help},
	};
	char **pos = calloc(argc + 1, sizeof(char *));
	/* the global options: up to the command, which takes the rest */
	int npos = parse_options(argc - 1, argv + 1, globals, N_ELEMS(globals), 1, pos);

	if (version) {
		printf("final-oci version 1.0\nspec: 1.2.0\n");
		return 0;
	}
	if (help || npos < 1) {
		fputs(usage_text, help ? stdout : stderr);
		return help ? 0 : EXIT_USAGE;
	}
	if (log) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			log_errors_to(fd, strcmp(log_format, "json") == 0);
	}
	if (geteuid() != 0)
		die("must run as root (namespaces, cgroups and mounts need it)");
	/* CVE-2019-5736: what runs in or joins a container is a sealed copy of us (security.c) */
	if (strcmp(pos[0], "create") == 0 || strcmp(pos[0], "run") == 0 ||
	    strcmp(pos[0], "exec") == 0)
		security_run_from_sealed_copy(argv);
	return dispatch(pos[0], npos - 1, pos + 1, &o);
}
