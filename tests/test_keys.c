/*
 * Tests for src/core/keys.c: the official BIP-340 test vectors (signing with
 * the given aux_rand reproduces each published signature; every verification
 * vector, including the failing ones, gives the published result), key
 * validity, random keys, fresh aux randomness, and signing from several
 * threads on the shared context.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "keys.h"

static void unhex(uint8_t *out, size_t len, const char *hex)
{
    cr_assert_eq(hex_decode(out, len, hex), 0, "bad test hex %s", hex);
}

/* bitcoin/bips bip-0340/test-vectors.csv, indices 0-14 (the 32-byte
 * message vectors; libsecp256k1 0.2.0's sign32 signs 32-byte messages). */
static const struct {
    const char *seckey, *pubkey, *aux, *msg, *sig;
    bool ok;
} v[] = {
    {"0000000000000000000000000000000000000000000000000000000000000003",
     "F9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "E907831F80848D1069A5371B402410364BDF1C5F8307B0084C55F1CE2DCA8215"
     "25F66A4A85EA8B71E482A74F382D2CE5EBEEE8FDB2172F477DF4900D310536C0",
     true},
    {"B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFEF",
     "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     "0000000000000000000000000000000000000000000000000000000000000001",
     "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6896BD60EEAE296DB48A229FF71DFE071BDE413E6D43F917DC8DCF8C78DE3341"
     "8906D11AC976ABCCB20B091292BFF4EA897EFCB639EA871CFA95F6DE339E4B0A",
     true},
    {"C90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B14E5C9",
     "DD308AFEC5777E13121FA72B9CC1B7CC0139715309B086C960E18FD969774EB8",
     "C87AA53824B4D7AE2EB035A2B5BBBCCC080E76CDC6D1692C4B0B62D798E6D906",
     "7E2D58D8B3BCDF1ABADEC7829054F90DDA9805AAB56C77333024B9D0A508B75C",
     "5831AAEED7B44BB74E5EAB94BA9D4294C49BCF2A60728D8B4C200F50DD313C1B"
     "AB745879A5AD954A72C45A91C3A51D3C7ADEA98D82F8481E0E1E03674A6F3FB7",
     true},
    /* test fails if msg is reduced modulo p or n */
    {"0B432B2677937381AEF05BB02A66ECD012773062CF3FA2549E44F58ED2401710",
     "25D1DFF95105F5253C4022F628A996AD3A0D95FBF21D468A1B33F8C160D8F517",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
     "7EB0509757E246F19449885651611CB965ECC1A187DD51B64FDA1EDC9637D5EC"
     "97582B9CB13DB3933705B32BA982AF5AF25FD78881EBB32771FC5922EFC66EA3",
     true},
    {NULL, "D69C3509BB99E412E68B0FE8544E72837DFA30746D8BE2AA65975F29D22DC7B9",
     NULL, "4DF3C3F68FCC83B27E9D42C90431A72499F17875C81A599B566C9889B9696703",
     "00000000000000000000003B78CE563F89A0ED9414F5AA28AD0D96D6795F9C63"
     "76AFB1548AF603B3EB45C9F8207DEE1060CB71C04E80F593060B07D28308D7F4",
     true},
    /* public key not on the curve */
    {NULL, "EEFDEA4CDB677750A420FEE807EACF21EB9898AE79B9768766E4FAA04A2D4A34",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* has_even_y(R) is false */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "FFF97BD5755EEEA420453A14355235D382F6472F8568A18B2F057A1460297556"
     "3CC27944640AC607CD107AE10923D9EF7A73C643E166BE5EBEAFA34B1AC553E2",
     false},
    /* negated message */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "1FA62E331EDBC21C394792D2AB1100A7B432B013DF3F6FF4F99FCB33E0E1515F"
     "28890B3EDB6E7189B630448B515CE4F8622A954CFE545735AAEA5134FCCDB2BD",
     false},
    /* negated s value */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "961764B3AA9B2FFCB6EF947B6887A226E8D7C93E00C5ED0C1834FF0D0C2E6DA6",
     false},
    /* sG - eP is infinite (x(inf) as 0) */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "0000000000000000000000000000000000000000000000000000000000000000"
     "123DDA8328AF9C23A94C1FEECFD123BA4FB73476F0D594DCB65C6425BD186051",
     false},
    /* sG - eP is infinite (x(inf) as 1) */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "0000000000000000000000000000000000000000000000000000000000000001"
     "7615FBAF5AE28864013C099742DEADB4DBA87F11AC6754F93780D5A1837CF197",
     false},
    /* sig[0:32] is not an X coordinate on the curve */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "4A298DACAE57395A15D0795DDBFD1DCB564DA82B0F269BC70A74F8220429BA1D"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* sig[0:32] is equal to field size */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
    /* sig[32:64] is equal to curve order */
    {NULL, "DFF1D77F2A671C5F36183726DB2341BE58FEAE1DA2DECED843240F7B502BA659",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
     false},
    /* public key is not a valid X coordinate because it exceeds the field
     * size */
    {NULL, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC30",
     NULL, "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89",
     "6CFF5C3BA86C69EA4B7376F31A9BCB4F74C1976089B2D9963DA2E5543E177769"
     "69E89B4C5564D00349106B8497785DD7D1D713A8AE82B32FA79D5F7FC407D39B",
     false},
};
#define NV (sizeof v / sizeof *v)

