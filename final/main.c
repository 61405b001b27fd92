/*
 * main.c: final's command line. Parses it into one struct config and hands
 * it to container.c; nothing else happens here.
 *
 *   final run [OPTIONS] ROOTFS|IMAGE [CMD [ARG...]]
 *   final pull [--platform P] [-q] IMAGE | images | rmi IMAGE...
 *   final login [-u USER] [-p PASSWORD | --password-stdin] [SERVER] | logout [SERVER]
 *   final ps [-a] | exec [-i] [-t] NAME CMD... | stop [-t SECS] NAME
 *   final rm [-f] NAME | logs [-f] NAME | --help | COMMAND --help
 *   final system df | system prune [-f]
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
#include "rootless.h"
#include "security.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
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
	    "  -t                    allocate a pseudo-terminal (with -i: stdin must be one)\n"
	    "  -h NAME               hostname (default: the short id)\n"
	    "  -m, --memory SIZE     memory limit: bytes or k, m, g suffix; at least 6M\n"
	    "  --cpus N              CPU limit, fractions of one CPU\n"
	    "  --pids-limit N        process limit\n"
	    "  --network MODE        bridge (default), none or host\n"
	    "  --userns=remap        root inside is an unprivileged id outside (the ranges\n"
	    "                        of the user final-remap, made on first use); host: not\n"
	    "  -p [IP:][HOST:]CTR[/PROTO]  publish a container port on the host (tcp or udp);\n"
	    "                        no HOST: a free port (final port NAME shows it)\n"
	    "  -v SRC:DST[:ro]       bind-mount a host path\n"
	    "  --device HOST[:CTR][:PERMS]  give the container a host device (PERMS: rwm)\n"
	    "  -e KEY=VAL            set an environment variable (-e KEY: the host's value)\n"
	    "  --env-file FILE       KEY=VAL lines (blank lines and # comments skipped)\n"
	    "  --add-host NAME:IP    an /etc/hosts entry (IP host-gateway: the bridge)\n"
	    "  --dns IP              a nameserver instead of the host's\n"
	    "  --link NAME[:ALIAS]   a running container's address in /etc/hosts\n"
	    "  --restart POLICY      no (default), on-failure[:N] or always: run CMD again\n"
	    "  -w DIR                working directory inside\n"
	    "  -u UID[:GID]          run CMD as this user\n"
	    "  --read-only           mount the root read-only\n"
	    "  --rm                  remove the container when it exits\n"
	    "  --cap-add CAP, --cap-drop CAP   change the default capabilities (ALL: every one)\n"
	    "  --security-opt seccomp=unconfined     no system call filter\n"
	    "  --security-opt no-new-privileges=false  let setuid binaries gain privileges\n"
	    "  --ulimit NAME=SOFT[:HARD]   a resource limit (nofile, nproc, core, ...)\n"
	    "  --timings             print how long each phase took, on stderr"},
    {"create", "create [OPTIONS] ROOTFS|IMAGE [CMD [ARG...]]   run's options: set the\n"
	       "  container up (in the background) and print its id; it waits, \"created\",\n"
	       "  until `final start NAME` runs CMD. run is create + start (+ wait)"},
    {"ps",
     "ps [-a] [-q] [--format F]    list running containers (-a: all; -q: ids only;\n"
     "                             F: {{.ID}} {{.Names}} {{.Image}} {{.Command}} {{.Status}}\n"
     "                             {{.CreatedAt}} {{.Ports}} {{.Networks}} {{.IPAddress}})"},
    {"exec", "exec [-i] [-t] NAME CMD...  run CMD in a running container (-it: stdin a terminal)"},
    {"stop", "stop [-t SECS] NAME...      SIGTERM, then SIGKILL after SECS (10)"},
    {"rm", "rm [-f] NAME...             remove containers (-f: kill them first)"},
    {"kill", "kill [-s SIGNAL] NAME...    send SIGNAL (default KILL) to each container"},
    {"wait", "wait NAME...                until each has exited; print its exit status"},
    {"version", "version, --version          final's version"},
    {"logs", "logs [-f] NAME              output of a detached container (-f: follow)"},
    {"inspect", "inspect [-f|--format F] NAME|IMAGE...   as JSON, or F with {{.A.B}} fields"},
    {"start", "start NAME                  run a created container's CMD; or run an exited\n"
	      "                             container again: its configuration, its writable\n"
	      "                             layer, in the background"},
    {"restart", "restart NAME                stop, then start"},
    {"network", "network prune               remove the bridge final0 and its NAT table,\n"
		"                             which stay between containers (as docker0)"},
    {"stats", "stats [--no-stream] [NAME...]  CPU, memory, network, block I/O, pids"},
    {"top", "top NAME                    its processes (the host's pids)"},
    {"port", "port NAME                   its published ports: CTR/PROTO -> IP:HOSTPORT"},
    {"attach", "attach NAME                 the terminal of a container run with -dit;\n"
	       "                             Ctrl-P Ctrl-Q detaches"},
    {"pull", "pull [--platform OS/ARCH] [-q] IMAGE   fetch an image (-q: no progress)"},
    {"images", "images                      list the images pulled here"},
    {"rmi", "rmi IMAGE...                remove images, and layers no other image uses"},
    {"login", "login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]\n"
	      "                              store credentials for SERVER (default docker.io)"},
    {"logout", "logout [SERVER]             forget SERVER's credentials"},
    {"system", "system df                   disk usage: images, containers, unused layers,\n"
	       "                              partial downloads; and what prune would reclaim\n"
	       "  final system prune [-f]     remove exited containers (records and writable\n"
	       "                              layers), partial downloads and the blobs and layers\n"
	       "                              no image uses; images stay (rmi). -f: do not ask"},
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
	char *shown = strdupa(value);

	for (char *p = shown; *p; p++) /* one line, and no escape sequence reaches the terminal */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	fprintf(stderr, "final: bad %s '%s': %s\n", what, shown, hint);
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

