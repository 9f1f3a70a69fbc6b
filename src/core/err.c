/*
 * err — phrases for pickaxe's error codes.
 */
#include "err.h"

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK:
        return "ok";
    case ERR_NOMEM:
        return "out of memory";
    case ERR_PARSE:
        return "malformed input";
    case ERR_INVALID:
        return "invalid";
    case ERR_ORPHAN:
        return "unknown parent";
    case ERR_DUPLICATE:
        return "already known";
    case ERR_NOT_FOUND:
        return "not found";
    case ERR_IO:
        return "input/output error";
    case ERR_CRYPTO:
        return "cryptographic failure";
    case ERR_ARG:
        return "bad argument";
    case ERR_FULL:
        return "full";
    case ERR_TIMEOUT:
        return "timed out";
    case ERR_RANGE:
        return "out of range";
    case ERR_UNSUPPORTED:
        return "not supported here";
    case ERR_NET:
        return "network error";
    default:
        return "unknown error";
    }
}
