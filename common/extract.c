/* Entity extraction and language detection. Heuristic by nature: cue words
 * ("đồng chí", "ông", "huyện", "xã", ...) followed by capitalised syllable
 * runs, a small gazetteer of provinces and countries, and all-caps tokens. */
#include "common/extract.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/text.h"
#include "common/util.h"

#define WORD_LOWER_MAX 48
#define RUN_MAX 4

struct word {
	const char *s;
	size_t n;
	bool title;        /* Upper followed by lower-case letters only */
	bool upper;        /* two or more letters, no lower-case */
	bool space_after;  /* exactly one space separates it from the next */
	bool lowered;      /* lower[] filled (only words a cue check looks at) */
	char lower[WORD_LOWER_MAX];
};

struct words {
	struct word *w;
	size_t len, cap;
};

static bool is_word_cp(int32_t cp)
{
	return nw_cp_classify(cp).flags & NW_CP_WORD;
}

static void classify(struct word *w)
{
	const char *p = w->s, *end = w->s + w->n;
	size_t letters = 0, uppers = 0, lowers = 0;
	bool first_upper = false, digits = false;
	while (p < end) {
		int32_t cp = nw_utf8_next(&p, end);
		struct nw_cp c = nw_cp_classify(cp);
		if (c.flags & NW_CP_UPPER) {
			if (letters == 0)
				first_upper = true;
			uppers++;
			letters++;
		} else if (c.flags & NW_CP_LOWER) {
			lowers++;
			letters++;
		} else if (cp >= '0' && cp <= '9') {
			digits = true;
		}
	}
	w->lowered = false;
	w->title = !digits && first_upper && uppers == 1 && letters >= 2;
	w->upper = uppers >= 2 && lowers == 0;
}

/* The word in lower case, computed on first use. */
static const char *word_lower(struct word *w)
{
	if (w->lowered)
		return w->lower;
	const char *p = w->s, *end = w->s + w->n;
	size_t lo = 0;
	while (p < end && lo + 4 < WORD_LOWER_MAX)
		lo += nw_utf8_encode(nw_cp_classify(nw_utf8_next(&p, end)).lower, w->lower + lo);
	w->lower[lo] = '\0';
	w->lowered = true;
	return w->lower;
}

static enum nw_err tokenize(const char *text, struct words *ws)
{
	const char *p = text, *end = text + strlen(text);
	while (p < end) {
		const char *start = p;
		int32_t cp = nw_utf8_next(&p, end);
		if (!is_word_cp(cp))
			continue;
		const char *q = p;
		while (q < end) {
			const char *save = q;
			cp = nw_utf8_next(&q, end);
			if (!is_word_cp(cp)) {
				q = save;
				break;
			}
		}
		if (ws->len == ws->cap) {
			size_t cap = ws->cap ? ws->cap * 2 : 256;
			struct word *w = realloc(ws->w, cap * sizeof(*w));
			if (!w)
				return NW_ENOMEM;
			ws->w = w;
			ws->cap = cap;
		}
		struct word *w = &ws->w[ws->len++];
		w->s = start;
		w->n = (size_t)(q - start);
		w->space_after = q < end && *q == ' ' && q + 1 < end && q[1] != ' ';
		classify(w);
		p = q;
	}
	return NW_OK;
}

/* Cue phrases, lower case, split into (at most three) words. */
static const char *const person_cues[][3] = {
	{ "đồng", "chí" }, { "ông" }, { "bà" }, { "anh" }, { "chị" }, { "cụ" },
	{ "thầy" }, { "cô", "giáo" }, { "chủ", "tịch" }, { "phó", "chủ", "tịch" },
	{ "bí", "thư" }, { "phó", "bí", "thư" }, { "giám", "đốc" },
	{ "phó", "giám", "đốc" }, { "thủ", "tướng" }, { "phó", "thủ", "tướng" },
	{ "bộ", "trưởng" }, { "thứ", "trưởng" }, { "tổng", "thống" },
	{ "tổng", "bí", "thư" }, { "chủ", "nhiệm" }, { "trưởng", "phòng" }, { "hlv" },
	{ "huấn", "luyện", "viên" }, { "tiền", "đạo" }, { "tiền", "vệ" },
	{ "hậu", "vệ" }, { "thủ", "môn" }, { "cầu", "thủ" }, { "ca", "sĩ" },
	{ "diễn", "viên" }, { "đạo", "diễn" }, { "nhà", "văn" }, { "nhà", "báo" },
	{ "nghệ", "sĩ" }, { "bác", "sĩ" }, { "luật", "sư" }, { "kỹ", "sư" },
	{ "đại", "tướng" }, { "thượng", "tướng" }, { "trung", "tướng" },
	{ "thiếu", "tướng" }, { "đại", "tá" }, { "thượng", "tá" }, { "trung", "tá" },
	{ "thiếu", "tá" }, { "đại", "úy" }, { "gs" }, { "pgs" }, { "ts" }, { "ths" },
	{ "nữ", "sinh" }, { "nam", "sinh" }, { "vận", "động", "viên" },
	{ "danh", "thủ" }, { "chủ", "tọa" },
};

