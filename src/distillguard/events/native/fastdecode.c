/*
 * distillguard.events._fastdecode: JSON Lines traffic logs straight into Arrow column buffers.
 *
 * The reference decoder is Python (msgspec's typed decode, then schema.flatten, then pa.array per column).
 * This module does the same for the lines it is sure about, without building a Python object per field:
 * each line is parsed with yyjson (vendored, MIT) and flattened into the EVENT_SCHEMA columns in C.
 *
 * Any line it is not sure about is handed back to the caller untouched, and the Python path decodes it: a
 * line with an unknown field (which goes to the `extra` column), a type or range the contract refuses, a
 * duplicate key, a timestamp outside the common RFC 3339 forms, invalid JSON or UTF-8, an empty messages
 * list, and so on. So the Python path stays the one place that decides what a bad line is and says why,
 * and the two paths give the same rows for every line (tests/events/test_native_decode.py compares them).
 *
 * decode(buffer, start, final, max_rows, max_bytes, max_line_bytes) -> (end, lines, columns, others)
 *   Reads lines of `buffer` from byte `start`: complete lines only, or also an unterminated last line when
 *   `final` is true; at most `max_rows` lines, and no more once the lines read reach `max_bytes`. `end` is where it stopped, `lines` how many lines it read.
 *   `columns`: one (validity, values, data) triple of bytes objects per EVENT_SCHEMA column (validity is
 *   None when no row is null; data is the string bytes of a string column, else None). `others` lists the
 *   lines not in the columns as (line index, kind, start, end): kind 1 for the Python path, 2 for a blank
 *   line, 3 for a line longer than max_line_bytes. The GIL is released while lines are parsed.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yyjson.h"

/* ---- growable buffers and Arrow columns ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const void *src, size_t n) {
    if (buf_reserve(b, n)) return -1;
    if (n) memcpy(b->p + b->len, src, n);
    b->len += n;
    return 0;
}

typedef enum { K_STR, K_TS, K_I64, K_I32, K_F64, K_BOOL } Kind;

typedef struct {
    const char *name;
    Kind kind;
    int nullable;
} ColSpec;

/* EVENT_SCHEMA, in order (schema.py); the Python side checks the names at import. */
static const ColSpec SPECS[] = {
    {"request_id", K_STR, 0}, {"timestamp", K_TS, 0}, {"account_id", K_STR, 0}, {"org_id", K_STR, 1},
    {"api_key_id", K_STR, 1}, {"ip", K_STR, 1}, {"asn", K_I64, 1}, {"country", K_STR, 1},
    {"user_agent", K_STR, 1}, {"payment_fingerprint", K_STR, 1}, {"account_created", K_TS, 1},
    {"signup_channel", K_STR, 1}, {"endpoint", K_STR, 1}, {"model", K_STR, 1}, {"prompt", K_STR, 0},
    {"system", K_STR, 1}, {"turns", K_I32, 0}, {"messages", K_I32, 0}, {"tool_messages", K_I32, 0},
    {"context_chars", K_I64, 0}, {"temperature", K_F64, 1}, {"top_p", K_F64, 1}, {"n", K_I32, 1},
    {"max_tokens", K_I64, 1}, {"seed", K_I64, 1}, {"logprobs", K_BOOL, 1}, {"top_logprobs", K_I32, 1},
    {"logit_bias", K_I32, 1}, {"reasoning_effort", K_STR, 1}, {"tools", K_I32, 0}, {"tool_names", K_STR, 1},
    {"stream", K_BOOL, 1}, {"end_user", K_STR, 1}, {"response_chars", K_I64, 1}, {"finish_reason", K_STR, 1},
    {"reasoning_tokens", K_I64, 1}, {"prompt_tokens", K_I64, 1}, {"completion_tokens", K_I64, 1},
    {"status", K_I32, 1}, {"extra", K_STR, 1},
};
#define NCOLS ((int)(sizeof(SPECS) / sizeof(SPECS[0])))

enum {
    C_REQUEST_ID, C_TIMESTAMP, C_ACCOUNT_ID, C_ORG_ID, C_API_KEY_ID, C_IP, C_ASN, C_COUNTRY, C_USER_AGENT,
    C_PAYMENT, C_CREATED, C_SIGNUP, C_ENDPOINT, C_MODEL, C_PROMPT, C_SYSTEM, C_TURNS, C_MESSAGES, C_TOOL_MESSAGES,
    C_CONTEXT_CHARS, C_TEMPERATURE, C_TOP_P, C_N, C_MAX_TOKENS, C_SEED, C_LOGPROBS, C_TOP_LOGPROBS, C_LOGIT_BIAS,
    C_EFFORT, C_TOOLS, C_TOOL_NAMES, C_STREAM, C_END_USER, C_RESPONSE_CHARS, C_FINISH, C_REASONING_TOKENS,
    C_PROMPT_TOKENS, C_COMPLETION_TOKENS, C_STATUS, C_EXTRA
};

typedef struct {
    Buf values;  /* fixed-width values, a bitmap for bools, or int32 offsets for strings */
    Buf data;    /* string bytes */
    Buf valid;   /* validity bitmap */
    int64_t nulls;
} Col;

