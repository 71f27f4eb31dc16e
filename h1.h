/* h1.h - the HTTP/1.1 wire grammar (RFC 9112) shared by the client
 * (http.c, reading responses) and the mock's server side (mock/hreq.c,
 * reading requests): status and request lines, header fields, token lists,
 * Content-Length values, keep-alive, and the chunked transfer coding.
 *
 * No I/O and no error slot here: each function checks bytes it is given
 * (with their length) and says what is wrong with a fixed message; the
 * caller owns the reading and reports the failure its own way (err_set in
 * the client, a 4xx answer in the mock). */
#ifndef VAULTDR_H1_H
#define VAULTDR_H1_H
#include <stddef.h>

#include "buf.h"

struct http_header {
	char *name;  /* client requests: borrowed; responses: owned; mock
	                requests: points into the request's raw bytes */
	char *value;
};

/* 1 when ch is a token character (RFC 9110 5.6.2). */
int h1_is_tchar(int ch);

/* Status line "HTTP/1.x NNN[ reason]" of len bytes: the status (100-599),
 * or -1 ("bad status line"). *minor gets x (0 or 1). */
int h1_status_line(const char *l, size_t len, int *minor);

/* A parsed request line; the strings point into the line (split in place)
 * except path and query, which the caller derives. */
struct h1_reqline {
	char *method; /* token, 1-15 chars */
	char *target; /* origin form "/..." or "*" for OPTIONS */
	int minor;    /* HTTP/1.<minor>, 0 or 1 */
};
/* Splits the NUL-terminated request line "METHOD SP target SP HTTP/1.x"
 * in place. 0, or the status a server answers (400; 505 for another
 * HTTP/d.d version) with *why set to a fixed message. */
int h1_request_line(char *line, struct h1_reqline *out, const char **why);

/* One header field line of len bytes (no CRLF): the name [name, name +
 * name_len) and the value with optional whitespace trimmed on both sides.
 * Refuses obsolete line folding, a missing or leading colon, a non-token
 * name, and control characters (but tab) in the value. 0, or -1 with *why
 * set to a fixed message. */
struct h1_field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};
int h1_field(const char *line, size_t len, struct h1_field *f,
    const char **why);

/* First header named name (case-insensitive) among h[0..n), or NULL. */
const char *h1_header(const struct http_header *h, size_t n,
    const char *name);
/* 1 when the comma-separated list v contains token (case-insensitive,
 * whitespace around elements ignored). */
int h1_has_token(const char *v, const char *token);
/* Whether the connection stays open after this message: HTTP/1.1 unless a
 * Connection header lists "close"; HTTP/1.0 only when one lists
 * "keep-alive" and none "close". Every Connection header counts. */
int h1_keep_alive(int minor, const struct http_header *h, size_t n);
/* Content-Length value: 1*DIGIT, at most 15 digits. 0 with *out, -1 not
 * digits (or empty), -2 too many digits. */
int h1_content_length(const char *v, unsigned long long *out);

/* ---- chunked transfer coding ---------------------------------------- */

/* What the decoder found wrong; H1_CHUNK_IO means a callback failed and
 * already described why. */
enum h1_chunk_err {
	H1_CHUNK_OK = 0,
	H1_CHUNK_IO,
	H1_CHUNK_BAD_SIZE,     /* not 1*HEXDIG [ws] [; ext] */
	H1_CHUNK_SIZE_DIGITS,  /* more than 15 hex digits */
	H1_CHUNK_TOO_LARGE,    /* body over the caller's limit */
	H1_CHUNK_NO_CRLF,      /* chunk data not followed by an empty line */
	H1_CHUNK_BAD_TRAILER,  /* trailer field without a colon, or folded */
};
/* Fixed message for e ("bad chunk size", ...). */
const char *h1_chunk_msg(enum h1_chunk_err e);
/* The status a server answers for e (400, or 413 for sizes). */
int h1_chunk_status(enum h1_chunk_err e);

/* Where the decoder's lines and bytes come from. */
enum h1_line_kind { H1_LINE_SIZE, H1_LINE_DATA_END, H1_LINE_TRAILER };
struct h1_chunk_src {
	/* One line without its terminator: 0 with *line (NUL-terminated,
	 * valid until the next call) and *len, or -1 (described by the
	 * source: I/O, too long, bare CR). kind says which line it is, for
	 * the source's own limits and messages. */
	int (*line)(void *ctx, enum h1_line_kind kind, const char **line,
	    size_t *len);
	/* Appends exactly n bytes to body; 0 / -1 (described). */
	int (*data)(void *ctx, struct buf *body, size_t n);
	void *ctx;
};
/* Decodes a chunked body (after the header section) into body, through
 * its trailer section (fields are checked and dropped); body stays within
 * max bytes. H1_CHUNK_OK or what was wrong. */
enum h1_chunk_err h1_chunked(const struct h1_chunk_src *src,
    struct buf *body, size_t max);

#endif