Test(keys, bip340_signing_vectors)
{
    size_t signed_count = 0;
    for (size_t i = 0; i < NV; i++) {
        if (!v[i].seckey)
            continue;
        uint8_t sk[32], pk[32], aux[32], msg[32], want[64], got[64], pub[32];
        unhex(sk, 32, v[i].seckey);
        unhex(pk, 32, v[i].pubkey);
        unhex(aux, 32, v[i].aux);
        unhex(msg, 32, v[i].msg);
        unhex(want, 64, v[i].sig);

        cr_assert(keys_secret_is_valid(sk));
        cr_assert_eq(keys_pubkey_from_secret(pub, sk), 0);
        cr_assert_arr_eq(pub, pk, 32, "vector %zu: public key", i);

        keys_keypair_t kp;
        cr_assert_eq(keys_keypair_from_secret(&kp, sk), 0);
        keys_keypair_xonly(pub, &kp);
        cr_assert_arr_eq(pub, pk, 32, "vector %zu: keypair public key", i);
        uint8_t back[32];
        keys_keypair_secret(back, &kp);
        cr_assert_arr_eq(back, sk, 32);

        cr_assert_eq(keys_sign_with_aux(got, &kp, msg, aux), 0);
        cr_assert_arr_eq(got, want, 64, "vector %zu: signature", i);
        keys_keypair_wipe(&kp);
        signed_count++;
    }
    cr_assert_eq(signed_count, 4);
}

Test(keys, bip340_verification_vectors)
{
    size_t ok = 0, bad = 0;
    for (size_t i = 0; i < NV; i++) {
        uint8_t pk[32], msg[32], sig[64];
        unhex(pk, 32, v[i].pubkey);
        unhex(msg, 32, v[i].msg);
        unhex(sig, 64, v[i].sig);
        cr_assert_eq(keys_verify(sig, msg, pk), v[i].ok,
                     "vector %zu: expected %s", i,
                     v[i].ok ? "valid" : "invalid");
        if (v[i].ok)
            ok++;
        else
            bad++;
    }
    cr_assert_eq(ok, 5);
    cr_assert_eq(bad, 10);
}

Test(keys, xonly_validity)
{
    uint8_t pk[32];
    unhex(pk, 32, v[0].pubkey);
    cr_assert(keys_xonly_is_valid(pk));
    unhex(pk, 32, v[5].pubkey); /* not on the curve */
    cr_assert_not(keys_xonly_is_valid(pk));
    unhex(pk, 32, v[14].pubkey); /* exceeds the field size */
    cr_assert_not(keys_xonly_is_valid(pk));
}

