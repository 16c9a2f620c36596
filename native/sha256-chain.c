/*
 * BitLocker's key stretch on the CPU's SHA instructions (x86 SHA extensions), for CPUs that have
 * them; keyhold_native.c checks at run time and otherwise loops over OpenSSL's SHA256_Transform.
 *
 * Each of the 1,048,576 rounds hashes an 88-byte message, {last[32], initial[32], salt[16], u64le
 * count}: two compression blocks, each round waiting on the one before. OpenSSL's own SHA code
 * uses the same instructions, so what is saved here is everything around them: per round, the
 * context set-up, two calls, the byte swaps of the message in and of the digest out, and the
 * digest's trip through memory. Here the whole chain stays in registers:
 * - the digest of one round, as the state words the instructions leave, is the first eight
 *   message words of the next after two shuffles (SHA-256 reads its message big-endian, and
 *   writes its digest big-endian, so no byte is swapped);
 * - the initial hash and the salt are loaded and byte-swapped once;
 * - the second block differs from round to round only in the word holding the count, and its
 *   padding (0x80, then the length, 704 bits) is constant.
 *
 * Only this file is compiled for the SHA extensions, function by function (the `target`
 * attribute), so the addon still loads on CPUs without them.
 */
#include "sha256-chain.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1")))

/* CPUID leaf 7, EBX: the SHA extensions (some compilers' cpuid.h do not name the bit). */
#define CPUID_7_EBX_SHA (1u << 29)

int sha256_chain_shani_available(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || (c & bit_SSE4_1) == 0) return 0;
  if (__get_cpuid_max(0, 0) < 7) return 0;
  __cpuid_count(7, 0, a, b, c, d);
  return (b & CPUID_7_EBX_SHA) != 0;
}

static const uint32_t round_constants[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/*
 * One compression of the 16 words in `message` (four a vector, the first in the lowest
 * lane) into the state, held as the instructions want it: ABEF and CDGH, A in the highest lane.
 */
SHANI static inline void compress(__m128i *abef, __m128i *cdgh, const __m128i message[4]) {
  __m128i words[4] = {message[0], message[1], message[2], message[3]};
  __m128i state_abef = *abef;
  __m128i state_cdgh = *cdgh;
#pragma GCC unroll 16
  for (int quad = 0; quad < 16; quad++) {
    /* Words 4q..4q+3; from the fifth group on, made from the 16 before (the message schedule). */
    if (quad >= 4) {
      __m128i sixteen_back = _mm_sha256msg1_epu32(words[quad & 3], words[(quad + 1) & 3]);
      __m128i seven_back = _mm_alignr_epi8(words[(quad + 3) & 3], words[(quad + 2) & 3], 4);
      words[quad & 3] =
          _mm_sha256msg2_epu32(_mm_add_epi32(sixteen_back, seven_back), words[(quad + 3) & 3]);
    }
    __m128i with_constants = _mm_add_epi32(
        words[quad & 3], _mm_load_si128((const __m128i *)(round_constants + 4 * quad)));
    /* Two rounds on the low two words, two on the high two; the state's halves swap roles. */
    state_cdgh = _mm_sha256rnds2_epu32(state_cdgh, state_abef, with_constants);
    state_abef =
        _mm_sha256rnds2_epu32(state_abef, state_cdgh, _mm_shuffle_epi32(with_constants, 0x0e));
  }
  *abef = _mm_add_epi32(*abef, state_abef);
  *cdgh = _mm_add_epi32(*cdgh, state_cdgh);
}

/* The digest's words A, B, C, D (first lane first), from the two state halves. */
SHANI static inline __m128i words_abcd(__m128i abef, __m128i cdgh) {
  return _mm_shuffle_epi32(_mm_unpackhi_epi64(abef, cdgh), 0xb1);
}

/* ... and E, F, G, H. */
SHANI static inline __m128i words_efgh(__m128i abef, __m128i cdgh) {
  return _mm_shuffle_epi32(_mm_unpacklo_epi64(abef, cdgh), 0xb1);
}

SHANI static void chain(const uint8_t initial[32], const uint8_t salt[16], uint32_t rounds,
                        uint8_t out[32]) {
  /* Big-endian bytes to words, and back. */
  const __m128i byte_swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
  const __m128i initial_low =
      _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)initial), byte_swap);
  const __m128i initial_high =
      _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(initial + 16)), byte_swap);
  const __m128i salt_words = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)salt), byte_swap);
  const __m128i zero = _mm_setzero_si128();
  /* Words 12-15 of the second block: the message length in bits, 88 * 8, in the last. */
  const __m128i length_words = _mm_set_epi32(704, 0, 0, 0);
  const __m128i initial_abef = _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f,
                                             (int)0x9b05688c);
  const __m128i initial_cdgh = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab,
                                             0x5be0cd19);
  /* `last` starts as 32 zero bytes. */
  __m128i last_abef = zero;
  __m128i last_cdgh = zero;
  for (uint32_t count = 0; count < rounds; count++) {
    const __m128i first_block[4] = {words_abcd(last_abef, last_cdgh),
                                    words_efgh(last_abef, last_cdgh), initial_low, initial_high};
    /* Words 4-7: the count's low 32 bits (its bytes little-endian, read big-endian), its high
       32 bits (zero: a round count is 32 bits), the 0x80 that ends the message, and zero. */
    const __m128i count_words =
        _mm_set_epi32(0, (int)0x80000000, 0, (int)__builtin_bswap32(count));
    const __m128i second_block[4] = {salt_words, count_words, zero, length_words};
    __m128i abef = initial_abef;
    __m128i cdgh = initial_cdgh;
    compress(&abef, &cdgh, first_block);
    compress(&abef, &cdgh, second_block);
    last_abef = abef;
    last_cdgh = cdgh;
  }
  _mm_storeu_si128((__m128i *)out,
                   _mm_shuffle_epi8(words_abcd(last_abef, last_cdgh), byte_swap));
  _mm_storeu_si128((__m128i *)(out + 16),
                   _mm_shuffle_epi8(words_efgh(last_abef, last_cdgh), byte_swap));
}

int sha256_chain_shani(const uint8_t initial[32], const uint8_t salt[16], uint32_t rounds,
                       uint8_t out[32]) {
  if (!sha256_chain_shani_available()) return 0;
  chain(initial, salt, rounds, out);
  return 1;
}

#else

int sha256_chain_shani_available(void) { return 0; }

int sha256_chain_shani(const uint8_t initial[32], const uint8_t salt[16], uint32_t rounds,
                       uint8_t out[32]) {
  (void)initial;
  (void)salt;
  (void)rounds;
  (void)out;
  return 0;
}

#endif
