/*
 * registry.c: the image registries the pull tests talk to.
 *
 * A real registry (Debian's docker-registry, the reference implementation
 * of the distribution spec) on 127.0.0.1 (every address, in fact, of the
 * test's own network namespace), with its storage under the test's FINAL_DATA. Images are
 * built as OCI layouts by mkimage and pushed with skopeo. Every server is
 * started with PR_SET_PDEATHSIG, so it ends with the test, even a failed one.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

const char *tests_build(void)
{
	static char dir[512];

	if (!*dir) {
		char *copy = strdup(test_rootfs);

		snprintf(dir, sizeof(dir), "%s", dirname(copy));
		free(copy);
	}
	return dir;
}

const char *regserver(void)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/regserver", tests_build());
	return path;
}

void start_server(const char *const argv[], const char *log)
{
	pid_t parent = getpid(), pid = fork();

	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		freopen(log, "a", stdout);
		dup2(1, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
}

void wait_port(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < 200; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return;
		usleep(50000);
	}
	ck_abort_msg("nothing listens on 127.0.0.1:%d after 10 s", port);
}

static void write_config(const struct test_registry *r, const char *name, int port,
			 const char *auth)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.yml", r->dir, name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fprintf(f,
		"version: 0.1\nlog: {level: warn}\n"
		"storage: {filesystem: {rootdirectory: %s/storage}, delete: {enabled: true}}\n"
		"http: {addr: \":%d\"}\n%s",
		r->dir, port, auth);
	fclose(f);
}

static void start_registry(const struct test_registry *r, const char *name, int port)
{
	char config[600], log[600];

	snprintf(config, sizeof(config), "%s/%s.yml", r->dir, name);
	snprintf(log, sizeof(log), "%s/%s.log", r->dir, name);
	start_server(CMD("/usr/bin/docker-registry", "serve", config), log);
	wait_port(port);
}

void registry_start(struct test_registry *r, const char *auth)
{
	char extra[1024] = "", log[600];

	r->port = 5000;
	r->auth_port = 5001;
	snprintf(r->dir, sizeof(r->dir), "%s/test-registry", getenv("FINAL_DATA"));
	sh("mkdir -p %s/storage", r->dir);
	write_config(r, "open", r->port, "");
	start_registry(r, "open", r->port);
	if (!auth)
		return;
	if (strcmp(auth, "htpasswd") == 0) {
		sh("%s/regserver htpasswd %s %s >%s/htpasswd", tests_build(), TEST_USER,
		   TEST_PASSWORD, r->dir);
		snprintf(extra, sizeof(extra),
			 "auth: {htpasswd: {realm: final-test, path: %s/htpasswd}}\n", r->dir);
	} else { /* token: our issuer on 5002, its certificate the registry's trust root */
		char port[8];

		snprintf(port, sizeof(port), "%d", TOKEN_PORT);
		snprintf(log, sizeof(log), "%s/issuer.log", r->dir);
		start_server(CMD(regserver(), "token", port, r->dir, TEST_USER, TEST_PASSWORD),
			     log);
		wait_port(TOKEN_PORT);
		snprintf(
		    extra, sizeof(extra),
		    "auth: {token: {realm: \"http://127.0.0.1:%d/token\", service: final-test, "
		    "issuer: final-test-issuer, rootcertbundle: %s/cert.pem}}\n",
		    TOKEN_PORT, r->dir);
	}
	write_config(r, "auth", r->auth_port, extra);
	start_registry(r, "auth", r->auth_port);
}

void registry_push(const struct test_registry *r, const char *layout, const char *name, bool docker)
{
	sh("skopeo --insecure-policy copy -q --all %s --dest-tls-verify=false oci:%s:latest "
	   "docker://127.0.0.1:%d/%s:latest",
	   docker ? "--format v2s2" : "", layout, r->port, name);
}

void build_image(const char *layout, const char *config, const char *layers)
{
	char platform[64];

	host_platform(platform, sizeof(platform));
	sh("rm -rf %s && %s/mkimage layout %s latest '%s' --platform %s %s", layout, tests_build(),
	   layout, config, platform, layers);
}

void push_image_as(const struct test_registry *r, const char *name, const char *config,
		   const char *extra, bool docker)
{
	char layout[600], layers[2048];

	snprintf(layout, sizeof(layout), "%s/layout-%s", r->dir, name);
	for (char *p = strrchr(layout, '-'); *p; p++)
		*p = *p == '/' ? '_' : *p;
	snprintf(layers, sizeof(layers), "%s/busybox-layer.tar.gz %s", tests_build(), extra);
	build_image(layout, config, layers);
	registry_push(r, layout, name, docker);
}

void push_image(const struct test_registry *r, const char *name, const char *config,
		const char *extra)
{
	push_image_as(r, name, config, extra, false);
}

void host_platform(char *out, size_t size)
{
	struct utsname u;

	uname(&u);
	snprintf(out, size, "linux/%s",
		 strcmp(u.machine, "x86_64") == 0    ? "amd64"
		 : strcmp(u.machine, "aarch64") == 0 ? "arm64"
						     : u.machine);
}