typedef struct {
    Col cols[NCOLS];
    int64_t rows;
} Table;

#define STRING_LIMIT ((size_t)1 << 30) /* stop a call before any string column reaches 1 GiB (int32 offsets) */

static int bit_push(Buf *b, int64_t index, int on) {
    if ((index & 7) == 0 && buf_reserve(b, 1)) return -1;
    if ((index & 7) == 0) b->p[b->len++] = 0;
    if (on) b->p[index >> 3] |= (char)(1 << (index & 7));
    return 0;
}

static int table_init(Table *t) {
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < NCOLS; i++)
        if (SPECS[i].kind == K_STR) {
            int32_t zero = 0;
            if (buf_put(&t->cols[i].values, &zero, 4)) return -1;
        }
    return 0;
}

static void table_free(Table *t) {
    for (int i = 0; i < NCOLS; i++) {
        free(t->cols[i].values.p);
        free(t->cols[i].data.p);
        free(t->cols[i].valid.p);
    }
}

/* ---- one row, extracted before it is appended (a line is appended whole or not at all) -------------- */

typedef struct {
    const char *p;
    size_t n;
    int set;
} Str;

typedef struct {
    int64_t v;
    int set;
} I64;

typedef struct {
    double v;
    int set;
} F64;

typedef struct {
    Str s[NCOLS];
    I64 i[NCOLS];
    F64 f[NCOLS];
} Row;

/* Scratch text for the values assembled from several strings (prompt, system, tool names). */
typedef struct {
    Buf prompt, system, names;
} Scratch;

#define SLOW (-1)

static inline int key_is(yyjson_val *key, const char *lit, size_t n) {
    return yyjson_get_len(key) == n && memcmp(yyjson_get_str(key), lit, n) == 0;
}
#define KEY(lit) key_is(key, lit, sizeof(lit) - 1)

/* Code points in UTF-8 text (yyjson has validated it): bytes that are not continuation bytes (10xxxxxx).
   Eight bytes at a time: a byte's bit 7 set and bit 6 clear marks a continuation byte; the marks are summed
   by one multiplication (at most 8, so no carry between bytes). */
static int64_t utf8_chars(const char *p, size_t n) {
    const uint64_t high = 0x8080808080808080ULL;
    int64_t continuation = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t marks = w & ~(w << 1) & high;
        continuation += (int64_t)(((marks >> 7) * 0x0101010101010101ULL) >> 56);
    }
    for (; i < n; i++) continuation += ((unsigned char)p[i] & 0xC0) == 0x80;
    return (int64_t)n - continuation;
}

static int get_str(yyjson_val *v, Str *out) {
    if (yyjson_is_null(v)) {
        out->set = 0;
        return 0;
    }
    if (!yyjson_is_str(v)) return SLOW;
    out->p = yyjson_get_str(v);
    out->n = yyjson_get_len(v);
    out->set = 1;
    return 0;
}

static int get_int(yyjson_val *v, I64 *out, int64_t lo, int64_t hi) {
    if (yyjson_is_null(v)) {
        out->set = 0;
        return 0;
    }
    int64_t x;
    if (yyjson_is_sint(v)) x = yyjson_get_sint(v);
    else if (yyjson_is_uint(v)) {
        uint64_t u = yyjson_get_uint(v);
        if (u > (uint64_t)INT64_MAX) return SLOW;
        x = (int64_t)u;
    } else return SLOW; /* floats, bools, big integers: msgspec decides */
    if (x < lo || x > hi) return SLOW;
    out->v = x;
    out->set = 1;
    return 0;
}

#define I32_RANGE INT32_MIN, INT32_MAX
#define I64_RANGE INT64_MIN, INT64_MAX

static int get_float(yyjson_val *v, F64 *out) {
    if (yyjson_is_null(v)) {
        out->set = 0;
        return 0;
    }
    if (yyjson_is_real(v)) out->v = yyjson_get_real(v);
    else if (yyjson_is_sint(v)) out->v = (double)yyjson_get_sint(v);
    else if (yyjson_is_uint(v)) out->v = (double)yyjson_get_uint(v);
    else return SLOW;
    if (!isfinite(out->v)) return SLOW;
    out->set = 1;
    return 0;
}

static int get_bool(yyjson_val *v, I64 *out) {
    if (yyjson_is_null(v)) {
        out->set = 0;
        return 0;
    }
    if (!yyjson_is_bool(v)) return SLOW;
    out->v = yyjson_get_bool(v);
    out->set = 1;
    return 0;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) { /* Howard Hinnant's algorithm */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits(const char *p, int n, int *out) {
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        x = x * 10 + (p[i] - '0');
    }
    *out = x;
    return 0;
}

/* The RFC 3339 forms logs use: YYYY-MM-DD[Tt ]HH:MM:SS[.f{1,6}][Z|z|+HH:MM|-HH:MM], or no offset (read as
   UTC, as the Python path does). Milliseconds since the epoch, floored as pyarrow does. Anything else
   (more fraction digits, which msgspec rounds; other offset forms; an invalid date) goes to msgspec. */
