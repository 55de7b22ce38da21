#ifndef POSTERN_MD4_H
#define POSTERN_MD4_H

#include <stddef.h>
#include <stdint.h>

/*
 * MD4 (RFC 1320), for the NT hash of NTLM only.  OpenSSL 3 keeps MD4 in
 * its legacy provider, which is often not installed or not loaded, so
 * postern carries this small one.  MD4 is broken as a hash; NTLM gives no
 * choice.
 */

#define MD4_DIGEST_LEN	16

struct md4_ctx {
	uint32_t	state[4];
	uint64_t	count;		/* bytes hashed so far */
	unsigned char	block[64];
};

void	md4_init(struct md4_ctx *);
void	md4_update(struct md4_ctx *, const void *, size_t);
void	md4_final(struct md4_ctx *, unsigned char out[MD4_DIGEST_LEN]);
void	md4(const void *, size_t, unsigned char out[MD4_DIGEST_LEN]);

#endif
