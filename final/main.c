/*
 * main.c: final's command line. Parses it into one struct config and hands
 * it to container.c; nothing else happens here.
 *
 *   final run [OPTIONS] ROOTFS|IMAGE [CMD [ARG...]]
 *   final pull [--platform P] [-q] IMAGE | images | rmi IMAGE...
 *   final login [-u USER] [-p PASSWORD | --password-stdin] [SERVER] | logout [SERVER]
 *   final ps [-a] | exec [-i] [-t] NAME CMD... | stop [-t SECS] NAME
 *   final rm [-f] NAME | logs [-f] NAME | --help | COMMAND --help
 *
 * Called final-oci (the link `make final` makes), the same binary speaks the
 * OCI runtime's command line instead: oci.c.
 */
#define _GNU_SOURCE
#include "config.h"
#include "container.h"
#include "image.h"
#include "oci.h"
#include "registry.h"
#include "security.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static const char *const usage_text[][2] = {
    {"run", "run [OPTIONS] ROOTFS|IMAGE [CMD [ARG...]]   run CMD in a new container\n"
	    "  ROOTFS is a directory or a .tar/.tar.gz/.tgz root filesystem (CMD needed);\n"
	    "  anything else is an IMAGE name (alpine, host:port/repo:tag), pulled if not here,\n"
	    "  whose Entrypoint, Cmd, Env, WorkingDir and User are the defaults\n"
	    "  --entrypoint PROG      run PROG instead of the image's Entrypoint\n"
	    "  --platform OS/ARCH     the image variant to pull (default: this machine's)\n"
	    "  --name NAME           name the container (default: ctr-<id>)\n"
	    "  -d                    detach: run in the background, print the id\n"
	    "  -i                    keep stdin open\n"
	    "  -t                    allocate a pseudo-terminal\n"
	    "  -h NAME               hostname (default: the short id)\n"
	    "  -m, --memory SIZE     memory limit: bytes or k, m, g suffix\n"
	    "  --cpus N              CPU limit, fractions of one CPU\n"
	    "  --pids-limit N        process limit\n"
	    "  --network MODE        bridge (default), none or host\n"
	    "  -p HOST:CTR[/PROTO]   publish a container port on the host (tcp or udp)\n"
	    "  -v SRC:DST[:ro]       bind-mount a host path\n"
	    "  -e KEY=VAL            set an environment variable\n"
	    "  -w DIR                working directory inside\n"
	    "  -u UID[:GID]          run CMD as this user\n"
	    "  --read-only           mount the root read-only\n"
	    "  --rm                  remove the container when it exits\n"
	    "  --cap-add CAP, --cap-drop CAP   change the default capabilities (ALL: every one)\n"
	    "  --security-opt seccomp=unconfined     no system call filter\n"
	    "  --security-opt no-new-privileges=false  let setuid binaries gain privileges\n"
	    "  --ulimit NAME=SOFT[:HARD]   a resource limit (nofile, nproc, core, ...)\n"
	    "  --timings             print how long each phase took, on stderr"},
    {"ps", "ps [-a]                      list running containers (-a: all)"},
    {"exec", "exec [-i] [-t] NAME CMD...  run CMD in a running container"},
    {"stop", "stop [-t SECS] NAME         SIGTERM, then SIGKILL after SECS (10)"},
    {"rm", "rm [-f] NAME                remove a container (-f: kill it first)"},
    {"logs", "logs [-f] NAME              output of a detached container (-f: follow)"},
    {"attach", "attach NAME                 the terminal of a container run with -dit;\n"
	       "                             Ctrl-P Ctrl-Q detaches"},
    {"pull", "pull [--platform OS/ARCH] [-q] IMAGE   fetch an image (-q: no progress)"},
    {"images", "images                      list the images pulled here"},
    {"rmi", "rmi IMAGE...                remove images, and layers no other image uses"},
    {"login", "login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]\n"
	      "                              store credentials for SERVER (default docker.io)"},
    {"logout", "logout [SERVER]             forget SERVER's credentials"},
};

static int usage(const char *command, FILE *out, int status)
{
	for (size_t i = 0; i < N_ELEMS(usage_text); i++)
		if (!command || strcmp(command, usage_text[i][0]) == 0)
			fprintf(out, "%s%s\n", command ? "usage: final " : "  final ",
				usage_text[i][1]);
	return status;
}

