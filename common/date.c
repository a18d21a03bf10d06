/* Date recognition. Scanners work on bytes: every form they accept is
 * ASCII digits and punctuation around NFC Vietnamese words. */
#include "common/date.h"

#include <ctype.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>

bool nw_date_valid(int y, int m, int d)
{
	static const int days[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1];
}

/* Reads 1..max digits; returns count read (0 if none) and the value. */
static int digits(const char *s, int max, int *val)
{
	int n = 0, v = 0;
	while (n < max && isdigit((unsigned char)s[n]))
		v = v * 10 + (s[n++] - '0');
	*val = v;
	return n;
}

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Case-insensitive prefix match on a word that may start with a
 * capitalised Vietnamese letter ("Tháng" / "tháng", "Năm" / "năm"). */
static const char *word(const char *s, const char *lower, const char *upper)
{
	size_t n = strlen(lower);
	if (strncmp(s, lower, n) == 0 || strncmp(s, upper, n) == 0)
		return s + n;
	return NULL;
}

/* "D/M/YYYY" with one separator from "/-." used twice; s at the day. */
static const char *match_dmy(const char *s, int *y, int *m, int *d)
{
	int n = digits(s, 2, d);
	if (!n || isdigit((unsigned char)s[n]))
		return NULL;
	char sep = s[n];
	if (sep != '/' && sep != '-' && sep != '.')
		return NULL;
	const char *p = s + n + 1;
	if (!(n = digits(p, 2, m)) || p[n] != sep)
		return NULL;
	p += n + 1;
	if ((n = digits(p, 4, y)) != 4 || isdigit((unsigned char)p[4]))
		return NULL;
	p += 4;
	/* "7/8/2018/..." or "1-2-2013-2018" are not dates */
	if ((*p == sep && isdigit((unsigned char)p[1])))
		return NULL;
	return nw_date_valid(*y, *m, *d) ? p : NULL;
}

/* "D tháng M năm YYYY"; s at the day. */
static const char *match_words(const char *s, int *y, int *m, int *d)
{
	int n = digits(s, 2, d);
	if (!n || isdigit((unsigned char)s[n]))
		return NULL;
	const char *p = skip_spaces(s + n);
	if (!(p = word(p, "tháng", "Tháng")))
		return NULL;
	p = skip_spaces(p);
	if (!(n = digits(p, 2, m)))
		return NULL;
	p = skip_spaces(p + n);
	if (!(p = word(p, "năm", "Năm")))
		return NULL;
	p = skip_spaces(p);
	if ((n = digits(p, 4, y)) != 4 || isdigit((unsigned char)p[4]))
		return NULL;
	return nw_date_valid(*y, *m, *d) ? p + 4 : NULL;
}

static const char *match_vi(const char *s, int *y, int *m, int *d)
{
	const char *end = match_dmy(s, y, m, d);
	return end ? end : match_words(s, y, m, d);
}

bool nw_date_find_vi(const char *text, char out[NW_DATE_MAX])
{
	for (const char *p = text; *p; p++) {
		if (!isdigit((unsigned char)*p))
			continue;
		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '/' ||
				 p[-1] == '-' || p[-1] == '.' || p[-1] == ','))
			continue;
		int y, m, d;
		if (match_vi(p, &y, &m, &d)) {
			snprintf(out, NW_DATE_MAX, "%04d-%02d-%02d", y, m, d);
			return true;
		}
		while (isdigit((unsigned char)p[1]))
			p++;
	}
	return false;
}

/* "HH:MM[:SS]"; returns the end or NULL. */
static const char *match_time(const char *s, int *hh, int *mm, int *ss)
{
	int n = digits(s, 2, hh);
	if (!n || s[n] != ':')
		return NULL;
	const char *p = s + n + 1;
	if (digits(p, 2, mm) != 2)
		return NULL;
	p += 2;
	*ss = 0;
	if (*p == ':' && digits(p + 1, 2, ss) == 2)
		p += 3;
	if (*p == '.' || *p == ',') {   /* fractional seconds: dropped */
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*hh > 23 || *mm > 59 || *ss > 60)
		return NULL;
	return p;
}

/* Zone as "Z", "+07:00", "+0700", "+7", "GMT", "UTC", "GMT+7", "(GMT+7)",
 * and the US abbreviations RFC 822 allows. Minutes east of UTC in *off. */
static const char *match_zone(const char *s, int *off)
{
	static const struct { const char *name; int off; } names[] = {
		{ "UTC", 0 }, { "GMT", 0 }, { "UT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
		{ "ICT", 420 },
	};
	const char *p = skip_spaces(s);
	bool paren = *p == '(';
	if (paren)
		p++;
	bool named = false;
	*off = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i].name);
		if (strncmp(p, names[i].name, n) == 0 && !isalpha((unsigned char)p[n])) {
			*off = names[i].off;
			p += n;
			named = true;
			break;
		}
	}
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, h, m = 0;
		int n = digits(p + 1, 2, &h);
		if (!n)
			return NULL;
		const char *q = p + 1 + n;
		if (*q == ':' && digits(q + 1, 2, &m) == 2)
			q += 3;
		else if (n == 2 && digits(q, 2, &m) == 2)
			q += 2;
		if (h > 14 || m > 59)
			return NULL;
		*off = sign * (h * 60 + m);
		p = q;
	} else if (!named) {
		return NULL;
	}
	if (paren) {
		if (*p != ')')
			return NULL;
		p++;
	}
	return p;
}