static int parse_ts(yyjson_val *v, I64 *out, int required) {
    if (yyjson_is_null(v)) {
        if (required) return SLOW;
        out->set = 0;
        return 0;
    }
    if (!yyjson_is_str(v)) return SLOW;
    const char *s = yyjson_get_str(v);
    size_t n = yyjson_get_len(v);
    int y, mo, d, h, mi, sec;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return SLOW;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return SLOW;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return SLOW;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) return SLOW;
    size_t i = 19;
    int64_t micros = 0;
    if (i < n && s[i] == '.') {
        i++;
        int count = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            if (++count > 6) return SLOW;
            micros = micros * 10 + (s[i] - '0');
            i++;
        }
        if (count == 0) return SLOW;
        for (int k = count; k < 6; k++) micros *= 10;
    }
    int64_t offset_s = 0;
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            /* UTC */
        } else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && s[i + 3] == ':') {
            int oh, om;
            if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om) || oh > 23 || om > 59) return SLOW;
            offset_s = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        } else return SLOW;
    }
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
    int64_t total_us = secs * 1000000 + micros;
    int64_t ms = total_us / 1000;
    if (total_us % 1000 < 0) ms -= 1; /* floor */
    out->v = ms;
    out->set = 1;
    return 0;
}

/* A seen-field mask per object: a repeated key goes to msgspec (it keeps the last value; we do not guess). */
#define SEEN(bit)                                   \
    do {                                            \
        if (seen & ((uint64_t)1 << (bit))) return SLOW; \
        seen |= (uint64_t)1 << (bit);               \
    } while (0)

static int read_client(yyjson_val *obj, Row *r) {
    if (yyjson_is_null(obj)) return 0;
    if (!yyjson_is_obj(obj)) return SLOW;
    uint64_t seen = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("ip")) { SEEN(0); if (get_str(v, &r->s[C_IP])) return SLOW; }
        else if (KEY("asn")) { SEEN(1); if (get_int(v, &r->i[C_ASN], I64_RANGE)) return SLOW; }
        else if (KEY("country")) { SEEN(2); if (get_str(v, &r->s[C_COUNTRY])) return SLOW; }
        else if (KEY("user_agent")) { SEEN(3); if (get_str(v, &r->s[C_USER_AGENT])) return SLOW; }
        else return SLOW; /* unknown field: kept in `extra` by the Python path */
    }
    return 0;
}

static int read_billing(yyjson_val *obj, Row *r) {
    if (yyjson_is_null(obj)) return 0;
    if (!yyjson_is_obj(obj)) return SLOW;
    uint64_t seen = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("payment_fingerprint")) { SEEN(0); if (get_str(v, &r->s[C_PAYMENT])) return SLOW; }
        else if (KEY("account_created")) { SEEN(1); if (parse_ts(v, &r->i[C_CREATED], 0)) return SLOW; }
        else if (KEY("signup_channel")) { SEEN(2); if (get_str(v, &r->s[C_SIGNUP])) return SLOW; }
        else return SLOW;
    }
    return 0;
}

static int read_response(yyjson_val *obj, Row *r) {
    if (yyjson_is_null(obj)) return 0;
    if (!yyjson_is_obj(obj)) return SLOW;
    uint64_t seen = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("text")) {
            SEEN(0);
            Str text;
            if (get_str(v, &text)) return SLOW;
            r->i[C_RESPONSE_CHARS].set = text.set;
            if (text.set) r->i[C_RESPONSE_CHARS].v = utf8_chars(text.p, text.n);
        } else if (KEY("finish_reason")) { SEEN(1); if (get_str(v, &r->s[C_FINISH])) return SLOW; }
        else if (KEY("reasoning_tokens")) {
            SEEN(2);
            if (get_int(v, &r->i[C_REASONING_TOKENS], I64_RANGE)) return SLOW;
        } else return SLOW;
    }
    return 0;
}

static int read_usage(yyjson_val *obj, Row *r) {
    if (yyjson_is_null(obj)) return 0;
    if (!yyjson_is_obj(obj)) return SLOW;
    uint64_t seen = 0;
    I64 total;
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("prompt_tokens")) { SEEN(0); if (get_int(v, &r->i[C_PROMPT_TOKENS], I64_RANGE)) return SLOW; }
        else if (KEY("completion_tokens")) {
            SEEN(1);
            if (get_int(v, &r->i[C_COMPLETION_TOKENS], I64_RANGE)) return SLOW;
        } else if (KEY("total_tokens")) { SEEN(2); if (get_int(v, &total, I64_RANGE)) return SLOW; }
        else if (KEY("completion_tokens_details")) SEEN(3);
        else if (KEY("prompt_tokens_details")) SEEN(4);
        else return SLOW;
    }
    return 0;
}

/* One message's text, as schema._text: a string, or its parts' texts joined by "\n". Validates the parts
   (objects; `type` a string when present; `text` a string or null) and appends the text to `out` when
   `out` is not NULL. Returns the text's length in code points, or SLOW. */
