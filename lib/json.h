/* cJSON output helpers. rb builds a whole document, then prints it once;
 * the builders below remember the first allocation failure in struct
 * rb_json (and do nothing after it), so callers check once, at print time,
 * instead of after every field. Input JSON (podman) is parsed elsewhere. */
#ifndef RB_JSON_H
#define RB_JSON_H

#include "rb.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

struct rb_json {
	cJSON *root;
	int failed; /* an allocation failed: the document is incomplete */
};

/* root becomes an empty object (array = 0) or array. 0 or -ENOMEM. */
int rb_json_init(struct rb_json *j, int array);
void rb_json_free(struct rb_json *j);

/* Each adds to parent: under key when parent is an object, appended when it
 * is an array (key ignored). A NULL parent (an earlier failure) is a no-op
 * that returns NULL. */
cJSON *rb_json_obj(struct rb_json *j, cJSON *parent, const char *key);
cJSON *rb_json_arr(struct rb_json *j, cJSON *parent, const char *key);
void rb_json_str(struct rb_json *j, cJSON *parent, const char *key, const char *v); /* NULL: null */
void rb_json_int(struct rb_json *j, cJSON *parent, const char *key, int64_t v);
void rb_json_bool(struct rb_json *j, cJSON *parent, const char *key, int v);
void rb_json_null(struct rb_json *j, cJSON *parent, const char *key);

/* Prints the document and a newline (pretty: indented). -ENOMEM when the
 * document is incomplete, -EIO when out refused the write. */
int rb_json_print(const struct rb_json *j, FILE *out, int pretty, struct rb_err *err);

#endif
