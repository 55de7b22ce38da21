#include "cred.h"
#include "util.h"

void
cred_wipe(struct cred *c)
{
	free_secret(&c->user);
	free_secret(&c->pass);
}
