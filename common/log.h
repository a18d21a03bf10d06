/* logfmt logging to stderr: `ts=... level=info svc=ingestd msg="..." k=v`.
 * One process-wide sink is all a daemon needs; it is set up once in main. */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <stdbool.h>

enum nw_log_level { NW_LOG_DEBUG, NW_LOG_INFO, NW_LOG_WARN, NW_LOG_ERROR };

/* Sets the service name printed as svc= and the lowest level printed. */
void nw_log_init(const char *service, enum nw_log_level level);
void nw_log_set_level(enum nw_log_level level);
/* "debug", "info", "warn", "error" -> level; false if unknown. */
bool nw_log_level_parse(const char *name, enum nw_log_level *out);

/* msg is free text (quoted as needed); the variadic part is pairs of
 * const char *key, const char *value ending with NULL. */
void nw_log(enum nw_log_level level, const char *msg, ...);

#define nw_debug(...) nw_log(NW_LOG_DEBUG, __VA_ARGS__, (const char *)0)
#define nw_info(...)  nw_log(NW_LOG_INFO, __VA_ARGS__, (const char *)0)
#define nw_warn(...)  nw_log(NW_LOG_WARN, __VA_ARGS__, (const char *)0)
#define nw_error(...) nw_log(NW_LOG_ERROR, __VA_ARGS__, (const char *)0)

/* A number as a log field value: NW_U64(n) is a string that lives until the
 * end of the statement's block, so several fit in one nw_log() call. */
const char *nw_fmt_u64(char buf[24], unsigned long long v);
#define NW_U64(v) nw_fmt_u64((char[24]){ 0 }, (unsigned long long)(v))

/* Writes value to buf as a logfmt value (quoted and escaped when it holds
 * spaces, quotes, '=' or control characters). Returns buf. */
char *nw_logfmt_value(const char *value, char *buf, unsigned size);

#endif