static void format_time(char out[NW_DATE_MAX], int y, int mo, int d, int hh,
			int mi, int ss, bool zoned, int off)
{
	if (!zoned) {
		snprintf(out, NW_DATE_MAX, "%04d-%02d-%02dT%02d:%02d:%02d",
			 y, mo, d, hh, mi, ss);
	} else if (off == 0) {
		snprintf(out, NW_DATE_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ",
			 y, mo, d, hh, mi, ss);
	} else {
		int a = off < 0 ? -off : off;
		snprintf(out, NW_DATE_MAX, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
			 y, mo, d, hh, mi, ss, off < 0 ? '-' : '+', a / 60, a % 60);
	}
}

/* Writes y-mo-d, with the time (and zone) that follows at p when there is
 * one. Always succeeds: the date alone is already valid. */
static bool write_date_time(char out[NW_DATE_MAX], int y, int mo, int d, const char *p)
{
	int hh, mi, ss, off;
	const char *t = p ? match_time(p, &hh, &mi, &ss) : NULL;
	if (!t) {
		snprintf(out, NW_DATE_MAX, "%04d-%02d-%02d", y, mo, d);
		return true;
	}
	bool zoned = match_zone(t, &off) != NULL;
	format_time(out, y, mo, d, hh, mi, ss, zoned, off);
	return true;
}

/* ISO 8601 / RFC 3339: "2025-09-10", "2025-09-10T16:30:00+07:00". */
static bool parse_iso(const char *s, char out[NW_DATE_MAX])
{
	int y, mo, d;
	if (digits(s, 4, &y) != 4 || s[4] != '-' || digits(s + 5, 2, &mo) != 2 ||
	    s[7] != '-' || digits(s + 8, 2, &d) != 2 || !nw_date_valid(y, mo, d))
		return false;
	const char *p = s + 10;
	bool has_time = *p == 'T' || *p == 't' || *p == ' ';
	return write_date_time(out, y, mo, d, has_time ? p + 1 : NULL);
}

static int month_name(const char *s)
{
	static const char *const names[12] = { "jan", "feb", "mar", "apr", "may",
		"jun", "jul", "aug", "sep", "oct", "nov", "dec" };
	for (int i = 0; i < 12; i++)
		if (strncasecmp(s, names[i], 3) == 0)
			return i + 1;
	return 0;
}

/* RFC 822 / 1123 and common breakages: optional weekday, 2- or 4-digit
 * year, optional seconds, missing zone. */
static bool parse_rfc822(const char *s, char out[NW_DATE_MAX])
{
	const char *p = skip_spaces(s);
	while (isalpha((unsigned char)*p))   /* weekday */
		p++;
	if (*p == ',')
		p++;
	p = skip_spaces(p);
	int d, y, mo, n;
	if (!(n = digits(p, 2, &d)))
		return false;
	p = skip_spaces(p + n);
	if (*p == '-')
		p++;
	if (!(mo = month_name(p)))
		return false;
	while (isalpha((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '.')
		p++;
	p = skip_spaces(p);
	n = digits(p, 4, &y);
	if (n == 2)
		y += y < 70 ? 2000 : 1900;
	else if (n != 4)
		return false;
	if (!nw_date_valid(y, mo, d))
		return false;
	return write_date_time(out, y, mo, d, skip_spaces(p + n));
}

/* "Thứ tư, 10/9/2025, 16:30 (GMT+7)" and plain Vietnamese forms. */
static bool parse_vi_field(const char *s, char out[NW_DATE_MAX])
{
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || (p > s && isdigit((unsigned char)p[-1])))
			continue;
		int y, mo, d;
		const char *end = match_vi(p, &y, &mo, &d);
		if (!end)
			continue;
		const char *q = skip_spaces(end);
		if (*q == ',' || *q == '-' || *q == '|')
			q = skip_spaces(q + 1);
		return write_date_time(out, y, mo, d, q);
	}
	return false;
}

bool nw_date_normalize(const char *in, char out[NW_DATE_MAX])
{
	const char *s = skip_spaces(in);
	return parse_iso(s, out) || parse_rfc822(s, out) || parse_vi_field(s, out);
}

bool nw_date_to_unix(const char *s, bool end_of_day, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return false;
	const char *rest = s + 10;
	int tz = 0;
	bool bare = *rest == '\0';
	if (!bare) {
		int m = 0;
		if (sscanf(rest, "T%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 9)
			return false;
		rest += m;
		if (*rest == 'Z') {
			rest++;
		} else if (*rest == '+' || *rest == '-') {
			int th, tm, k = 0;
			if (sscanf(rest + 1, "%2d:%2d%n", &th, &tm, &k) != 2 || k != 5)
				return false;
			tz = (*rest == '-' ? -1 : 1) * (th * 3600 + tm * 60);
			rest += 6;
		}
		if (*rest)
			return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*out = (int64_t)timegm(&tm) - tz + (bare && end_of_day ? 86399 : 0);
	return true;
}
