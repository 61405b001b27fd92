/*
 * stage07_docker.c: what a docker user types first (issue #17): a published
 * port reached from the host itself, `final port`, a port that is taken.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* kill, wait, ps -q, version; stop, rm and kill take several names (the second was ignored). */
START_TEST(daily_commands_take_several_names)
{
	struct proc p = {0};
	FINAL_OK(&p, "run", "-d", "--name", "one", "--network", "none", test_rootfs, "/bin/sleep",
		 "100");
	FINAL_OK(&p, "run", "-d", "--name", "two", "--network", "none", test_rootfs, "/bin/sleep",
		 "100");
	FINAL_OK(&p, "ps", "-q");
	ck_assert_msg(strlen(p.out) == 34, "ps -q: %s", p.out);
	bin_run(&p,
		CMD("run", "-d", "--name", "one", "--network", "none", test_rootfs, "/bin/true"));
	assert_exit(&p, 125);
	assert_contains(p.err, "the name 'one' is already in use");
	assert_one_line(p.err);
	FINAL_OK(&p, "kill", "-s", "TERM", "one", "two");
	FINAL_OK(&p, "wait", "one", "two");
	assert_out_eq(&p, "143\n143\n");
	FINAL_OK(&p, "ps", "-a");
	ck_assert_msg(!strstr(p.out, "running"), "still running after kill: %s", p.out);
	bin_run(&p, CMD("rm", "one", "no-such", "two"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	FINAL_OK(&p, "ps", "-aq");
	assert_out_eq(&p, "");
	FINAL_OK(&p, "run", "--rm", "--name", "one", "--network", "none", test_rootfs,
		 "/bin/true"); /* a removed container's name is free again */
	FINAL_OK(&p, "version");
	assert_contains(p.out, "final version ");
}
END_TEST

/* inspect in docker's shape, and --format's field paths. */
START_TEST(inspect_shows_the_container)
{
	struct proc p = {0};
	int pid;

	FINAL_OK(&p, "run", "-d", "--name", "web", "-m", "64M", "--cpus", "0.5", "-p", "8080:80",
		 "-v", "/tmp:/data:ro", "-e", "A=b", test_rootfs, "/bin/sleep", "100");
	FINAL_OK(&p, "inspect", "--format", "{{.State.Pid}}", "web");
	pid = atoi(p.out);
	ck_assert_msg(pid > 1 && ns_inode(pid, "pid") != ns_inode(0, "pid"),
		      "{{.State.Pid}} is not the container's init: %s", p.out);
	FINAL_OK(&p, "inspect", "-f",
		 "{{.State.Status}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} "
		 "{{json .Config.Cmd}} {{json .Config.Env}} {{json .HostConfig.Binds}}",
		 "web");
	assert_out_eq(&p, "running 67108864 500000000 [\"/bin/sleep\",\"100\"] [\"A=b\"] "
			  "[\"/tmp:/data:ro\"]\n");
	FINAL_OK(&p, "ps", "--format", "{{.Names}}={{.Status}} {{.Ports}}");
	assert_out_eq(&p, "web=running 8080:80/tcp\n");
	FINAL_OK(&p, "inspect", "web");
	assert_contains(p.out, "\"Name\": \"/web\"");
	assert_contains(p.out, "\"IPAddress\": \"10.78.0.");
	assert_contains(p.out, "\"HostPort\": \"8080\"");
	FINAL_OK(&p, "stop", "-t", "0", "web");
	FINAL_OK(&p, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Pid}}", "web");
	assert_out_eq(&p, "exited false 0\n");
	FINAL_OK(&p, "rm", "web");
	bin_run(&p, CMD("inspect", "web"));
	assert_exit(&p, 125);
	assert_contains(p.err, "no such container or image: web");
}
END_TEST

/*
 * What inspect shows of the configuration is kept in the record's encoding
 * (STATE/ID/inspect): a newline, '=' or '%' in the command line or the
 * environment is the container's data, shown as it is, never a field of its own.
 */
START_TEST(inspect_shows_a_command_line_as_it_is)
{
	struct proc p = {0};

	FINAL_OK(&p, "run", "-d", "--name", "odd", "--network", "none", "-e",
		 "X=1\nHostConfig.Memory=1", test_rootfs, "/bin/sh", "-c", "sleep 100",
		 "a\nHostConfig.AutoRemove=1", "%41=%0a");
	FINAL_OK(&p, "inspect", "-f",
		 "{{json .Config.Cmd}} {{json .Config.Env}} {{.HostConfig.Memory}} "
		 "{{.HostConfig.AutoRemove}} {{json .HostConfig.Binds}}",
		 "odd");
	assert_out_eq(&p, "[\"/bin/sh\",\"-c\",\"sleep 100\",\"a\\nHostConfig.AutoRemove=1\","
			  "\"%41=%0a\"] [\"X=1\\nHostConfig.Memory=1\"] 0 false []\n");
	FINAL_OK(&p, "rm", "-f", "odd");
}
END_TEST

/*
 * /etc/hosts, /etc/hostname and resolv.conf as docker writes them; --env-file;
 * and one container reaching another by name (--link).
 */
START_TEST(names_hosts_and_env_files)
{
	char envfile[256];
	struct proc p = {0};
	int fd;
	const char *const bad[][2] = {{"-e", "=x"}, {"--add-host", "db"}, {"--dns", "not-an-ip"}};

	/* in the test's own FINAL_DATA, which the runner removes however the test ends */
	snprintf(envfile, sizeof(envfile), "%s/env-file", getenv("FINAL_DATA"));
	fd = open(envfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert(fd >= 0 && write(fd, "A=1\n# comment\n\nB=two words\n", 28) == 28);
	close(fd);
	FINAL_OK(&p, "run", "-d", "--name", "db", test_rootfs, "/bin/sh", "-c",
		 "while :; do nc -l -p 5432 -e echo db-here; done");
	bin_run(&p,
		CMD("run", "--rm", "--name", "app", "-h", "apphost", "--env-file", envfile,
		    "--add-host", "extra:192.0.2.9", "--dns", "192.0.2.53", "--link", "db:database",
		    test_rootfs, "/bin/sh", "-c",
		    "echo \"$A|$B\"; cat /etc/hostname; grep -c '^nameserver' /etc/resolv.conf; "
		    "grep nameserver /etc/resolv.conf; grep -E '\t(apphost|extra|database)' "
		    "/etc/hosts | cut -f2; nc database 5432"));
	unlink(envfile);
	assert_exit(&p, 0);
	assert_out_eq(&p, "1|two words\napphost\n1\nnameserver 192.0.2.53\napphost app\n"
			  "extra\ndatabase db\ndb-here\n");
	FINAL_OK(&p, "rm", "-f", "db");
	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
	/* A newline in a name would add a line of the caller's to /etc/hosts. */
	const char *const injected[][2] = {{"-h", "h\n6.6.6.6 evil"},
					   {"--add-host", "a\n7.7.7.7 evil2:192.0.2.1"},
					   {"--link", "db:alias\n8.8.8.8 evil3"}};
	for (size_t i = 0; i < sizeof(injected) / sizeof(injected[0]); i++) {
		ctr_run(&p, CMD(injected[i][0], injected[i][1]), CMD("/bin/cat", "/etc/hosts"));
		assert_exit(&p, 125);
		assert_one_line(p.err);
		ck_assert_msg(!strstr(p.out, "evil"), "injected into /etc/hosts: %s", p.out);
	}
}
END_TEST

/* stats reads the cgroup and the veth; top lists the container's processes. */
START_TEST(stats_and_top)
{
	struct proc p = {0};
	const char *row;
	double cpu;

	FINAL_OK(&p, "run", "-d", "--name", "busy", "-m", "64M", "--cpus", "0.5", test_rootfs,
		 "/bin/sh", "-c", "sleep 100 & while :; do :; done");
	FINAL_OK(&p, "stats", "--no-stream", "busy");
	row = strstr(p.out, " busy ");
	ck_assert_msg(row && sscanf(row + 6, " %lf%%", &cpu) == 1, "no CPU %% in: %s", p.out);
	ck_assert_msg(cpu > 5 && cpu < 80, "a spinner under --cpus 0.5 at %.1f%%", cpu);
	assert_contains(row, "/ 64.0MiB");
	ck_assert_msg(strstr(row, "B / ") && atoi(strrchr(row, ' ') + 1) == 3,
		      "net I/O or pids (3: init, sh, sleep) missing: %s", row);
	FINAL_OK(&p, "top", "busy");
	assert_contains(p.out, "sleep 100\n");
	assert_contains(p.out, "final-init\n");
	FINAL_OK(&p, "rm", "-f", "busy");
}
END_TEST

/* Until `final logs NAME` shows NEEDLE (CMD runs after `run -d` returns, not before). */
static void wait_log(struct proc *p, const char *name, const char *needle)
{
	for (int i = 0; i < 100; i++) {
		FINAL_OK(p, "logs", name);
		if (strstr(p->out, needle))
			return;
		usleep(50000);
	}
	ck_abort_msg("'%s' never appeared in the logs of %s: %s", needle, name, p->out);
}

/* start runs an exited container again with its configuration and writable layer; restart. */
START_TEST(start_and_restart_keep_the_container)
{
	struct proc p = {0};

	FINAL_OK(&p, "run", "-d", "--name", "again", "--network", "none", "-e", "X=set",
		 test_rootfs, "/bin/sh", "-c",
		 "echo run $X $(cat /count 2>/dev/null); echo x >> /count; sleep 100");
	wait_log(&p, "again", "run set\n");
	FINAL_OK(&p, "stop", "-t", "1", "again");
	FINAL_OK(&p, "start", "again");
	wait_log(&p, "again", "run set x\n");
	FINAL_OK(&p, "ps");
	assert_contains(p.out, " again ");
	bin_run(&p, CMD("start", "again"));
	assert_exit(&p, 125);
	assert_contains(p.err, "running already");
	FINAL_OK(&p, "restart", "again");
	wait_log(&p, "again", "run set x x\n");
	assert_out_eq(&p, "run set\nrun set x\nrun set x x\n");
	FINAL_OK(&p, "rm", "-f", "again");
}
END_TEST

/* --restart: on-failure:N runs CMD N more times; always until stop, which it obeys. */
START_TEST(restart_policies)
{
	struct proc p = {0};
	const char *const bad[][2] = {{"--restart", "sometimes"}, {"--restart", "on-failure:0"}};

	FINAL_OK(&p, "run", "-d", "--name", "flaky", "--network", "none", "--restart",
		 "on-failure:2", test_rootfs, "/bin/sh", "-c", "echo try; exit 3");
	FINAL_OK(&p, "wait", "flaky");
	assert_out_eq(&p, "3\n");
	FINAL_OK(&p, "logs", "flaky");
	assert_out_eq(&p, "try\ntry\ntry\n");
	FINAL_OK(&p, "run", "-d", "--name", "steady", "--network", "none", "--restart", "always",
		 test_rootfs, "/bin/sh", "-c", "echo up; sleep 0.1");
	wait_log(&p, "steady", "up\nup\n"); /* it came back after a clean exit */
	FINAL_OK(&p, "stop", "steady");
	FINAL_OK(&p, "logs", "steady");
	{
		char *before = strdup(p.out);

		usleep(1500000);
		FINAL_OK(&p, "logs", "steady");
		ck_assert_str_eq(p.out, before); /* nothing ran after stop */
		free(before);
	}
	FINAL_OK(&p, "rm", "flaky", "steady");
	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/*
 * The bridge and its NAT table stay when the last container goes, as docker0
 * does (deleting them cost most of a run's time); `network prune` removes
 * them, and ip_forward goes back to what it was.
 */
START_TEST(bridge_stays_until_network_prune)
{
	struct proc p = {0}, nft = {0};
	char forward[8];

	snprintf(forward, sizeof(forward), "%s", slurp("/proc/sys/net/ipv4/ip_forward"));
	FINAL_OK(&p, "run", "--rm", test_rootfs, "/bin/true");
	assert_contains(link_names(), "final0\n");
	FINAL_OK(&p, "run", "-d", "--name", "user", test_rootfs, "/bin/sleep", "100");
	bin_run(&p, CMD("network", "prune"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	FINAL_OK(&p, "rm", "-f", "user");
	FINAL_OK(&p, "network", "prune");
	for (int i = 0; i < 100 && strcmp(link_names(), "lo\n"); i++)
		usleep(10000); /* the veth goes with its network namespace, shortly */
	ck_assert_str_eq(link_names(), "lo\n");
	proc_start(&nft, CMD("/usr/sbin/nft", "list", "ruleset"));
	proc_wait(&nft, 10);
	ck_assert_msg(nft.out[0] == '\0', "nftables rules left:\n%s", nft.out);
	ck_assert_str_eq(slurp("/proc/sys/net/ipv4/ip_forward"), forward);
}
END_TEST

void stage07_docker_tests(void)
{
	add_test(7, 0, published_port_from_the_host_itself);
	add_test(7, 0, a_published_port_is_allocated_once);
	add_test(7, 0, daily_commands_take_several_names);
	add_test(7, 0, inspect_shows_the_container);
	add_test(7, 0, inspect_shows_a_command_line_as_it_is);
	add_test(7, 0, names_hosts_and_env_files);
	add_test(7, 0, stats_and_top);
	add_test(7, 0, start_and_restart_keep_the_container);
	add_test(7, 0, restart_policies);
	add_test(7, 0, bridge_stays_until_network_prune);
}