static const char *const place_cues[][3] = {
	{ "huyện" }, { "xã" }, { "tỉnh" }, { "thị", "trấn" }, { "thành", "phố" },
	{ "tp" }, { "quận" }, { "phường" }, { "thị", "xã" }, { "thôn" }, { "ấp" },
	{ "xóm" }, { "khu", "phố" }, { "quần", "đảo" }, { "đảo" }, { "thủ", "đô" },
	{ "thị", "tứ" }, { "vùng" }, { "miền" },
};

/* Places that need no cue word: provinces and large cities of Viet Nam and
 * countries often named in Vietnamese news. A whole run must match. */
static const char *const gazetteer[] = {
	"Việt Nam", "Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ",
	"An Giang", "Bà Rịa", "Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu",
	"Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương", "Bình Phước",
	"Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk", "Đắk Nông", "Điện Biên",
	"Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Tĩnh",
	"Hải Dương", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa",
	"Kiên Giang", "Kon Tum", "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai",
	"Long An", "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ",
	"Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
	"Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình",
	"Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Huế", "Tiền Giang",
	"Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
	"Hoàng Sa", "Trường Sa", "Sài Gòn", "Nha Trang", "Đà Lạt",
	"Trung Quốc", "Nhật Bản", "Hàn Quốc", "Triều Tiên", "Thái Lan", "Lào",
	"Campuchia", "Indonesia", "Malaysia", "Singapore", "Philippines",
	"Myanmar", "Ấn Độ", "Australia", "Nga", "Pháp", "Đức", "Mỹ", "Ukraine",
	"Syria", "Iran", "Iraq", "Israel", "Qatar", "Yemen", "Berlin", "Paris",
	"London", "Tokyo", "Bắc Kinh", "Washington", "Moscow", "Uzbekistan",
	"Saudi Arabia", "Đông Nam Á", "Châu Âu", "Châu Á",
};

/* Common Vietnamese family names: a run of 3-4 capitalised syllables that
 * starts with one is read as a person even without a cue. */
static const char *const surnames[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ",
	"Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Đoàn", "Lâm",
	"Mai", "Trịnh", "Trương", "Lương", "Cao", "Tạ", "Quách", "Lưu", "Tô",
	"Hà", "Chu", "Vương", "Thái", "Đào", "Tăng", "Kiều", "Triệu", "Văn",
};

/* Words that open the name of an organisation, never a person's name
 * ("Chủ tịch Hội Xuất bản", "Giám đốc Sở Y tế"). */
static const char *const org_words[] = {
	"Hội", "Ban", "Bộ", "Sở", "Ủy", "Uỷ", "Công", "Cục", "Viện", "Trường",
	"Phòng", "Đội", "Tập", "Ngân", "Nhà", "Tổng", "Liên", "Hiệp", "Câu",
	"Quỹ", "Trung", "Mặt", "Đảng", "Thành", "Tỉnh", "Huyện", "Xã", "Quận",
	"Tòa", "Đại", "Học", "Báo", "Đài", "Chi", "Sư", "Lữ", "Hãng", "Khu",
	"Vụ", "Văn", "Chính", "Quốc",
};

/* Length in words of the longest cue from the list that starts at word i
 * (each next word separated by exactly one space), or 0. */
static size_t match_cue(struct words *ws, size_t i, const char *const (*cues)[3],
			size_t ncues)
{
	size_t best = 0;
	const char *first = word_lower(&ws->w[i]);
	for (size_t c = 0; c < ncues; c++) {
		const char *const *cue = cues[c];
		if (cue[0][0] != first[0])
			continue;
		size_t k = 0;
		while (k < 3 && cue[k] && i + k < ws->len &&
		       (k == 0 || ws->w[i + k - 1].space_after) &&
		       strcmp(word_lower(&ws->w[i + k]), cue[k]) == 0)
			k++;
		if ((k == 3 || !cue[k]) && k > best)
			best = k;
	}
	return best;
}

/* Number of capitalised words in the run starting at word i. */
static size_t title_run(const struct words *ws, size_t i)
{
	size_t n = 0;
	while (i + n < ws->len && n < RUN_MAX && ws->w[i + n].title &&
	       (n == 0 || ws->w[i + n - 1].space_after))
		n++;
	return n;
}

