/* The configuration table and its reader (libinih), --set overrides, and
 * the generators of the sample file and the reference documentation. */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

#define MIB (1024LL * 1024)
#define DAY (86400LL)

#define LOG_KEYS(sec)                                                          \
	{ sec, "log_level", NW_CONF_ENUM, "info", 0, 0, "debug|info|warn|error", \
	  false, "Lowest level of log line written to stderr (logfmt)." },       \
	{ sec, "metrics", NW_CONF_HOSTPORT, "", 0, 0, NULL, true,                \
	  "host:port serving /metrics (Prometheus text) and /healthz; empty = off." }

const struct nw_conf_key nw_conf_keys[] = {
	{ "ingestd", "data_dir", NW_CONF_PATH, "var/journal", 0, 0, NULL, false,
	  "Directory of the journal segments and ingest state." },
	{ "ingestd", "publish", NW_CONF_ENDPOINT, "ipc://var/publish.ipc", 0, 0, NULL, false,
	  "ZeroMQ endpoint (XPUB) subscribers connect to for new articles and heartbeats." },
	{ "ingestd", "submit", NW_CONF_ENDPOINT, "ipc://var/submit.ipc", 0, 0, NULL, false,
	  "ZeroMQ endpoint (ROUTER) producers send articles to." },
	{ "ingestd", "replay", NW_CONF_ENDPOINT, "ipc://var/replay.ipc", 0, 0, NULL, false,
	  "ZeroMQ endpoint (ROUTER) subscribers fetch missed articles from." },
	{ "ingestd", "http", NW_CONF_HOSTPORT, "", 0, 0, NULL, true,
	  "host:port of the HTTP API (POST and GET /v1/articles, /v1/stream, /metrics, "
	  "/healthz; see docs/http-api.md); empty = off." },
	{ "ingestd", "spool_dir", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "Directory watched for dropped article files; empty = off." },
	{ "ingestd", "fsync", NW_CONF_ENUM, "batch", 0, 0, "always|batch|off", false,
	  "When the journal is flushed to disk before an ack: every record, once per "
	  "loop turn for all records of that turn (group commit), or never." },
	{ "ingestd", "retention", NW_CONF_RETENTION, "0", 0, 0, NULL, false,
	  "How much journal to keep: an age (7d), a size (10GB), or 0 to keep everything." },
	{ "ingestd", "max_article_bytes", NW_CONF_SIZE, "1MB", 1024, 64 * MIB, NULL, false,
	  "Inputs larger than this are rejected; a feed document may be 8 times this, "
	  "each of its entries this." },
	{ "ingestd", "publish_hwm", NW_CONF_INT, "10000", 100, 10000000, NULL, false,
	  "Messages queued for one subscriber before publishing to it drops (counted; "
	  "the subscriber then catches up by replay)." },
	{ "ingestd", "feeds", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "File listing feed URLs to poll, one per line with an optional interval; empty = none." },
	LOG_KEYS("ingestd"),
	{ "archiver", "db", NW_CONF_PATH, "var/archive.db", 0, 0, NULL, false,
	  "SQLite file of the article archive." },
	LOG_KEYS("archiver"),
	{ "indexer", "db", NW_CONF_PATH, "var/index.db", 0, 0, NULL, false,
	  "SQLite file of the full-text index." },
	{ "indexer", "query", NW_CONF_ENDPOINT, "ipc://var/query.ipc", 0, 0, NULL, false,
	  "ZeroMQ endpoint (ROUTER) serving search requests." },
	{ "indexer", "http", NW_CONF_HOSTPORT, "", 0, 0, NULL, true,
	  "host:port serving GET /v1/search?q=; empty = off." },
	LOG_KEYS("indexer"),
	{ "notifier", "db", NW_CONF_PATH, "var/notifier.db", 0, 0, NULL, false,
	  "SQLite file of the notification outbox and dead letters." },
	{ "notifier", "rules", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "Rules file (match expressions and notify targets); empty = no rules." },
	{ "notifier", "max_attempts", NW_CONF_INT, "8", 1, 100, NULL, false,
	  "Delivery attempts before a notification moves to the dead letters." },
	{ "notifier", "retry_base", NW_CONF_DURATION, "2s", 1, 3600, NULL, false,
	  "Wait before the first retry; each later retry waits twice as long (with jitter)." },
	{ "notifier", "retry_max", NW_CONF_DURATION, "1h", 1, 86400, NULL, false,
	  "Longest wait between two attempts." },
	{ "notifier", "webhook_timeout", NW_CONF_DURATION, "10s", 1, 300, NULL, false,
	  "Time a webhook receiver has to answer before the attempt counts as failed." },
	{ "notifier", "exec_timeout", NW_CONF_DURATION, "30s", 1, 3600, NULL, false,
	  "Time an exec target has to finish before it is killed and the attempt counts as failed." },
	LOG_KEYS("notifier"),
	{ "security", "curve_secret_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "The servers' CURVE secret key (written by `newswire keygen`); set with "
	  "curve_public_file to require CURVE on every TCP endpoint." },
	{ "security", "curve_public_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "The servers' CURVE public key." },
	{ "security", "authorized_keys", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "Client public keys allowed in, one Z85 key per line, # comments." },
	{ "security", "http_token_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "File holding the bearer token HTTP write and admin routes require; empty = no token." },
	{ "security", "http_reads", NW_CONF_ENUM, "token", 0, 0, "token|open", false,
	  "With http_token_file set: `token` makes read-only HTTP routes (GET /v1/articles, "
	  "/v1/stream, the indexer's /v1/search) require the token too, `open` serves them "
	  "without it. /healthz and /metrics are always open." },
	{ "client", "curve_secret_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "The CURVE secret key clients (CLI, libnewswire, subscriber services) present." },
	{ "client", "curve_public_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "The CURVE public key clients present." },
	{ "client", "server_public_file", NW_CONF_PATH, "", 0, 0, NULL, true,
	  "The servers' CURVE public key clients expect." },
	{ NULL, NULL, 0, NULL, 0, 0, NULL, false, NULL },
};

#define NKEYS (NW_ARRAY_LEN(nw_conf_keys) - 1)

struct nw_config {
	char *values[NKEYS];
	int64_t nums[NKEYS];
	int64_t bytes[NKEYS];   /* RETENTION: size part */
};

static int find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(nw_conf_keys[i].section, section) == 0 &&
		    strcmp(nw_conf_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool known_section(const char *section)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(nw_conf_keys[i].section, section) == 0)
			return true;
	return false;
}

/* Number with an optional unit from units (name, factor), case-insensitive. */
static bool parse_scaled(const char *s, const char *const *names, const int64_t *factors,
			 size_t n, int64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno)
		return false;
	while (*end == ' ')
		end++;
	int64_t factor = 1;
	if (*end) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strcasecmp(end, names[i]) == 0)
				break;
		if (i == n)
			return false;
		factor = factors[i];
	}
	if (v > INT64_MAX / factor)
		return false;
	*out = v * factor;
	return true;
}

