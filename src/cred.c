#include <string.h>

#include "cred.h"
#include "util.h"

#define KEPT_MAX	16	/* proxies whose credentials are kept */
#define KEPT_NAME	300	/* a proxy: scheme://host:port */

static struct kept {
	char		name[KEPT_NAME];
	struct cred	c;
	unsigned long	age;	/* when kept: the oldest makes room */
} kept[KEPT_MAX];
static unsigned long kept_clock;

void
cred_wipe(struct cred *c)
{
	free_secret(&c->user);
	free_secret(&c->pass);
}

static struct kept *
find(const char *name)
{
	size_t i;

	for (i = 0; i < KEPT_MAX; i++)
		if (kept[i].c.user != NULL && strcmp(kept[i].name, name) == 0)
			return &kept[i];
	return NULL;
}

int
cred_keep(const char *name, const struct cred *c)
{
	struct kept *k = find(name);
	size_t i;

	if (strlen(name) >= KEPT_NAME)
		return -1;
	for (i = 0; k == NULL && i < KEPT_MAX; i++)
		if (kept[i].c.user == NULL)
			k = &kept[i];
	if (k == NULL) {
		/* All taken: the oldest makes room. */
		k = &kept[0];
		for (i = 1; i < KEPT_MAX; i++)
			if (kept[i].age < k->age)
				k = &kept[i];
	}
	cred_wipe(&k->c);
	memcpy(k->name, name, strlen(name) + 1);
	k->c.user = dup_bytes(c->user, strlen(c->user));
	k->c.pass = dup_bytes(c->pass, strlen(c->pass));
	k->age = ++kept_clock;
	if (k->c.user != NULL && k->c.pass != NULL)
		return 0;
	cred_wipe(&k->c);
	return -1;
}

int
cred_kept(const char *name, struct cred *out)
{
	struct kept *k = find(name);

	out->user = out->pass = NULL;
	if (k == NULL)
		return -1;
	out->user = dup_bytes(k->c.user, strlen(k->c.user));
	out->pass = dup_bytes(k->c.pass, strlen(k->c.pass));
	if (out->user != NULL && out->pass != NULL)
		return 0;
	cred_wipe(out);
	return -1;
}

void
cred_forget(const char *name)
{
	struct kept *k = find(name);

	if (k != NULL)
		cred_wipe(&k->c);
}

void
cred_forget_all(void)
{
	size_t i;

	for (i = 0; i < KEPT_MAX; i++)
		cred_wipe(&kept[i].c);
}