/* A user's mistake: one line, exit 125 (docker's status for bad flags). */
static void bad(const char *what, const char *value, const char *hint)
{
	fprintf(stderr, "final: bad %s '%s': %s\n", what, value, hint);
	exit(EXIT_RUNTIME);
}

/*** values ***/

static unsigned long long parse_size(const char *s)
{
	unsigned long long n;
	int shift = 0;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)*s))
		return 0;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case '\0':
		return n;
	default:
		return 0;
	}
	return end[1] || n > (~0ULL >> shift) ? 0 : n << shift;
}

static long parse_long(const char *s, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno || end == s || *end || n < min || n > max ? -1 : n;
}

static void parse_port(struct config *cfg, const char *arg)
{
	struct port_mapping *p = &cfg->ports[cfg->nports];
	char proto[8] = "tcp";
	int n = 0;

	if (cfg->nports == MAX_PORTS)
		bad("-p", arg, "too many ports");
	if (sscanf(arg, "%d:%d%n/%7s", &p->host_port, &p->container_port, &n, proto) < 2 ||
	    (arg[n] && arg[n] != '/') || p->host_port < 1 || p->host_port > 65535 ||
	    p->container_port < 1 || p->container_port > 65535 ||
	    (strcmp(proto, "tcp") && strcmp(proto, "udp")))
		bad("-p", arg, "use HOSTPORT:CONTAINERPORT[/tcp|udp], like 8080:80");
	p->protocol = strcmp(proto, "udp") ? "tcp" : "udp";
	cfg->nports++;
}

static void parse_volume(struct config *cfg, char *arg)
{
	struct mount_entry *m = &cfg->mounts[cfg->nmounts];
	char *copy = strdup(arg), *dst = strchr(copy, ':'), *mode;

	if (cfg->nmounts == MAX_MOUNTS)
		bad("-v", arg, "too many volumes");
	if (!dst || copy[0] != '/' || dst[1] != '/')
		bad("-v", arg, "use /HOST/PATH:/CONTAINER/PATH[:ro]");
	*dst++ = '\0';
	mode = strchr(dst, ':');
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") && strcmp(mode, "rw"))
			bad("-v", arg, "the mode is ro or rw");
	}
	if (access(copy, F_OK) < 0)
		bad("-v", arg, "the host path does not exist");
	*m = (struct mount_entry){copy, dst, mode && strcmp(mode, "ro") == 0};
	cfg->nmounts++;
}

static void parse_user(struct config *cfg, const char *arg)
{
	char *colon = strchr(arg, ':');
	long uid = parse_long(colon ? strndup(arg, colon - arg) : arg, 0, 65535 * 65536L);
	long gid = colon ? parse_long(colon + 1, 0, 65535 * 65536L) : uid;

	if (uid < 0 || gid < 0)
		bad("-u", arg, "use a numeric UID[:GID]");
	cfg->process.uid = uid;
	cfg->process.gid = gid;
	cfg->process.user_set = true;
}

static void parse_env(struct config *cfg, const char *arg)
{
	if (cfg->process.nenv == MAX_ENV)
		bad("-e", arg, "too many variables");
	if (!strchr(arg, '=')) { /* -e KEY: the host's value, as docker does */
		const char *v = getenv(arg);

		if (!v)
			return;
		arg = xasprintf("%s=%s", arg, v);
	}
	cfg->process.env[cfg->process.nenv++] = arg;
}

/*** commands ***/

enum {
	OPT_NAME = 256,
	OPT_CPUS,
	OPT_PIDS,
	OPT_NETWORK,
	OPT_READ_ONLY,
	OPT_RM,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_SECURITY_OPT,
	OPT_ULIMIT,
	OPT_TIMINGS,
	OPT_ENTRYPOINT,
	OPT_PLATFORM,
	OPT_PASSWORD_STDIN,
	OPT_HELP
};

/* --cap-add and --cap-drop, in any order: drops first, then adds, as docker. */
static uint64_t cap_add, cap_drop;
static bool quiet; /* pull -q */

static void parse_cap(int opt, const char *arg)
{
	uint64_t bits = security_cap_bits(arg);

	if (!bits)
		bad(opt == OPT_CAP_ADD ? "--cap-add" : "--cap-drop", arg,
		    "use a capability name, like NET_ADMIN, or ALL");
	if (opt == OPT_CAP_ADD)
		cap_add |= bits;
	else
		cap_drop |= bits;
}

