#ifndef PEDIGREE_COPENSSL_SHIM_H
#define PEDIGREE_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>

/* Function-like macros are invisible to Swift; these wrap the few we use. */

static inline void pedigree_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

#endif