static int64_t message_text(yyjson_val *content, Buf *out) {
    if (content == NULL || yyjson_is_null(content)) return 0;
    if (yyjson_is_str(content)) {
        if (out && buf_put(out, yyjson_get_str(content), yyjson_get_len(content))) return SLOW;
        return utf8_chars(yyjson_get_str(content), yyjson_get_len(content));
    }
    if (!yyjson_is_arr(content)) return SLOW;
    int64_t chars = 0;
    int parts = 0;
    size_t idx, max;
    yyjson_val *part;
    yyjson_arr_foreach(content, idx, max, part) {
        if (!yyjson_is_obj(part)) return SLOW;
        uint64_t seen = 0;
        yyjson_val *text = NULL;
        yyjson_obj_iter it = yyjson_obj_iter_with(part);
        yyjson_val *key;
        while ((key = yyjson_obj_iter_next(&it))) {
            yyjson_val *v = yyjson_obj_iter_get_val(key);
            if (KEY("type")) {
                SEEN(0);
                if (!yyjson_is_str(v)) return SLOW;
            } else if (KEY("text")) {
                SEEN(1);
                if (!yyjson_is_null(v) && !yyjson_is_str(v)) return SLOW;
                text = yyjson_is_str(v) ? v : NULL;
            }
        }
        if (text == NULL) continue;
        if (parts++) {
            chars += 1;
            if (out && buf_put(out, "\n", 1)) return SLOW;
        }
        chars += utf8_chars(yyjson_get_str(text), yyjson_get_len(text));
        if (out && buf_put(out, yyjson_get_str(text), yyjson_get_len(text))) return SLOW;
    }
    return chars;
}

typedef struct {
    yyjson_val *role, *content;
} Msg;

/* Validate one message object (role a string, required; content a string, a list of parts or null). */
static int read_message(yyjson_val *m, Msg *out) {
    if (!yyjson_is_obj(m)) return SLOW;
    uint64_t seen = 0;
    out->role = out->content = NULL;
    yyjson_obj_iter it = yyjson_obj_iter_with(m);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("role")) {
            SEEN(0);
            if (!yyjson_is_str(v)) return SLOW;
            out->role = v;
        } else if (KEY("content")) {
            SEEN(1);
            out->content = v;
        }
    }
    return out->role == NULL ? SLOW : 0;
}

static int role_is(yyjson_val *role, const char *lit) {
    size_t n = strlen(lit);
    return yyjson_get_len(role) == n && memcmp(yyjson_get_str(role), lit, n) == 0;
}

static int validate_messages(yyjson_val *arr) {
    size_t idx, max;
    yyjson_val *m;
    Msg msg;
    yyjson_arr_foreach(arr, idx, max, m) {
        if (read_message(m, &msg) || message_text(msg.content, NULL) == SLOW) return SLOW;
    }
    return 0;
}

static int sys_part(Buf *system, int *parts, const char *p, size_t n) {
    if ((*parts)++ && buf_put(system, "\n\n", 2)) return SLOW;
    return buf_put(system, p, n) ? SLOW : 0;
}

/* schema.flatten's conversation: prompt (last user message), system parts, counts. */
static int flatten_messages(yyjson_val *arr, Row *r, Scratch *sc, int *sys_parts) {
    size_t count = yyjson_arr_size(arr);
    if (count == 0) return SLOW; /* "request.messages is empty": a bad line, said by the Python path */
    if (count > INT32_MAX) return SLOW;
    int64_t turns = 0, tools_back = 0, chars = 0;
    yyjson_val *last_user = NULL;
    size_t idx, max;
    yyjson_val *m;
    Msg msg;
    yyjson_arr_foreach(arr, idx, max, m) {
        if (read_message(m, &msg)) return SLOW;
        int64_t n = message_text(msg.content, NULL); /* also validates the content */
        if (n == SLOW) return SLOW;
        chars += n;
        if (role_is(msg.role, "user")) {
            last_user = msg.content;
            turns++;
        } else if (role_is(msg.role, "system") || role_is(msg.role, "developer")) {
            if ((*sys_parts)++ && buf_put(&sc->system, "\n\n", 2)) return SLOW;
            if (message_text(msg.content, &sc->system) == SLOW) return SLOW;
        } else if (role_is(msg.role, "tool") || role_is(msg.role, "function")) {
            tools_back++;
        }
    }
    sc->prompt.len = 0;
    if (last_user != NULL && message_text(last_user, &sc->prompt) == SLOW) return SLOW;
    r->s[C_PROMPT] = (Str){sc->prompt.p ? sc->prompt.p : "", sc->prompt.len, 1};
    r->i[C_TURNS] = (I64){turns, 1};
    r->i[C_MESSAGES] = (I64){(int64_t)count, 1};
    r->i[C_TOOL_MESSAGES] = (I64){tools_back, 1};
    r->i[C_CONTEXT_CHARS] = (I64){chars, 1};
    return 0;
}

