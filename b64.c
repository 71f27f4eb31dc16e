/* b64.c - standard base64 (RFC 4648 section 4) and the decode of Vault's
 * encoded_token with its one-time pad.  Strict: no whitespace, no other
 * alphabet, no non-zero trailing bits.  Error messages carry offsets and
 * lengths only, never input bytes (tokens and OTPs pass through here). */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "err.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Length of the encoding of n bytes, without the NUL. */
size_t
b64_encoded_len(size_t n, int pad)
{
	if (pad)
		return (n + 2) / 3 * 4;
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes the encoding of in[0..n) and a NUL to out. 0 / -1 (outsz too
 * small; err_set). */
int
b64_encode(const unsigned char *in, size_t n, char *out, size_t outsz,
    int pad)
{
	size_t i, o = 0, need;
	unsigned v;

	if (n > ((size_t)-1 - 8) / 4 * 3 ||
	    (need = b64_encoded_len(n, pad)) >= outsz) {
		err_set("base64: output buffer too small");
		return -1;
	}
	for (i = 0; i + 3 <= n; i += 3) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned)in[i] << 16;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

/* Strict decode of in[0..n) into out; *outlen = bytes written.  Padded or
 * unpadded input; padding, when present, must complete the last quartet.
 * 0 / -1 (err_set with the offset). */
int
b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t m = n, i, o = 0, need, npad;
	unsigned v = 0;
	int d;

	*outlen = 0;
	while (m > 0 && in[m - 1] == '=')
		m--;
	npad = n - m;
	if (npad > 2 || (npad > 0 && n % 4 != 0)) {
		err_set("base64: bad padding at offset %zu", m);
		return -1;
	}
	if (m % 4 == 1) {
		err_set("base64: impossible length %zu", m);
		return -1;
	}
	if (npad > 0 && (m % 4) + npad != 4) {
		err_set("base64: bad padding at offset %zu", m);
		return -1;
	}
	need = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
	if (need > outsz) {
		err_set("base64: output buffer too small (%zu bytes needed)",
		    need);
		return -1;
	}
	for (i = 0; i < m; i++) {
		if ((d = b64_val((unsigned char)in[i])) < 0) {
			err_set("base64: invalid character at offset %zu", i);
			return -1;
		}
		v = v << 6 | (unsigned)d;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	switch (m % 4) {
	case 2:
		if (v & 0xf) {
			err_set("base64: non-zero trailing bits at offset %zu",
			    m - 1);
			goto fail;
		}
		out[o++] = (unsigned char)(v >> 4);
		break;
	case 3:
		if (v & 0x3) {
			err_set("base64: non-zero trailing bits at offset %zu",
			    m - 1);
			goto fail;
		}
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
		break;
	}
	*outlen = o;
	return 0;
fail:
	explicit_bzero(out, o);
	return -1;
}

/* Decodes a padded or unpadded base64 string into a new heap buffer;
 * strip: ignore any trailing '=' (Vault's raw encoding has none, Go's
 * decoder would reject them, a pasted value may carry them). */
static unsigned char *
decode_alloc(const char *what, const char *s, size_t *len, int strip)
{
	size_t n = strlen(s), cap = n / 4 * 3 + 3;
	unsigned char *p;

	while (strip && n > 0 && s[n - 1] == '=')
		n--;

	if ((p = malloc(cap)) == NULL) {
		err_set("out of memory");
		return NULL;
	}
	if (b64_decode(s, n, p, cap, len) == -1) {
		err_prefix("%s", what);
		explicit_bzero(p, cap);
		free(p);
		return NULL;
	}
	return p;
}

/* See b64.h.  Scratch copies are wiped. 0 / -1 (err_set; never the inputs). */
int
otp_decode_token(const char *encoded, const char *otp, int otp_length,
    char *out, size_t outsz)
{
	unsigned char *tok = NULL, *pad = NULL;
	size_t tlen = 0, plen = 0, i, n;
	int rc = -1;

	if (encoded == NULL || otp == NULL || encoded[0] == '\0' ||
	    otp[0] == '\0') {
		err_set("operation token decode: encoded token or OTP is empty");
		return -1;
	}
	if (otp_length < 0) {
		err_set("operation token decode: negative otp_length");
		return -1;
	}
	if ((tok = decode_alloc("encoded token", encoded, &tlen,
	    otp_length > 0)) == NULL)
		goto out;
	if (otp_length > 0) {
		/* modern: base64(token XOR otp), unpadded; OTP used as text */
		plen = strlen(otp);
		if (tlen != plen) {
			err_set("operation token decode: decoded token is %zu "
			    "bytes but the OTP is %zu characters", tlen, plen);
			goto out;
		}
		if (tlen + 1 > outsz) {
			err_set("operation token decode: output buffer too "
			    "small");
			goto out;
		}
		for (i = 0; i < tlen; i++) {
			out[i] = (char)(tok[i] ^ (unsigned char)otp[i]);
			if (out[i] == '\0') {
				explicit_bzero(out, i);
				err_set("operation token decode: result contains "
				    "a NUL byte (wrong OTP?)");
				goto out;
			}
		}
		out[tlen] = '\0';
		rc = 0;
		goto out;
	}
	/* legacy: both base64 of 16 bytes; the result is a UUID */
	if ((pad = decode_alloc("OTP", otp, &plen, 0)) == NULL)
		goto out;
	if (tlen != 16 || plen != 16) {
		err_set("operation token decode (legacy): token is %zu bytes "
		    "and OTP %zu bytes, both must be 16", tlen, plen);
		goto out;
	}
	if (outsz < 37) {
		err_set("operation token decode: output buffer too small");
		goto out;
	}
	for (i = 0, n = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		tok[i] ^= pad[i];
		out[n++] = "0123456789abcdef"[tok[i] >> 4];
		out[n++] = "0123456789abcdef"[tok[i] & 15];
	}
	out[n] = '\0';
	rc = 0;
out:
	if (tok) {
		explicit_bzero(tok, tlen);
		free(tok);
	}
	if (pad) {
		explicit_bzero(pad, plen);
		free(pad);
	}
	return rc;
}