bool nw_parse_size(const char *s, int64_t *out)
{
	static const char *const names[] = { "b", "k", "kb", "kib", "m", "mb", "mib",
		"g", "gb", "gib", "t", "tb", "tib" };
	static const int64_t f[] = { 1, 1LL << 10, 1LL << 10, 1LL << 10, 1LL << 20,
		1LL << 20, 1LL << 20, 1LL << 30, 1LL << 30, 1LL << 30, 1LL << 40,
		1LL << 40, 1LL << 40 };
	return parse_scaled(s, names, f, NW_ARRAY_LEN(names), out);
}

bool nw_parse_duration(const char *s, int64_t *out)
{
	static const char *const names[] = { "s", "m", "h", "d", "w" };
	static const int64_t f[] = { 1, 60, 3600, DAY, 7 * DAY };
	return parse_scaled(s, names, f, NW_ARRAY_LEN(names), out);
}

static bool valid_hostport(const char *s)
{
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s)
		return false;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	return *end == '\0' && colon[1] && port >= 1 && port <= 65535;
}

static bool valid_endpoint(const char *s)
{
	const char *rest = NULL;
	if (strncmp(s, "tcp://", 6) == 0)
		return valid_hostport(s + 6) || (s[6] && strchr(s + 6, ':'));
	if (strncmp(s, "ipc://", 6) == 0)
		rest = s + 6;
	else if (strncmp(s, "inproc://", 9) == 0)
		rest = s + 9;
	return rest && *rest;
}