/* schema._tool_name: a dict's function.name, or its name; a string, non-empty, to count. */
static int tool_names(yyjson_val *defs, Scratch *sc, Row *r) {
    size_t idx, max;
    yyjson_val *t;
    int named = 0;
    sc->names.len = 0;
    yyjson_arr_foreach(defs, idx, max, t) {
        if (!yyjson_is_obj(t)) continue;
        /* dict.get: the last of repeated keys */
        yyjson_val *fn = NULL, *name = NULL, *key;
        yyjson_obj_iter it = yyjson_obj_iter_with(t);
        while ((key = yyjson_obj_iter_next(&it))) {
            if (KEY("function")) fn = yyjson_obj_iter_get_val(key);
            else if (KEY("name")) name = yyjson_obj_iter_get_val(key);
        }
        if (fn != NULL && yyjson_is_obj(fn)) {
            name = NULL;
            it = yyjson_obj_iter_with(fn);
            while ((key = yyjson_obj_iter_next(&it)))
                if (KEY("name")) name = yyjson_obj_iter_get_val(key);
        }
        if (name == NULL || !yyjson_is_str(name) || yyjson_get_len(name) == 0) continue;
        if (named++ && buf_put(&sc->names, ",", 1)) return SLOW;
        if (buf_put(&sc->names, yyjson_get_str(name), yyjson_get_len(name))) return SLOW;
    }
    if (named) r->s[C_TOOL_NAMES] = (Str){sc->names.p, sc->names.len, 1};
    return 0;
}

