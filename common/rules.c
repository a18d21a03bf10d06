/* The rules file (see rules.h). */
#include "common/rules.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "common/util.h"

#define MAX_RULES_FILE (4u << 20)
#define MAX_RULES 10000
#define MAX_TARGETS 16

static const char *const type_names[] = { "webhook", "exec", "file" };

const char *nw_target_type_name(enum nw_target_type t)
{
	return type_names[t];
}

struct loader {
	const char *name;
	struct nw_rules *rules;
	struct nw_rule *cur;
	int line;
	const char *line_start;
	char *msg;
	size_t msglen;
};

static enum nw_err failf(struct loader *l, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum nw_err failf(struct loader *l, const char *at, const char *fmt, ...)
{
	char what[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	int col = at ? (int)nw_utf8_len(l->line_start, (size_t)(at - l->line_start)) + 1 : 1;
	snprintf(l->msg, l->msglen, "%s:%d:%d: %s", l->name, l->line, col, what);
	return NW_ESYNTAX;
}

static void rule_clear(struct nw_rule *r)
{
	free(r->name);
	nw_expr_free(&r->match);
	for (size_t i = 0; i < r->ntargets; i++)
		free(r->targets[i].arg);
	free(r->targets);
	free(r->secret);
	memset(r, 0, sizeof(*r));
}

void nw_rules_free(struct nw_rules **rp)
{
	struct nw_rules *r = *rp;
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_clear(&r->rules[i]);
	free(r->rules);
	free(r);
	*rp = NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A rule is complete: it has a match, a target, a secret if it needs one. */
static enum nw_err finish_rule(struct loader *l, int header_line)
{
	struct nw_rule *r = l->cur;
	if (!r)
		return NW_OK;
	int saved = l->line;
	l->line = header_line;
	enum nw_err err = NW_OK;
	if (!r->match)
		err = failf(l, NULL, "rule \"%s\" has no match = line", r->name);
	else if (!r->ntargets)
		err = failf(l, NULL, "rule \"%s\" has no notify = line", r->name);
	for (size_t i = 0; !err && i < r->ntargets; i++)
		if (r->targets[i].type == NW_TARGET_WEBHOOK && !r->secret)
			err = failf(l, NULL, "rule \"%s\" has a webhook but no secret = line "
				    "(its deliveries are signed)", r->name);
	l->line = saved;
	return err;
}

static enum nw_err set_secret(struct loader *l, const char *value, const char *at)
{
	struct nw_rule *r = l->cur;
	size_t n = strlen(value);
	if (strncmp(value, "whsec_", 6) == 0) {
		const char *b64 = value + 6;
		size_t blen = n - 6;
		unsigned char *key = malloc(blen + 3);
		int k = key ? EVP_DecodeBlock(key, (const unsigned char *)b64, (int)blen) : -1;
		if (k <= 0 || blen % 4) {
			free(key);
			return failf(l, at, "a whsec_ secret must be base64 after the prefix");
		}
		/* EVP_DecodeBlock counts padding as bytes */
		while (blen && b64[blen - 1] == '=') {
			blen--;
			k--;
		}
		r->secret = key;
		r->secret_len = (size_t)k;
	} else {
		if (n < 16)
			return failf(l, at, "the secret is too short (16 characters at least)");
		if (!(r->secret = (unsigned char *)nw_strdup(value)))
			return failf(l, at, "out of memory");
		r->secret_len = n;
	}
	return NW_OK;
}

static enum nw_err add_target(struct loader *l, const char *value, const char *at)
{
	struct nw_rule *r = l->cur;
	size_t t;
	const char *arg = NULL;
	for (t = 0; t < NW_ARRAY_LEN(type_names); t++) {
		size_t k = strlen(type_names[t]);
		if (strncmp(value, type_names[t], k) == 0 && is_blank(value[k])) {
			arg = value + k;
			while (is_blank(*arg))
				arg++;
			break;
		}
	}
	if (t == NW_ARRAY_LEN(type_names))
		return failf(l, at, "notify takes webhook URL, exec COMMAND or file PATH");
	if (!*arg)
		return failf(l, at, "notify = %s needs a %s", type_names[t],
			     t == NW_TARGET_WEBHOOK ? "URL" : t == NW_TARGET_EXEC ? "command" : "path");
	if (t == NW_TARGET_WEBHOOK && strncmp(arg, "http://", 7) != 0 &&
	    strncmp(arg, "https://", 8) != 0)
		return failf(l, arg - value + at, "a webhook URL starts with http:// or https://");
	if (t == NW_TARGET_EXEC && arg[0] != '/')
		return failf(l, arg - value + at, "an exec command is an absolute path (and arguments)");
	if (r->ntargets == MAX_TARGETS)
		return failf(l, at, "a rule has at most %d targets", MAX_TARGETS);
	struct nw_target *v = realloc(r->targets, (r->ntargets + 1) * sizeof(*v));
	if (!v)
		return failf(l, at, "out of memory");
	r->targets = v;
	v[r->ntargets] = (struct nw_target){ .type = (enum nw_target_type)t, .arg = nw_strdup(arg) };
	if (!v[r->ntargets].arg)
		return failf(l, at, "out of memory");
	r->ntargets++;
	return NW_OK;
}

/* One "key = value" line of a rule. */
static enum nw_err rule_line(struct loader *l, char *line)
{
	char *p = line, *key = line;
	while (*p && !is_blank(*p) && *p != '=')
		p++;
	char *key_end = p;
	while (is_blank(*p))
		p++;
	if (*p != '=')
		return failf(l, key, "expected key = value");
	*key_end = '\0';
	char *value = p + 1;
	while (is_blank(*value))
		value++;
	char *end = value + strlen(value);
	while (end > value && is_blank(end[-1]))
		*--end = '\0';
	if (!l->cur)
		return failf(l, key, "\"%s\" outside a [rule NAME] block", key);
	if (strcmp(key, "match") == 0) {
		if (l->cur->match)
			return failf(l, key, "rule \"%s\" has two match lines (combine them with AND/OR)",
				     l->cur->name);
		char emsg[300];
		int col = 0;
		if (nw_expr_parse(value, &l->cur->match, &col, emsg, sizeof(emsg)) != NW_OK) {
			/* the expression's column, counted from the line start */
			const char *colon = strstr(emsg, ": ");
			const char *at = value;
			for (int c = 1; c < col && *at; c++)
				nw_utf8_next(&at, at + strlen(at));
			return failf(l, at, "%s", colon ? colon + 2 : emsg);
		}
		return NW_OK;
	}
	if (strcmp(key, "notify") == 0)
		return add_target(l, value, value);
	if (strcmp(key, "secret") == 0) {
		if (l->cur->secret)
			return failf(l, key, "rule \"%s\" has two secrets", l->cur->name);
		return set_secret(l, value, value);
	}
	return failf(l, key, "unknown key \"%s\" (match, notify, secret)", key);
}

static enum nw_err header_line(struct loader *l, char *line, int *header_at)
{
	char *close = strchr(line, ']');
	if (!close)
		return failf(l, line, "unclosed [");
	for (char *c = close + 1; *c; c++)
		if (!is_blank(*c))
			return failf(l, c, "text after ]");
	*close = '\0';
	char *p = line + 1;
	while (is_blank(*p))
		p++;
	if (strncmp(p, "rule", 4) != 0 || !is_blank(p[4]))
		return failf(l, p, "a block starts with [rule NAME]");
	char *name = p + 4;
	while (is_blank(*name))
		name++;
	char *end = name + strlen(name);
	while (end > name && is_blank(end[-1]))
		*--end = '\0';
	if (!*name)
		return failf(l, p, "the rule needs a name: [rule NAME]");
	for (char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || *c == '_' || *c == '.'))
			return failf(l, c, "rule names use letters, digits, '-', '_' and '.'");
	enum nw_err err = finish_rule(l, *header_at);
	if (err)
		return err;
	for (size_t i = 0; i < l->rules->n; i++)
		if (strcmp(l->rules->rules[i].name, name) == 0)
			return failf(l, name, "a second rule named \"%s\"", name);
	if (l->rules->n == MAX_RULES)
		return failf(l, line, "more than %d rules", MAX_RULES);
	struct nw_rule *v = realloc(l->rules->rules, (l->rules->n + 1) * sizeof(*v));
	if (!v)
		return failf(l, line, "out of memory");
	l->rules->rules = v;
	l->cur = &v[l->rules->n++];
	memset(l->cur, 0, sizeof(*l->cur));
	if (!(l->cur->name = nw_strdup(name)))
		return failf(l, line, "out of memory");
	*header_at = l->line;
	return NW_OK;
}

enum nw_err nw_rules_parse(const char *name, const char *text, size_t len, struct nw_rules **out,
			   char *msg, size_t msglen)
{
	struct loader l = { .name = name, .msg = msg, .msglen = msglen };
	*out = NULL;
	if (!(l.rules = calloc(1, sizeof(*l.rules)))) {
		snprintf(msg, msglen, "%s: out of memory", name);
		return NW_ENOMEM;
	}
	char *copy = nw_strndup(text, len);
	if (!copy) {
		nw_rules_free(&l.rules);
		snprintf(msg, msglen, "%s: out of memory", name);
		return NW_ENOMEM;
	}
	enum nw_err err = NW_OK;
	size_t bad;
	if (!nw_utf8_valid(copy, len, &bad)) {
		l.line = 1;
		for (size_t i = 0; i < bad; i++)
			if (copy[i] == '\n')
				l.line++;
		l.line_start = copy;
		snprintf(msg, msglen, "%s:%d: not valid UTF-8", name, l.line);
		err = NW_ESYNTAX;
	}
	int header_at = 0;
	char *next = copy;
	while (!err && next) {
		char *line = next;
		char *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (nl && nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		l.line++;
		l.line_start = line;
		if (l.line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
			line += 3;   /* a BOM */
		char *p = line;
		while (is_blank(*p))
			p++;
		if (!*p || *p == '#' || *p == ';')
			continue;
		err = *p == '[' ? header_line(&l, p, &header_at) : rule_line(&l, p);
	}
	if (!err)
		err = finish_rule(&l, header_at);
	free(copy);
	if (err) {
		nw_rules_free(&l.rules);
		return err;
	}
	*out = l.rules;
	return NW_OK;
}

enum nw_err nw_rules_load(const char *path, struct nw_rules **out, char *msg, size_t msglen)
{
	char *text = NULL;
	size_t len = 0;
	enum nw_err err = nw_read_file(path, MAX_RULES_FILE, &text, &len);
	if (err) {
		snprintf(msg, msglen, "%s: %s", path,
			 err == NW_ETOOBIG ? "larger than 4 MB" : "cannot be read");
		return err;
	}
	err = nw_rules_parse(path, text, len, out, msg, msglen);
	free(text);
	return err;
}
