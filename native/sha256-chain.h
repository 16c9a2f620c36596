#ifndef KEYHOLD_SHA256_CHAIN_H
#define KEYHOLD_SHA256_CHAIN_H

#include <stdint.h>

/* Whether this CPU has the SHA instructions sha256_chain_shani needs (x86 SHA extensions). */
int sha256_chain_shani_available(void);

/*
 * BitLocker's key stretch on the SHA instructions: `rounds` times,
 * last = SHA-256({last[32], initial[32], salt[16], u64le count}), last starting as zeros and
 * count at 0; writes the final `last` to out and returns 1. Returns 0 and writes nothing when
 * this CPU or this build has no SHA instructions.
 */
int sha256_chain_shani(const uint8_t initial[32], const uint8_t salt[16], uint32_t rounds,
                       uint8_t out[32]);

#endif
