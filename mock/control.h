/* control.h - the mock's control API (mock/control.c): GET /health,
 * GET /state, GET|POST /faults, POST /listener, as an endpoint table. */
#ifndef VAULTDR_MOCK_CONTROL_H
#define VAULTDR_MOCK_CONTROL_H
#include "mock/handler.h"
#include "mock/state.h"

/* Opens, closes or blackholes listener `which` (the server's
 * srv_set_listener); M.mu held. 0 / -1 (err_set). */
typedef int (*control_set_listener_fn)(int which, enum lstate st);
/* Answers one control request into r. Takes M.mu itself; never called with
 * it held. */
void control_handle(const struct mreq *q, struct mresp *r,
    control_set_listener_fn set_listener);

#endif
