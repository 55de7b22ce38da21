#ifndef POSTERN_OSSL_H
#define POSTERN_OSSL_H

/*
 * OpenSSL, loaded when first needed.  Mapping and relocating libcrypto
 * costs more than everything else a plain tunnel does before its first
 * byte, and most tunnels (an http:// proxy, no auth or Basic) never call
 * it.  In the default build (POSTERN_OSSL_LAZY) the binary does not link
 * OpenSSL: ossl_need() dlopen()s it and fills a table of pointers, and the
 * macros below send each call through that table, so the code calling
 * OpenSSL reads as usual.  Built with OpenSSL linked (OPENSSL_LINK=dynamic
 * or static in the Makefile), ossl_need() only answers yes.
 *
 * Include this after the OpenSSL headers a file uses.
 */

#include <stddef.h>
#include <stdint.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

enum ossl_part {
	OSSL_CRYPTO,		/* hashes for Digest and NTLM */
	OSSL_SSL,		/* TLS with an https proxy, and libcrypto */
};

/*
 * Make part callable.  Returns 0, or -1 with msg saying which library
 * could not be loaded and why.  Cheap after the first call.
 */
int	ossl_need(enum ossl_part, char *msg, size_t msglen);

/* True once part is loaded (or linked). */
int	ossl_loaded(enum ossl_part);

/*
 * OpenSSL's reason strings ("wrong version number") fill hash tables of
 * some thousands of entries, about 75 KB of every https tunnel's memory,
 * and are read only when something failed.  The lazy build leaves them
 * out: ossl_init_opts() is what to pass to OPENSSL_init_ssl() before
 * anything else, and ossl_load_reasons() loads them before an error is
 * put into words.  Linked builds load them at start as OpenSSL does.
 */
uint64_t ossl_init_opts(void);
void	ossl_load_reasons(void);

/* The first OpenSSL error of the calling thread (the cause) in words;
 * clears them all. */
void	ossl_error_string(char *, size_t);

#ifdef POSTERN_OSSL_LAZY

/* Every OpenSSL function postern calls, after the headers' macros. */
#define OSSL_CRYPTO_FUNCS(X)						\
	X(BIO_clear_flags) X(BIO_get_data) X(BIO_get_new_index)		\
	X(BIO_meth_new) X(BIO_meth_set_ctrl) X(BIO_meth_set_destroy)	\
	X(BIO_meth_set_read_ex) X(BIO_meth_set_write_ex) X(BIO_new)	\
	X(BIO_set_data) X(BIO_set_flags) X(BIO_set_init)		\
	X(ERR_clear_error) X(ERR_peek_error)				\
	X(ERR_reason_error_string) X(EVP_DigestFinal_ex)		\
	X(EVP_DigestInit_ex) X(EVP_DigestUpdate) X(EVP_MD_CTX_free)	\
	X(EVP_MD_CTX_new) X(EVP_md5) X(EVP_sha256) X(EVP_sha512_256)	\
	X(HMAC) X(X509_VERIFY_PARAM_set1_ip_asc)			\
	X(X509_VERIFY_PARAM_set_hostflags)				\
	X(X509_verify_cert_error_string) X(X509_get_subject_name)	\
	X(X509_get_issuer_name) X(X509_NAME_oneline) X(X509_get0_notAfter) \
	X(ASN1_TIME_to_tm) X(OPENSSL_sk_num) X(OPENSSL_sk_value)

