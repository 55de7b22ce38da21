#ifndef POSTERN_PROMPT_H
#define POSTERN_PROMPT_H

/*
 * Ask a question on /dev/tty and read one line of answer, without echo
 * when secret.  Never stdin: it is the tunnel (ssh runs a ProxyCommand
 * with pipes on stdin and stdout, but /dev/tty still reaches the user).
 *
 * While the question is up, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
 * SIGTTIN and SIGTTOU put the terminal back as it was and are then raised
 * again, as readpassphrase(3) does: ^C ends postern with echo on, and
 * after ^Z and fg the question is asked again.
 *
 * Returns the answer (malloc'd; the caller wipes and frees it), or NULL
 * when there is no terminal, nothing was typed before the end of input,
 * the answer holds CR, LF or NUL, or a signal ended the question.
 */
char	*prompt_tty(const char *question, int secret);

#endif
