/* fuzz_b64.c - strict base64 decode (round trip through the encoder: a
 * strict decoder accepts only the canonical encoding) and Vault's
 * operation-token decode with the input split into encoded token and OTP.
 * Byte 0 picks the OTP length mode and the output buffer size. */
#include "b64.h"
#include "fuzz.h"

static void
strict(const uint8_t *data, size_t size, size_t outsz)
{
	unsigned char *out;
	char *enc;
	size_t outlen = 0, elen;
	int pad;

	if ((out = malloc(outsz ? outsz : 1)) == NULL)
		abort();
	if (b64_decode((const char *)data, size, out, outsz, &outlen) == 0) {
		FUZZ_ASSERT(outlen <= outsz);
		/* unpadded input has a length that is not a multiple of 4 */
		pad = size % 4 == 0;
		elen = b64_encoded_len(outlen, pad);
		FUZZ_ASSERT(elen == size);
		if ((enc = malloc(elen + 1)) == NULL)
			abort();
		FUZZ_ASSERT(b64_encode(out, outlen, enc, elen + 1, pad) == 0);
		FUZZ_ASSERT(memcmp(enc, data, size) == 0);
		FUZZ_ASSERT(b64_encode(out, outlen, enc, elen, pad) == -1);
		free(enc);
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep;
	char *encoded, *otp, out[256];
	size_t outsz;
	int otp_length;

	if (size < 1)
		return 0;
	strict(data + 1, size - 1, (size - 1) / 4 * 3 + 3);
	strict(data + 1, size - 1, (size - 1) / 4 * 3 / 2); /* too small */

	/* encoded NUL otp */
	sep = memchr(data + 1, 0, size - 1);
	if (sep == NULL)
		sep = data + size;
	encoded = fuzz_strndup(data + 1, (size_t)(sep - data - 1), 1024);
	otp = sep < data + size ?
	    fuzz_strndup(sep + 1, (size_t)(data + size - sep - 1), 1024) :
	    fuzz_strndup(data, 0, 0);
	switch (data[0] & 3) {
	case 0: otp_length = 0; break;                  /* legacy */
	case 1: otp_length = (int)strlen(otp); break;   /* modern */
	case 2: otp_length = 28; break;
	default: otp_length = (int)(data[0] >> 2) - 8;  /* odd values */
	}
	outsz = 1 + (size_t)(data[0] >> 2) * 4;
	if (outsz > sizeof(out))
		outsz = sizeof(out);
	if (otp_decode_token(encoded, otp, otp_length, out, outsz) == 0)
		FUZZ_ASSERT(strlen(out) < outsz);
	free(encoded);
	free(otp);
	return 0;
}