static int read_request(yyjson_val *req, Row *r, Scratch *sc) {
    if (!yyjson_is_obj(req)) return SLOW;
    yyjson_val *messages = NULL, *prompt = NULL, *input = NULL, *tools = NULL, *functions = NULL,
               *reasoning = NULL;
    Str instructions = {0}, effort = {0};
    I64 max_tokens = {0}, max_completion = {0}, max_output = {0}, logprobs_int = {0}, logprobs_bool = {0},
        top_logprobs = {0}, tmp = {0};
    F64 ftmp;
    int logprobs_is_int = 0;
    uint64_t seen = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(req);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("messages")) {
            SEEN(0);
            if (!yyjson_is_null(v) && !yyjson_is_arr(v)) return SLOW;
            messages = yyjson_is_null(v) ? NULL : v; /* validated as it is flattened */
        } else if (KEY("prompt")) {
            SEEN(1);
            if (yyjson_is_arr(v)) {
                size_t idx, max;
                yyjson_val *item;
                yyjson_arr_foreach(v, idx, max, item) if (!yyjson_is_str(item)) return SLOW;
            } else if (!yyjson_is_null(v) && !yyjson_is_str(v)) return SLOW;
            prompt = yyjson_is_null(v) ? NULL : v;
        } else if (KEY("input")) {
            SEEN(2);
            if (!yyjson_is_arr(v) && !yyjson_is_null(v) && !yyjson_is_str(v)) return SLOW;
            input = yyjson_is_null(v) ? NULL : v;
        } else if (KEY("instructions")) { SEEN(3); if (get_str(v, &instructions)) return SLOW; }
        else if (KEY("temperature")) { SEEN(4); if (get_float(v, &r->f[C_TEMPERATURE])) return SLOW; }
        else if (KEY("top_p")) { SEEN(5); if (get_float(v, &r->f[C_TOP_P])) return SLOW; }
        else if (KEY("n")) { SEEN(6); if (get_int(v, &r->i[C_N], I32_RANGE)) return SLOW; }
        else if (KEY("max_tokens")) { SEEN(7); if (get_int(v, &max_tokens, I64_RANGE)) return SLOW; }
        else if (KEY("max_completion_tokens")) { SEEN(8); if (get_int(v, &max_completion, I64_RANGE)) return SLOW; }
        else if (KEY("max_output_tokens")) { SEEN(9); if (get_int(v, &max_output, I64_RANGE)) return SLOW; }
        else if (KEY("seed")) { SEEN(10); if (get_int(v, &r->i[C_SEED], I64_RANGE)) return SLOW; }
        else if (KEY("logprobs")) {
            SEEN(11);
            if (yyjson_is_bool(v) || yyjson_is_null(v)) {
                if (get_bool(v, &logprobs_bool)) return SLOW;
            } else {
                if (get_int(v, &logprobs_int, I32_RANGE)) return SLOW;
                logprobs_is_int = 1;
            }
        } else if (KEY("top_logprobs")) { SEEN(12); if (get_int(v, &top_logprobs, I32_RANGE)) return SLOW; }
        else if (KEY("logit_bias")) {
            SEEN(13);
            if (yyjson_is_null(v)) continue;
            if (!yyjson_is_obj(v)) return SLOW;
            size_t size = yyjson_obj_size(v);
            if (size > 64) return SLOW; /* repeated keys are checked pairwise below: keep that cheap */
            yyjson_val *k1, *k2;
            yyjson_obj_iter i1 = yyjson_obj_iter_with(v);
            size_t at = 0;
            while ((k1 = yyjson_obj_iter_next(&i1))) {
                if (get_float(yyjson_obj_iter_get_val(k1), &ftmp) || !ftmp.set) return SLOW;
                yyjson_obj_iter i2 = yyjson_obj_iter_with(v);
                for (size_t j = 0; j < at && (k2 = yyjson_obj_iter_next(&i2)); j++)
                    if (yyjson_get_len(k1) == yyjson_get_len(k2) &&
                        memcmp(yyjson_get_str(k1), yyjson_get_str(k2), yyjson_get_len(k1)) == 0)
                        return SLOW;
                at++;
            }
            if (size) r->i[C_LOGIT_BIAS] = (I64){(int64_t)size, 1};
        } else if (KEY("reasoning_effort")) { SEEN(14); if (get_str(v, &effort)) return SLOW; }
        else if (KEY("reasoning")) {
            SEEN(15);
            if (!yyjson_is_null(v) && !yyjson_is_obj(v)) return SLOW;
            reasoning = yyjson_is_null(v) ? NULL : v;
        } else if (KEY("tools")) {
            SEEN(16);
            if (!yyjson_is_null(v) && !yyjson_is_arr(v)) return SLOW;
            tools = yyjson_is_null(v) ? NULL : v;
        } else if (KEY("functions")) {
            SEEN(17);
            if (!yyjson_is_null(v) && !yyjson_is_arr(v)) return SLOW;
            functions = yyjson_is_null(v) ? NULL : v;
        } else if (KEY("parallel_tool_calls")) { SEEN(18); if (get_bool(v, &tmp)) return SLOW; }
        else if (KEY("stream")) { SEEN(19); if (get_bool(v, &r->i[C_STREAM])) return SLOW; }
        else if (KEY("presence_penalty")) { SEEN(20); if (get_float(v, &ftmp)) return SLOW; }
        else if (KEY("frequency_penalty")) { SEEN(21); if (get_float(v, &ftmp)) return SLOW; }
        else if (KEY("user")) { SEEN(22); if (get_str(v, &r->s[C_END_USER])) return SLOW; }
        else if (KEY("tool_choice")) SEEN(23);
        else if (KEY("stream_options")) SEEN(24);
        else if (KEY("stop")) SEEN(25);
        else if (KEY("response_format")) SEEN(26);
        else if (KEY("metadata")) SEEN(27);
        else if (KEY("store")) SEEN(28);
        else if (KEY("service_tier")) SEEN(29);
        else if (KEY("modalities")) SEEN(30);
        else return SLOW;
    }

    int sys_parts = 0;
    sc->system.len = 0;
    if (instructions.set && instructions.n > 0 && sys_part(&sc->system, &sys_parts, instructions.p, instructions.n))
        return SLOW;
    yyjson_val *conversation = messages != NULL ? messages : (input != NULL && yyjson_is_arr(input) ? input : NULL);
    if (input != NULL && yyjson_is_arr(input) && conversation != input && validate_messages(input)) return SLOW;
    if (conversation != NULL) {
        if (flatten_messages(conversation, r, sc, &sys_parts)) return SLOW;
    } else {
        yyjson_val *raw = prompt != NULL ? prompt : input;
        if (raw == NULL) return SLOW; /* "neither messages nor prompt": said by the Python path */
        sc->prompt.len = 0;
        if (yyjson_is_str(raw)) {
            if (buf_put(&sc->prompt, yyjson_get_str(raw), yyjson_get_len(raw))) return SLOW;
        } else {
            size_t idx, max;
            yyjson_val *item;
            yyjson_arr_foreach(raw, idx, max, item) {
                if (idx && buf_put(&sc->prompt, "\n\n", 2)) return SLOW;
                if (buf_put(&sc->prompt, yyjson_get_str(item), yyjson_get_len(item))) return SLOW;
            }
        }
        r->s[C_PROMPT] = (Str){sc->prompt.p ? sc->prompt.p : "", sc->prompt.len, 1};
        r->i[C_TURNS] = (I64){1, 1};
        r->i[C_MESSAGES] = (I64){1, 1};
        r->i[C_TOOL_MESSAGES] = (I64){0, 1};
        r->i[C_CONTEXT_CHARS] = (I64){utf8_chars(sc->prompt.p, sc->prompt.len), 1};
    }
    if (sys_parts) r->s[C_SYSTEM] = (Str){sc->system.p ? sc->system.p : "", sc->system.len, 1};

    /* tool_defs = req.tools or req.functions or [] */
    yyjson_val *defs = tools != NULL && yyjson_arr_size(tools) ? tools
                       : functions != NULL && yyjson_arr_size(functions) ? functions : NULL;
    r->i[C_TOOLS] = (I64){defs ? (int64_t)yyjson_arr_size(defs) : 0, 1};
    if (defs && tool_names(defs, sc, r)) return SLOW;

    if (effort.set) r->s[C_EFFORT] = effort;
    else if (reasoning != NULL) {
        yyjson_val *value = NULL, *k;
        yyjson_obj_iter ri = yyjson_obj_iter_with(reasoning);
        while ((k = yyjson_obj_iter_next(&ri)))
            if (key_is(k, "effort", 6)) value = yyjson_obj_iter_get_val(k);
        if (value != NULL && yyjson_is_str(value))
            r->s[C_EFFORT] = (Str){yyjson_get_str(value), yyjson_get_len(value), 1};
    }
    r->i[C_MAX_TOKENS] = max_tokens.set ? max_tokens : max_completion.set ? max_completion : max_output;
    if (logprobs_is_int) {
        if (logprobs_int.set) r->i[C_LOGPROBS] = (I64){logprobs_int.v != 0, 1};
    } else r->i[C_LOGPROBS] = logprobs_bool;
    if (top_logprobs.set) r->i[C_TOP_LOGPROBS] = top_logprobs;
    else if (logprobs_is_int && logprobs_int.set) r->i[C_TOP_LOGPROBS] = logprobs_int;
    return 0;
}

