/* newswire stats: the counters of every running service, read from the
 * /metrics endpoint each one serves when its [SERVICE] metrics is set. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "services/cli/cli.h"

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
	return nw_buf_append(arg, data, size * n) == NW_OK ? size * n : 0;
}

/* Prints the samples (not the # HELP/# TYPE lines) of one service. */
static bool show(const char *service, const char *hostport)
{
	nw_buf url = NW_BUF_INIT, body = NW_BUF_INIT;
	nw_buf_printf(&url, "http://%s/metrics", hostport);
	CURL *curl = curl_easy_init();
	long status = 0;
	CURLcode rc = CURLE_FAILED_INIT;
	if (curl) {
		curl_easy_setopt(curl, CURLOPT_URL, url.data);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 3000L);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(curl);
	}
	bool ok = rc == CURLE_OK && status == 200;
	if (!ok) {
		fprintf(stderr, "%s: not reachable at %s (%s)\n", service, url.data,
			rc != CURLE_OK ? curl_easy_strerror(rc) : "unexpected HTTP status");
	} else {
		printf("== %s (%s)\n", service, hostport);
		for (char *line = strtok(body.data ? body.data : (char *)"", "\n"); line;
		     line = strtok(NULL, "\n"))
			if (line[0] != '#')
				printf("%s\n", line);
	}
	nw_buf_release(&url);
	nw_buf_release(&body);
	return ok;
}

int cmd_stats(struct cli *c)
{
	static const char *const services[] = { "ingestd", "archiver", "indexer", "notifier" };
	if (c->argc > 0 && (strcmp(c->argv[0], "-h") == 0 || strcmp(c->argv[0], "--help") == 0)) {
		printf("usage: newswire stats\n\n"
		       "Prints the counters of every service whose [SERVICE] metrics endpoint\n"
		       "is set in the configuration. Exit status 1 if one cannot be reached.\n");
		return EXIT_OK;
	}
	if (c->argc > 0)
		return cli_usage_error(c, "unknown argument %s", c->argv[0]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int configured = 0, failed = 0;
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		const char *hostport = nw_config_str(c->cfg, services[i], "metrics");
		if (!*hostport)
			continue;
		configured++;
		failed += !show(services[i], hostport);
	}
	curl_global_cleanup();
	if (!configured) {
		fprintf(stderr, "newswire stats: no service has a metrics endpoint; set "
			"[ingestd] metrics = host:port (and the others) in the config\n");
		return EXIT_FAIL;
	}
	return failed ? EXIT_FAIL : EXIT_OK;
}
