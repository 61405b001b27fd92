/*
 * runner.c: run each stage's Check suite against a binary.
 *
 *   runner STAGE:BIN...             stage STAGE's tests (with the earlier
 *                                   stages' that still apply) against BIN
 *   runner --redgreen STAGE:BIN...  only the tests new in STAGE, against the
 *                                   previous stage's BIN: every one must fail
 *
 * TEST_ROOTFS names the test rootfs (default tests/build/rootfs); RUNNER_ONLY,
 * a comma-separated list of test names, runs only those.
 * Prints Check's summary per stage and a last line "total: N passed, N failed,
 * N skipped"; exits 1 if anything failed.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void stage01_tests(void);
void stage02_tests(void);
void stage03_tests(void);
void stage04_tests(void);
void stage05_tests(void);
void stage06_tests(void);
void stage07_tests(void);
void stage07_image_tests(void);
void stage07_lifecycle_tests(void);
void stage07_docker_tests(void);
void stage07_hostile_tests(void);
void stage07_fault_tests(void);
void stage07_device_tests(void);
void stage07_oci_tests(void);
void stage07_rootless_tests(void);

struct test_def {
	int stage, until;
	const TTest *test;
};

static struct test_def defs[256];
static int ndefs;

void add_test(int stage, int until, const TTest *test)
{
	if (ndefs == (int)(sizeof(defs) / sizeof(defs[0]))) {
		fprintf(stderr, "runner: too many tests\n");
		exit(2);
	}
	defs[ndefs++] = (struct test_def){stage, until, test};
}

/* RUNNER_ONLY=NAME,NAME...: only those tests (make test-mutants runs the ones a mutant names). */
static bool selected(const char *name)
{
	const char *only = getenv("RUNNER_ONLY");
	char padded[4096], needle[256];

	if (!only || !*only)
		return true;
	snprintf(padded, sizeof(padded), ",%s,", only);
	snprintf(needle, sizeof(needle), ",%s,", name);
	return strstr(padded, needle) != NULL;
}

static bool applies(const struct test_def *d, int stage, bool redgreen)
{
	if (!selected(d->test->name))
		return false;
	if (redgreen)
		return d->stage == stage;
	return d->stage <= stage && (d->until == 0 || stage <= d->until);
}

struct tally {
	int passed, failed, skipped;
};

/* Build STAGE's suite: one TCase per test, named after it. */
static Suite *stage_suite(int stage, bool redgreen, struct tally *t)
{
	char name[32];
	Suite *s;

	snprintf(name, sizeof(name), "step%02d", stage);
	s = suite_create(name);
	for (int i = 0; i < ndefs; i++) {
		TCase *tc;

		if (!applies(&defs[i], stage, redgreen))
			continue;
		if (geteuid() != 0) { /* every step checks for root: namespaces need it */
			printf("%s: skipped %s: needs root\n", name, defs[i].test->name);
			t->skipped++;
			continue;
		}
		tc = tcase_create(defs[i].test->name);
		/* A hostname of the test's own: a step that forgot CLONE_NEWUTS renames nothing
		 * real. */
		tcase_add_checked_fixture(tc, enter_private_uts_ns, NULL);
		if (stage >= 6) /* bridges and NAT rules only in a namespace of the test's own */
			tcase_add_checked_fixture(tc, enter_test_host_netns, NULL);
		if (stage >= 7) /* final's records and layers in directories of the test's own */
			tcase_add_checked_fixture(tc, enter_test_final_dirs, check_test_final_dirs);
		tcase_set_timeout(tc, 90);
		tcase_add_test(tc, defs[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}

/*
 * In red-green mode a test "passes" when it fails against the previous
 * stage's binary: that is the proof that it can fail at all.
 */
static void count_results(SRunner *sr, int stage, bool redgreen, struct tally *t)
{
	TestResult **results = srunner_results(sr);
	int n = srunner_ntests_run(sr);

	for (int i = 0; i < n; i++) {
		bool ok = tr_rtype(results[i]) == CK_PASS;

		if (!redgreen) {
			ok ? t->passed++ : t->failed++;
			continue;
		}
		if (ok) {
			printf(
			    "redgreen: step%02d: %s PASSES against %s: it cannot tell the stages "
			    "apart\n",
			    stage, tr_tcname(results[i]), bin);
			t->failed++;
		} else {
			printf("redgreen: step%02d: %s fails against %s, as it must (%.*s)\n",
			       stage, tr_tcname(results[i]), bin,
			       (int)strcspn(tr_msg(results[i]), "\n"), tr_msg(results[i]));
			t->passed++;
		}
	}
	free(results);
}

static void run_stage(int stage, const char *path, bool redgreen, struct tally *t)
{
	struct tally mine = {0};
	SRunner *sr;

	bin = realpath(path, NULL);
	if (!bin) {
		printf("step%02d: no binary %s: build it first (make step%02d)\n", stage, path,
		       stage);
		t->failed++;
		return;
	}
	cli_stage = redgreen ? stage - 1 : stage;
	sr = srunner_create(stage_suite(stage, redgreen, &mine));
	srunner_set_fork_status(sr, CK_FORK); /* a test that unshares must not poison us */
	if (!redgreen)
		printf("step%02d: testing %s\n", stage, bin);
	if (stage >= 7 && geteuid() == 0) /* final's tests, which run only as root */
		make_test_final_parents();
	srunner_run_all(sr, redgreen ? CK_SILENT : CK_NORMAL);
	if (stage >= 7 && geteuid() == 0)
		remove_test_final_parents();
	count_results(sr, stage, redgreen, &mine);
	srunner_free(sr);
	if (!redgreen)
		printf("step%02d: %d passed, %d failed, %d skipped\n", stage, mine.passed,
		       mine.failed, mine.skipped);
	t->passed += mine.passed;
	t->failed += mine.failed;
	t->skipped += mine.skipped;
}

int main(int argc, char **argv)
{
	struct tally total = {0};
	bool redgreen = false;
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Hermetic: a PATH with a directory the user cannot search turns "not found" into EACCES.
	 */
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (i < argc && strcmp(argv[i], "--redgreen") == 0) {
		redgreen = true;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: runner [--redgreen] STAGE:BIN...\n");
		return 2;
	}
	test_rootfs =
	    realpath(getenv("TEST_ROOTFS") ? getenv("TEST_ROOTFS") : "tests/build/rootfs", NULL);
	if (!test_rootfs) {
		fprintf(stderr, "runner: no test rootfs: run 'make -C tests' first\n");
		return 2;
	}
	stage01_tests();
	stage02_tests();
	stage03_tests();
	stage04_tests();
	stage05_tests();
	stage06_tests();
	stage07_tests();
	stage07_image_tests();
	stage07_lifecycle_tests();
	stage07_docker_tests();
	stage07_hostile_tests();
	stage07_fault_tests();
	stage07_device_tests();
	stage07_oci_tests();
	stage07_rootless_tests();

	for (; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		if (!colon || atoi(argv[i]) < 1) {
			fprintf(stderr, "runner: bad argument '%s', expected STAGE:BIN\n", argv[i]);
			return 2;
		}
		run_stage(atoi(argv[i]), colon + 1, redgreen, &total);
	}
	printf("%s: %d passed, %d failed, %d skipped\n", redgreen ? "redgreen" : "total",
	       total.passed, total.failed, total.skipped);
	return total.failed ? 1 : 0;
}
