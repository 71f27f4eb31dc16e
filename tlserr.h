/* tlserr.h - names of BearSSL error codes and TLS alerts (tlserr.c). */
#ifndef VAULTDR_TLSERR_H
#define VAULTDR_TLSERR_H

/* Name of a BearSSL error code, e.g. "BR_ERR_X509_NOT_TRUSTED"; a received
 * or sent fatal alert as "BR_ERR_RECV_FATAL_ALERT+70". The name is
 * formatted into a thread-local buffer valid until the next call in that
 * thread. */
const char *tls_error_name(int err);

/* Name of TLS alert n ("handshake_failure"), or "unknown alert". */
const char *tls_alert_name(int n);

#endif
