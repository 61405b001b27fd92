/*
 * spin SECONDS: spin on two threads for SECONDS of wall-clock time, then
 * print the CPU time the process used ("cpu 1.02"), from getrusage().
 * Unlimited on two free CPUs that is about 2*SECONDS; with --cpus 0.5, about
 * SECONDS/2.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double seconds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	double end = now() + seconds;
	volatile unsigned long n = 0;

	(void)arg;
	while (now() < end)
		n++;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t1, t2;
	struct rusage ru;

	seconds = argc > 1 ? atof(argv[1]) : 2;
	pthread_create(&t1, NULL, spin, NULL);
	pthread_create(&t2, NULL, spin, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu %.2f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
				 ru.ru_stime.tv_usec / 1e6);
	return 0;
}
