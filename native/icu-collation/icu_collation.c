/*
 * CouchDB collates JSON strings with ICU's root collator (ucol_open(""), default attributes:
 * tertiary strength, normalization off), so a Mango `$gt`, `sort` or index orders them as ICU
 * does. JavaScript has only Intl.Collator#compare, and SQLite needs sort keys it can compare as
 * bytes (expression indexes, ORDER BY). The node binary exports its own ICU's C API, so this
 * addon looks the functions up by their versioned names (ucol_open_78, ...) instead of bringing
 * a second ICU: collation then changes exactly when the Node.js release changes its ICU.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__GLIBC__) && defined(__x86_64__)
/* The prebuilt linux-x64 binary (prebuilds/) must load on glibc before 2.34 too, where dlsym lives
   in libdl at version GLIBC_2.2.5; newer glibc keeps that version in libc for old binaries. */
__asm__(".symver dlsym,dlsym@GLIBC_2.2.5");
#endif

typedef struct UCollator UCollator;
typedef UCollator *(*ucol_open_fn)(const char *locale, int *status);
typedef int32_t (*ucol_getSortKey_fn)(const UCollator *coll, const uint16_t *source, int32_t length, uint8_t *result, int32_t capacity);
typedef void (*ucol_getVersion_fn)(const UCollator *coll, uint8_t info[4]);

static ucol_open_fn open_collator;
static ucol_getSortKey_fn get_sort_key;
static char version[32];

/* A UCollator must not be shared between threads; the buffers are reused between calls. */
static _Thread_local UCollator *collator;
static _Thread_local uint16_t *chars;
static _Thread_local size_t chars_cap;
static _Thread_local uint8_t *key;
static _Thread_local size_t key_cap;

/* Buffers above this size are freed after the call rather than kept for the next one. */
#define KEEP_BYTES (1 << 20)

static napi_value fail(napi_env env, const char *message) {
  napi_throw_error(env, "WEFT_ICU_UNAVAILABLE", message);
  return NULL;
}

static void *find(const char *name, const char *suffix) {
  char full[64];
  snprintf(full, sizeof full, "%s%s", name, suffix);
  return dlsym(RTLD_DEFAULT, full);
}

static int thread_collator(void) {
  if (collator != NULL) return 1;
  int status = 0;
  collator = open_collator("", &status);
  return collator != NULL && status <= 0;
}

/* open(suffix) -> the root collator's version, "a.b.c.d"; suffix is ICU's symbol suffix ("_78"). */
static napi_value open_root(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char suffix[16];
  size_t len = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], suffix, sizeof suffix, &len) != napi_ok) return fail(env, "open(suffix): suffix must be a string");
  ucol_open_fn open = (ucol_open_fn)find("ucol_open", suffix);
  ucol_getSortKey_fn sort_key = (ucol_getSortKey_fn)find("ucol_getSortKey", suffix);
  ucol_getVersion_fn get_version = (ucol_getVersion_fn)find("ucol_getVersion", suffix);
  if (open == NULL || sort_key == NULL || get_version == NULL) return fail(env, "this Node.js binary exports no ICU collation functions with that suffix");
  open_collator = open;
  get_sort_key = sort_key;
  if (!thread_collator()) return fail(env, "ucol_open(\"\") failed");
  uint8_t v[4];
  get_version(collator, v);
  snprintf(version, sizeof version, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
  napi_value result;
  napi_create_string_utf8(env, version, NAPI_AUTO_LENGTH, &result);
  return result;
}

static int reserve(void **buf, size_t *cap, size_t need) {
  if (need <= *cap) return 1;
  size_t bigger = need < 256 ? 256 : need + need / 2;
  void *p = realloc(*buf, bigger);
  if (p == NULL) return 0;
  *buf = p;
  *cap = bigger;
  return 1;
}

static void trim(void **buf, size_t *cap) {
  if (*cap <= KEEP_BYTES) return;
  free(*buf);
  *buf = NULL;
  *cap = 0;
}

/* sortKey(text) -> Buffer: the root collator's sort key without its terminating 0; no byte of it is 0. */
static napi_value sort_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  size_t len = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (get_sort_key == NULL || !thread_collator()) return fail(env, "sortKey before open");
  if (argc < 1 || napi_get_value_string_utf16(env, argv[0], NULL, 0, &len) != napi_ok) return fail(env, "sortKey(text): text must be a string");
  if (len >= INT32_MAX / 8 || !reserve((void **)&chars, &chars_cap, (len + 1) * sizeof *chars)) return fail(env, "sortKey: out of memory");
  napi_get_value_string_utf16(env, argv[0], (char16_t *)chars, len + 1, &len);
  if (!reserve((void **)&key, &key_cap, 64)) return fail(env, "sortKey: out of memory");
  int32_t n = get_sort_key(collator, chars, (int32_t)len, key, (int32_t)key_cap);
  if (n > (int32_t)key_cap) {
    if (!reserve((void **)&key, &key_cap, (size_t)n)) return fail(env, "sortKey: out of memory");
    n = get_sort_key(collator, chars, (int32_t)len, key, (int32_t)key_cap);
  }
  napi_value result = NULL;
  void *data;
  if (n <= 0 || n > (int32_t)key_cap) fail(env, "ucol_getSortKey failed");
  else napi_create_buffer_copy(env, (size_t)n - 1, key, &data, &result);
  trim((void **)&chars, &chars_cap);
  trim((void **)&key, &key_cap);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, open_root, NULL, NULL, NULL, napi_default, NULL},
      {"sortKey", NULL, sort_key, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
