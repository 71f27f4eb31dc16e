/* vfix.h - a Vault client (struct vault) pointed at a scripted local
 * server (tsrv.h), for the vault and where suites. */
#ifndef VAULTDR_VFIX_H
#define VAULTDR_VFIX_H
#include "http.h"
#include "secret.h"
#include "tsrv.h"
#include "vault.h"

struct vfix {
	struct tsrv s;
	struct http_client *http;
	struct secret token;
	struct vault v;
	char url[64];
};

/* An HTTP reply with a JSON body (NULL: none), kept until vfix_stop. */
const char *vfix_reply(int status, const char *body);

/* Starts the server on the n steps and points f->v at it. 0 / -1. */
int vfix_start(struct vfix *f, const struct tsrv_step *st, size_t n);

/* Stops the server, frees the client and every vfix_reply. */
void vfix_stop(struct vfix *f);

#endif
