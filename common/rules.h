/* Notification rules (SPEC section 7): a file of blocks
 *
 *   [rule quang-binh-security]
 *   match = place:"Lệ Thủy" AND (ANTT OR "an ninh")
 *   notify = webhook https://example.invalid/hook
 *   notify = exec /usr/local/bin/alert --quiet
 *   notify = file var/alerts.jsonl
 *   secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
 *
 * Each rule has one match expression (common/expr.h) and one or more
 * targets. secret signs the rule's webhooks (Standard Webhooks: a
 * "whsec_" prefix means base64 key bytes follow; otherwise the text is
 * the key); a rule with a webhook target needs one. Lines starting with
 * # or ; are comments. Errors name the file, line and column. */
#ifndef NW_RULES_H
#define NW_RULES_H

#include <stddef.h>
#include <newswire/error.h>

#include "common/expr.h"

enum nw_target_type { NW_TARGET_WEBHOOK, NW_TARGET_EXEC, NW_TARGET_FILE };

struct nw_target {
	enum nw_target_type type;
	char *arg;            /* URL, command line, or path */
};

struct nw_rule {
	char *name;
	struct nw_expr *match;
	struct nw_target *targets;
	size_t ntargets;
	unsigned char *secret;   /* webhook signing key */
	size_t secret_len;
};

struct nw_rules {
	struct nw_rule *rules;
	size_t n;
};

/* Loads path. On error returns NW_ESYNTAX (or NW_EIO) with msg
 * "path:line:col: what"; nothing is left allocated. */
enum nw_err nw_rules_load(const char *path, struct nw_rules **out, char *msg, size_t msglen);
/* The same from text already in memory (name is used in messages). */
enum nw_err nw_rules_parse(const char *name, const char *text, size_t len, struct nw_rules **out,
			   char *msg, size_t msglen);
void nw_rules_free(struct nw_rules **r);

const char *nw_target_type_name(enum nw_target_type t);

#endif
