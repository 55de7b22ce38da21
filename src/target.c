#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "target.h"
#include "util.h"

static int
hostchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static enum target_rc
parse_ipv6(const char *s, size_t len, struct target *t)
{
	struct in6_addr a;
	char tmp[64];

	if (memchr(s, '%', len) != NULL)
		return TARGET_ZONE_ID;
	if (len == 0 || len >= sizeof(tmp))
		return TARGET_BAD_IPV6;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1)
		return TARGET_BAD_IPV6;
	memcpy(t->host, tmp, len + 1);
	t->ipv6 = 1;
	return TARGET_OK;
}

enum target_rc
target_parse_host(const char *s, size_t len, struct target *t)
{
	size_t i, label = 0, max = HOST_MAX;

	t->ipv6 = 0;
	if (len == 0)
		return TARGET_EMPTY_HOST;
	/* Control bytes and white space first, whatever else the string
	 * looks like, so that the message names the real problem. */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return TARGET_BAD_HOST;
	if (s[0] == '[') {
		if (len < 2 || s[len - 1] != ']')
			return TARGET_BAD_IPV6;
		return parse_ipv6(s + 1, len - 2, t);
	}
	if (memchr(s, ':', len) != NULL) {
		if (memchr(s, ']', len) != NULL)
			return TARGET_BAD_IPV6;
		return parse_ipv6(s, len, t);
	}
	/* A fully qualified name may end in the root's dot. */
	if (s[len - 1] == '.')
		max++;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			return TARGET_NON_ASCII;
		if (!hostchar(c))
			return TARGET_BAD_HOST;
		if (c == '.') {
			if (label == 0)
				return TARGET_BAD_HOST;
			label = 0;
		} else if (c == '-' && label == 0)
			/* RFC 1123 §2.1: no label starts with a hyphen, and a
			 * name that does could pass for an option later. */
			return TARGET_BAD_HOST;
		else if (++label > LABEL_MAX)
			return TARGET_LABEL_TOO_LONG;
	}
	if (len > max)
		return TARGET_HOST_TOO_LONG;
	memcpy(t->host, s, len);
	t->host[len] = '\0';
	return TARGET_OK;
}

enum target_rc
target_parse(const char *host, const char *port, struct target *t)
{
	unsigned long p;
	const char *colon;
	size_t hlen;
	enum target_rc rc;

	if (port == NULL) {
		/* HOST:PORT, where an IPv6 host must be in brackets. */
		if (host[0] == '[') {
			colon = strchr(host, ']');
			if (colon == NULL)
				return TARGET_BAD_IPV6;
			colon++;
			if (*colon != ':')
				return *colon == '\0' ? TARGET_NO_PORT :
				    TARGET_BAD_IPV6;
		} else {
			colon = strrchr(host, ':');
			if (colon == NULL)
				return TARGET_NO_PORT;
			if (memchr(host, ':', (size_t)(colon - host)) != NULL)
				return TARGET_BAD_IPV6;
		}
		hlen = (size_t)(colon - host);
		port = colon + 1;
	} else
		hlen = strlen(host);
	if ((rc = target_parse_host(host, hlen, t)) != TARGET_OK)
		return rc;
	if (parse_uint(port, 1, 65535, &p) == -1)
		return TARGET_BAD_PORT;
	t->port = (unsigned)p;
	return TARGET_OK;
}

int
target_authority(const struct target *t, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, t->ipv6 ? "[%s]:%u" : "%s:%u", t->host,
	    t->port);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *
target_strerror(enum target_rc rc)
{
	switch (rc) {
	case TARGET_OK:
		return "no error";
	case TARGET_EMPTY_HOST:
		return "empty host";
	case TARGET_BAD_HOST:
		return "not a host name (letters, digits, '-', '.', '_'; no "
		    "leading '-')";
	case TARGET_NON_ASCII:
		return "non-ASCII host name (use its xn-- form)";
	case TARGET_HOST_TOO_LONG:
		return "host name longer than 253 characters";
	case TARGET_LABEL_TOO_LONG:
		return "host name label longer than 63 characters";
	case TARGET_BAD_IPV6:
		return "invalid IPv6 address";
	case TARGET_ZONE_ID:
		return "IPv6 zone IDs are not supported";
	case TARGET_NO_PORT:
		return "missing port";
	case TARGET_BAD_PORT:
		return "invalid port";
	}
	return "unknown error";
}
