/*
 * The PAC server's answer: the header through http_feed() (http.c), then
 * the body of a 200, up to its Content-Length or to the end.  No I/O.
 */
#include <stdio.h>
#include <string.h>

#include "pacreply.h"
#include "util.h"

enum { R_HEAD, R_LENGTH, R_CLOSE, R_DONE, R_ERROR };

#define TOO_LARGE	"larger than 1024 KiB"
_Static_assert(PAC_MAX == 1024 * 1024, "TOO_LARGE names PAC_MAX");
_Static_assert(HTTP_VALIDATOR_MAX == PAC_VALIDATOR_MAX,
    "validators are copied whole");

void
pac_reply_init(struct pac_reply *pr, int cond, struct buf *body)
{
	memset(pr, 0, sizeof(*pr));
	http_resp_init(&pr->rp);
	pr->body = body;
	pr->cond = cond;
	pr->state = R_HEAD;
	pr->hrc = HTTP_MORE;
}

void
pac_reply_free(struct pac_reply *pr)
{
	http_resp_free(&pr->rp);
}

static int
fail(struct pac_reply *pr, const char *why)
{
	pr->why = why;
	return pr->state = R_ERROR;
}

/* What follows a whole header.  Our GET is HTTP/1.0, so a body comes
 * with a Content-Length or up to the end (RFC 9112 §6.3); a
 * Transfer-Encoding is not ours to undo. */
static int
body_state(struct pac_reply *pr)
{
	const struct http_resp *rp = &pr->rp;

	if (rp->status != 200)
		return R_DONE;		/* 304, or an error: no body wanted */
	if (rp->te)
		return fail(pr, "a Transfer-Encoding in the answer to an "
		    "HTTP/1.0 request");
	switch (http_framing(rp)) {
	case HF_NONE:
		return R_DONE;
	case HF_LENGTH:
		if (rp->length > pr->body->max)
			return fail(pr, TOO_LARGE);
		pr->left = rp->length;
		return R_LENGTH;
	case HF_CLOSE:
		return R_CLOSE;
	default:
		return fail(pr, "a malformed Content-Length");
	}
}

enum pac_reply_rc
pac_reply_feed(struct pac_reply *pr, const char *data, size_t len,
    size_t *used)
{
	size_t pos = 0, take;

	if (pr->state == R_HEAD) {
		pr->hrc = http_feed(&pr->rp, data, len, &pos);
		if (pr->hrc == HTTP_MORE) {
			*used = pos;
			return PACR_MORE;
		}
		pr->state = pr->hrc == HTTP_DONE ? body_state(pr) : R_ERROR;
	}
	if (pr->state == R_LENGTH || pr->state == R_CLOSE) {
		take = len - pos;
		if (pr->state == R_LENGTH && take > pr->left)
			take = (size_t)pr->left;
		if (buf_add(pr->body, data + pos, take) == -1)
			fail(pr, TOO_LARGE);
		else {
			pos += take;
			pr->left -= pr->state == R_LENGTH ? take : 0;
			if (pr->state == R_LENGTH && pr->left == 0)
				pr->state = R_DONE;
		}
	}
	*used = pos;
	return pr->state == R_DONE ? PACR_DONE : pr->state == R_ERROR ?
	    PACR_ERROR : PACR_MORE;
}

int
pac_reply_end(const struct pac_reply *pr, struct pac_validators *cond,
    char *err, size_t errlen)
{
	const struct http_resp *rp = &pr->rp;
	char shown[SHOW_BUF];
	int code = rp->status;

	if (pr->state == R_HEAD || (pr->state == R_ERROR &&
	    pr->hrc != HTTP_DONE)) {
		snprintf(err, errlen, "not an HTTP reply%s%s",
		    pr->hrc == HTTP_MORE ? "" : ": ",
		    pr->hrc == HTTP_MORE ? "" : http_strerror(pr->hrc));
		return -1;
	}
	if (pr->state == R_ERROR) {
		snprintf(err, errlen, "%s", pr->why);
		return -1;
	}
	if (pr->state == R_LENGTH) {
		snprintf(err, errlen, "the answer ended %llu bytes short of "
		    "its Content-Length", (unsigned long long)pr->left);
		return -1;
	}
	if (code != 200 && (code != 304 || !pr->cond)) {
		snprintf(err, errlen, "%03d%s%s", code, rp->reason[0] ? " " :
		    "", show_text(shown, sizeof(shown), rp->reason,
		    strlen(rp->reason)));
		return -1;
	}
	if (cond != NULL) {
		memcpy(cond->etag, rp->etag, sizeof(cond->etag));
		memcpy(cond->last_modified, rp->last_modified,
		    sizeof(cond->last_modified));
	}
	return code;
}