static bool in_choices(const char *value, const char *choices)
{
	size_t n = strlen(value);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t k = bar ? (size_t)(bar - p) : strlen(p);
		if (k == n && strncmp(p, value, n) == 0)
			return true;
		p += k + (bar ? 1 : 0);
	}
	return false;
}

/* Validates value for key k; fills num/bytes. msg gets the reason. */
static bool check_value(const struct nw_conf_key *k, const char *value, int64_t *num,
			int64_t *bytes, char *msg, size_t msglen)
{
	*num = 0;
	*bytes = 0;
	if (!*value) {
		if (k->allow_empty || k->type == NW_CONF_STRING)
			return true;
		snprintf(msg, msglen, "[%s] %s must not be empty", k->section, k->name);
		return false;
	}
	switch (k->type) {
	case NW_CONF_STRING:
	case NW_CONF_PATH:
		return true;
	case NW_CONF_ENDPOINT:
		if (valid_endpoint(value))
			return true;
		snprintf(msg, msglen, "[%s] %s: \"%s\" is not a ZeroMQ endpoint "
			 "(tcp://host:port, ipc://path or inproc://name)", k->section, k->name, value);
		return false;
	case NW_CONF_HOSTPORT:
		if (valid_hostport(value))
			return true;
		snprintf(msg, msglen, "[%s] %s: \"%s\" is not host:port", k->section, k->name, value);
		return false;
	case NW_CONF_ENUM:
		if (in_choices(value, k->choices))
			return true;
		snprintf(msg, msglen, "[%s] %s: \"%s\" is not one of %s", k->section,
			 k->name, value, k->choices);
		return false;
	case NW_CONF_RETENTION:
		/* a bare number is bytes (0 keeps everything); else an age, else a size */
		if (strspn(value, "0123456789") == strlen(value) && nw_parse_size(value, bytes))
			return true;
		if (nw_parse_duration(value, num) && *num > 0)
			return true;
		*num = 0;
		if (nw_parse_size(value, bytes) && *bytes > 0)
			return true;
		snprintf(msg, msglen, "[%s] %s: \"%s\" is neither an age (7d) nor a size "
			 "(10GB) nor 0", k->section, k->name, value);
		return false;
	case NW_CONF_INT:
	case NW_CONF_SIZE:
	case NW_CONF_DURATION: {
		bool ok;
		if (k->type == NW_CONF_SIZE)
			ok = nw_parse_size(value, num);
		else if (k->type == NW_CONF_DURATION)
			ok = nw_parse_duration(value, num);
		else {
			char *end;
			errno = 0;
			*num = strtoll(value, &end, 10);
			ok = !errno && *end == '\0';
		}
		if (!ok) {
			snprintf(msg, msglen, "[%s] %s: \"%s\" is not a %s", k->section, k->name,
				 value, k->type == NW_CONF_SIZE ? "size (e.g. 1MB)" :
				 k->type == NW_CONF_DURATION ? "duration (e.g. 30s)" : "whole number");
			return false;
		}
		if (*num < k->min || *num > k->max) {
			snprintf(msg, msglen, "[%s] %s: %s is out of range [%lld, %lld]",
				 k->section, k->name, value, (long long)k->min, (long long)k->max);
			return false;
		}
		return true;
	}
	}
	return false;
}