static char *run_text(const struct words *ws, size_t i, size_t n)
{
	const char *s = ws->w[i].s;
	const char *e = ws->w[i + n - 1].s + ws->w[i + n - 1].n;
	return nw_strndup(s, (size_t)(e - s));
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[0] == list[i][0] && strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool word_in_list(const struct word *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i][0] == w->s[0] && strncmp(list[i], w->s, w->n) == 0 &&
		    list[i][w->n] == '\0')
			return true;
	return false;
}

static bool roman_numeral(const struct word *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strchr("IVX", w->s[i]))
			return false;
	return true;
}

/* Adds the run at i..i+n to list (unless in skip); frees nothing it keeps. */
static enum nw_err add_run(nw_strlist *list, const struct words *ws, size_t i,
			   size_t n, const nw_strlist *skip)
{
	char *s = run_text(ws, i, n);
	if (!s)
		return NW_ENOMEM;
	enum nw_err err = NW_OK;
	if (!(skip && nw_strlist_contains(skip, s)))
		err = nw_strlist_push_unique(list, s);
	free(s);
	return err;
}

/* Abbreviations: all-caps words, joined across '&' (TT&TT). */
static enum nw_err add_abbreviation(nw_article *a, const struct words *ws, size_t *i)
{
	const struct word *w = &ws->w[*i];
	size_t n = 1;
	while (*i + n < ws->len && ws->w[*i + n].upper &&
	       ws->w[*i + n].s == ws->w[*i + n - 1].s + ws->w[*i + n - 1].n + 1 &&
	       ws->w[*i + n - 1].s[ws->w[*i + n - 1].n] == '&')
		n++;
	if (n == 1 && roman_numeral(w))
		return NW_OK;
	enum nw_err err = add_run(&a->abbreviations, ws, *i, n, NULL);
	*i += n - 1;
	return err;
}

/* A run of capitalised words holding a family name followed by at least
 * two more syllables ("Theo Phạm Minh Chính" at a sentence start) is a
 * person from the family name on. */
static enum nw_err add_surname_person(nw_article *a, const struct words *ws, size_t i, size_t n)
{
	for (size_t k = 0; k + 3 <= n; k++)
		if (word_in_list(&ws->w[i + k], surnames, NW_ARRAY_LEN(surnames)))
			return add_run(&a->people, ws, i + k, n - k, &a->places);
	return NW_OK;
}

enum nw_err nw_extract_entities(nw_article *a, const char *text)
{
	struct words ws = { 0 };
	enum nw_err err = tokenize(text, &ws);
	if (err)
		goto out;
	for (size_t i = 0; i < ws.len; i++) {
		const struct word *w = &ws.w[i];
		if (w->upper && (err = add_abbreviation(a, &ws, &i)))
			goto out;
		if (w->upper)
			continue;
		size_t k, n;
		bool title_follows = false;   /* cues matter only before a name */
		for (size_t j = i + 1; j < ws.len && j <= i + 3 && !title_follows; j++)
			title_follows = ws.w[j].title;
		if (title_follows && (k = match_cue(&ws, i, place_cues, NW_ARRAY_LEN(place_cues))) &&
		    ws.w[i + k - 1].space_after && (n = title_run(&ws, i + k)) >= 2) {
			if ((err = add_run(&a->places, &ws, i + k, n, NULL)))
				goto out;
			i += k + n - 1;
			continue;
		}
		if (title_follows && (k = match_cue(&ws, i, person_cues, NW_ARRAY_LEN(person_cues))) &&
		    ws.w[i + k - 1].space_after && (n = title_run(&ws, i + k)) >= 2 &&
		    !word_in_list(&ws.w[i + k], org_words, NW_ARRAY_LEN(org_words))) {
			if ((err = add_run(&a->people, &ws, i + k, n, &a->places)))
				goto out;
			i += k + n - 1;
			continue;
		}
		if (!w->title || (i > 0 && ws.w[i - 1].title && ws.w[i - 1].space_after))
			continue;
		n = title_run(&ws, i);
		char *run = run_text(&ws, i, n);
		if (!run) {
			err = NW_ENOMEM;
			goto out;
		}
		if (in_list(run, gazetteer, NW_ARRAY_LEN(gazetteer)))
			err = nw_strlist_push_unique(&a->places, run);
		else
			err = add_surname_person(a, &ws, i, n);
		free(run);
		if (err)
			goto out;
		i += n - 1;
	}
out:
	free(ws.w);
	return err;
}

/* ---- language ---- */

struct script { int32_t lo, hi; const char *lang; };

