/*
 * stage07_images.c: final pull. Images come from a real registry on
 * loopback (registry.c), built by mkimage from the test rootfs and from
 * layers written entry by entry: whiteouts, an index with two platforms,
 * basic and token authentication, a tampered blob, a cut download, and
 * layers that try to write outside the image. Nothing leaves loopback.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A path under the test's FINAL_DATA (static: one at a time). */
static const char *data(const char *fmt, const char *arg)
{
	static char path[1024];
	int n = snprintf(path, sizeof(path), "%s/", getenv("FINAL_DATA"));

	snprintf(path + n, sizeof(path) - n, fmt, arg);
	return path;
}

/* How many entries (not . or ..) FINAL_DATA/SUB has. */
static int count_in(const char *sub)
{
	DIR *d = opendir(data("%s", sub));
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
	if (d)
		closedir(d);
	return n;
}

/* A layer of ENTRIES (mkimage tar's syntax): FINAL_DATA/test-registry/NAME[.tar.gz]. */
static const char *make_layer(const char *name, const char *entries)
{
	static char path[4][600];
	static int next;
	char *out = path[next++ % 4];

	snprintf(out, sizeof(path[0]), "%s/test-registry/%s%s", getenv("FINAL_DATA"), name,
		 strchr(name, '.') ? "" : ".tar.gz");
	sh("%s/mkimage tar %s %s", tests_build(), out, entries);
	return out;
}

/* The test's images: Entrypoint and Cmd combined, a user by name, Env, WorkingDir. */
#define IMAGE_CONFIG                                                                               \
	"{\"Entrypoint\":[\"/bin/sh\",\"-c\"],"                                                    \
	"\"Cmd\":[\"echo $GREETING from $(pwd) as $(id -u):$(id -g)\"],"                           \
	"\"Env\":[\"GREETING=hello\",\"PATH=/bin:/sbin\"],\"WorkingDir\":\"/tmp\","                \
	"\"User\":\"nobody\"}"

START_TEST(pull_and_run_by_name)
{
	struct test_registry r;
	struct proc p = {0};
	char ref[64], by_digest[160], digest[72] = "";

	registry_start(&r, NULL);
	push_image(&r, "busybox", IMAGE_CONFIG, "");
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/busybox", r.port);
	FINAL_OK(&p, "pull", ref);
	ck_assert_msg(!*p.err, "pull printed progress without a terminal: %s", p.err);
	ck_assert_int_eq(sscanf(strstr(p.out, "sha256:"), "%71[0-9a-z:]", digest), 1);
	FINAL_OK(&p, "images");
	assert_contains(p.out, "127.0.0.1:5000/busybox:latest");
	FINAL_OK(&p, "inspect", "--format", "{{json .RepoTags}} {{.config.User}}", ref);
	assert_out_eq(&p, "[\"127.0.0.1:5000/busybox:latest\"] nobody\n");
	/* Entrypoint + Cmd, Env, WorkingDir and User (a name, from the image's /etc/passwd). */
	FINAL_OK(&p, "run", "--rm", "--network", "none", ref);
	assert_out_eq(&p, "hello from /tmp as 65534:65534\n");
	/* The command line overrides each: CMD replaces Cmd only. */
	FINAL_OK(&p, "run", "--rm", "--network", "none", "-e", "GREETING=hi", "-w", "/", "-u", "0",
		 ref, "echo $GREETING from $(pwd) as $(id -u)");
	assert_out_eq(&p, "hi from / as 0\n");
	FINAL_OK(&p, "run", "--rm", "--network", "none", "--entrypoint", "/bin/echo", ref, "a",
		 "b");
	assert_out_eq(&p, "a b\n");
	/* NAME@DIGEST: exactly that manifest. */
	snprintf(by_digest, sizeof(by_digest), "%s@%s", ref, digest);
	FINAL_OK(&p, "run", "--rm", "--network", "none", by_digest);
	assert_out_eq(&p, "hello from /tmp as 65534:65534\n");
	/* Not while a container uses it: its layers are that container's root. */
	FINAL_OK(&p, "run", "-d", "--name", "user", "--network", "none", ref, "sleep 100");
	FINAL_REFUSES(&p, "used by container user", "rmi", ref);
	FINAL_OK(&p, "rm", "-f", "user");
	FINAL_OK(&p, "rmi", ref, by_digest);
	FINAL_OK(&p, "images");
	ck_assert_msg(!strstr(p.out, "busybox"), "still listed after rmi: %s", p.out);
	ck_assert_int_eq(count_in("layers/sha256"), 0);
	ck_assert_int_eq(count_in("blobs/sha256"), 0);
	/* run pulls an image that is not here yet; Docker's media types work as OCI's. */
	push_image_as(&r, "docker-format", IMAGE_CONFIG, "", true);
	FINAL_OK(&p, "run", "--rm", "--network", "none", "127.0.0.1:5000/docker-format");
	assert_contains(p.err, "pulling");
	assert_out_eq(&p, "hello from /tmp as 65534:65534\n");
	FINAL_OK(&p, "rmi", "127.0.0.1:5000/docker-format");
}
END_TEST

