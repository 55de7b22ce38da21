#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include <stddef.h>

/*
 * A growable byte buffer with a ceiling fixed at birth.  Every buffer that
 * holds bytes from the network, a file or the environment is one of these,
 * so that no input can make postern allocate without bound.
 */
struct buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 size;		/* allocated, including the NUL */
	size_t	 max;		/* ceiling on len */
};

void	buf_init(struct buf *, size_t max);
int	buf_add(struct buf *, const void *, size_t);	/* -1: over max or ENOMEM */
int	buf_addstr(struct buf *, const char *);
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_reset(struct buf *);	/* len = 0, keeps memory */
void	buf_wipe(struct buf *);		/* cleanse, free, back to empty */
void	buf_free(struct buf *);

#endif