enum nw_err nw_config_set(nw_config *cfg, const char *section, const char *name,
			  const char *value, char *msg, size_t msglen)
{
	if (!known_section(section)) {
		snprintf(msg, msglen, "unknown section [%s]", section);
		return NW_ECONFIG;
	}
	int i = find_key(section, name);
	if (i < 0) {
		snprintf(msg, msglen, "unknown key \"%s\" in [%s]", name, section);
		return NW_ECONFIG;
	}
	int64_t num, bytes;
	if (!check_value(&nw_conf_keys[i], value, &num, &bytes, msg, msglen))
		return NW_ECONFIG;
	char *copy = nw_strdup(value);
	if (!copy)
		return NW_ENOMEM;
	free(cfg->values[i]);
	cfg->values[i] = copy;
	cfg->nums[i] = num;
	cfg->bytes[i] = bytes;
	return NW_OK;
}

nw_config *nw_config_new(void)
{
	nw_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return NULL;
	char msg[256];
	for (size_t i = 0; i < NKEYS; i++) {
		const struct nw_conf_key *k = &nw_conf_keys[i];
		if (nw_config_set(cfg, k->section, k->name, k->def, msg, sizeof(msg))) {
			nw_config_destroy(&cfg);   /* a bad default is a bug */
			abort();
		}
	}
	return cfg;
}

void nw_config_destroy(nw_config **cfgp)
{
	nw_config *cfg = *cfgp;
	if (!cfg)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		free(cfg->values[i]);
	free(cfg);
	*cfgp = NULL;
}

struct load_ctx {
	nw_config *cfg;
	FILE *f;
	int line;
	int err_line;
	char msg[512];
};

/* inih reader: counts lines so errors can name them. */
static char *read_line(char *str, int num, void *stream)
{
	struct load_ctx *c = stream;
	char *s = fgets(str, num, c->f);
	if (s)
		c->line++;
	return s;
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	if (c->err_line)
		return 1;
	char msg[sizeof(c->msg)];
	if (!name) {   /* new section (when the library reports them) */
		if (known_section(section))
			return 1;
		snprintf(msg, sizeof(msg), "unknown section [%s]", section);
	} else if (!*section) {
		snprintf(msg, sizeof(msg), "key \"%s\" outside any [section]", name);
	} else if (nw_config_set(c->cfg, section, name, value, msg, sizeof(msg)) == NW_OK) {
		return 1;
	}
	c->err_line = c->line;
	memcpy(c->msg, msg, sizeof(msg));
	return 0;
}

enum nw_err nw_config_load(nw_config *cfg, const char *path, char *msg, size_t msglen)
{
	struct load_ctx c = { cfg, fopen(path, "r"), 0, 0, "" };
	if (!c.f) {
		snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return NW_EIO;
	}
	int rc = ini_parse_stream(read_line, &c, on_entry, &c);
	fclose(c.f);
	if (rc == 0)
		return NW_OK;
	if (c.err_line && c.err_line <= rc)
		snprintf(msg, msglen, "%s:%d: %s", path, c.err_line, c.msg);
	else
		snprintf(msg, msglen, "%s:%d: syntax error: expected [section], key = value, "
			 "or a # comment", path, rc);
	return NW_ECONFIG;
}

enum nw_err nw_config_set_arg(nw_config *cfg, const char *arg, char *msg, size_t msglen)
{
	const char *dot = strchr(arg, '.');
	const char *eq = strchr(arg, '=');
	if (!dot || !eq || dot > eq || dot == arg || eq == dot + 1) {
		snprintf(msg, msglen, "--set %s: expected section.key=value", arg);
		return NW_ECONFIG;
	}
	char section[64], name[64];
	size_t sl = (size_t)(dot - arg), nl = (size_t)(eq - dot - 1);
	if (sl >= sizeof(section) || nl >= sizeof(name)) {
		snprintf(msg, msglen, "--set %s: name too long", arg);
		return NW_ECONFIG;
	}
	memcpy(section, arg, sl);
	section[sl] = '\0';
	memcpy(name, dot + 1, nl);
	name[nl] = '\0';
	char why[400];
	enum nw_err err = nw_config_set(cfg, section, name, eq + 1, why, sizeof(why));
	if (err)
		snprintf(msg, msglen, "--set %s: %s", arg, why);
	return err;
}