/* How many of FINAL_DATA/layers/sha256's entries are --userns=remap's copies (HEX@UID-GID). */
static int remapped_layers(void)
{
	DIR *d = opendir(data("%s", "layers/sha256"));
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strchr(e->d_name, '@') != NULL;
	if (d)
		closedir(d);
	return n;
}

/*
 * --userns=remap with an image: its layers, owned by the host's root, are
 * copied once with their owners moved into the range (the image's user
 * nobody, 65534, is the range's last id); rmi removes the copies with them.
 */
START_TEST(userns_remap_copies_an_images_layers_once)
{
	struct test_registry r;
	struct proc p = {0};
	char ref[64];
	int copies;

	use_test_remap_user();
	registry_start(&r, NULL);
	push_image(&r, "busybox", IMAGE_CONFIG, "");
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/busybox", r.port);
	FINAL_OK(&p, "pull", ref);
	FINAL_OK(&p, "run", "--rm", "--network", "none", "--userns=remap", ref);
	assert_out_eq(&p, "hello from /tmp as 65534:65534\n");
	copies = remapped_layers();
	ck_assert_int_ge(copies, 1);
	FINAL_OK(&p, "run", "--rm", "--network", "none", "--userns=remap", ref,
		 "stat -c %u:%g /etc/passwd; cat /proc/self/uid_map | wc -l");
	assert_out_eq(&p, "0:0\n1\n");
	ck_assert_int_eq(remapped_layers(), copies);
	FINAL_OK(&p, "rmi", ref);
	ck_assert_int_eq(count_in("layers/sha256"), 0);
}
END_TEST

START_TEST(progress_on_a_terminal)
{
	struct test_registry r;
	struct proc p = {.tty = true};
	const char *seen;

	registry_start(&r, NULL);
	push_image(&r, "busybox", "{}", "");
	proc_start(&p, CMD(bin, "pull", "127.0.0.1:5000/busybox"));
	seen = tty_expect(p.tty_master, "pulled");
	/* A line per blob: digest, bytes of bytes, rate. */
	assert_contains(seen, " MB / ");
	assert_contains(seen, "/s");
	proc_wait(&p, 10);
	assert_exit(&p, 0);
}
END_TEST

START_TEST(layers_apply_in_order_with_whiteouts)
{
	struct test_registry r;
	struct proc p = {0};
	char layers[1300], ref[64];

	registry_start(&r, NULL);
	snprintf(layers, sizeof(layers), "%s %s",
		 make_layer("one", "dir:data file:data/a:1 file:data/b:2 dir:keep file:keep/k:k "
				   "file:gone:x"),
		 make_layer("two.tar.zst", "file:.wh.gone: dir:data file:data/.wh..wh..opq: "
					   "file:data/c:3 file:keep/new:n"));
	push_image(&r, "layered", "{}", layers);
	push_image(&r, "other", "{}", make_layer("three", "file:other:o"));
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/layered", r.port);
	FINAL_OK(&p, "run", "--rm", "--network", "none", ref, "/bin/sh", "-c",
		 "ls /data; ls /keep; test -e /gone || echo gone-is-gone");
	assert_out_eq(&p, "c\nk\nnew\ngone-is-gone\n");
	/* Two images share the busybox layer: it is stored once (4 layers, not 5). */
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/other", r.port);
	FINAL_OK(&p, "pull", ref);
	ck_assert_int_eq(count_in("layers/sha256"), 4);
	FINAL_OK(&p, "rmi", "127.0.0.1:5000/layered");
	ck_assert_int_eq(count_in("layers/sha256"), 2); /* the shared one stays */
	FINAL_OK(&p, "run", "--rm", "--network", "none", ref, "/bin/cat", "/other");
	assert_out_eq(&p, "o");
	FINAL_OK(&p, "rmi", ref);
}
END_TEST

