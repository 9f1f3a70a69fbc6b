/*
 * Tests for reasons (src/core/reasons.c): every reason the chain, the
 * mempool, the node and the adversary's catalogue name has one sentence.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "attack.h"
#include "reasons.h"

TestSuite(reasons, .timeout = 30);

Test(reasons, the_merkle_root_rule_in_words)
{
    cr_assert_str_eq(reason_sentence("bad-txnmrklroot"),
                     "the header's merkle root does not match the block's "
                     "transactions");
}

Test(reasons, unknown_names_have_none)
{
    cr_assert_null(reason_sentence("no-such-rule"));
    cr_assert_null(reason_sentence(NULL));
    cr_assert_null(reason_name(reason_count()));
}

Test(reasons, every_name_is_unique_and_has_a_sentence)
{
    size_t n = reason_count();
    cr_assert_gt(n, 30);
    for (size_t i = 0; i < n; i++) {
        const char *s = reason_sentence(reason_name(i));
        cr_assert_not_null(s);
        cr_assert_gt(strlen(s), 20, "%s: \"%s\"", reason_name(i), s);
        for (size_t j = i + 1; j < n; j++)
            cr_assert_str_neq(reason_name(i), reason_name(j));
    }
}

Test(reasons, every_attack_in_the_catalogue_is_explained)
{
    size_t n = 0;
    const attack_kind_t *k = attack_kinds(&n);
    cr_assert_gt(n, 10);
    for (size_t i = 0; i < n; i++)
        cr_assert_not_null(reason_sentence(k[i].reason), "%s refused as %s",
                           k[i].name, k[i].reason);
}
