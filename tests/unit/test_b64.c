/* test_b64.c - base64 (RFC 4648 section 10 vectors, strictness) and the
 * operation-token decode (every line of $VAULTDR_VECTORS/vault-otp.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "log.h"
#include "t.h"

static const char *rfc[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
b64_rfc4648(void)
{
	char enc[64];
	unsigned char dec[64];
	size_t i, n, l;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		l = strlen(rfc[i][0]);
		CHECK(b64_encoded_len(l, 1) == strlen(rfc[i][1]));
		CHECK(b64_encode((const unsigned char *)rfc[i][0], l, enc,
		    sizeof(enc), 1) == 0);
		CHECK_STREQ(enc, rfc[i][1]);
		CHECK(b64_decode(rfc[i][1], strlen(rfc[i][1]), dec,
		    sizeof(dec), &n) == 0);
		CHECK_MEMEQ(dec, n, rfc[i][0], l);
		/* unpadded form */
		CHECK(b64_encode((const unsigned char *)rfc[i][0], l, enc,
		    sizeof(enc), 0) == 0);
		CHECK(strchr(enc, '=') == NULL);
		CHECK(strlen(enc) == b64_encoded_len(l, 0));
		CHECK(b64_decode(enc, strlen(enc), dec, sizeof(dec), &n) == 0);
		CHECK_MEMEQ(dec, n, rfc[i][0], l);
	}
}

static void
b64_binary_roundtrip(void)
{
	unsigned char in[256], dec[256];
	char enc[400];
	size_t i, n, len;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(255 - i);
	for (len = 0; len <= sizeof(in); len += 37) {
		CHECK(b64_encode(in, len, enc, sizeof(enc), 1) == 0);
		CHECK(b64_decode(enc, strlen(enc), dec, sizeof(dec), &n) == 0);
		CHECK_MEMEQ(dec, n, in, len);
	}
	/* + and / */
	in[0] = 0xfb; in[1] = 0xff;
	CHECK(b64_encode(in, 2, enc, sizeof(enc), 1) == 0);
	CHECK_STREQ(enc, "+/8=");
}

static void
b64_strict(void)
{
	static const char *bad[] = {
		"Zg", "Zh==", "Zm9=", "Z", "Zm9vY", "Zm 9v", "Zm9v\n",
		"Zm-v", "Zm_v", "Zg=", "Zg===", "=Zg=", "Zm=v", "Zm9vYmFy=",
		"Zm9vY===", "Zm8==",
	};
	unsigned char dec[64];
	size_t i, n;

	/* "Zg" is fine (unpadded); the others are not */
	CHECK(b64_decode("Zg", 2, dec, sizeof(dec), &n) == 0 && n == 1);
	for (i = 1; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!CHECK(b64_decode(bad[i], strlen(bad[i]), dec, sizeof(dec),
		    &n) == -1))
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(strncmp(err_get(), "base64: ", 8) == 0);
	}
	CHECK(b64_decode("Zm9v*A", 6, dec, sizeof(dec), &n) == -1);
	CHECK(strstr(err_get(), "offset 4") != NULL);
	/* length-limited: never reads past n */
	CHECK(b64_decode("Zm9vYmFy", 4, dec, sizeof(dec), &n) == 0 && n == 3);
}

static void
b64_buffers(void)
{
	unsigned char dec[2];
	char enc[4];
	size_t n;

	CHECK(b64_encode((const unsigned char *)"foo", 3, enc, sizeof(enc), 1)
	    == -1); /* needs 5 with the NUL */
	CHECK(b64_decode("Zm9v", 4, dec, sizeof(dec), &n) == -1);
	CHECK(b64_encoded_len(0, 1) == 0 && b64_encoded_len(0, 0) == 0);
	CHECK(b64_encoded_len(28, 0) == 38 && b64_encoded_len(26, 0) == 35 &&
	    b64_encoded_len(24, 0) == 32 && b64_encoded_len(16, 1) == 24);
}