/* The whole line; 0 when every value is in `r`. */
static int read_line(yyjson_val *root, Row *r, Scratch *sc) {
    if (!yyjson_is_obj(root)) return SLOW;
    uint64_t seen = 0;
    yyjson_val *request = NULL;
    yyjson_obj_iter it = yyjson_obj_iter_with(root);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(key);
        if (KEY("request_id")) { SEEN(0); if (get_str(v, &r->s[C_REQUEST_ID])) return SLOW; }
        else if (KEY("timestamp")) { SEEN(1); if (parse_ts(v, &r->i[C_TIMESTAMP], 1)) return SLOW; }
        else if (KEY("account_id")) { SEEN(2); if (get_str(v, &r->s[C_ACCOUNT_ID])) return SLOW; }
        else if (KEY("request")) { SEEN(3); request = v; }
        else if (KEY("org_id")) { SEEN(4); if (get_str(v, &r->s[C_ORG_ID])) return SLOW; }
        else if (KEY("api_key_id")) { SEEN(5); if (get_str(v, &r->s[C_API_KEY_ID])) return SLOW; }
        else if (KEY("client")) { SEEN(6); if (read_client(v, r)) return SLOW; }
        else if (KEY("billing")) { SEEN(7); if (read_billing(v, r)) return SLOW; }
        else if (KEY("endpoint")) { SEEN(8); if (get_str(v, &r->s[C_ENDPOINT])) return SLOW; }
        else if (KEY("model")) { SEEN(9); if (get_str(v, &r->s[C_MODEL])) return SLOW; }
        else if (KEY("response")) { SEEN(10); if (read_response(v, r)) return SLOW; }
        else if (KEY("usage")) { SEEN(11); if (read_usage(v, r)) return SLOW; }
        else if (KEY("status")) { SEEN(12); if (get_int(v, &r->i[C_STATUS], I32_RANGE)) return SLOW; }
        else return SLOW;
    }
    if (!r->s[C_REQUEST_ID].set || !r->i[C_TIMESTAMP].set || !r->s[C_ACCOUNT_ID].set || request == NULL)
        return SLOW; /* a required field missing or null */
    return read_request(request, r, sc);
}

static int append_row(Table *t, const Row *r) {
    int64_t row = t->rows;
    for (int c = 0; c < NCOLS; c++) {
        Col *col = &t->cols[c];
        Kind kind = SPECS[c].kind;
        int set;
        if (kind == K_STR) {
            set = r->s[c].set;
            if (set && buf_put(&col->data, r->s[c].p, r->s[c].n)) return -1;
            int32_t end = (int32_t)col->data.len;
            if (buf_put(&col->values, &end, 4)) return -1;
        } else if (kind == K_F64) {
            set = r->f[c].set;
            double v = set ? r->f[c].v : 0.0;
            if (buf_put(&col->values, &v, 8)) return -1;
        } else if (kind == K_BOOL) {
            set = r->i[c].set;
            if (bit_push(&col->values, row, set && r->i[c].v)) return -1;
        } else if (kind == K_I32) {
            set = r->i[c].set;
            int32_t v = set ? (int32_t)r->i[c].v : 0;
            if (buf_put(&col->values, &v, 4)) return -1;
        } else {
            set = r->i[c].set;
            int64_t v = set ? r->i[c].v : 0;
            if (buf_put(&col->values, &v, 8)) return -1;
        }
        if (SPECS[c].nullable) {
            if (bit_push(&col->valid, row, set)) return -1;
            col->nulls += !set;
        }
    }
    t->rows++;
    return 0;
}

static int is_blank(const char *p, size_t n) { /* bytes.strip()'s whitespace */
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '\x0b' && ch != '\x0c') return 0;
    }
    return 1;
}

typedef struct {
    int64_t index, kind, start, end;
} Other;

typedef struct {
    Other *p;
    size_t len, cap;
} Others;

static int others_push(Others *o, Other x) {
    if (o->len == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        Other *p = realloc(o->p, cap * sizeof(Other));
        if (!p) return -1;
        o->p = p;
        o->cap = cap;
    }
    o->p[o->len++] = x;
    return 0;
}

/* ---- the Python entry point ------------------------------------------------------------------------- */

static PyObject *bytes_of(const Buf *b) { return PyBytes_FromStringAndSize(b->p ? b->p : "", (Py_ssize_t)b->len); }