Test(keys, secret_range)
{
    uint8_t zero[32] = {0}, n[32], n_minus_1[32], pub[32];
    /* The curve order n. */
    unhex(n, 32,
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
    memcpy(n_minus_1, n, 32);
    n_minus_1[31]--;
    cr_assert_not(keys_secret_is_valid(zero));
    cr_assert_not(keys_secret_is_valid(n));
    cr_assert(keys_secret_is_valid(n_minus_1));

    keys_keypair_t kp;
    memset(&kp, 0x55, sizeof kp);
    cr_assert_eq(keys_keypair_from_secret(&kp, n), ERR_INVALID);
    /* A failed keypair is wiped, not left half-made. */
    uint8_t zeros[sizeof kp] = {0};
    cr_assert_arr_eq(&kp, zeros, sizeof kp);
    memset(pub, 0xaa, 32);
    cr_assert_eq(keys_pubkey_from_secret(pub, zero), ERR_INVALID);
    for (int i = 0; i < 32; i++)
        cr_assert_eq(pub[i], 0xaa, "output written on failure");
}

Test(keys, generated_keys_differ_and_sign)
{
    keys_keypair_t a, b;
    cr_assert_eq(keys_keypair_generate(&a), 0);
    cr_assert_eq(keys_keypair_generate(&b), 0);
    uint8_t pa[32], pb[32], sa[32], sb[32];
    keys_keypair_xonly(pa, &a);
    keys_keypair_xonly(pb, &b);
    keys_keypair_secret(sa, &a);
    keys_keypair_secret(sb, &b);
    cr_assert_arr_neq(pa, pb, 32);
    cr_assert_arr_neq(sa, sb, 32);
    cr_assert(keys_secret_is_valid(sa));

    uint8_t msg[32] = {1, 2, 3}, sig[64];
    cr_assert_eq(keys_sign(sig, &a, msg), 0);
    cr_assert(keys_verify(sig, msg, pa));
    cr_assert_not(keys_verify(sig, msg, pb), "valid under another key");
    msg[0] ^= 1;
    cr_assert_not(keys_verify(sig, msg, pa), "valid for another message");
    msg[0] ^= 1;
    sig[63] ^= 0x80;
    cr_assert_not(keys_verify(sig, msg, pa), "tampered signature valid");

    keys_keypair_wipe(&a);
    uint8_t zeros[sizeof a] = {0};
    cr_assert_arr_eq(&a, zeros, sizeof a);
    keys_keypair_wipe(NULL); /* harmless */
    keys_keypair_wipe(&b);
}

Test(keys, signatures_use_fresh_aux_randomness)
{
    /* With fresh aux_rand two signatures of one message differ (the nonce
     * does), yet both verify. */
    keys_keypair_t kp;
    cr_assert_eq(keys_keypair_generate(&kp), 0);
    uint8_t pub[32], msg[32] = {7}, s1[64], s2[64];
    keys_keypair_xonly(pub, &kp);
    cr_assert_eq(keys_sign(s1, &kp, msg), 0);
    cr_assert_eq(keys_sign(s2, &kp, msg), 0);
    cr_assert_arr_neq(s1, s2, 64);
    cr_assert(keys_verify(s1, msg, pub));
    cr_assert(keys_verify(s2, msg, pub));
    keys_keypair_wipe(&kp);
}

Test(keys, random_bytes)
{
    uint8_t a[64] = {0}, b[64] = {0}, zeros[64] = {0};
    cr_assert_eq(keys_random(a, sizeof a), 0);
    cr_assert_eq(keys_random(b, sizeof b), 0);
    cr_assert_arr_neq(a, zeros, 64);
    cr_assert_arr_neq(a, b, 64);
    /* Larger than getrandom's 256-byte single-call guarantee. */
    uint8_t big[4096];
    cr_assert_eq(keys_random(big, sizeof big), 0);
    cr_assert_eq(keys_random(big, 0), 0);
}

static keys_keypair_t shared_kp;

static void *sign_many(void *arg)
{
    uint8_t pub[32], msg[32], sig[64];
    keys_keypair_xonly(pub, &shared_kp);
    for (int i = 0; i < 50; i++) {
        memset(msg, (int)(intptr_t)arg + i, sizeof msg);
        if (keys_sign(sig, &shared_kp, msg) != 0 || !keys_verify(sig, msg, pub))
            return (void *)1;
    }
    return NULL;
}

Test(keys, context_is_shared_between_threads)
{
    cr_assert_eq(keys_keypair_generate(&shared_kp), 0);
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, sign_many, (void *)i), 0);
    for (int i = 0; i < 4; i++) {
        void *res;
        pthread_join(t[i], &res);
        cr_assert_null(res, "thread %d failed", i);
    }
    cr_assert_eq(keys_context(), keys_context());
    keys_keypair_wipe(&shared_kp);
}