static void parse_security_opt(struct config *cfg, const char *arg)
{
	if (strcmp(arg, "seccomp=unconfined") == 0)
		cfg->security.seccomp = false;
	else if (strcmp(arg, "no-new-privileges") == 0 ||
		 strcmp(arg, "no-new-privileges=true") == 0)
		cfg->security.no_new_privs = true;
	else if (strcmp(arg, "no-new-privileges=false") == 0)
		cfg->security.no_new_privs = false;
	else
		bad("--security-opt", arg,
		    "use seccomp=unconfined or no-new-privileges[=true|false]");
}

static void parse_ulimit(struct config *cfg, const char *arg)
{
	static const struct {
		const char *name;
		int resource;
	} names[] = {{"core", RLIMIT_CORE},	    {"cpu", RLIMIT_CPU},
		     {"data", RLIMIT_DATA},	    {"fsize", RLIMIT_FSIZE},
		     {"locks", RLIMIT_LOCKS},	    {"memlock", RLIMIT_MEMLOCK},
		     {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
		     {"nofile", RLIMIT_NOFILE},	    {"nproc", RLIMIT_NPROC},
		     {"rss", RLIMIT_RSS},	    {"rtprio", RLIMIT_RTPRIO},
		     {"rttime", RLIMIT_RTTIME},	    {"sigpending", RLIMIT_SIGPENDING},
		     {"stack", RLIMIT_STACK}};
	typeof(cfg->security.rlimits[0]) *r = &cfg->security.rlimits[cfg->security.nrlimits];
	unsigned long long soft, hard;
	char name[16];
	int n = 0;

	if (cfg->security.nrlimits == (int)N_ELEMS(cfg->security.rlimits) ||
	    sscanf(arg, "%15[a-z]=%llu%n", name, &soft, &n) != 2)
		bad("--ulimit", arg, "use NAME=SOFT[:HARD], like nofile=1024:4096");
	hard = soft;
	if (arg[n] == ':' && sscanf(arg + n + 1, "%llu", &hard) != 1)
		bad("--ulimit", arg, "use NAME=SOFT[:HARD], like nofile=1024:4096");
	if ((arg[n] && arg[n] != ':') || soft > hard)
		bad("--ulimit", arg, "use NAME=SOFT[:HARD] with SOFT no larger than HARD");
	for (size_t i = 0; i < N_ELEMS(names); i++)
		if (strcmp(names[i].name, name) == 0) {
			*r = (typeof(*r)){names[i].name, names[i].resource, {soft, hard}};
			cfg->security.nrlimits++;
			return;
		}
	bad("--ulimit", arg, "unknown limit: use nofile, nproc, core, stack, ...");
}

static void parse_run_option(struct config *cfg, int opt, char *arg)
{
	double cpus;
	char *end;

	switch (opt) {
	case OPT_NAME:
		cfg->name = arg;
		break;
	case 'd':
		cfg->detach = true;
		break;
	case 'i':
		cfg->process.interactive = true;
		break;
	case 't':
		cfg->process.terminal = true;
		break;
	case 'h':
		cfg->hostname = arg;
		break;
	case 'm':
		cfg->resources.memory_arg = arg;
		if (!(cfg->resources.memory = parse_size(arg)))
			bad("memory size", arg, "use bytes or a k, m or g suffix, like 50M");
		break;
	case OPT_CPUS:
		cpus = strtod(arg, &end);
		if (end == arg || *end || !isfinite(cpus) || cpus < 0.01 || cpus > get_nprocs())
			bad("--cpus", arg, "use a number from 0.01 to the number of CPUs");
		cfg->resources.cpu_quota = lround(cpus * CPU_PERIOD_US);
		break;
	case OPT_PIDS:
		if ((cfg->resources.pids_max = parse_long(arg, 1, 1L << 22)) < 0)
			bad("--pids-limit", arg, "use a whole number of at least 1");
		break;
	case OPT_NETWORK:
		if (strcmp(arg, "bridge") == 0)
			cfg->namespaces.network = NET_BRIDGE;
		else if (strcmp(arg, "none") == 0)
			cfg->namespaces.network = NET_NONE;
		else if (strcmp(arg, "host") == 0)
			cfg->namespaces.network = NET_HOST;
		else
			bad("--network", arg, "use bridge, none or host");
		break;
	case 'p':
		parse_port(cfg, arg);
		break;
	case 'v':
		parse_volume(cfg, arg);
		break;
	case 'e':
		parse_env(cfg, arg);
		break;
	case 'w':
		if (arg[0] != '/')
			bad("-w", arg, "use an absolute path");
		cfg->process.cwd = arg;
		break;
	case 'u':
		parse_user(cfg, arg);
		break;
	case OPT_READ_ONLY:
		cfg->root.readonly = true;
		break;
	case OPT_RM:
		cfg->remove = true;
		break;
	case OPT_CAP_ADD:
	case OPT_CAP_DROP:
		parse_cap(opt, arg);
		break;
	case OPT_SECURITY_OPT:
		parse_security_opt(cfg, arg);
		break;
	case OPT_ULIMIT:
		parse_ulimit(cfg, arg);
		break;
	case OPT_TIMINGS:
		timings_enabled = true;
		break;
	case 'q':
		quiet = true;
		break;
	case OPT_ENTRYPOINT:
		cfg->process.entrypoint = arg;
		break;
	case OPT_PLATFORM:
		if (strncmp(arg, "linux/", 6) != 0 || !arg[6])
			bad("--platform", arg, "use linux/ARCH[/VARIANT], like linux/arm64");
		cfg->platform = arg;
		break;
	}
}

static const struct option run_options[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"hostname", required_argument, NULL, 'h'},
    {"memory", required_argument, NULL, 'm'},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"pids-limit", required_argument, NULL, OPT_PIDS},
    {"network", required_argument, NULL, OPT_NETWORK},
    {"publish", required_argument, NULL, 'p'},
    {"volume", required_argument, NULL, 'v'},
    {"env", required_argument, NULL, 'e'},
    {"workdir", required_argument, NULL, 'w'},
    {"user", required_argument, NULL, 'u'},
    {"read-only", no_argument, NULL, OPT_READ_ONLY},
    {"rm", no_argument, NULL, OPT_RM},
    {"detach", no_argument, NULL, 'd'},
    {"interactive", no_argument, NULL, 'i'},
    {"tty", no_argument, NULL, 't'},
    {"cap-add", required_argument, NULL, OPT_CAP_ADD},
    {"cap-drop", required_argument, NULL, OPT_CAP_DROP},
    {"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
    {"ulimit", required_argument, NULL, OPT_ULIMIT},
    {"timings", no_argument, NULL, OPT_TIMINGS},
    {"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

static const struct option pull_options[] = {
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, OPT_HELP},
    {0},
};

/*
 * Options up to the first non-option ('+'), so CMD keeps its own. Every
 * command takes --help; FLAGS are its one-letter options.
 */
static int parse(const char *command, int argc, char **argv, const char *flags,
		 const struct option *longopts, struct config *cfg, int min_args)
{
	static const struct option help_only[] = {{"help", no_argument, NULL, OPT_HELP}, {0}};
	int opt;

	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, flags, longopts ? longopts : help_only, NULL)) !=
	       -1) {
		if (opt == OPT_HELP)
			exit(usage(command, stdout, 0));
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "final %s: bad option %s (final %s --help)\n", command,
				argv[optind - 1], command);
			exit(EXIT_RUNTIME);
		}
		parse_run_option(cfg, opt, optarg);
	}
	if (argc - optind < min_args)
		exit(usage(command, stderr, EXIT_RUNTIME));
	return optind;
}