void
suite_b64(void)
{
	T_RUN(b64_rfc4648);
	T_RUN(b64_binary_roundtrip);
	T_RUN(b64_strict);
	T_RUN(b64_buffers);
}

/* Every vector line: "scheme otp encoded expected". */
static void
otp_vectors(void)
{
	char path[1024], *text, *line, *save = NULL, out[128];
	char scheme[16], otp[128], enc[128], want[128];
	int nvec = 0, otp_len;

	snprintf(path, sizeof(path), "%s/vault-otp.txt", t_vectors_dir());
	text = t_read_file(path, NULL);
	if (!text)
		fprintf(stderr, "  cannot read %s (set VAULTDR_VECTORS or run from "
		    "the top of the tree)\n", path);
	if (!CHECK(text != NULL))
		return;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (!CHECK(sscanf(line, "%15s %127s %127s %127s", scheme, otp,
		    enc, want) == 4))
			continue;
		otp_len = strcmp(scheme, "modern") == 0 ? (int)strlen(otp) : 0;
		CHECK(strcmp(scheme, "modern") == 0 ||
		    strcmp(scheme, "legacy") == 0);
		memset(out, 'x', sizeof(out));
		if (!CHECK(otp_decode_token(enc, otp, otp_len, out,
		    sizeof(out)) == 0))
			continue;
		CHECK_STREQ(out, want);
		nvec++;
		if (otp_len > 0) {
			/* padding added to the modern encoding is accepted */
			char padded[140];
			snprintf(padded, sizeof(padded), "%s==", enc);
			CHECK(otp_decode_token(padded, otp, otp_len, out,
			    sizeof(out)) == 0);
			CHECK_STREQ(out, want);
		}
	}
	free(text);
	CHECK(nvec >= 3);
}

static void
otp_errors(void)
{
	const char *otp = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1w";
	const char *enc = "KRRASgAeVwU5Blw5IwJGOiAbUB9jQQtANBRSEw";
	char out[64], small[8];

	/* OTP one character short: lengths differ */
	CHECK(otp_decode_token(enc, "Ab3dEf6hIj9kLm2nOp5qRs8tUv1", 27, out,
	    sizeof(out)) == -1);
	CHECK(strstr(err_get(), otp) == NULL && strstr(err_get(), enc) == NULL);
	CHECK(strstr(err_get(), "28") != NULL);
	/* bad base64 */
	CHECK(otp_decode_token("KRRA*gAeVwU5", otp, 28, out, sizeof(out)) == -1);
	CHECK(strstr(err_get(), "KRRA") == NULL);
	/* empty inputs */
	CHECK(otp_decode_token("", otp, 28, out, sizeof(out)) == -1);
	CHECK(otp_decode_token(enc, "", 28, out, sizeof(out)) == -1);
	CHECK(otp_decode_token(enc, otp, -1, out, sizeof(out)) == -1);
	/* output too small */
	CHECK(otp_decode_token(enc, otp, 28, small, sizeof(small)) == -1);
	/* legacy: OTP not 16 bytes; modern token used with legacy */
	CHECK(otp_decode_token("cuplaFGYduDEY6ZVC5IfaA==", "vZpZZf5UI1nvB3A5",
	    0, out, sizeof(out)) == -1);
	CHECK(strstr(err_get(), "vZpZ") == NULL);
	CHECK(otp_decode_token(enc, otp, 0, out, sizeof(out)) == -1);
	CHECK(otp_decode_token("cuplaFGYduDEY6ZVC5IfaA==",
	    "vZpZZf5UI1nvB3A5/7Xq9A==", 0, out, 20) == -1);
	/* XOR giving a NUL byte: token == otp */
	CHECK(otp_decode_token("YWJjZA", "abcd", 4, out, sizeof(out)) == -1);
}

void
suite_otp(void)
{
	T_RUN(otp_vectors);
	T_RUN(otp_errors);
}
