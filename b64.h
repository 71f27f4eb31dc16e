/* b64.h - standard base64 (RFC 4648 alphabet) and Vault's operation-token decode. */
#ifndef VAULTDR_B64_H
#define VAULTDR_B64_H
#include <stddef.h>

/* Encoded length for n bytes (padded when pad != 0), not counting the NUL. */
size_t b64_encoded_len(size_t n, int pad);
/* Writes the encoding plus NUL; -1 if outsz is too small. */
int b64_encode(const unsigned char *in, size_t n, char *out, size_t outsz, int pad);
/* Strict decode: standard alphabet only, padded or unpadded input, no
 * whitespace, non-zero trailing bits rejected, length%4 == 1 rejected.
 * 0 / -1 (err_set says what and at which offset). */
int b64_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
    size_t *outlen);

/* Decodes Vault's encoded_token with the OTP, as `vault operator
 * generate-root -decode` does: otp_length > 0 selects the modern scheme
 * (base64(token XOR otp), unpadded), 0 the legacy one (base64 OTP of 16 bytes,
 * result formatted as a lowercase UUID). Writes the token plus NUL to out.
 * 0 / -1 (err_set; never includes the inputs). */
int otp_decode_token(const char *encoded, const char *otp, int otp_length,
    char *out, size_t outsz);

#endif
