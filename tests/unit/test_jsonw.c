/* test_jsonw.c - json.c's writer: nesting, commas, escaping, and the
 * result read back by json.c's reader. (Listed in SUITES as jsonw.) */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "t.h"

static void
jsonw_nested_document(void)
{
	struct buf b = { 0 };
	struct json_writer w;
	struct json j;
	char *s = NULL;
	long long n = 0;
	int v = 0;

	json_w_init(&w, &b);
	json_obj_begin(&w);
	json_key(&w, "a");
	json_arr_begin(&w);
	json_int(&w, 1);
	json_int(&w, -2);
	json_obj_begin(&w);
	json_obj_end(&w);
	json_arr_end(&w);
	json_key(&w, "s\"k");
	json_str(&w, "line\nq\"\x01");
	json_key(&w, "t");
	json_bool(&w, 1);
	json_key(&w, "n");
	json_str(&w, NULL);
	json_key(&w, "r");
	json_raw(&w, "[true]", 6);
	json_obj_end(&w);
	CHECK(json_w_error(&w) == 0);
	CHECK_STREQ(b.data, "{\"a\":[1,-2,{}],\"s\\\"k\":\"line\\nq\\\"\\u0001\","
	    "\"t\":true,\"n\":null,\"r\":[true]}");
	CHECK(json_parse(&j, b.data, b.len) == 0);
	CHECK(json_get_i64(&j, 0, "a.1", &n) == 0 && n == -2);
	CHECK(json_get_str(&j, 0, "s\"k", &s) == 0 && strcmp(s, "line\nq\"\x01")
	    == 0);
	CHECK(json_get_bool(&j, 0, "r.0", &v) == 0 && v == 1);
	free(s);
	json_free(&j);
	buf_free(&b);
}

static void
jsonw_many_elements_and_misuse(void)
{
	struct buf b = { 0 };
	struct json_writer w;
	struct json j;
	int i;

	json_w_init(&w, &b);
	json_arr_begin(&w);
	for (i = 0; i < 300; i++)
		json_int(&w, i);
	json_arr_end(&w);
	CHECK(json_w_error(&w) == 0);
	CHECK(json_parse(&j, b.data, b.len) == 0 && json_array_len(&j, 0) ==
	    300);
	json_free(&j);
	buf_free(&b);
	json_w_init(&w, &b);
	json_arr_end(&w); /* nothing open */
	CHECK(json_w_error(&w) == -1);
	buf_free(&b);
	json_w_init(&w, &b);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr_begin(&w);
	CHECK(json_w_error(&w) == -1);
	buf_free(&b);
}

void
suite_jsonw(void)
{
	T_RUN(jsonw_nested_document);
	T_RUN(jsonw_many_elements_and_misuse);
}
