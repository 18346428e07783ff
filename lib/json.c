#include "json.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>

int rb_json_init(struct rb_json *j, int array)
{
	j->failed = 0;
	j->root = array ? cJSON_CreateArray() : cJSON_CreateObject();
	if (!j->root) {
		j->failed = 1;
		return -ENOMEM;
	}
	return 0;
}

void rb_json_free(struct rb_json *j)
{
	cJSON_Delete(j->root);
	j->root = NULL;
}

/* Takes ownership of item: attached to parent, or freed. */
static cJSON *attach(struct rb_json *j, cJSON *parent, const char *key, cJSON *item)
{
	cleanup_cjson cJSON *owned = item;
	cJSON_bool ok;

	if (!parent || !item) {
		j->failed = 1;
		return NULL;
	}
	if (cJSON_IsArray(parent))
		ok = cJSON_AddItemToArray(parent, item);
	else
		ok = cJSON_AddItemToObject(parent, key ? key : "", item);
	if (!ok) {
		j->failed = 1;
		return NULL;
	}
	return steal_pointer(&owned);
}

cJSON *rb_json_obj(struct rb_json *j, cJSON *parent, const char *key)
{
	return attach(j, parent, key, parent ? cJSON_CreateObject() : NULL);
}

cJSON *rb_json_arr(struct rb_json *j, cJSON *parent, const char *key)
{
	return attach(j, parent, key, parent ? cJSON_CreateArray() : NULL);
}

void rb_json_str(struct rb_json *j, cJSON *parent, const char *key, const char *v)
{
	if (!parent) {
		j->failed = 1;
		return;
	}
	attach(j, parent, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

void rb_json_int(struct rb_json *j, cJSON *parent, const char *key, int64_t v)
{
	/* cJSON numbers are doubles: exact up to 2^53, far beyond any counter
	 * a verification run reads */
	attach(j, parent, key, parent ? cJSON_CreateNumber((double)v) : NULL);
}

void rb_json_bool(struct rb_json *j, cJSON *parent, const char *key, int v)
{
	attach(j, parent, key, parent ? cJSON_CreateBool(v ? 1 : 0) : NULL);
}

void rb_json_null(struct rb_json *j, cJSON *parent, const char *key)
{
	attach(j, parent, key, parent ? cJSON_CreateNull() : NULL);
}

int rb_json_print(const struct rb_json *j, FILE *out, int pretty, struct rb_err *err)
{
	char *text;
	int rc = 0;

	if (j->failed || !j->root)
		return rb_err_wrap(err, rb_err_oom(err), "cannot build JSON output");
	text = pretty ? cJSON_Print(j->root) : cJSON_PrintUnformatted(j->root);
	if (!text)
		return rb_err_wrap(err, rb_err_oom(err), "cannot print JSON output");
	if (fputs(text, out) == EOF || fputc('\n', out) == EOF || fflush(out) == EOF)
		rc = rb_err_set(err, -EIO, "cannot write JSON output");
	cJSON_free(text);
	return rc;
}
