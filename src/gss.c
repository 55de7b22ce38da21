#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gss.h"

#ifdef POSTERN_NEGOTIATE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>

#include "dynload.h"

#ifndef GSS_LIB
#define GSS_LIB		"libgssapi_krb5.so.2"
#endif

/* The GSSAPI functions postern calls, as RFC 2744 §7 declares them. */
struct gss_fn {
	OM_uint32	(*import_name)(OM_uint32 *, gss_buffer_t, gss_OID,
			    gss_name_t *);
	OM_uint32	(*init_sec_context)(OM_uint32 *, gss_cred_id_t,
			    gss_ctx_id_t *, gss_name_t, gss_OID, OM_uint32,
			    OM_uint32, gss_channel_bindings_t, gss_buffer_t,
			    gss_OID *, gss_buffer_t, OM_uint32 *, OM_uint32 *);
	OM_uint32	(*display_status)(OM_uint32 *, OM_uint32, int,
			    gss_OID, OM_uint32 *, gss_buffer_t);
	OM_uint32	(*release_name)(OM_uint32 *, gss_name_t *);
	OM_uint32	(*release_buffer)(OM_uint32 *, gss_buffer_t);
	OM_uint32	(*delete_sec_context)(OM_uint32 *, gss_ctx_id_t *,
			    gss_buffer_t);
	OM_uint32	(*acquire_cred)(OM_uint32 *, gss_name_t, OM_uint32,
			    gss_OID_set, gss_cred_usage_t, gss_cred_id_t *,
			    gss_OID_set *, OM_uint32 *);
	OM_uint32	(*inquire_cred)(OM_uint32 *, gss_cred_id_t,
			    gss_name_t *, OM_uint32 *, gss_cred_usage_t *,
			    gss_OID_set *);
	OM_uint32	(*display_name)(OM_uint32 *, gss_name_t, gss_buffer_t,
			    gss_OID *);
	OM_uint32	(*release_cred)(OM_uint32 *, gss_cred_id_t *);
};

static const struct dynsym syms[] = {
	{ "gss_import_name", offsetof(struct gss_fn, import_name) },
	{ "gss_init_sec_context", offsetof(struct gss_fn, init_sec_context) },
	{ "gss_display_status", offsetof(struct gss_fn, display_status) },
	{ "gss_release_name", offsetof(struct gss_fn, release_name) },
	{ "gss_release_buffer", offsetof(struct gss_fn, release_buffer) },
	{ "gss_delete_sec_context",
	    offsetof(struct gss_fn, delete_sec_context) },
	{ "gss_acquire_cred", offsetof(struct gss_fn, acquire_cred) },
	{ "gss_inquire_cred", offsetof(struct gss_fn, inquire_cred) },
	{ "gss_display_name", offsetof(struct gss_fn, display_name) },
	{ "gss_release_cred", offsetof(struct gss_fn, release_cred) },
};