static PyObject *columns_tuple(const Table *t) {
    PyObject *cols = PyTuple_New(NCOLS);
    if (!cols) return NULL;
    for (int c = 0; c < NCOLS; c++) {
        const Col *col = &t->cols[c];
        PyObject *valid = (SPECS[c].nullable && col->nulls) ? bytes_of(&col->valid) : (Py_INCREF(Py_None), Py_None);
        PyObject *values = bytes_of(&col->values);
        PyObject *data = SPECS[c].kind == K_STR ? bytes_of(&col->data) : (Py_INCREF(Py_None), Py_None);
        PyObject *triple = (valid && values && data) ? PyTuple_Pack(3, valid, values, data) : NULL;
        Py_XDECREF(valid);
        Py_XDECREF(values);
        Py_XDECREF(data);
        if (!triple) {
            Py_DECREF(cols);
            return NULL;
        }
        PyTuple_SET_ITEM(cols, c, triple);
    }
    return cols;
}

static PyObject *decode(PyObject *self, PyObject *args) {
    Py_buffer view;
    Py_ssize_t start, max_rows, max_bytes, max_line;
    int final;
    if (!PyArg_ParseTuple(args, "y*npnnn", &view, &start, &final, &max_rows, &max_bytes, &max_line)) return NULL;
    const char *buf = view.buf;
    size_t size = (size_t)view.len, pos = start < 0 ? 0 : (size_t)start;
    Table table;
    Others others = {0};
    Scratch scratch = {{0}};
    Buf pool = {0};
    int failed = table_init(&table);
    int64_t lines = 0;
    Row *row = malloc(sizeof(Row));
    if (!row) failed = 1;

    Py_BEGIN_ALLOW_THREADS
    size_t first = pos;
    while (!failed && pos < size && lines < max_rows && pos - first < (size_t)max_bytes) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', size - pos);
        if (nl == NULL && !final) break; /* an unterminated line: wait for more */
        size_t n = nl ? (size_t)(nl - line) : size - pos;
        size_t next = pos + n + (nl != NULL);
        Other other = {lines, 0, (int64_t)pos, (int64_t)next};
        if (n > (size_t)max_line) other.kind = 3;
        else if (is_blank(line, n)) other.kind = 2;
        else {
            size_t need = yyjson_read_max_memory_usage(n, 0);
            if (need > pool.cap && buf_reserve(&pool, need)) {
                failed = 1;
                break;
            }
            yyjson_alc alc;
            yyjson_alc_pool_init(&alc, pool.p, pool.cap);
            yyjson_doc *doc = yyjson_read_opts((char *)line, n, 0, &alc, NULL);
            if (doc == NULL) other.kind = 1;
            else {
                memset(row, 0, sizeof(Row));
                if (read_line(yyjson_doc_get_root(doc), row, &scratch)) other.kind = 1;
                else if (append_row(&table, row)) failed = 1;
                yyjson_doc_free(doc);
            }
        }
        if (other.kind && others_push(&others, other)) failed = 1;
        pos = next;
        lines++;
        if (table.cols[C_PROMPT].data.len > STRING_LIMIT || table.cols[C_SYSTEM].data.len > STRING_LIMIT) break;
    }
    Py_END_ALLOW_THREADS

    PyObject *result = NULL;
    if (failed) PyErr_NoMemory();
    else {
        PyObject *cols = columns_tuple(&table);
        PyObject *list = cols ? PyList_New((Py_ssize_t)others.len) : NULL;
        for (size_t i = 0; list && i < others.len; i++) {
            PyObject *item = Py_BuildValue("(LLLL)", (long long)others.p[i].index, (long long)others.p[i].kind,
                                           (long long)others.p[i].start, (long long)others.p[i].end);
            if (!item) {
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)i, item);
        }
        if (cols && list) result = Py_BuildValue("(nLOO)", (Py_ssize_t)pos, (long long)lines, cols, list);
        Py_XDECREF(cols);
        Py_XDECREF(list);
    }
    table_free(&table);
    free(others.p);
    free(scratch.prompt.p);
    free(scratch.system.p);
    free(scratch.names.p);
    free(pool.p);
    free(row);
    PyBuffer_Release(&view);
    return result;
}

static PyObject *column_names(void) {
    PyObject *names = PyTuple_New(NCOLS);
    for (int c = 0; names && c < NCOLS; c++) {
        PyObject *s = PyUnicode_FromString(SPECS[c].name);
        if (!s) {
            Py_CLEAR(names);
            break;
        }
        PyTuple_SET_ITEM(names, c, s);
    }
    return names;
}

static PyMethodDef METHODS[] = {
    {"decode", decode, METH_VARARGS,
     "decode(buffer, start, final, max_rows, max_bytes, max_line_bytes) -> (end, lines, columns, others)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastdecode",
                                    "JSON Lines traffic logs into Arrow column buffers (see fastdecode.c).", -1,
                                    METHODS};

PyMODINIT_FUNC PyInit__fastdecode(void) {
    PyObject *m = PyModule_Create(&MODULE);
    if (!m) return NULL;
    PyObject *names = column_names();
    if (!names || PyModule_AddObject(m, "COLUMNS", names) < 0) {
        Py_XDECREF(names);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