#define OSSL_SSL_FUNCS(X)						\
	X(SSL_CIPHER_get_name) X(SSL_CTX_check_private_key)		\
	X(SSL_CTX_ctrl) X(SSL_CTX_free) X(SSL_CTX_load_verify_locations)	\
	X(SSL_CTX_new)							\
	X(SSL_CTX_set_alpn_protos) X(SSL_CTX_set_default_passwd_cb)	\
	X(SSL_CTX_set_default_passwd_cb_userdata)			\
	X(SSL_CTX_set_default_read_buffer_len)				\
	X(SSL_CTX_set_default_verify_paths) X(SSL_CTX_set_options)	\
	X(SSL_CTX_set_verify) X(SSL_CTX_use_PrivateKey_file)		\
	X(SSL_CTX_use_certificate_chain_file) X(SSL_connect)		\
	X(SSL_ctrl) X(SSL_free) X(SSL_get0_param)			\
	X(SSL_get_current_cipher) X(SSL_get_error) X(SSL_get_verify_result) \
	X(SSL_get_version) X(SSL_has_pending) X(SSL_new) X(SSL_pending)	\
	X(SSL_read_ex) X(SSL_set0_wbio) X(SSL_set1_host) X(SSL_set_bio)	\
	X(SSL_set_fd) X(OPENSSL_init_ssl)				\
	X(SSL_shutdown) X(SSL_write_ex) X(TLS_client_method)		\
	X(SSL_get0_alpn_selected) X(SSL_get_peer_cert_chain)

#define OSSL_SLOT(f)	__typeof__(f) *f;
struct ossl_funcs {
	OSSL_CRYPTO_FUNCS(OSSL_SLOT)
	OSSL_SSL_FUNCS(OSSL_SLOT)
};
#undef OSSL_SLOT
extern struct ossl_funcs ossl_fn;

#ifndef OSSL_NO_REDIRECT
/* The preprocessor does not expand a macro inside its own expansion, so
 * ossl_fn.f names the table's member, not the macro again. */
#define BIO_clear_flags		(*ossl_fn.BIO_clear_flags)
#define BIO_get_data		(*ossl_fn.BIO_get_data)
#define BIO_get_new_index	(*ossl_fn.BIO_get_new_index)
#define BIO_meth_new		(*ossl_fn.BIO_meth_new)
#define BIO_meth_set_ctrl	(*ossl_fn.BIO_meth_set_ctrl)
#define BIO_meth_set_destroy	(*ossl_fn.BIO_meth_set_destroy)
#define BIO_meth_set_read_ex	(*ossl_fn.BIO_meth_set_read_ex)
#define BIO_meth_set_write_ex	(*ossl_fn.BIO_meth_set_write_ex)
#define BIO_new			(*ossl_fn.BIO_new)
#define BIO_set_data		(*ossl_fn.BIO_set_data)
#define BIO_set_flags		(*ossl_fn.BIO_set_flags)
#define BIO_set_init		(*ossl_fn.BIO_set_init)
#define ERR_clear_error		(*ossl_fn.ERR_clear_error)
#define ERR_peek_error		(*ossl_fn.ERR_peek_error)
#define ERR_reason_error_string	(*ossl_fn.ERR_reason_error_string)
#define EVP_DigestFinal_ex	(*ossl_fn.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex	(*ossl_fn.EVP_DigestInit_ex)
#define EVP_DigestUpdate	(*ossl_fn.EVP_DigestUpdate)
#define EVP_MD_CTX_free		(*ossl_fn.EVP_MD_CTX_free)
#define EVP_MD_CTX_new		(*ossl_fn.EVP_MD_CTX_new)
#define EVP_md5			(*ossl_fn.EVP_md5)
#define EVP_sha256		(*ossl_fn.EVP_sha256)
#define EVP_sha512_256		(*ossl_fn.EVP_sha512_256)
#define HMAC			(*ossl_fn.HMAC)
#define X509_VERIFY_PARAM_set1_ip_asc (*ossl_fn.X509_VERIFY_PARAM_set1_ip_asc)
#define X509_VERIFY_PARAM_set_hostflags \
	(*ossl_fn.X509_VERIFY_PARAM_set_hostflags)
