/*
 * stage07_docker.c: what a docker user types first (issue #17): a published
 * port reached from the host itself, `final port`, a port that is taken.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SERVE(port) "while :; do nc -l -p " #port " -e echo hello-" #port "; done & "

/*
 * -p is reached from other hosts (stage07.c), and also from the host itself:
 * on any of its addresses and on 127.0.0.1, which never pass prerouting.
 */
START_TEST(published_port_from_the_host_itself)
{
	struct proc p = {0};
	const char *chosen;

	FINAL_OK(&p, "run", "-d", "--name", "srv", "-p", "8080:80", "-p", "127.0.0.1:8081:81", "-p",
		 "82", test_rootfs, "/bin/sh", "-c", SERVE(80) SERVE(81) SERVE(82) "wait");
	sh(IP " addr add 198.51.100.7/32 dev lo");
	ck_assert_str_eq(fetch("127.0.0.1", 8080), "hello-80\n");
	ck_assert_str_eq(fetch("198.51.100.7", 8080), "hello-80\n");
	ck_assert_str_eq(fetch("127.0.0.1", 8081), "hello-81\n");
	FINAL_OK(&p, "port", "srv");
	assert_contains(p.out, "80/tcp -> 0.0.0.0:8080\n");
	assert_contains(p.out, "81/tcp -> 127.0.0.1:8081\n");
	chosen = strstr(p.out, "82/tcp -> 0.0.0.0:");
	ck_assert_msg(chosen && atoi(chosen + 18) > 0, "no port chosen for -p 82: %s", p.out);
	ck_assert_str_eq(fetch("127.0.0.1", atoi(chosen + 18)), "hello-82\n");
	FINAL_OK(&p, "rm", "-f", "srv");
}
END_TEST

/* Two containers cannot publish one host port: docker's line, and nothing left. */
START_TEST(a_published_port_is_allocated_once)
{
	struct proc p = {0};

	FINAL_OK(&p, "run", "-d", "--name", "first", "-p", "8080:80", test_rootfs, "/bin/sleep",
		 "100");
	bin_run(&p, CMD("run", "-d", "--name", "second", "-p", "8080:80", test_rootfs, "/bin/sleep",
			"100"));
	assert_exit(&p, 125);
	assert_contains(p.err, "port 8080/tcp is already allocated");
	assert_one_line(p.err);
	FINAL_OK(&p, "ps", "-a");
	ck_assert_msg(!strstr(p.out, "second"), "the refused container is listed: %s", p.out);
	FINAL_OK(&p, "rm", "-f", "first");
	FINAL_OK(&p, "run", "--rm", "-p", "8080:80", test_rootfs, "/bin/true"); /* free again */
}
END_TEST

void stage07_docker_tests(void)
{
	add_test(7, 0, published_port_from_the_host_itself);
	add_test(7, 0, a_published_port_is_allocated_once);
}