/* -p as docker: [IP:][HOSTPORT]:CTRPORT[/tcp|udp], or CTRPORT[/PROTO] (any free host port). */
static void parse_port(struct config *cfg, const char *arg)
{
	struct port_mapping *p = &cfg->ports[cfg->nports];
	char *copy = strdupa(arg), *proto = strchr(copy, '/'), *ctr = strrchr(copy, ':'), *host;
	struct in_addr ip;

	if (cfg->nports == MAX_PORTS)
		bad("-p", arg, "too many ports");
	if (proto)
		*proto++ = '\0';
	if (ctr)
		*ctr++ = '\0';
	host = ctr ? strrchr(copy, ':') : NULL;
	if (host)
		*host++ = '\0';
	p->container_port = parse_long(ctr ? ctr : copy, 1, 65535);
	p->host_port =
	    !ctr || !*(host ? host : copy) ? 0 : parse_long(host ? host : copy, 1, 65535);
	if (p->container_port < 0 || p->host_port < 0 ||
	    (proto && strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
	    (host && inet_pton(AF_INET, copy, &ip) != 1))
		bad("-p", arg, "use [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp], like 8080:80");
	snprintf(p->host_ip, sizeof(p->host_ip), "%s", host ? copy : "");
	p->protocol = proto && strcmp(proto, "udp") == 0 ? "udp" : "tcp";
	cfg->nports++;
}

/*
 * A volume's destination may not be the root itself, nor climb with "..":
 * DST is resolved inside the container's root (rootfs.c), where
 * "/../../.." is "/" again, and a host directory bound over the root
 * would replace the whole image. docker refuses "/" too.
 */
static bool root_or_dotdot(const char *dst)
{
	bool root = true;

	for (const char *p = dst; *p; p += strcspn(p, "/")) {
		size_t len;

		p += strspn(p, "/");
		len = strcspn(p, "/");
		if (len == 2 && strncmp(p, "..", 2) == 0)
			return true;
		if (len && !(len == 1 && *p == '.'))
			root = false;
	}
	return root;
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
	if (root_or_dotdot(dst))
		bad("-v", arg, "the container path cannot be / nor contain '..'");
	if (access(copy, F_OK) < 0)
		bad("-v", arg, "the host path does not exist");
	*m = (struct mount_entry){copy, dst, mode && strcmp(mode, "ro") == 0};
	cfg->nmounts++;
}

/* r, w and m, each at most once, in any order (docker's rule). */
static bool valid_device_access(const char *access)
{
	for (const char *c = access; *c; c++)
		if (!strchr("rwm", *c) || strchr(c + 1, *c))
			return false;
	return access[0] != '\0';
}

/*
 * --device HOST[:CTR][:PERMS], docker's syntax: the node for the container's
 * /dev (OCI linux.devices), and the cgroup rule that lets it be opened.
 */
static void parse_device(struct config *cfg, const char *arg)
{
	char *host = strdup(arg), *ctr = strchr(host, ':'), *access = NULL;
	unsigned int maj, min;
	struct stat st;
	char type;

	if (cfg->ndevices == MAX_DEVICES || cfg->resources.ndevices == MAX_DEVICE_RULES)
		bad("--device", arg, "too many devices");
	if (ctr) {
		*ctr++ = '\0';
		if ((access = strchr(ctr, ':')))
			*access++ = '\0';
		else if (ctr[0] != '/') /* HOST:PERMS */
			access = ctr, ctr = NULL;
	}
	if (access && !valid_device_access(access))
		bad("--device", arg, "use HOST[:CONTAINER][:PERMS], PERMS some of r, w and m");
	if (host[0] != '/' || stat(host, &st) < 0)
		bad("--device", arg, "no such device on the host (the path must be absolute)");
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		bad("--device", arg, "not a character or block device");
	if (!ctr)
		ctr = host;
	/* /dev is final's own tmpfs: the image's mounts need not let nodes work */
	if (strncmp(ctr, "/dev/", 5) != 0 || strstr(ctr, "/..") || !ctr[5])
		bad("--device", arg, "the container's path must be under /dev/");
	type = S_ISBLK(st.st_mode) ? 'b' : 'c';
	maj = major(st.st_rdev), min = minor(st.st_rdev);
	cfg->devices[cfg->ndevices++] =
	    (struct device_node){ctr, type, maj, min, st.st_mode & 07777, st.st_uid, st.st_gid};
	cfg->resources.devices[cfg->resources.ndevices++] =
	    (struct device_rule){type, maj, min, access ? access : "rwm"};
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
	if (arg[0] == '=' || arg[0] == '\0')
		bad("-e", arg, "a variable needs a name: KEY=VALUE, or KEY for the host's value");
	if (!strchr(arg, '=')) { /* -e KEY: the host's value, as docker does */
		const char *v = getenv(arg);

		if (!v)
			return;
		arg = xasprintf("%s=%s", arg, v);
	}
	cfg->process.env[cfg->process.nenv++] = arg;
}

/* --env-file FILE: a KEY=VALUE (or KEY) a line; blank lines and '#' comments skipped. */
static void parse_env_file(struct config *cfg, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[4096];

	if (!f)
		bad("--env-file", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[strspn(line, " \t")] != '\0' && line[strspn(line, " \t")] != '#')
			parse_env(cfg, strdup(line));
	}
	fclose(f);
}

