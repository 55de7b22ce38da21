#include <sys/select.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "prompt.h"
#include "util.h"

#define PROMPT_MAX	1024	/* bytes of a typed user name or password */

/* The signals readpassphrase(3) catches, less SIGALRM and SIGPIPE, which
 * nothing sends postern at a prompt. */
static const int prompt_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
};
#define NSIGNALS	(sizeof(prompt_signals) / sizeof(prompt_signals[0]))

static volatile sig_atomic_t caught[NSIGNALS];

struct catcher {
	struct sigaction	 old[NSIGNALS];
	int			 installed[NSIGNALS];
	sigset_t		 oldmask;	/* what pselect() lets in */
};

static void
on_prompt_signal(int sig)
{
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if (prompt_signals[i] == sig)
			caught[i] = 1;
}

static int
any_caught(void)
{
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if (caught[i])
			return 1;
	return 0;
}

/*
 * Catch the signals, and keep them blocked except inside pselect(): a
 * signal then always ends the wait, however late it comes.  SIGTTIN and
 * SIGTTOU are the exception: the terminal sends them in answer to our own
 * read() or tcsetattr() from the background, which must then fail with
 * EINTR (and stop us, below) rather than with EIO or not at all.  A
 * signal the user ignores (nohup) stays ignored.
 */
static void
catch_signals(struct catcher *k)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < NSIGNALS; i++) {
		caught[i] = 0;
		k->installed[i] = 0;
		if (sigaction(prompt_signals[i], NULL, &k->old[i]) == -1 ||
		    k->old[i].sa_handler == SIG_IGN)
			continue;
		if (prompt_signals[i] != SIGTTIN && prompt_signals[i] != SIGTTOU)
			sigaddset(&block, prompt_signals[i]);
		k->installed[i] = sigaction(prompt_signals[i], &sa, NULL) == 0;
	}
	sigprocmask(SIG_BLOCK, &block, &k->oldmask);
}

/*
 * Put the handlers and the mask back, then raise what was caught, now
 * that the terminal is restored: the default action of ^C ends postern
 * with echo on.  Returns 1 when the question must be asked again: a stop
 * signal (^Z) came, and postern has been continued since.
 */
static int
release_signals(struct catcher *k)
{
	int stopped = 0;
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if (k->installed[i])
			(void)sigaction(prompt_signals[i], &k->old[i], NULL);
	sigprocmask(SIG_SETMASK, &k->oldmask, NULL);
	for (i = 0; i < NSIGNALS; i++) {
		if (!caught[i])
			continue;
		caught[i] = 0;
		(void)kill(getpid(), prompt_signals[i]);
		if (prompt_signals[i] == SIGTSTP ||
		    prompt_signals[i] == SIGTTIN || prompt_signals[i] == SIGTTOU)
			stopped = 1;
	}
	return stopped;
}

/* One byte from fd: 1, 0 at the end, -1 on an error or a caught signal. */
static int
read_byte(int fd, const sigset_t *allowed, char *c)
{
	fd_set rfds;
	ssize_t r;

	for (;;) {
		if (any_caught())
			return -1;
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		if (pselect(fd + 1, &rfds, NULL, NULL, NULL, allowed) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		r = read(fd, c, 1);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		return r == 1 ? 1 : r == 0 ? 0 : -1;
	}
}

/*
 * Echo off (when secret), the question, one line into line[], the modes
 * back.  Returns 1 when a whole line was read.
 */
static int
ask(int fd, const char *question, int secret, const sigset_t *allowed,
    char *line, size_t *n)
{
	struct termios old, quiet;
	int restore = 0, r;
	char c;

	if (secret && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	/* Not from the background: SIGTTOU has stopped us first. */
	if (!any_caught())
		(void)!write(fd, question, strlen(question));
	*n = 0;
	while ((r = read_byte(fd, allowed, &c)) == 1 && c != '\n' && c != '\r')
		if (*n < PROMPT_MAX)
			line[(*n)++] = c;
	line[*n] = '\0';
	if (restore) {
		(void)tcsetattr(fd, TCSAFLUSH, &old);
		(void)!write(fd, "\n", 1);
	}
	return r == 1;
}

char *
prompt_tty(const char *question, int secret)
{
	struct catcher k;
	char line[PROMPT_MAX + 1], *answer = NULL;
	size_t n;
	int fd, got, again;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return NULL;
	do {
		catch_signals(&k);
		got = ask(fd, question, secret, &k.oldmask, line, &n);
		if (any_caught())
			got = 0;
		again = release_signals(&k);
	} while (again);
	close(fd);
	if (got && !has_crlfnul(line, n))
		answer = dup_bytes(line, n);
	wipe(line, sizeof(line));
	return answer;
}
