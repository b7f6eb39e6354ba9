#ifndef PEDIGREE_COPENSSL_SHIM_H
#define PEDIGREE_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <time.h>

/* Function-like macros are invisible to Swift; these wrap the few we use. */

static inline void pedigree_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

/* STACK_OF(X509): the typed sk_X509_* accessors are macros. */

static inline STACK_OF(X509) *pedigree_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int pedigree_sk_X509_push(STACK_OF(X509) *stack, X509 *certificate) {
    return sk_X509_push(stack, certificate);
}
static inline int pedigree_sk_X509_num(const STACK_OF(X509) *stack) { return sk_X509_num(stack); }
static inline X509 *pedigree_sk_X509_value(const STACK_OF(X509) *stack, int index) {
    return sk_X509_value(stack, index);
}
/* Frees the stack only; the certificates stay with their owners. */
static inline void pedigree_sk_X509_free(STACK_OF(X509) *stack) { sk_X509_free(stack); }
/* Frees the stack and drops one reference to every certificate in it. */
static inline void pedigree_sk_X509_pop_free(STACK_OF(X509) *stack) { sk_X509_pop_free(stack, X509_free); }

/* GENERAL_NAMES (subjectAltName) and EXTENDED_KEY_USAGE are stacks too. */

static inline int pedigree_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *pedigree_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline int pedigree_sk_ASN1_OBJECT_num(const EXTENDED_KEY_USAGE *usages) { return sk_ASN1_OBJECT_num(usages); }
static inline ASN1_OBJECT *pedigree_sk_ASN1_OBJECT_value(const EXTENDED_KEY_USAGE *usages, int index) {
    return sk_ASN1_OBJECT_value(usages, index);
}

/* RFC 2253 / RFC 4514 distinguished names with UTF-8 kept as UTF-8 (XN_FLAG_RFC2253 escapes
   every byte above 0x7f as \XX; RFC 4514 allows UTF-8). Control characters stay escaped. */
static inline unsigned long pedigree_XN_FLAG_RFC4514_UTF8(void) {
    return XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
}

#endif