/*
 * A hostname (RFC 1123): labels of letters, digits and '-', 1 to 63 long,
 * joined by dots; the whole at most 253. It goes into the container's
 * /etc/hosts and /etc/hostname: anything else (a newline above all) would
 * add lines of the caller's choosing there.
 */
static bool hostname_valid(const char *name)
{
	size_t label = 0, len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '-' || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((isalnum((unsigned char)*p) || *p == '-') && ++label <= 63) {
			continue;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* --add-host NAME:IP (IP v4 or v6; host-gateway: the bridge's own address). */
static void parse_add_host(struct config *cfg, char *arg)
{
	char *sep = strchr(arg, ':'), buf[16];

	if (cfg->dns.nhosts == (int)N_ELEMS(cfg->dns.hosts))
		bad("--add-host", arg, "too many hosts");
	if (!sep || sep == arg)
		bad("--add-host", arg, "use NAME:IP, like db:10.0.0.5");
	*sep++ = '\0';
	if (!hostname_valid(arg))
		bad("--add-host", arg, "a host name: letters, digits, '-' and '.'");
	if (strcmp(sep, "host-gateway") != 0 && inet_pton(AF_INET, sep, buf) != 1 &&
	    inet_pton(AF_INET6, sep, buf) != 1)
		bad("--add-host", sep, "not an IP address");
	cfg->dns.hosts[cfg->dns.nhosts].name = arg;
	cfg->dns.hosts[cfg->dns.nhosts++].ip = sep;
}

/* --restart no | on-failure[:N] | always, as docker (unless-stopped: the same as always here). */
static void parse_restart(struct config *cfg, const char *arg)
{
	long n = 0;

	if (!strcmp(arg, "no"))
		cfg->restart.policy = RESTART_NO;
	else if (!strcmp(arg, "always") || !strcmp(arg, "unless-stopped"))
		cfg->restart.policy = RESTART_ALWAYS;
	else if (!strncmp(arg, "on-failure", 10) &&
		 (!arg[10] || (arg[10] == ':' && (n = parse_long(arg + 11, 1, 1000000)) > 0)))
		cfg->restart.policy = RESTART_ON_FAILURE, cfg->restart.max_retries = n;
	else
		bad("--restart", arg, "use no, on-failure[:N] or always");
}

static void parse_dns(struct config *cfg, const char *arg)
{
	char buf[16];

	if (cfg->dns.nservers == (int)N_ELEMS(cfg->dns.servers))
		bad("--dns", arg, "at most 4 servers");
	if (inet_pton(AF_INET, arg, buf) != 1 && inet_pton(AF_INET6, arg, buf) != 1)
		bad("--dns", arg, "not an IP address");
	cfg->dns.servers[cfg->dns.nservers++] = arg;
}

/*** commands ***/

enum {
	OPT_NAME = 256,
	OPT_CPUS,
	OPT_PIDS,
	OPT_NETWORK,
	OPT_USERNS,
	OPT_READ_ONLY,
	OPT_RM,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_SECURITY_OPT,
	OPT_ULIMIT,
	OPT_TIMINGS,
	OPT_ENTRYPOINT,
	OPT_PLATFORM,
	OPT_ENV_FILE,
	OPT_ADD_HOST,
	OPT_DNS,
	OPT_LINK,
	OPT_RESTART,
	OPT_DEVICE,
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
		if (!hostname_valid(arg))
			bad("-h", arg, "use letters, digits, '-' and '.', at most 63 between dots");
		cfg->hostname = arg;
		break;
	case 'm':
		cfg->resources.memory_arg = arg;
		if (!(cfg->resources.memory = parse_size(arg)))
			bad("memory size", arg, "use bytes or a k, m or g suffix, like 50M");
		/* docker's least; below it the setup itself can fail for memory (a pipe's page) */
		if (cfg->resources.memory < 6 << 20)
			bad("memory size", arg, "the least is 6M, as docker's");
		break;
	case OPT_CPUS:
		cpus = strtod(arg, &end);
		if (end == arg || *end || !isfinite(cpus) || cpus < 0.01 || cpus > get_nprocs())
			bad("--cpus", arg, "use a number from 0.01 to the number of CPUs");
		cfg->resources.cpu_quota = (long)(cpus * CPU_PERIOD_US + 0.5); /* rounded (cpus > 0) */
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
	case OPT_USERNS:
		if (strcmp(arg, "remap") != 0 && strcmp(arg, "host") != 0)
			bad("--userns", arg, "use remap or host");
		cfg->userns.remap = strcmp(arg, "remap") == 0;
		break;
	case 'p':
		parse_port(cfg, arg);
		break;
	case 'v':
		parse_volume(cfg, arg);
		break;
	case OPT_DEVICE:
		parse_device(cfg, arg);
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
	case OPT_ENV_FILE:
		parse_env_file(cfg, arg);
		break;
	case OPT_ADD_HOST:
		parse_add_host(cfg, arg);
		break;
	case OPT_DNS:
		parse_dns(cfg, arg);
		break;
	case OPT_RESTART:
		parse_restart(cfg, arg);
		break;
	case OPT_LINK:
		if (cfg->dns.nlinks == (int)N_ELEMS(cfg->dns.links))
			bad("--link", arg, "too many links");
		cfg->dns.links[cfg->dns.nlinks].container = strsep(&arg, ":");
		if (arg && !hostname_valid(arg))
			bad("--link alias", arg, "a host name: letters, digits, '-' and '.'");
		cfg->dns.links[cfg->dns.nlinks++].alias = arg;
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
    {"userns", required_argument, NULL, OPT_USERNS},
    {"publish", required_argument, NULL, 'p'},
    {"volume", required_argument, NULL, 'v'},
    {"device", required_argument, NULL, OPT_DEVICE},
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
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"add-host", required_argument, NULL, OPT_ADD_HOST},
    {"dns", required_argument, NULL, OPT_DNS},
    {"link", required_argument, NULL, OPT_LINK},
    {"restart", required_argument, NULL, OPT_RESTART},
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

/*
 * -it relays the user's keystrokes to the container's terminal, in raw mode:
 * from a pipe or a file there is no terminal to put in raw mode, and docker
 * refuses, with this line, before anything is created.
 */
static void refuse_input_not_a_tty(const struct config *cfg)
{
	if (cfg->process.interactive && cfg->process.terminal && !cfg->detach &&
	    !isatty(STDIN_FILENO)) /* -dit: stdin is not used until `final attach` */
		die("the input device is not a TTY");
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

/* final system df | prune [-f]: docker asks before it prunes, unless -f. */
static int system_command(int argc, char **argv)
{
	char answer[16] = "";
	bool force = argc == 3 && (strcmp(argv[2], "-f") == 0 || strcmp(argv[2], "--force") == 0);

	if (argc == 2 && strcmp(argv[1], "df") == 0)
		return container_system_df();
	if (argc < 2 || strcmp(argv[1], "prune") != 0 || (argc > 2 && !force))
		return usage("system", stderr, EXIT_RUNTIME);
	if (!force) {
		fprintf(stderr, "WARNING! This will remove:\n  - all stopped containers\n"
				"  - partial downloads\n  - blobs and layers no image uses\n"
				"Are you sure you want to continue? [y/N] ");
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	return container_system_prune();
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

/* ps [-a|--all] [-q|--quiet] [--format F], also as -aq. */
static int ps_command(int argc, char **argv, struct config *cfg)
{
	bool all = false, quiet = false;
	const char *format = NULL;

	for (int i = 1; i < argc; i++) {
		bool a = !strcmp(argv[i], "-a") || !strcmp(argv[i], "--all");
		bool q = !strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet");
		bool both = !strcmp(argv[i], "-aq") || !strcmp(argv[i], "-qa");

		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			format = argv[++i];
			continue;
		}
		if (!a && !q && !both)
			return parse("ps", argc - i + 1, argv + i - 1, "+", NULL, cfg, 0),
			       usage("ps", stderr, EXIT_RUNTIME); /* --help, or a bad option */
		all |= a || both;
		quiet |= q || both;
	}
	return container_ps(all, quiet, format);
}

static int signal_number(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"HUP", SIGHUP},   {"INT", SIGINT},	   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
		    {"USR1", SIGUSR1}, {"USR2", SIGUSR2},  {"TERM", SIGTERM}, {"CONT", SIGCONT},
		    {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}};
	long n = parse_long(name, 1, SIGRTMAX);

	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; n < 0 && i < N_ELEMS(sigs); i++)
		if (strcasecmp(name, sigs[i].name) == 0)
			n = sigs[i].sig;
	return n;
}

/*
 * stop [-t SECS], rm [-f], kill [-s SIG], logs [-f], wait: on each NAME, as
 * docker (logs takes one). An error for one name does not stop the others;
 * the status is then 125. -1 if COMMAND is none of these.
 */
static int for_each_name(const char *command, int argc, char **argv, struct config *cfg)
{
	static const char *const commands[] = {"stop", "rm", "kill", "logs", "wait"};
	long timeout = 10, sig = SIGKILL;
	bool flag = false;
	int i, status = 0;
	size_t which = 0;

	while (which < N_ELEMS(commands) && strcmp(command, commands[which]))
		which++;
	if (which == N_ELEMS(commands))
		return -1;
	if (which == 0 && argc > 2 && strcmp(argv[1], "-t") == 0) {
		if ((timeout = parse_long(argv[2], 0, 3600)) < 0)
			bad("stop -t", argv[2], "use seconds, 0 to 3600");
		argc -= 2, argv += 2;
	} else if (which == 2 && argc > 2 && strcmp(argv[1], "-s") == 0) {
		if ((sig = signal_number(argv[2])) < 0)
			bad("kill -s", argv[2], "use a signal name (TERM, KILL, HUP...) or number");
		argc -= 2, argv += 2;
	} else if ((which == 1 || which == 3) && argc > 1 && strcmp(argv[1], "-f") == 0) {
		flag = true;
		argc--, argv++;
	}
	i = parse(command, argc, argv, "+", NULL, cfg, 1);
	if (which == 3 && argc - i > 1)
		die("logs takes one container");
	for (; i < argc; i++) {
		int one = which == 0   ? container_stop(argv[i], timeout)
			  : which == 1 ? container_rm(argv[i], flag)
			  : which == 2 ? container_kill(argv[i], sig)
			  : which == 3 ? container_logs(argv[i], flag)
				       : container_wait(argv[i]);

		status = status ? status : one;
	}
	return status;
}

/*
 * An ordinary user that makes a container is in a user namespace of its own
 * (rootless.c): execute again, so that the process's memory belongs to it
 * (mm->user_ns is the namespace it was made in, at execve, and a clone's
 * is its parent's). A process that is not dumpable, as the container's
 * first is, is open only to CAP_SYS_PTRACE there: slirp4netns, root in our
 * namespace, joins the container's network through its /proc/PID/ns/net.
 * Root does not need it: the container's init is made sealed (init.c).
 */
static void rootless_reexec(char **argv)
{
	if (rootless())
		security_run_from_sealed_copy(argv);
}

int main(int argc, char **argv)
{
	struct config cfg = {.namespaces.network = NET_BRIDGE,
			     .security = {.no_new_privs = true, .seccomp = true}};
	char **original_argv = argv;

	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (strcmp(self, "final-oci") == 0) { /* the OCI runtime's language: oci.c */
		program_name = self;
		return oci_main(argc, argv);
	}
	timing_start();
	/* As docker's daemon does, the default device rules go into every config. */
	memcpy(cfg.resources.devices, default_device_rules, sizeof(default_device_rules));
	cfg.resources.ndevices = N_ELEMS(default_device_rules);
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
	if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
		printf("final version " FINAL_VERSION "\n");
		return 0;
	}
	argc--, argv++;
	/* An ordinary user: a user namespace of its own, where it is root (rootless.c);
	 * exec joins the container's instead. */
	if (geteuid() != 0 && rootless_enter(strcmp(command, "exec") != 0) < 0)
		return EXIT_RUNTIME;
	rootless(); /* known before any fork */
	if (strcmp(command, "run") == 0 || strcmp(command, "create") == 0) {
		rootless_reexec(original_argv);
		i = parse(command, argc, argv, "+dith:m:p:v:e:w:u:", run_options, &cfg, 1);
		cfg.security.caps = (security_default_caps() & ~cap_drop) | cap_add;
		cfg.run_argv = argv + 1;
		if (cfg.remove && cfg.restart.policy != RESTART_NO)
			die("--restart and --rm conflict: a container to restart must stay");
		timing_mark("start: options");
		if (command[0] == 'c') /* docker create: set up, in the background, not started */
			cfg.create_only = cfg.detach = true;
		refuse_input_not_a_tty(&cfg); /* (-dit, and create -it: `final attach` uses it) */
		cfg.image = argv[i];
		cfg.process.args = &argv[i + 1];
		return container_run(&cfg);
	}
	if (strcmp(command, "start") == 0 || strcmp(command, "restart") == 0) {
		const char *name;

		i = parse(command, argc, argv, "+", NULL, &cfg, 1);
		if (argc - i != 1)
			die("%s takes one container", command);
		name = argv[i];
		rootless_reexec(original_argv);
		if (command[0] == 'r' && container_stop(name, 10) != 0)
			return EXIT_RUNTIME;
		if (container_run_args(name, &argc, &argv) < 0)
			return EXIT_RUNTIME;
		i = parse("run", argc, argv, "+dith:m:p:v:e:w:u:", run_options, &cfg, 1);
		cfg.security.caps = (security_default_caps() & ~cap_drop) | cap_add;
		cfg.image = argv[i];
		cfg.process.args = &argv[i + 1];
		return container_start(name, &cfg);
	}
	if (strcmp(command, "exec") == 0) {
		/* Until CMD's execve the exec'd process is final inside the container: from
		 * the sealed copy, or a '#!/proc/self/exe' script there reaches our file. */
		security_run_from_sealed_copy(original_argv);
		i = parse(command, argc, argv, "+it", run_options, &cfg, 2);
		refuse_input_not_a_tty(&cfg);
		cfg.process.args = &argv[i + 1];
		return container_exec(argv[i], &cfg);
	}
	if (strcmp(command, "ps") == 0)
		return ps_command(argc, argv, &cfg);
	if (strcmp(command, "inspect") == 0) {
		const char *format = NULL;

		if (argc > 2 && (!strcmp(argv[1], "--format") || !strcmp(argv[1], "-f"))) {
			format = argv[2];
			argc -= 2, argv += 2;
		}
		i = parse(command, argc, argv, "+", NULL, &cfg, 1);
		return container_inspect(&argv[i], format);
	}
	if (strcmp(command, "attach") == 0 || strcmp(command, "port") == 0 ||
	    strcmp(command, "top") == 0) {
		i = parse(command, argc, argv, "+", NULL, &cfg, 1);
		return command[0] == 'a'   ? container_attach(argv[i])
		       : command[0] == 'p' ? container_port(argv[i])
					   : container_top(argv[i]);
	}
	if (strcmp(command, "network") == 0) {
		if (argc != 2 || strcmp(argv[1], "prune") != 0)
			return usage(command, stderr, EXIT_RUNTIME);
		return container_network_prune();
	}
	if (strcmp(command, "stats") == 0) {
		bool once = argc > 1 && strcmp(argv[1], "--no-stream") == 0;

		i = parse(command, argc - once, argv + once, "+", NULL, &cfg, 0);
		return container_stats(&argv[i + once], once);
	}
	if ((i = for_each_name(command, argc, argv, &cfg)) >= 0)
		return i;
	if (strcmp(command, "system") == 0) {
		if (argc > 1 && strcmp(argv[1], "--help") == 0)
			return usage(command, stdout, 0);
		return system_command(argc, argv);
	}
	if ((i = image_command(command, argc, argv, &cfg)) >= 0)
		return i;
	fprintf(stderr, "final: unknown command '%s' (final --help)\n", command);
	return EXIT_RUNTIME;
}
