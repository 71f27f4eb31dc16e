/* srv.h - the mock's server (mock/srv.c): listening sockets, one thread
 * per connection, fault rules, the request log, the control API. */
#ifndef VAULTDR_MOCK_SRV_H
#define VAULTDR_MOCK_SRV_H
#include "mock/state.h"

int srv_listen(int which, int port); /* binds M.lst[which]; 0 / -1 (err_set) */
int srv_set_listener(int which, enum lstate st); /* 0 / -1 */
/* Runs the accept loop until SIGTERM/SIGINT; returns 0 after a clean stop. */
int srv_run(void *tls_server, const char *log_file);
void srv_wake(void);


#endif