START_TEST(index_picks_the_platform)
{
	struct test_registry r;
	struct proc p = {0};
	char layout[600], platform[64], ref[64], want[80];

	registry_start(&r, NULL);
	host_platform(platform, sizeof(platform));
	snprintf(layout, sizeof(layout), "%s/layout-multi", r.dir);
	sh("%s/mkimage layout %s latest '{}' --platform linux/amd64 %s/busybox-layer.tar.gz %s "
	   "--platform linux/arm64 %s/busybox-layer.tar.gz %s",
	   tests_build(), layout, tests_build(), make_layer("amd64", "file:arch:linux/amd64"),
	   tests_build(), make_layer("arm64", "file:arch:linux/arm64"));
	registry_push(&r, layout, "multi", false);
	registry_push(&r, layout, "multi-docker", true); /* Docker's manifest list */
	FINAL_OK(&p, "run", "--rm", "--network", "none", "127.0.0.1:5000/multi-docker", "/bin/cat",
		 "/arch");
	assert_out_eq(&p, platform);
	FINAL_OK(&p, "rmi", "127.0.0.1:5000/multi-docker");
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/multi", r.port);
	FINAL_OK(&p, "run", "--rm", "--network", "none", ref, "/bin/cat", "/arch");
	assert_out_eq(&p, platform); /* this machine's, from the index */
	/* --platform picks another; here its layers are files, so it still runs. */
	FINAL_OK(&p, "pull", "--platform",
		 strcmp(platform, "linux/arm64") ? "linux/arm64" : "linux/amd64", ref);
	FINAL_OK(&p, "run", "--rm", "--network", "none", ref, "/bin/cat", "/arch");
	snprintf(want, sizeof(want), "%s",
		 strcmp(platform, "linux/arm64") ? "linux/arm64" : "linux/amd64");
	assert_out_eq(&p, want);
	FINAL_REFUSES(&p, "linux/amd64, linux/arm64", "pull", "--platform", "linux/s390x", ref);
	FINAL_OK(&p, "rmi", ref);
}
END_TEST

/* The registry's copy of the busybox layer (its only blob over 1 MB) altered in its last bytes. */
START_TEST(tampered_blob_is_refused)
{
	struct test_registry r;
	struct proc p = {0};

	registry_start(&r, NULL);
	push_image(&r, "tampered", "{}", "");
	sh("f=$(find %s/storage -name data -size +1000k) && [ -n \"$f\" ] && "
	   "printf TAMPERED | dd of=\"$f\" bs=1 seek=$(($(stat -c %%s \"$f\") - 8)) conv=notrunc "
	   "status=none",
	   r.dir);
	FINAL_REFUSES(&p, "sha256", "pull", "127.0.0.1:5000/tampered");
	assert_contains(p.err, "nothing kept");
	FINAL_OK(&p, "images");
	ck_assert_msg(!strstr(p.out, "tampered"), "a tampered image is listed: %s", p.out);
	ck_assert_int_eq(count_in("layers/sha256"), 0);
	ck_assert_int_eq(count_in("refs"), 0);
	ck_assert_int_eq(count_in("blobs/sha256"), 2); /* the manifest and config, verified */
}
END_TEST

