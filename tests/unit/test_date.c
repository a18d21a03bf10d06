/* Date recognition and normalisation. */
#include "tests/unit/testutil.h"

#include "common/date.h"

#define assert_find(text, want) do { \
	char d_[NW_DATE_MAX]; \
	assert_true(nw_date_find_vi(text, d_)); \
	assert_string_equal(d_, want); \
} while (0)

#define assert_no_find(text) do { \
	char d_[NW_DATE_MAX]; \
	assert_false(nw_date_find_vi(text, d_)); \
} while (0)

#define assert_norm(text, want) do { \
	char d_[NW_DATE_MAX]; \
	assert_true(nw_date_normalize(text, d_)); \
	assert_string_equal(d_, want); \
} while (0)

static void vietnamese_forms(void **state)
{
	assert_find("Sáng ngày 7/8/2018, huyện", "2018-08-07");
	assert_find("ngày 7-8-2018", "2018-08-07");
	assert_find("hôm 07/08/2018.", "2018-08-07");
	assert_find("ngày 7 tháng 8 năm 2018", "2018-08-07");
	assert_find("Ngày 31 Tháng 12 Năm 1999 là", "1999-12-31");
	assert_find("7.8.2018", "2018-08-07");
	assert_find("ngày 29/2/2020", "2020-02-29");
	assert_find("giai đoạn 2013-2018, rồi ngày 1/7/2018", "2018-07-01");
}

static void not_dates(void **state)
{
	assert_no_find("giai đoạn 2013-2018");
	assert_no_find("số 09/CTr-BCA-MTTW");
	assert_no_find("ngày 6/2 vừa qua");          /* no year */
	assert_no_find("ngày 32/1/2018");
	assert_no_find("ngày 29/2/2019");            /* not a leap year */
	assert_no_find("ngày 1/13/2018");
	assert_no_find("tỷ số 3-0");
	assert_no_find("1/2/20189");
	assert_no_find("1/2/2018/3");
	assert_no_find("");
}

static void normalize_fields(void **state)
{
	assert_norm("Thứ tư, 10/9/2025, 16:30 (GMT+7)", "2025-09-10T16:30:00+07:00");
	assert_norm("Chủ nhật, 1/6/2025, 08:05 (GMT+7)", "2025-06-01T08:05:00+07:00");
	assert_norm("10/9/2025", "2025-09-10");
	assert_norm("2018-08-07", "2018-08-07");
	assert_norm("2025-09-10T16:30:00+07:00", "2025-09-10T16:30:00+07:00");
	assert_norm("2025-09-10T09:30:00Z", "2025-09-10T09:30:00Z");
	assert_norm("2025-09-10T09:30:00.123+0700", "2025-09-10T09:30:00+07:00");
	assert_norm("Tue, 10 Jun 2003 04:00:00 GMT", "2003-06-10T04:00:00Z");
	assert_norm("Sat, 07 Sep 2002 00:00:01 -0500", "2002-09-07T00:00:01-05:00");
	assert_norm("7 Sep 02 10:00 EST", "2002-09-07T10:00:00-05:00");
	assert_norm("Mon, 1 Jan 2024 10:00:00", "2024-01-01T10:00:00");
	char d[NW_DATE_MAX];
	assert_false(nw_date_normalize("yesterday", d));
	assert_false(nw_date_normalize("", d));
	assert_false(nw_date_normalize("2018-02-30", d));
}

static void validity(void **state)
{
	assert_true(nw_date_valid(2000, 2, 29));
	assert_false(nw_date_valid(1900, 2, 29));
	assert_false(nw_date_valid(2018, 4, 31));
	assert_false(nw_date_valid(999, 1, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vietnamese_forms),
		cmocka_unit_test(not_dates),
		cmocka_unit_test(normalize_fields),
		cmocka_unit_test(validity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