/* OIDs as bytes, so that no data symbol of the library is needed. */
static gss_OID_desc hostbased = { 10,	/* 1.2.840.113554.1.2.1.4 */
	(void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04" };
static gss_OID_desc spnego = { 6,	/* 1.3.6.1.5.5.2 */
	(void *)"\x2b\x06\x01\x05\x05\x02" };

static struct gss_fn fn;
static void *lib;		/* open for the life of the process */
static char load_error[256];

/* What one exchange holds. */
struct gss_handle {
	gss_name_t	 name;
	gss_ctx_id_t	 ctx;
	gss_buffer_desc	 out;		/* the last token made */
};

static int
load(void)
{
	struct gss_fn f;
	char err[200];

	if (lib != NULL)
		return 0;
	if ((lib = dynload(GSS_LIB, syms, sizeof(syms) / sizeof(syms[0]), &f,
	    err, sizeof(err))) == NULL) {
		snprintf(load_error, sizeof(load_error), "cannot load %s: %s",
		    GSS_LIB, err);
		return -1;
	}
	fn = f;
	return 0;
}

static uint32_t
g_import_name(const char *name, void **hp, uint32_t *minor)
{
	gss_buffer_desc nb;
	struct gss_handle *h;
	OM_uint32 major, min = 0;

	*hp = NULL;
	*minor = 0;
	if (load() == -1)
		return AUTH_GSS_UNAVAILABLE;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return AUTH_GSS_FAILURE;
	h->ctx = GSS_C_NO_CONTEXT;
	h->name = GSS_C_NO_NAME;
	nb.value = (void *)name;
	nb.length = strlen(name);
	major = fn.import_name(&min, &nb, &hostbased, &h->name);
	*minor = min;
	*hp = h;
	return major;
}

static uint32_t
g_init_sec_context(void *hp, const void *in, size_t inlen, const void **tok,
    size_t *toklen, uint32_t *minor)
{
	struct gss_handle *h = hp;
	gss_buffer_desc ib;
	OM_uint32 major, min = 0;

	if (h->out.value != NULL)
		fn.release_buffer(&min, &h->out);
	h->out.value = NULL;
	h->out.length = 0;
	ib.value = (void *)in;
	ib.length = inlen;
	/* No delegation, no mutual authentication asked: the proxy is
	 * trusted as far as its TLS or network is. */
	major = fn.init_sec_context(&min, GSS_C_NO_CREDENTIAL, &h->ctx,
	    h->name, &spnego, 0, GSS_C_INDEFINITE, GSS_C_NO_CHANNEL_BINDINGS,
	    in != NULL ? &ib : GSS_C_NO_BUFFER, NULL, &h->out, NULL, NULL);
	*minor = min;
	*tok = h->out.value;
	*toklen = h->out.length;
	return major;
}

/* Every message for code, joined with "; ". */
static size_t
words(OM_uint32 code, int type, char *out, size_t outlen)
{
	OM_uint32 min, more = 0;
	gss_buffer_desc b;
	size_t o = 0;
	int n;

	do {
		b.value = NULL;
		b.length = 0;
		if (GSS_ERROR(fn.display_status(&min, code, type,
		    GSS_C_NO_OID, &more, &b)))
			break;
		n = snprintf(out + o, outlen - o, "%s%.*s", o ? "; " : "",
		    (int)b.length, (const char *)b.value);
		fn.release_buffer(&min, &b);
		if (n < 0 || (size_t)n >= outlen - o)
			return outlen - 1;
		o += (size_t)n;
	} while (more != 0);
	return o;
}

static void
g_display_status(uint32_t major, uint32_t minor, char *out, size_t outlen)
{
	size_t o = 0;

	out[0] = '\0';
	if (lib == NULL) {
		snprintf(out, outlen, "%s", load_error[0] ? load_error :
		    "GSSAPI is not loaded");
		return;
	}
	/* "Unspecified GSS failure" only says that the minor code tells. */
	if (GSS_ROUTINE_ERROR(major) != GSS_S_FAILURE || minor == 0)
		o = words(major, GSS_C_GSS_CODE, out, outlen);
	if (minor != 0 && o + 3 < outlen) {
		if (o > 0) {
			memcpy(out + o, ": ", 3);
			o += 2;
		}
		words(minor, GSS_C_MECH_CODE, out + o, outlen - o);
	}
}

static void
g_release(void *hp)
{
	struct gss_handle *h = hp;
	OM_uint32 min;

	if (h == NULL)
		return;
	if (h->out.value != NULL)
		fn.release_buffer(&min, &h->out);
	if (h->ctx != GSS_C_NO_CONTEXT)
		fn.delete_sec_context(&min, &h->ctx, GSS_C_NO_BUFFER);
	if (h->name != GSS_C_NO_NAME)
		fn.release_name(&min, &h->name);
	free(h);
}

int
gss_ticket(char *client, size_t clen, int64_t *secs, char *why,
    size_t whylen)
{
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_name_t name = GSS_C_NO_NAME;
	gss_buffer_desc b = { 0, NULL };
	OM_uint32 major, min = 0, life = 0;
	int rc = -1;

	if (load() == -1) {
		snprintf(why, whylen, "%s", load_error);
		return -1;
	}
	major = fn.acquire_cred(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE,
	    GSS_C_NO_OID_SET, GSS_C_INITIATE, &cred, NULL, NULL);
	if (!GSS_ERROR(major))
		major = fn.inquire_cred(&min, cred, &name, &life, NULL, NULL);
	if (!GSS_ERROR(major))
		major = fn.display_name(&min, name, &b, NULL);
	if (GSS_ERROR(major))
		g_display_status(major, min, why, whylen);
	else {
		snprintf(client, clen, "%.*s", (int)b.length,
		    (const char *)b.value);
		*secs = life == GSS_C_INDEFINITE ? -1 : (int64_t)life;
		rc = 0;
	}
	if (b.value != NULL)
		fn.release_buffer(&min, &b);
	if (name != GSS_C_NO_NAME)
		fn.release_name(&min, &name);
	if (cred != GSS_C_NO_CREDENTIAL)
		fn.release_cred(&min, &cred);
	return rc;
}

static const struct auth_gss ops = {
	g_import_name, g_init_sec_context, g_display_status, g_release,
};

const struct auth_gss *
gss_ops(void)
{
	return &ops;
}

int
gss_loaded(void)
{
	return lib != NULL;
}

#else /* built without Negotiate */

int
gss_ticket(char *client, size_t clen, int64_t *secs, char *why,
    size_t whylen)
{
	(void)client;
	(void)clen;
	(void)secs;
	snprintf(why, whylen, "built without Negotiate");
	return -1;
}

const struct auth_gss *
gss_ops(void)
{
	return NULL;
}

int
gss_loaded(void)
{
	return 0;
}

#endif