START_TEST(layer_attacks_are_refused)
{
	/* {layer entries, what the error must say, a path that must not exist afterwards} */
	const char *const attacks[][3] = {
	    {"file:../../../../../../../tmp/final-dotdot:x", "'..'", "/tmp/final-dotdot"},
	    {"file:/tmp/final-absolute:x", "absolute", "/tmp/final-absolute"},
	    {"symlink:evil:/tmp file:evil/final-through-symlink:x", "symlink",
	     "/tmp/final-through-symlink"},
	    {"dir:d symlink:d/up:../../../../../../../tmp file:d/up/final-relative-symlink:x",
	     "symlink", "/tmp/final-relative-symlink"},
	    {"hardlink:passwd:/etc/passwd", "hard link", NULL},
	    {"hardlink:shadow:../../../../../../etc/shadow", "hard link", NULL},
	    {"symlink:etc:/etc hardlink:passwd:etc/passwd", "symlink", NULL},
	    {"file:.wh..:", "whiteout", NULL},
	};
	struct test_registry r;
	struct proc p = {0};
	char name[32], ref[64];

	registry_start(&r, NULL);
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		snprintf(name, sizeof(name), "attack%zu", i);
		push_image(&r, name, "{}", make_layer(name, attacks[i][0]));
		snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s", r.port, name);
		bin_run(&p, CMD("pull", ref));
		ck_assert_msg(p.status == 125, "%s: pull exit %d, expected 125", attacks[i][0],
			      p.status);
		assert_one_line(p.err);
		assert_contains(p.err, attacks[i][1]);
		if (attacks[i][2])
			ck_assert_msg(access(attacks[i][2], F_OK) < 0, "%s: %s was written",
				      attacks[i][0], attacks[i][2]);
		ck_assert_int_eq(count_in("refs"), 0);
		ck_assert_int_eq(count_in("layers/sha256"), 1); /* busybox's, not the attack */
	}
}
END_TEST

START_TEST(ownership_modes_and_devices_are_kept)
{
	struct test_registry r;
	struct proc p = {0};

	registry_start(&r, NULL);
	push_image(&r, "kept", "{}",
		   make_layer("kept",
			      "dir:opt file:opt/suid:x:4755 file:opt/owned:x:0640:1000:1001 "
			      "chr:opt/mynull:1:3 symlink:opt/abs:/bin/busybox"));
	FINAL_OK(&p, "run", "--rm", "--network", "none", "127.0.0.1:5000/kept", "/bin/sh", "-c",
		 "stat -c '%n %a %u:%g' /opt/suid /opt/owned; stat -c '%n %F %t:%T' /opt/mynull; "
		 "readlink /opt/abs");
	assert_out_eq(&p, "/opt/suid 4755 0:0\n/opt/owned 640 1000:1001\n"
			  "/opt/mynull character special file 1:3\n/bin/busybox\n");
	FINAL_OK(&p, "rmi", "127.0.0.1:5000/kept");
}
END_TEST

