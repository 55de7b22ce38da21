#include <string.h>

#include "md4.h"
#include "util.h"

/* RFC 1320 §3.4: the three auxiliary functions and the round steps. */
#define F(x, y, z)	(((x) & (y)) | (~(x) & (z)))
#define G(x, y, z)	(((x) & (y)) | ((x) & (z)) | ((y) & (z)))
#define H(x, y, z)	((x) ^ (y) ^ (z))
#define ROTL(x, s)	(((x) << (s)) | ((x) >> (32 - (s))))

#define R1(a, b, c, d, k, s)	(a) = ROTL((a) + F(b, c, d) + x[k], s)
#define R2(a, b, c, d, k, s)	\
	(a) = ROTL((a) + G(b, c, d) + x[k] + 0x5a827999U, s)
#define R3(a, b, c, d, k, s)	\
	(a) = ROTL((a) + H(b, c, d) + x[k] + 0x6ed9eba1U, s)

static void
md4_block(uint32_t st[4], const unsigned char *p)
{
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3], x[16];
	int i;

	/* The message is read as little-endian 32-bit words (§3.4). */
	for (i = 0; i < 16; i++)
		x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;

	R1(a, b, c, d, 0, 3);  R1(d, a, b, c, 1, 7);
	R1(c, d, a, b, 2, 11); R1(b, c, d, a, 3, 19);
	R1(a, b, c, d, 4, 3);  R1(d, a, b, c, 5, 7);
	R1(c, d, a, b, 6, 11); R1(b, c, d, a, 7, 19);
	R1(a, b, c, d, 8, 3);  R1(d, a, b, c, 9, 7);
	R1(c, d, a, b, 10, 11); R1(b, c, d, a, 11, 19);
	R1(a, b, c, d, 12, 3); R1(d, a, b, c, 13, 7);
	R1(c, d, a, b, 14, 11); R1(b, c, d, a, 15, 19);

	R2(a, b, c, d, 0, 3);  R2(d, a, b, c, 4, 5);
	R2(c, d, a, b, 8, 9);  R2(b, c, d, a, 12, 13);
	R2(a, b, c, d, 1, 3);  R2(d, a, b, c, 5, 5);
	R2(c, d, a, b, 9, 9);  R2(b, c, d, a, 13, 13);
	R2(a, b, c, d, 2, 3);  R2(d, a, b, c, 6, 5);
	R2(c, d, a, b, 10, 9); R2(b, c, d, a, 14, 13);
	R2(a, b, c, d, 3, 3);  R2(d, a, b, c, 7, 5);
	R2(c, d, a, b, 11, 9); R2(b, c, d, a, 15, 13);

	R3(a, b, c, d, 0, 3);  R3(d, a, b, c, 8, 9);
	R3(c, d, a, b, 4, 11); R3(b, c, d, a, 12, 15);
	R3(a, b, c, d, 2, 3);  R3(d, a, b, c, 10, 9);
	R3(c, d, a, b, 6, 11); R3(b, c, d, a, 14, 15);
	R3(a, b, c, d, 1, 3);  R3(d, a, b, c, 9, 9);
	R3(c, d, a, b, 5, 11); R3(b, c, d, a, 13, 15);
	R3(a, b, c, d, 3, 3);  R3(d, a, b, c, 11, 9);
	R3(c, d, a, b, 7, 11); R3(b, c, d, a, 15, 15);

	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
	/* The words are password material when hashing for NTLM. */
	wipe(x, sizeof(x));
}

void
md4_init(struct md4_ctx *ctx)
{
	ctx->state[0] = 0x67452301U;
	ctx->state[1] = 0xefcdab89U;
	ctx->state[2] = 0x98badcfeU;
	ctx->state[3] = 0x10325476U;
	ctx->count = 0;
}

void
md4_update(struct md4_ctx *ctx, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t have = (size_t)(ctx->count % 64), take;

	ctx->count += len;
	if (have > 0) {
		take = 64 - have < len ? 64 - have : len;
		memcpy(ctx->block + have, p, take);
		p += take;
		len -= take;
		if (have + take < 64)
			return;
		md4_block(ctx->state, ctx->block);
	}
	for (; len >= 64; p += 64, len -= 64)
		md4_block(ctx->state, p);
	if (len > 0)
		memcpy(ctx->block, p, len);
}

void
md4_final(struct md4_ctx *ctx, unsigned char out[MD4_DIGEST_LEN])
{
	static const unsigned char pad[64] = { 0x80 };
	unsigned char lenbytes[8];
	uint64_t bits = ctx->count * 8;
	size_t have = (size_t)(ctx->count % 64);
	int i;

	/* §3.1-3.2: pad to 56 mod 64, then the bit length, little-endian. */
	for (i = 0; i < 8; i++)
		lenbytes[i] = (unsigned char)(bits >> (8 * i));
	md4_update(ctx, pad, have < 56 ? 56 - have : 120 - have);
	md4_update(ctx, lenbytes, 8);
	for (i = 0; i < 4; i++) {
		out[4 * i] = (unsigned char)ctx->state[i];
		out[4 * i + 1] = (unsigned char)(ctx->state[i] >> 8);
		out[4 * i + 2] = (unsigned char)(ctx->state[i] >> 16);
		out[4 * i + 3] = (unsigned char)(ctx->state[i] >> 24);
	}
	wipe(ctx, sizeof(*ctx));
}

void
md4(const void *data, size_t len, unsigned char out[MD4_DIGEST_LEN])
{
	struct md4_ctx ctx;

	md4_init(&ctx);
	md4_update(&ctx, data, len);
	md4_final(&ctx, out);
}
