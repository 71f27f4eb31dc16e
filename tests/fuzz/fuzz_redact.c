/* fuzz_redact.c - secret_redact on a secret cut inside random text.
 *
 * Input: byte 0 = secret length (8..72), byte 1 = cut length (8..secret
 * length), byte 2 = where in the text the cut secret goes, then the secret's
 * bytes, then the text. After redaction neither the secret nor any prefix of
 * it of SECRET_PREFIX_MIN or more bytes may be left anywhere, and the text
 * keeps its length. ('*' and NUL are mapped out of the secret and text: a
 * secret made of stars could be rebuilt from the redaction's own stars.) */
#include "fuzz.h"
#include "secret.h"

static void
clean(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '\0' || s[i] == '*')
			s[i] = '+';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct secret sec = { 0 };
	char secbuf[80], *text;
	size_t sn, cut, at, tn, i, m;

	if (size < 3)
		return 0;
	sn = SECRET_PREFIX_MIN + data[0] % 65;
	cut = SECRET_PREFIX_MIN + data[1] % (sn - SECRET_PREFIX_MIN + 1);
	if (size < 3 + sn)
		return 0;
	at = data[2];
	memcpy(secbuf, data + 3, sn);
	clean(secbuf, sn);
	data += 3 + sn;
	size -= 3 + sn;
	if (size > 4096)
		size = 4096;
	at %= size + 1;
	tn = size + cut;
	if ((text = malloc(tn + 1)) == NULL)
		abort();
	memcpy(text, data, at);
	memcpy(text + at, secbuf, cut);
	memcpy(text + at + cut, data + at, size - at);
	clean(text, at);
	clean(text + at + cut, size - at);
	text[tn] = '\0';
	if (secret_set(&sec, secbuf, sn) == -1)
		abort();
	secret_redact(text);
	FUZZ_ASSERT(strlen(text) == tn);
	for (i = 0; i < tn; i++) {
		for (m = 0; m < sn && i + m < tn && text[i + m] == secbuf[m]; m++)
			;
		FUZZ_ASSERT(m < SECRET_PREFIX_MIN && m < sn);
	}
	secret_wipe(&sec);
	free(text);
	return 0;
}
