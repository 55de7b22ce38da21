#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"

/*
 * Basic (RFC 7617 §2): "Basic " base64(user-id ":" password).  The bytes
 * go out as given, which is UTF-8 from a UTF-8 locale or netrc file, the
 * only charset §2.1 allows.
 */
enum auth_rc
auth_basic_response(const struct cred *cred, struct buf *out)
{
	struct buf pair;
	enum auth_rc rc;

	if ((rc = auth_check_cred(cred)) != AUTH_OK)
		return rc;
	/*
	 * "a user-id containing a colon character is invalid" (§2): the
	 * proxy would split it at the wrong place.  There is no enum value
	 * for a bad credential; it is one we cannot use, so say so.
	 */
	if (strchr(cred->user, ':') != NULL)
		return AUTH_NO_CREDENTIALS;
	buf_init(&pair, 2 * AUTH_CRED_MAX + 1);
	if ((rc = auth_out_str(&pair, cred->user)) != AUTH_OK ||
	    (rc = auth_out_add(&pair, ":", 1)) != AUTH_OK ||
	    (rc = auth_out_str(&pair, cred->pass)) != AUTH_OK)
		goto out;
	if ((rc = auth_out_str(out, "Basic ")) != AUTH_OK)
		goto out;
	rc = auth_base64_encode(out, pair.data, pair.len);
out:
	buf_wipe(&pair);
	return rc;
}
