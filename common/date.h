/* Dates as news sources print them, normalised to ISO 8601 / RFC 3339. */
#ifndef NW_DATE_H
#define NW_DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NW_DATE_MAX 32   /* room for "YYYY-MM-DDTHH:MM:SS+hh:mm" + NUL */

/* Finds the first day/month/year date in running Vietnamese text
 * ("ngày 7/8/2018", "7-8-2018", "07/08/2018", "ngày 7 tháng 8 năm 2018")
 * and writes "YYYY-MM-DD" to out. False when there is none. */
bool nw_date_find_vi(const char *text, char out[NW_DATE_MAX]);

/* Normalises a stand-alone date field: RFC 3339 / ISO 8601, RFC 822/1123
 * ("Tue, 10 Jun 2003 04:00:00 GMT"), news-site forms ("Thứ tư, 10/9/2025,
 * 16:30 (GMT+7)"), and the Vietnamese forms above. Writes a full RFC 3339
 * time when the input has a time and zone, else an ISO 8601 date (or local
 * date-time). False when nothing usable is found. */
bool nw_date_normalize(const char *in, char out[NW_DATE_MAX]);

/* A query bound to Unix seconds: "2025-09-10" (its first second, UTC; with
 * end_of_day its last), "2025-09-10T16:30:00Z" or "...+07:00". False for
 * anything else. */
bool nw_date_to_unix(const char *s, bool end_of_day, int64_t *out);

/* True if y-m-d is a real calendar day (years 1000..9999). */
bool nw_date_valid(int y, int m, int d);

#endif