START_TEST(basic_auth_and_login)
{
	struct test_registry r;
	struct proc p = {0};
	char ref[64], home[600];
	struct stat st;
	FILE *f;

	registry_start(&r, "htpasswd");
	push_image(&r, "private", "{}", "");
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/private", r.auth_port);
	FINAL_REFUSES(&p, "final login 127.0.0.1:5001", "pull", ref);
	FINAL_REFUSES(&p, "login to 127.0.0.1:5001 failed", "login", "-u", TEST_USER, "-p", "wrong",
		      "127.0.0.1:5001");
	FINAL_OK(&p, "login", "-u", TEST_USER, "-p", TEST_PASSWORD, "127.0.0.1:5001");
	ck_assert_int_eq(stat(data("auth.json", NULL), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	FINAL_OK(&p, "pull", ref);
	FINAL_OK(&p, "rmi", ref);
	FINAL_OK(&p, "logout", "127.0.0.1:5001");
	FINAL_REFUSES(&p, "final login", "pull", ref);
	/* docker's own ~/.docker/config.json works too */
	snprintf(home, sizeof(home), "%s/home", r.dir);
	sh("mkdir -p %s/.docker", home);
	f = fopen(data("test-registry/home/.docker/config.json", NULL), "w");
	fprintf(f, "{\"auths\":{\"127.0.0.1:5001\":{\"auth\":\"%s\"}}}",
		"dGVzdGVyOnMzY3JldC1wdw=="); /* base64 of tester:s3cret-pw */
	fclose(f);
	setenv("HOME", home, 1);
	FINAL_OK(&p, "pull", ref);
	FINAL_OK(&p, "rmi", ref);
}
END_TEST

START_TEST(bearer_token_flow)
{
	struct test_registry r;
	struct proc p = {0};

	registry_start(&r, "token");
	push_image(&r, "public/app", "{}", "");
	push_image(&r, "private", "{}", "");
	/* Anonymous: a token for public/ repositories only. */
	FINAL_OK(&p, "pull", "127.0.0.1:5001/public/app");
	FINAL_REFUSES(&p, "access denied", "pull", "127.0.0.1:5001/private");
	FINAL_REFUSES(&p, "refused our credentials", "login", "-u", TEST_USER, "-p", "wrong",
		      "127.0.0.1:5001");
	FINAL_OK(&p, "login", "-u", TEST_USER, "-p", TEST_PASSWORD, "127.0.0.1:5001");
	FINAL_OK(&p, "run", "--rm", "--network", "none", "127.0.0.1:5001/private", "/bin/true");
	/* The issuer saw the scope, and credentials on the last requests. */
	assert_contains(slurp(data("test-registry/token.log", NULL)),
			"scope=repository%3Aprivate%3Apull HTTP/1.1 auth=yes");
	assert_contains(slurp(data("test-registry/token.log", NULL)),
			"scope=repository%3Apublic%2Fapp%3Apull HTTP/1.1 auth=no");
	FINAL_OK(&p, "rmi", "127.0.0.1:5001/private", "127.0.0.1:5001/public/app");
}
END_TEST

START_TEST(interrupted_pull_resumes)
{
	struct test_registry r;
	struct proc p = {0};
	char log[600], port[8];

	registry_start(&r, NULL);
	push_image(&r, "big", "{}", "");
	/* A proxy on 5004 that cuts the first large blob after 300000 bytes. */
	snprintf(log, sizeof(log), "%s/proxy.log", r.dir);
	snprintf(port, sizeof(port), "%d", r.port);
	start_server(CMD(regserver(), "proxy", "5004", port, "300000", log),
		     data("test-registry/proxy.out", NULL));
	wait_port(5004);
	FINAL_REFUSES(&p, "interrupted", "pull", "127.0.0.1:5004/big");
	FINAL_OK(&p, "images");
	ck_assert_msg(!strstr(p.out, "big"), "a half-pulled image is listed: %s", p.out);
	ck_assert_int_eq(count_in("refs"), 0);
	ck_assert_int_eq(count_in("layers/sha256"), 0);
	/* As if a pull had been killed while unpacking the layer: its pid is gone now. */
	pid_t dead = fork();

	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	sh("layer=$(sha256sum %s/busybox-layer.tar.gz | cut -c1-64) && "
	   "mkdir -p %s/layers/sha256/$layer.tmp.%d/etc",
	   tests_build(), getenv("FINAL_DATA"), (int)dead);
	FINAL_OK(&p, "pull", "127.0.0.1:5004/big");
	assert_contains(slurp(log), "range=bytes=");	/* resumed, not started again */
	ck_assert_int_eq(count_in("layers/sha256"), 1); /* the stale directory is gone */
	FINAL_OK(&p, "run", "--rm", "--network", "none", "127.0.0.1:5004/big", "/bin/true");
	FINAL_OK(&p, "rmi", "127.0.0.1:5004/big");
}
END_TEST

/* Concurrent pulls share the store; a container of an image is a container like any other. */
START_TEST(two_pulls_at_once_then_exec)
{
	struct test_registry r;
	struct proc a = {0}, b = {0}, p = {0};

	registry_start(&r, NULL);
	push_image(&r, "one", "{\"Cmd\":[\"sleep\",\"100\"]}", make_layer("one", "file:one:1"));
	push_image(&r, "two", "{}", make_layer("two", "file:two:2"));
	proc_start(&a, CMD(bin, "pull", "127.0.0.1:5000/one"));
	proc_start(&b, CMD(bin, "pull", "127.0.0.1:5000/two"));
	proc_wait(&a, 60);
	proc_wait(&b, 60);
	assert_exit(&a, 0);
	assert_exit(&b, 0);
	ck_assert_int_eq(count_in("layers/sha256"), 3); /* busybox's once, and one each */
	FINAL_OK(&p, "run", "-d", "--name", "ro", "--read-only", "--network", "none",
		 "127.0.0.1:5000/one");
	FINAL_OK(&p, "exec", "ro", "/bin/sh", "-c", "cat /one; touch /x 2>/dev/null || echo ro");
	assert_out_eq(&p, "1ro\n");
	FINAL_OK(&p, "rm", "-f", "ro");
	FINAL_OK(&p, "rmi", "127.0.0.1:5000/one", "127.0.0.1:5000/two");
	ck_assert_int_eq(count_in("layers/sha256"), 0);
}
END_TEST

/* Plain HTTP only for loopback and FINAL_INSECURE_REGISTRIES; HTTPS for everything else. */
START_TEST(https_unless_loopback_or_listed)
{
	struct test_registry r;
	struct proc p = {0};

	registry_start(&r, NULL);
	push_image(&r, "busybox", "{}", "");
	/* The same registry at an address that is not 127/8 (TEST-NET-1, on this netns's lo). */
	sh(IP " addr add 192.0.2.1/32 dev lo");
	FINAL_REFUSES(&p, "https://192.0.2.1:5000/v2/", "pull", "192.0.2.1:5000/busybox");
	FINAL_REFUSES(&p, "https://localhost.localdomain:5000/v2/", "pull",
		      "localhost.localdomain:5000/busybox");
	setenv("FINAL_INSECURE_REGISTRIES", "other.example:5000,192.0.2.1:5000", 1);
	FINAL_OK(&p, "pull", "192.0.2.1:5000/busybox");
	FINAL_OK(&p, "rmi", "192.0.2.1:5000/busybox");
}
END_TEST

/* A fake registry that serves whatever manifest the test wrote: what no real one would. */
START_TEST(odd_manifests_are_refused)
{
	struct proc p = {0};
	char dir[600], log[700];

	snprintf(dir, sizeof(dir), "%s/static", getenv("FINAL_DATA"));
	sh("mkdir -p %s && cd %s && "
	   "printf '{\"schemaVersion\":1,\"name\":\"old\",\"tag\":\"latest\",\"fsLayers\":[]}' "
	   ">old "
	   "&& echo application/vnd.docker.distribution.manifest.v1+prettyjws >old.type && "
	   "printf '{\"schemaVersion\":2,\"mediaType\":\"application/x-unknown\"}' >odd && "
	   "echo application/x-unknown >odd.type",
	   dir, dir);
	snprintf(log, sizeof(log), "%s/static.log", dir);
	start_server(CMD(regserver(), "static", "5005", dir), log);
	wait_port(5005);
	FINAL_REFUSES(&p, "schema 1", "pull", "127.0.0.1:5005/old");
	FINAL_REFUSES(&p, "application/x-unknown", "pull", "127.0.0.1:5005/odd");
	FINAL_REFUSES(&p, "not found", "pull", "127.0.0.1:5005/missing");
	FINAL_REFUSES(&p, "lowercase", "pull", "127.0.0.1:5005/Upper");
	FINAL_REFUSES(&p, "sha256:<64 hex digits>", "pull", "busybox@sha256:1234");
	FINAL_REFUSES(&p, "no image", "rmi", "never-pulled");
	ck_assert_int_eq(count_in("refs"), 0);
}
END_TEST

void stage07_image_tests(void)
{
	add_test(7, 0, pull_and_run_by_name);
	add_test(7, 0, progress_on_a_terminal);
	add_test(7, 0, layers_apply_in_order_with_whiteouts);
	add_test(7, 0, index_picks_the_platform);
	add_test(7, 0, tampered_blob_is_refused);
	add_test(7, 0, layer_attacks_are_refused);
	add_test(7, 0, ownership_modes_and_devices_are_kept);
	add_test(7, 0, basic_auth_and_login);
	add_test(7, 0, bearer_token_flow);
	add_test(7, 0, interrupted_pull_resumes);
	add_test(7, 0, https_unless_loopback_or_listed);
	add_test(7, 0, two_pulls_at_once_then_exec);
	add_test(7, 0, odd_manifests_are_refused);
	add_test(7, 0, userns_remap_copies_an_images_layers_once);
}