/* final login: -u, -p or --password-stdin, or asked on the terminal. */
static int login(int argc, char **argv)
{
	const char *user = NULL, *password = NULL, *server = "docker.io";
	char line[1024] = "";

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-u") == 0 && i + 1 < argc)
			user = argv[++i];
		else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
			password = argv[++i];
		else if (strcmp(argv[i], "--password-stdin") == 0)
			password = fgets(line, sizeof(line), stdin) ? line : "";
		else if (argv[i][0] == '-')
			bad("login option", argv[i],
			    "use -u USER, -p PASSWORD or --password-stdin");
		else
			server = argv[i];
	}
	if (!user || !password) {
		if (!isatty(STDIN_FILENO))
			die("login: give -u USER and -p PASSWORD (or --password-stdin)");
		if (!user) {
			fprintf(stderr, "Username: ");
			user = fgets(line, sizeof(line), stdin) ? strndup(line, strcspn(line, "\n"))
								: "";
		}
		if (!password)
			password = getpass("Password: ");
	}
	line[strcspn(line, "\n")] = '\0';
	if (!*user || !password || !*password)
		die("login: the user and the password must not be empty");
	if (registry_login(server, user, password) < 0)
		return EXIT_RUNTIME;
	printf("login to %s succeeded\n", server);
	return 0;
}

