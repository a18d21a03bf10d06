/* Configuration: one declarative table of every key (section, name, type,
 * default, bounds, help). The INI reader, --set, the sample config file and
 * docs/configuration.md all come from that table. */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <newswire/error.h>

enum nw_conf_type {
	NW_CONF_STRING,     /* free text */
	NW_CONF_PATH,       /* file or directory; empty = off where allowed */
	NW_CONF_ENDPOINT,   /* ZeroMQ endpoint: tcp://, ipc://, inproc:// */
	NW_CONF_HOSTPORT,   /* host:port; empty = off */
	NW_CONF_INT,        /* integer within [min, max] */
	NW_CONF_SIZE,       /* bytes: 1048576, 512KB, 1MB, 10GB (1024-based) */
	NW_CONF_DURATION,   /* seconds: 30s, 5m, 2h, 7d */
	NW_CONF_RETENTION,  /* 0 (keep all), an age (7d) or a size (10GB) */
	NW_CONF_ENUM,       /* one of choices ("a|b|c") */
};

struct nw_conf_key {
	const char *section;
	const char *name;
	enum nw_conf_type type;
	const char *def;       /* built-in default, as written in the file */
	int64_t min, max;      /* bounds for INT, SIZE, DURATION */
	const char *choices;   /* ENUM: "always|batch|off" */
	bool allow_empty;      /* empty value means "off" */
	const char *help;      /* one or two sentences */
};

/* The table, terminated by an entry with section == NULL. */
extern const struct nw_conf_key nw_conf_keys[];

typedef struct nw_config nw_config;

/* Built-in defaults only. NULL on ENOMEM. */
nw_config *nw_config_new(void);
void nw_config_destroy(nw_config **cfg);

/* Reads an INI file over the current values. On error returns NW_ECONFIG
 * (or NW_EIO) and writes "file:line: message" into msg. */
enum nw_err nw_config_load(nw_config *cfg, const char *path, char *msg, size_t msglen);

/* Applies "section.key=value" (the --set option). */
enum nw_err nw_config_set_arg(nw_config *cfg, const char *arg, char *msg, size_t msglen);

/* Sets one key after validating the value; msg gets the reason on error. */
enum nw_err nw_config_set(nw_config *cfg, const char *section, const char *name,
			  const char *value, char *msg, size_t msglen);

/* Current values. The string is owned by cfg; the number is the parsed
 * value of INT/SIZE/DURATION keys (bytes or seconds), and for RETENTION the
 * age in seconds (nw_config_retention gives both). Unknown keys abort: they
 * are programming errors. */
const char *nw_config_str(const nw_config *cfg, const char *section, const char *name);
int64_t nw_config_num(const nw_config *cfg, const char *section, const char *name);
void nw_config_retention(const nw_config *cfg, const char *section, const char *name,
			 int64_t *age_seconds, int64_t *bytes);

/* The default config path when -c is not given: "./newswire.conf" if it
 * exists, else NULL (built-in defaults). */
const char *nw_config_default_path(void);

/* Writes the sample config (every key, its default and help) or the
 * Markdown reference generated from the table. */
void nw_config_write_sample(FILE *out);
void nw_config_write_markdown(FILE *out);

/* Parses the value types; false on a malformed value. */
bool nw_parse_size(const char *s, int64_t *out);
bool nw_parse_duration(const char *s, int64_t *out);

#endif
