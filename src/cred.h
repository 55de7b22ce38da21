#ifndef POSTERN_CRED_H
#define POSTERN_CRED_H

/*
 * A user name and password for one proxy: what creds.c gathers, netrc.c
 * finds and the auth schemes answer with.  A leaf, so that each of them
 * can hold one without depending on the others.
 */
struct cred {
	char	*user;		/* may be "DOMAIN\user" or "user@domain" */
	char	*pass;
};

/* Wipe and free both strings; the struct can be filled again. */
void	cred_wipe(struct cred *);

#endif