/* final pull, images, rmi, login, logout; -1 if COMMAND is none of them. */
static int image_command(const char *command, int argc, char **argv, struct config *cfg)
{
	char digest[72];
	int i, ret = 0;

	if (strcmp(command, "pull") == 0) {
		i = parse(command, argc, argv, "+q", pull_options, cfg, 1);
		if (image_pull(argv[i], cfg->platform, !quiet && isatty(STDERR_FILENO), digest) < 0)
			return EXIT_RUNTIME;
		printf("pulled %s (manifest %s)\n", argv[i], digest);
		return 0;
	}
	if (strcmp(command, "images") == 0) {
		parse(command, argc, argv, "+", NULL, cfg, 0);
		return image_list();
	}
	if (strcmp(command, "rmi") == 0) {
		for (i = parse(command, argc, argv, "+", NULL, cfg, 1); i < argc; i++)
			if (container_remove_image(argv[i]) != 0)
				ret = EXIT_RUNTIME;
		return ret;
	}
	if (strcmp(command, "login") == 0)
		return login(argc, argv);
	if (strcmp(command, "logout") == 0)
		return registry_logout(argc > 1 ? argv[1] : "docker.io") < 0 ? EXIT_RUNTIME : 0;
	return -1;
}

int main(int argc, char **argv)
{
	struct config cfg = {.namespaces.network = NET_BRIDGE,
			     .security = {.no_new_privs = true, .seccomp = true}};
	char **original_argv = argv;

	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (strcmp(self, "final-oci") == 0) /* the OCI runtime's language: oci.c */
		return oci_main(argc, argv);
	timing_start();
	const char *command = argc > 1 ? argv[1] : NULL;
	int i;

	if (!command) {
		fprintf(stderr,
			"usage: final COMMAND [ARG...] (final --help lists the commands)\n");
		return EXIT_USAGE;
	}
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
		printf("usage: final COMMAND [ARG...]\n");
		return usage(NULL, stdout, 0);
	}
	argc--, argv++;
	if (geteuid() != 0)
		die("must run as root (namespaces, cgroups, mounts and the network need it): try "
		    "sudo");
	container_reap_orphans();
	if (strcmp(command, "run") == 0) {
		/* Before anything else: the container's init will be a sealed copy of us. */
		security_run_from_sealed_copy(original_argv);
		i = parse(command, argc, argv, "+dith:m:p:v:e:w:u:", run_options, &cfg, 1);
		cfg.security.caps = (security_default_caps() & ~cap_drop) | cap_add;
		timing_mark("start: sealed copy and options");
		cfg.image = argv[i];
		cfg.process.args = &argv[i + 1];
		return container_run(&cfg);
	}
	if (strcmp(command, "exec") == 0) {
		i = parse(command, argc, argv, "+it", run_options, &cfg, 2);
		cfg.process.args = &argv[i + 1];
		return container_exec(argv[i], &cfg);
	}
	if (strcmp(command, "ps") == 0) {
		bool all = argc > 1 && strcmp(argv[1], "-a") == 0;

		parse(command, argc - all, argv + all, "+", NULL, &cfg, 0);
		return container_ps(all);
	}
	if (strcmp(command, "stop") == 0) {
		long timeout = 10;

		if (argc > 2 && strcmp(argv[1], "-t") == 0) {
			if ((timeout = parse_long(argv[2], 0, 3600)) < 0)
				bad("stop -t", argv[2], "use seconds, 0 to 3600");
			argc -= 2, argv += 2;
		}
		i = parse(command, argc, argv, "+", NULL, &cfg, 1);
		return container_stop(argv[i], timeout);
	}
	if (strcmp(command, "attach") == 0) {
		i = parse(command, argc, argv, "+", NULL, &cfg, 1);
		return container_attach(argv[i]);
	}
	if (strcmp(command, "rm") == 0 || strcmp(command, "logs") == 0) {
		bool flag = argc > 1 && strcmp(argv[1], "-f") == 0;

		i = parse(command, argc - flag, argv + flag, "+", NULL, &cfg, 1);
		return strcmp(command, "rm") == 0 ? container_rm(argv[i + flag], flag)
						  : container_logs(argv[i + flag], flag);
	}
	if ((i = image_command(command, argc, argv, &cfg)) >= 0)
		return i;
	fprintf(stderr, "final: unknown command '%s' (final --help)\n", command);
	return EXIT_RUNTIME;
}
