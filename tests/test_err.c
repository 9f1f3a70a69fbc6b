/*
 * Tests for src/core/err.c: every code of the list has a phrase of its own
 * (none empty, none shared, none the fallback), and a code outside the list
 * gets the fallback rather than NULL.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "err.h"

Test(err, every_code_has_a_phrase_of_its_own)
{
    const char *unknown = err_str(1);
    cr_assert_str_eq(unknown, "unknown error");
    cr_assert_str_eq(err_str(ERR_OK), "ok");
    cr_assert_str_eq(err_str(ERR_TIMEOUT), "timed out");
    const int last = ERR_NET; /* the list runs from -1 down to ERR_NET */
    for (int a = ERR_OK; a >= last; a--) {
        const char *s = err_str(a);
        cr_assert_not_null(s);
        cr_assert_gt(strlen(s), 0, "code %d", a);
        cr_assert_str_neq(s, unknown, "code %d has no phrase", a);
        for (int b = a - 1; b >= last; b--)
            cr_assert_str_neq(s, err_str(b), "codes %d and %d say '%s'", a, b,
                              s);
    }
}

Test(err, a_code_outside_the_list_is_unknown_not_null)
{
    const int outside[] = {ERR_NET - 1, 2, -1000, 1 << 30};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        cr_assert_not_null(err_str(outside[i]));
        cr_assert_str_eq(err_str(outside[i]), "unknown error");
    }
}
