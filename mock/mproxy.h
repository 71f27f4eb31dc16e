/* mock/mproxy.h - vaultdr-mock's HTTP CONNECT proxy: plain HTTP on
 * 127.0.0.1, tunnels to any host:port (the mock's own listeners in tests),
 * optional basic credentials (407) and a deny list (403), one log line per
 * request (target, whether credentials came, never the password). Runs in
 * threads of its own; shares no state with the Vault/Route 53 handlers. */
#ifndef VAULTDR_MOCK_PROXY_H
#define VAULTDR_MOCK_PROXY_H
#include <stddef.h>

/* 1 when the scenario key path ("proxy", "proxy.username", ...) is the
 * proxy's. */
int mproxy_key_allowed(const char *path);
/* Reads the "proxy" section of the scenario file (NULL: defaults: no
 * credentials, nothing denied). 0 / -1 with why. Before mproxy_start. */
int mproxy_load(const char *scenario_path, char *why, size_t whysz);
/* Binds 127.0.0.1 (port 0: ephemeral) and starts the accept thread; log
 * lines are appended to log_file (NULL: none). The bound port, or -1 with
 * err_set. */
int mproxy_start(int port, const char *log_file);

#endif