static const struct script scripts[] = {
	{ 0x0370, 0x03FF, "el" }, { 0x0400, 0x04FF, "ru" }, { 0x0590, 0x05FF, "he" },
	{ 0x0600, 0x06FF, "ar" }, { 0x0900, 0x097F, "hi" }, { 0x0980, 0x09FF, "bn" },
	{ 0x0B80, 0x0BFF, "ta" }, { 0x0C00, 0x0C7F, "te" }, { 0x0C80, 0x0CFF, "kn" },
	{ 0x0D00, 0x0D7F, "ml" }, { 0x0E00, 0x0E7F, "th" }, { 0x1100, 0x11FF, "ko" },
	{ 0x3040, 0x30FF, "ja" }, { 0xAC00, 0xD7AF, "ko" }, { 0x4E00, 0x9FFF, "zh" },
};

struct stopwords { const char *lang; const char *const words[16]; };

static const struct stopwords stoplists[] = {
	{ "en", { "the", "and", "of", "to", "is", "in", "that", "for", "with", "was", "on", "are", "this", "it", "by", NULL } },
	{ "de", { "der", "die", "und", "das", "ist", "nicht", "mit", "den", "ein", "eine", "auf", "sich", "auch", "dem", "zu", NULL } },
	{ "fr", { "le", "la", "les", "et", "des", "est", "une", "dans", "pour", "que", "qui", "pas", "sur", "du", "au", NULL } },
	{ "es", { "el", "los", "las", "y", "que", "es", "una", "por", "para", "con", "del", "como", "pero", "su", "se", NULL } },
	{ "pt", { "os", "as", "e", "que", "uma", "para", "com", "não", "por", "mais", "como", "dos", "das", "ao", "foi", NULL } },
	{ "it", { "il", "gli", "e", "che", "una", "per", "non", "sono", "della", "con", "del", "anche", "come", "alla", "questo", NULL } },
	{ "nl", { "de", "het", "en", "een", "van", "is", "dat", "niet", "op", "te", "zijn", "met", "voor", "ook", "maar", NULL } },
};

static bool vietnamese_letter(int32_t cp)
{
	return cp == 0x0111 || cp == 0x0110 || cp == 0x01A1 || cp == 0x01A0 ||
	       cp == 0x01B0 || cp == 0x01AF || cp == 0x0103 || cp == 0x0102 ||
	       (cp >= 0x1EA0 && cp <= 0x1EF9);
}

static const char *latin_stopwords(const char *text)
{
	size_t scores[NW_ARRAY_LEN(stoplists)] = { 0 };
	const char *p = text, *end = text + strlen(text);
	size_t words = 0;
	while (p < end && words < 500) {
		while (p < end && !(((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (unsigned char)*p >= 0x80))
			p++;
		const char *s = p;
		while (p < end && (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') || (unsigned char)*p >= 0x80))
			p++;
		size_t n = (size_t)(p - s);
		if (!n || n > 15)
			continue;
		char w[16];
		for (size_t i = 0; i < n; i++)
			w[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
		w[n] = '\0';
		words++;
		for (size_t l = 0; l < NW_ARRAY_LEN(stoplists); l++)
			for (size_t k = 0; stoplists[l].words[k]; k++)
				if (strcmp(w, stoplists[l].words[k]) == 0)
					scores[l]++;
	}
	size_t best = 0;
	for (size_t l = 1; l < NW_ARRAY_LEN(stoplists); l++)
		if (scores[l] > scores[best])
			best = l;
	if (scores[best] < 2 || scores[best] * 20 < words)
		return "und";
	return stoplists[best].lang;
}

const char *nw_detect_lang(const char *text)
{
	size_t counts[NW_ARRAY_LEN(scripts)] = { 0 };
	size_t latin = 0, viet = 0, letters = 0;
	const char *p = text, *end = text + strlen(text);
	while (p < end && letters < 3000) {   /* a few thousand letters are enough */
		int32_t cp = nw_utf8_next(&p, end);
		if (cp < 0x80) {
			if (((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')) {
				latin++;
				letters++;
			}
			continue;
		}
		if (vietnamese_letter(cp)) {
			viet++;
			latin++;
			letters++;
			continue;
		}
		if (cp < 0x0250) {
			latin++;
			letters++;
			continue;
		}
		for (size_t i = 0; i < NW_ARRAY_LEN(scripts); i++)
			if (cp >= scripts[i].lo && cp <= scripts[i].hi) {
				counts[i]++;
				letters++;
				break;
			}
	}
	if (!letters)
		return "und";
	size_t best = 0;
	for (size_t i = 1; i < NW_ARRAY_LEN(scripts); i++)
		if (counts[i] > counts[best])
			best = i;
	if (counts[best] > latin) {
		/* Japanese mixes kana into kanji */
		if (strcmp(scripts[best].lang, "zh") == 0 && counts[12] * 10 > counts[best])
			return "ja";
		return scripts[best].lang;
	}
	if (viet * 50 >= latin && viet >= 3)
		return "vi";
	return latin_stopwords(text);
}
