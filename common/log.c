/* logfmt lines on stderr, one write(2) per line so lines from several
 * processes sharing a terminal do not interleave. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_service = "newswire";
static enum nw_log_level log_level = NW_LOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void nw_log_init(const char *service, enum nw_log_level level)
{
	log_service = service;
	log_level = level;
}

void nw_log_set_level(enum nw_log_level level)
{
	log_level = level;
}

bool nw_log_level_parse(const char *name, enum nw_log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum nw_log_level)i;
			return true;
		}
	return false;
}

const char *nw_fmt_u64(char buf[24], unsigned long long v)
{
	snprintf(buf, 24, "%llu", v);
	return buf;
}

char *nw_logfmt_value(const char *value, char *buf, unsigned size)
{
	bool quote = !*value;
	for (const char *p = value; *p && !quote; p++)
		quote = *p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20;
	unsigned n = 0;
	if (quote && n + 1 < size)
		buf[n++] = '"';
	for (const char *p = value; *p && n + 3 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if (c < 0x20) {
			buf[n++] = ' ';
		} else {
			buf[n++] = (char)c;
		}
	}
	if (quote && n + 1 < size)
		buf[n++] = '"';
	buf[n < size ? n : size - 1] = '\0';
	return buf;
}

void nw_log(enum nw_log_level level, const char *msg, ...)
{
	if (level < log_level)
		return;
	char line[4096], val[1024];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s svc=%s msg=%s",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000),
			 level_names[level], log_service,
			 nw_logfmt_value(msg, val, sizeof(val)));
	va_list ap;
	va_start(ap, msg);
	const char *key;
	while ((key = va_arg(ap, const char *)) && n > 0 && (size_t)n < sizeof(line)) {
		const char *value = va_arg(ap, const char *);
		n += snprintf(line + n, sizeof(line) - (size_t)n, " %s=%s", key,
			      nw_logfmt_value(value ? value : "", val, sizeof(val)));
	}
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}