#define X509_verify_cert_error_string (*ossl_fn.X509_verify_cert_error_string)
#define X509_get_subject_name	(*ossl_fn.X509_get_subject_name)
#define X509_get_issuer_name	(*ossl_fn.X509_get_issuer_name)
#define X509_NAME_oneline	(*ossl_fn.X509_NAME_oneline)
#define X509_get0_notAfter	(*ossl_fn.X509_get0_notAfter)
#define ASN1_TIME_to_tm		(*ossl_fn.ASN1_TIME_to_tm)
#define OPENSSL_sk_num		(*ossl_fn.OPENSSL_sk_num)
#define OPENSSL_sk_value	(*ossl_fn.OPENSSL_sk_value)
#define SSL_get0_alpn_selected	(*ossl_fn.SSL_get0_alpn_selected)
#define SSL_get_peer_cert_chain	(*ossl_fn.SSL_get_peer_cert_chain)
#define SSL_CIPHER_get_name	(*ossl_fn.SSL_CIPHER_get_name)
#define SSL_CTX_check_private_key (*ossl_fn.SSL_CTX_check_private_key)
#define OPENSSL_init_ssl	(*ossl_fn.OPENSSL_init_ssl)
#define SSL_CTX_ctrl		(*ossl_fn.SSL_CTX_ctrl)
#define SSL_CTX_load_verify_locations (*ossl_fn.SSL_CTX_load_verify_locations)
#define SSL_CTX_free		(*ossl_fn.SSL_CTX_free)
#define SSL_CTX_new		(*ossl_fn.SSL_CTX_new)
#define SSL_CTX_set_alpn_protos	(*ossl_fn.SSL_CTX_set_alpn_protos)
#define SSL_CTX_set_default_passwd_cb (*ossl_fn.SSL_CTX_set_default_passwd_cb)
#define SSL_CTX_set_default_passwd_cb_userdata \
	(*ossl_fn.SSL_CTX_set_default_passwd_cb_userdata)
#define SSL_CTX_set_default_read_buffer_len \
	(*ossl_fn.SSL_CTX_set_default_read_buffer_len)
#define SSL_CTX_set_default_verify_paths \
	(*ossl_fn.SSL_CTX_set_default_verify_paths)
#define SSL_CTX_set_options	(*ossl_fn.SSL_CTX_set_options)
#define SSL_CTX_set_verify	(*ossl_fn.SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey_file (*ossl_fn.SSL_CTX_use_PrivateKey_file)
#define SSL_CTX_use_certificate_chain_file \
	(*ossl_fn.SSL_CTX_use_certificate_chain_file)
#define SSL_connect		(*ossl_fn.SSL_connect)
#define SSL_ctrl		(*ossl_fn.SSL_ctrl)
#define SSL_free		(*ossl_fn.SSL_free)
#define SSL_get0_param		(*ossl_fn.SSL_get0_param)
#define SSL_get_current_cipher	(*ossl_fn.SSL_get_current_cipher)
#define SSL_get_error		(*ossl_fn.SSL_get_error)
#define SSL_get_verify_result	(*ossl_fn.SSL_get_verify_result)
#define SSL_get_version		(*ossl_fn.SSL_get_version)
#define SSL_has_pending		(*ossl_fn.SSL_has_pending)
#define SSL_new			(*ossl_fn.SSL_new)
#define SSL_pending		(*ossl_fn.SSL_pending)
#define SSL_read_ex		(*ossl_fn.SSL_read_ex)
#define SSL_set0_wbio		(*ossl_fn.SSL_set0_wbio)
#define SSL_set1_host		(*ossl_fn.SSL_set1_host)
#define SSL_set_bio		(*ossl_fn.SSL_set_bio)
#define SSL_set_fd		(*ossl_fn.SSL_set_fd)
#define SSL_shutdown		(*ossl_fn.SSL_shutdown)
#define SSL_write_ex		(*ossl_fn.SSL_write_ex)
#define TLS_client_method	(*ossl_fn.TLS_client_method)
#endif /* OSSL_NO_REDIRECT */

#endif /* POSTERN_OSSL_LAZY */

#endif
