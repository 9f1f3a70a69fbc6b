/*
 * err — pickaxe's one list of error codes.
 *
 * Functions that can fail return int: 0 on success or one of the negative
 * codes below. err_str() turns a code into a short English phrase for logs
 * and messages. Consensus failures carry a finer reason string of their own
 * (see chain.h); the code only says which kind of failure it was.
 */
#ifndef PICKAXE_ERR_H
#define PICKAXE_ERR_H

enum {
    ERR_OK = 0,
    ERR_NOMEM = -1,        /* allocation failed */
    ERR_PARSE = -2,        /* malformed or truncated input */
    ERR_INVALID = -3,      /* well-formed but breaks a rule (see reason) */
    ERR_ORPHAN = -4,       /* block's parent is unknown */
    ERR_DUPLICATE = -5,    /* already known */
    ERR_NOT_FOUND = -6,    /* no such item */
    ERR_IO = -7,           /* file, disk or database failure */
    ERR_CRYPTO = -8,       /* a cryptographic library call failed */
    ERR_ARG = -9,          /* bad argument from the caller or the user */
    ERR_FULL = -10,        /* a bounded container is full */
    ERR_TIMEOUT = -11,     /* no answer in time */
    ERR_RANGE = -12,       /* a value is out of its allowed range */
    ERR_UNSUPPORTED = -13, /* not available on this machine or build */
    ERR_NET = -14,         /* network or socket failure */
};

/*
 * Marks a declaration whose int result is one of these codes: a caller that
 * drops it fails the build (warnings are errors). GCC does not take a
 * (void) cast as a check, so a caller that may really go on whatever the
 * result says why in a branch of its own.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PX_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PX_MUST_CHECK
#endif

/* Returns a static, human-readable phrase for an error code. */
const char *err_str(int code);

#endif
