/*
 * launch -o FILE -- COMMAND [ARG...]: run COMMAND with this process's
 * standard input, output and error, wait for it with wait4() and write
 * "STATUS UTIME_US STIME_US MAXRSS_KB" to FILE.  SIGTERM, SIGINT and
 * SIGHUP are passed on to it, and it is killed if the launcher is.
 *
 * Why not from Python: Linux carries the peak RSS of the process image
 * that called exec() into the new program's ru_maxrss, so a client
 * spawned by a Python process would report Python's 18 MB.  This launcher
 * is small and forks (no vfork: that would lend the child our memory
 * map), so the floor it leaves in ru_maxrss is a few hundred KiB, the
 * same for every client, and printed by `launch -o F -- /bin/true`.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile pid_t child;

static void
pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int
main(int argc, char **argv)
{
	struct rusage ru;
	struct sigaction sa;
	const char *out = NULL;
	FILE *f;
	int st, ch;

	while ((ch = getopt(argc, argv, "o:")) != -1) {
		if (ch != 'o') {
			fprintf(stderr, "usage: launch -o FILE -- COMMAND [ARG...]\n");
			return 2;
		}
		out = optarg;
	}
	argv += optind;
	if (out == NULL || argv[0] == NULL) {
		fprintf(stderr, "usage: launch -o FILE -- COMMAND [ARG...]\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pass_on;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((child = fork()) == -1) {
		perror("launch: fork");
		return 127;
	}
	if (child == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);
		execvp(argv[0], argv);
		perror("launch: exec");
		_exit(127);
	}
	memset(&ru, 0, sizeof(ru));
	while (wait4(child, &st, 0, &ru) == -1)
		;
	if ((f = fopen(out, "w")) == NULL) {
		perror("launch: result file");
		return 127;
	}
	fprintf(f, "%d %ld %ld %ld\n",
	    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
	    ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec,
	    ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec, ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
