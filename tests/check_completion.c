/* SPDX-License-Identifier: MIT */
/*
 * The bash completions (scripts/unbrick-completion.bash): what a user who
 * presses Tab gets, with the programs under test first in PATH (through
 * wrapper scripts when they run under $UB_TEST_RUNNER). Each case
 * runs bash, sources the script, fills COMP_WORDS as bash would and prints
 * COMPREPLY.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* What Tab offers after words (the last is the one being completed), space-separated. */
static void complete_words(const char *words, char *out, size_t len)
{
	char cmd[2048], dir[64];
	const char *path = tu_path_dir(dir, sizeof(dir));
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd),
		 "PATH='%s':\"$PATH\" bash -c 'source scripts/unbrick-completion.bash; "
		 "COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); "
		 "_unbrick \"${COMP_WORDS[0]}\"; echo \"${COMPREPLY[*]}\"' 2>&1",
		 path, words);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	tu_path_dir_free(path);
}

static void assert_completes(const char *words, const char *want)
{
	char got[4096];

	complete_words(words, got, sizeof(got));
	ck_assert_msg(strcmp(got, want) == 0, "[%s] offers '%s', want '%s'", words, got, want);
}

START_TEST(the_first_word_is_a_command)
{
	assert_completes("beken-spi \"\"", "detect read write verify erase unprotect reset");
	assert_completes("w800-xmodem re", "read reboot");
	assert_completes("gx-upload otp", "otp-read otp-write");
	assert_completes("ingenic-usbboot b", "boot board");
	assert_completes("ecr-uart d", "detect");
}
END_TEST

START_TEST(an_option_and_its_value_are_skipped_before_the_command)
{
	assert_completes("beken-spi --speed 1M re", "read reset");
	assert_completes("gx-upload -L x.boot du", "dump");
	assert_completes("beken-spi --json det", "detect");
}
END_TEST

START_TEST(options_come_from_the_help)
{
	assert_completes("beken-spi --sp", "--spi --speed");
	assert_completes("ingenic-usbboot --no-", "--no-reboot --no-verify");
	assert_completes("gx-upload --ir", "--irreversible");
}
END_TEST

START_TEST(backend_specs_come_from_the_help)
{
	char got[4096];

	complete_words("gx-upload -p \"\"", got, sizeof(got));
	ck_assert_msg(strncmp(got, "tcp: rfc2217: sim:", 18) == 0, "%s", got);
	assert_completes("ingenic-usbboot --usb s", "sim:");
	assert_completes("beken-spi --spi sp", "spidev:");
	assert_completes("ingenic-usbboot --erase \"\"", "chip partition range");
	assert_completes("beken-spi --progress a", "auto always");
}
END_TEST

START_TEST(after_the_command_files)
{
	assert_completes("beken-spi write scripts/unbrick-compl", "scripts/unbrick-completion.bash");
	assert_completes("beken-spi -o scripts/unbrick-compl", "scripts/unbrick-completion.bash");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("completion");
	TCase *tc = tcase_create("bash");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, the_first_word_is_a_command);
	tcase_add_test(tc, an_option_and_its_value_are_skipped_before_the_command);
	tcase_add_test(tc, options_come_from_the_help);
	tcase_add_test(tc, backend_specs_come_from_the_help);
	tcase_add_test(tc, after_the_command_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(suite());
}