static int must_find(const char *section, const char *name)
{
	int i = find_key(section, name);
	if (i < 0) {
		fprintf(stderr, "BUG: config key [%s] %s is not in the table\n", section, name);
		abort();
	}
	return i;
}

const char *nw_config_str(const nw_config *cfg, const char *section, const char *name)
{
	return cfg->values[must_find(section, name)];
}

int64_t nw_config_num(const nw_config *cfg, const char *section, const char *name)
{
	return cfg->nums[must_find(section, name)];
}

void nw_config_retention(const nw_config *cfg, const char *section, const char *name,
			 int64_t *age_seconds, int64_t *bytes)
{
	int i = must_find(section, name);
	*age_seconds = cfg->nums[i];
	*bytes = cfg->bytes[i];
}

const char *nw_config_default_path(void)
{
	return access("newswire.conf", R_OK) == 0 ? "newswire.conf" : NULL;
}

static const char *type_name(const struct nw_conf_key *k)
{
	switch (k->type) {
	case NW_CONF_STRING:    return "string";
	case NW_CONF_PATH:      return "path";
	case NW_CONF_ENDPOINT:  return "endpoint";
	case NW_CONF_HOSTPORT:  return "host:port";
	case NW_CONF_INT:       return "integer";
	case NW_CONF_SIZE:      return "size";
	case NW_CONF_DURATION:  return "duration";
	case NW_CONF_RETENTION: return "age or size";
	case NW_CONF_ENUM:      return k->choices;
	}
	return "?";
}

/* Writes help wrapped at 76 columns, each line starting with prefix. */
static void wrap(FILE *out, const char *prefix, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t take = strlen(p);
		if (take > 74) {
			take = 74;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0)
				take = 74;
		}
		fprintf(out, "%s%.*s\n", prefix, (int)take, p);
		p += take;
		while (*p == ' ')
			p++;
	}
}

void nw_config_write_sample(FILE *out)
{
	fprintf(out, "# newswire configuration: every key with its built-in default.\n"
		     "# Generated by `newswire config sample`; see docs/configuration.md.\n"
		     "# All services read the same file (-c FILE, default ./newswire.conf).\n");
	const char *section = "";
	for (size_t i = 0; i < NKEYS; i++) {
		const struct nw_conf_key *k = &nw_conf_keys[i];
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "\n[%s]\n", section);
		}
		fprintf(out, "\n");
		wrap(out, "# ", k->help);
		fprintf(out, "# (%s)\n%s = %s\n", type_name(k), k->name, k->def);
	}
}

void nw_config_write_markdown(FILE *out)
{
	fprintf(out, "# Configuration reference\n\n"
		"<!-- Generated by `newswire config docs` from the key table in "
		"common/config.c; a test keeps it in sync. -->\n\n"
		"One INI file configures every service (`-c FILE`; default "
		"`./newswire.conf` if present, else the built-in defaults below). "
		"`--set section.key=value` overrides one key. Unknown sections or keys and "
		"bad values stop a daemon at start with `file:line: message` and exit "
		"code 2.\n\n"
		"Sizes take `B`, `KB`, `MB`, `GB`, `TB` (1024-based; `KiB` etc. are "
		"accepted too). Durations take `s`, `m`, `h`, `d`, `w`. Relative paths "
		"and `ipc://` endpoints are relative to the working directory of the "
		"service. Lines may be at most 200 characters.\n");
	const char *section = "";
	for (size_t i = 0; i < NKEYS; i++) {
		const struct nw_conf_key *k = &nw_conf_keys[i];
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, "\n## [%s]\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
				section);
		}
		fprintf(out, "| `%s` | %s | `%s` | %s", k->name, type_name(k), k->def, k->help);
		if (k->type == NW_CONF_INT || k->type == NW_CONF_SIZE || k->type == NW_CONF_DURATION)
			fprintf(out, " Range %lld to %lld.", (long long)k->min, (long long)k->max);
		fprintf(out, " |\n");
	}
}
