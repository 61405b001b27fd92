/*
 * forkloop: fork children that sleep until fork() fails or 1000 exist;
 * print "forked N", hold them for a second (so a test can look at the host
 * meanwhile), then kill them and exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	static pid_t kids[1000];
	int n = 0;

	while (n < 1000) {
		pid_t pid = fork();

		if (pid < 0)
			break;
		if (pid == 0) {
			pause();
			_exit(0);
		}
		kids[n++] = pid;
	}
	printf("forked %d\n", n);
	fflush(stdout);
	sleep(1);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return 0;
}
