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

/*
 * Credentials kept in this process by the name of the proxy they are for
 * (its URL without credentials), so that a listener asks once per proxy, not once per
 * tunnel; a few proxies at most, the oldest making room.  cred_keep()
 * stores a copy (0, or -1 when out of memory); cred_kept() gives one
 * (0, or -1 when none is kept); cred_forget() wipes the one kept for
 * name, cred_forget_all() every one.
 */
int	cred_keep(const char *name, const struct cred *);
int	cred_kept(const char *name, struct cred *out);
void	cred_forget(const char *name);
void	cred_forget_all(void);

#endif
