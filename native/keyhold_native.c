/*
 * Keyhold's native fast path for BitLocker volumes: the million-round SHA-256 key stretch and
 * bulk sector decryption (XTS-AES, AES-CBC with and without the Elephant diffuser).
 *
 * It links no crypto library of its own: Node exports its OpenSSL to addons, so SHA256_Transform
 * and the EVP AES calls resolve against the running Node and use the CPU's SHA and AES
 * instructions. The JavaScript/WebAssembly code in src/bitlocker/volume is the reference; the
 * property tests compare the two on random inputs.
 *
 * Sector modes are built on AES-ECB, which OpenSSL runs at full speed over large buffers: one
 * ECB call makes the tweaks or IVs of a batch of sectors and one decrypts the batch. A batch is
 * small enough (64 KiB) to stay in the CPU cache between the passes.
 *
 * XTS on x86 CPUs with AES-NI has a path of its own (xts_aesni below): there the passes around
 * the ECB call cost more than the AES itself (the tweaks go through memory twice), while doing
 * the whole sector in registers, eight blocks at a time, runs at the speed of the AES
 * instructions. OpenSSL does not export its own XTS code, and its EVP XTS needs a re-key call
 * per sector, which at 512-byte sectors costs as much again. Where the CPU has VAES, xts_vaes
 * runs two blocks an instruction and about half again as fast. On x86 CPUs with AVX2, the Elephant
 * diffuser runs eight sectors side by side, one in each vector lane (undiffuse8).
 *
 * decryptAsync runs the same decryption on Node's thread pool, beside the file reads and writes,
 * so that `keyhold unlock` decrypts on every core without worker threads of its own.
 */
#ifndef _WIN32
/* pread and pwrite (copyAsync) under -std=c11. */
#define _POSIX_C_SOURCE 200809L
#endif
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sha256-chain.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define KEYHOLD_AESNI 1
#endif

#define BLOCK 16
#define BATCH_BYTES (64 * 1024)
#define STRETCH_ROUNDS 0x100000u

#define CHECK(call)                                                                       \
  do {                                                                                    \
    if ((call) != napi_ok) {                                                              \
      napi_throw_error(env, NULL, "keyhold native: N-API call failed: " #call);           \
      return NULL;                                                                        \
    }                                                                                     \
  } while (0)

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  size_t count;
  void *pointer;
  napi_value buffer;
  size_t offset;
  bool is_typed = false;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &pointer, &buffer, &offset) != napi_ok)
    return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t *)pointer;
  *length = count;
  return 1;
}

static void store_be32(uint8_t *to, uint32_t value) {
  to[0] = (uint8_t)(value >> 24);
  to[1] = (uint8_t)(value >> 16);
  to[2] = (uint8_t)(value >> 8);
  to[3] = (uint8_t)value;
}

/*
 * BitLocker's stretch: `rounds` times, last = SHA-256({last[32], initial[32], salt[16],
 * u64le count}), count counting from 0. On CPUs with the SHA instructions sha256-chain.c runs it
 * in registers; here, the portable way, over OpenSSL: the 88-byte message is two padded SHA-256
 * blocks laid out once, each round rewrites only `last` and the count and runs the two block
 * transforms.
 */
static void stretch_openssl(const uint8_t *initial, const uint8_t *salt, uint32_t rounds,
                            uint8_t *out) {
  uint8_t message[128];
  memset(message, 0, sizeof message);
  memcpy(message + 32, initial, 32);
  memcpy(message + 64, salt, 16);
  message[88] = 0x80;
  /* Message length in bits, big-endian, at the end of the second block: 88 * 8 = 704. */
  message[126] = 0x02;
  message[127] = 0xc0;
  for (uint32_t count = 0; count < rounds; count++) {
    message[80] = (uint8_t)count;
    message[81] = (uint8_t)(count >> 8);
    message[82] = (uint8_t)(count >> 16);
    message[83] = (uint8_t)(count >> 24);
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Transform(&context, message);
    SHA256_Transform(&context, message + 64);
    for (int i = 0; i < 8; i++) store_be32(message + 4 * i, context.h[i]);
  }
  memcpy(out, message, 32);
}

/*
 * stretchKey(initialHash: Uint8Array(32), salt: Uint8Array(16), rounds: number,
 *            shaInstructions: boolean): Buffer
 * With shaInstructions false, or on a CPU without them, the OpenSSL loop runs.
 */
static napi_value stretch_key(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *initial, *salt;
  size_t initial_length, salt_length;
  uint32_t rounds;
  bool sha_instructions = false;
  if (argc < 4 || !bytes_of(env, argv[0], &initial, &initial_length) ||
      !bytes_of(env, argv[1], &salt, &salt_length) || initial_length != 32 || salt_length != 16 ||
      napi_get_value_uint32(env, argv[2], &rounds) != napi_ok ||
      napi_get_value_bool(env, argv[3], &sha_instructions) != napi_ok) {
    return throw_error(env, "stretchKey needs a 32-byte hash, a 16-byte salt, a round count and "
                            "whether to use the SHA instructions");
  }
  uint8_t out[32];
  if (!sha_instructions || !sha256_chain_shani(initial, salt, rounds, out)) {
    stretch_openssl(initial, salt, rounds, out);
  }
  napi_value result;
  CHECK(napi_create_buffer_copy(env, 32, out, NULL, &result));
  return result;
}

enum mode { MODE_XTS = 0, MODE_CBC = 1, MODE_CBC_ELEPHANT = 2 };

typedef struct {
  enum mode mode;
  uint32_t sector_size;
  EVP_CIPHER_CTX *data_key;   /* AES-ECB decryption with the data key */
  EVP_CIPHER_CTX *tweak_key;  /* AES-ECB encryption: XTS tweaks, or CBC IVs */
  EVP_CIPHER_CTX *sector_key; /* AES-ECB encryption: Elephant sector keys */
  uint8_t *scratch;           /* BATCH_BYTES: tweaks or ECB output */
  uint8_t *counters;          /* per-sector tweak inputs, then outputs (32 bytes a sector) */
#ifdef KEYHOLD_AESNI
  int aesni;                  /* XTS in registers with AES-NI (see xts_aesni) */
  int vaes;                   /* ... two blocks a register with VAES (see xts_vaes) */
  unsigned rounds;            /* 10 or 14 */
  __m128i data_keys[15];      /* decryption round keys of the data key */
  __m128i tweak_keys[15];     /* encryption round keys of the tweak key */
  void *lanes_memory;         /* Elephant with AVX2: eight sectors a pass (see undiffuse8) */
  __m256i *lanes;             /* ... the words of eight sectors, one sector a lane, aligned */
#endif
} decryptor;

static void free_decryptor(decryptor *d) {
  if (!d) return;
  EVP_CIPHER_CTX_free(d->data_key);
  EVP_CIPHER_CTX_free(d->tweak_key);
  EVP_CIPHER_CTX_free(d->sector_key);
  free(d->scratch);
  free(d->counters);
#ifdef KEYHOLD_AESNI
  free(d->lanes_memory);
#endif
  free(d);
}

static void finalize_decryptor(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free_decryptor((decryptor *)data);
}

static const EVP_CIPHER *ecb_for(size_t key_size) {
  return key_size == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
}

static EVP_CIPHER_CTX *ecb_context(const uint8_t *key, size_t key_size, int encrypt) {
  EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
  if (!context) return NULL;
  if (EVP_CipherInit_ex(context, ecb_for(key_size), NULL, key, NULL, encrypt) != 1 ||
      EVP_CIPHER_CTX_set_padding(context, 0) != 1) {
    EVP_CIPHER_CTX_free(context);
    return NULL;
  }
  return context;
}

static int ecb(EVP_CIPHER_CTX *context, const uint8_t *in, uint8_t *out, size_t length) {
  int written = 0;
  return EVP_CipherUpdate(context, out, &written, in, (int)length) == 1 &&
         (size_t)written == length;
}

#ifdef KEYHOLD_AESNI
#define AESNI __attribute__((target("aes,sse2")))

static int cpu_has_aesni(void) {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) != 0;
}

/* One step of the key schedule: fold the previous words in and add the assist word. */
AESNI static __m128i schedule_step(__m128i key, __m128i assist) {
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  key = _mm_xor_si128(key, _mm_slli_si128(key, 4));
  return _mm_xor_si128(key, assist);
}

/* The AES encryption round keys (FIPS 197 key expansion); the round constants are immediates. */
AESNI static unsigned expand_key(const uint8_t *key, size_t key_size, __m128i *rk) {
  rk[0] = _mm_loadu_si128((const __m128i *)key);
  if (key_size == 16) {
#define ROUND128(i, rcon)                                                                   \
  rk[i] = schedule_step(rk[i - 1], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xff))
    ROUND128(1, 0x01); ROUND128(2, 0x02); ROUND128(3, 0x04); ROUND128(4, 0x08);
    ROUND128(5, 0x10); ROUND128(6, 0x20); ROUND128(7, 0x40); ROUND128(8, 0x80);
    ROUND128(9, 0x1b); ROUND128(10, 0x36);
#undef ROUND128
    return 10;
  }
  rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
  /* AES-256 alternates: even keys take the rotated word with the round constant, odd the plain. */
#define ROUND256(i, rcon)                                                                   \
  rk[i] = schedule_step(rk[i - 2], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i - 1], rcon), 0xff)); \
  if (i + 1 < 15)                                                                           \
    rk[i + 1] = schedule_step(rk[i - 1], _mm_shuffle_epi32(_mm_aeskeygenassist_si128(rk[i], 0), 0xaa))
  ROUND256(2, 0x01); ROUND256(4, 0x02); ROUND256(6, 0x04); ROUND256(8, 0x08);
  ROUND256(10, 0x10); ROUND256(12, 0x20); ROUND256(14, 0x40);
#undef ROUND256
  return 14;
}

/* Decryption round keys for the equivalent inverse cipher (AESDEC): reversed, inner ones mixed. */
AESNI static void decryption_keys(const __m128i *rk, unsigned rounds, __m128i *dk) {
  dk[0] = rk[rounds];
  for (unsigned i = 1; i < rounds; i++) dk[i] = _mm_aesimc_si128(rk[rounds - i]);
  dk[rounds] = rk[0];
}

/* The next block's tweak: multiply by x in GF(2^128), reduced by x^128 + x^7 + x^2 + x + 1. */
AESNI static inline __m128i next_tweak(__m128i tweak) {
  /* Spread the top bits of each 64-bit half: bit 63 carries into bit 64, bit 127 wraps to 0x87. */
  __m128i signs = _mm_srai_epi32(_mm_shuffle_epi32(tweak, 0x13), 31);
  __m128i carry = _mm_and_si128(signs, _mm_set_epi32(0, 1, 0, 0x87));
  return _mm_xor_si128(_mm_add_epi64(tweak, tweak), carry);
}

/*
 * XTS (IEEE 1619) decryption of whole sectors: tweak = AES(K2, sector number), then for each
 * block P = AES-1(K1, C ^ T) ^ T with T doubled per block. Eight blocks go through the rounds
 * together so the AES unit's pipeline stays full. Sectors are multiples of 128 bytes.
 */
AESNI static void xts_aesni(const decryptor *d, const uint8_t *in, uint8_t *out, size_t length,
                            uint64_t sector) {
  const unsigned rounds = d->rounds;
  const __m128i *dk = d->data_keys;
  const __m128i *tk = d->tweak_keys;
  for (size_t start = 0; start < length; start += d->sector_size, sector++) {
    __m128i tweak = _mm_xor_si128(_mm_set_epi64x(0, (long long)sector), tk[0]);
    for (unsigned r = 1; r < rounds; r++) tweak = _mm_aesenc_si128(tweak, tk[r]);
    tweak = _mm_aesenclast_si128(tweak, tk[rounds]);
    for (size_t at = start; at < start + d->sector_size; at += 8 * BLOCK) {
      __m128i tweaks[8], blocks[8];
      for (int k = 0; k < 8; k++) {
        tweaks[k] = tweak;
        tweak = next_tweak(tweak);
        __m128i block = _mm_loadu_si128((const __m128i *)(in + at + k * BLOCK));
        blocks[k] = _mm_xor_si128(_mm_xor_si128(block, tweaks[k]), dk[0]);
      }
      for (unsigned r = 1; r < rounds; r++) {
        for (int k = 0; k < 8; k++) blocks[k] = _mm_aesdec_si128(blocks[k], dk[r]);
      }
      for (int k = 0; k < 8; k++) {
        __m128i plain = _mm_xor_si128(_mm_aesdeclast_si128(blocks[k], dk[rounds]), tweaks[k]);
        _mm_storeu_si128((__m128i *)(out + at + k * BLOCK), plain);
      }
    }
  }
}

#define VAES __attribute__((target("aes,avx2,vaes")))

static int cpu_has_vaes(void) {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("vaes");
}

/* KEYHOLD_NATIVE_VAES=0 keeps XTS on xts_aesni, so the tests check both where VAES runs. */
static int process_env_allows_vaes(void) {
  const char *setting = getenv("KEYHOLD_NATIVE_VAES");
  return !(setting && strcmp(setting, "0") == 0);
}

/*
 * Each 128-bit lane of `tweaks` multiplied by x^k in GF(2^128) (1 <= k <= 56): the lane shifted
 * left by k, the bits that cross into the high half carried over, and the bits that leave the
 * top folded back in as (bits) * 0x87, which for so few bits is four shifted copies.
 */
VAES static inline __m256i times_x_to(__m256i tweaks, int k) {
  __m256i shifted = _mm256_sll_epi64(tweaks, _mm_cvtsi32_si128(k));
  __m256i leaving = _mm256_srl_epi64(tweaks, _mm_cvtsi32_si128(64 - k));
  /* Per lane: [high half's leaving bits, low half's leaving bits]. */
  __m256i swapped = _mm256_shuffle_epi32(leaving, 0x4e);
  __m256i into_high = _mm256_blend_epi32(_mm256_setzero_si256(), swapped, 0xcc);
  __m256i wrapped = _mm256_blend_epi32(swapped, _mm256_setzero_si256(), 0xcc);
  __m256i folded = _mm256_xor_si256(
      _mm256_xor_si256(wrapped, _mm256_slli_epi64(wrapped, 1)),
      _mm256_xor_si256(_mm256_slli_epi64(wrapped, 2), _mm256_slli_epi64(wrapped, 7)));
  return _mm256_xor_si256(_mm256_xor_si256(shifted, into_high), folded);
}

/*
 * xts_aesni with VAES: each instruction runs the round on two blocks, so sixteen blocks are in
 * flight. Their tweaks come from the pair (T, T*x) by independent multiplications rather than a
 * chain of doublings, which would take longer than the AES; the first tweaks of eight sectors
 * are encrypted side by side for the same reason. Sectors are multiples of 256 bytes.
 */
VAES static void xts_vaes(const decryptor *d, const uint8_t *in, uint8_t *out, size_t length,
                          uint64_t sector) {
  const unsigned rounds = d->rounds;
  const __m128i *tk = d->tweak_keys;
  __m256i dk[15];
  for (unsigned r = 0; r <= rounds; r++) dk[r] = _mm256_broadcastsi128_si256(d->data_keys[r]);
  __m128i first_tweaks[8];
  size_t batched = 0;
  for (size_t start = 0; start < length; start += d->sector_size, sector++, batched++) {
    if (batched % 8 == 0) {
      for (uint64_t s = 0; s < 8; s++)
        first_tweaks[s] = _mm_xor_si128(_mm_set_epi64x(0, (long long)(sector + s)), tk[0]);
      for (unsigned r = 1; r < rounds; r++) {
        for (int s = 0; s < 8; s++) first_tweaks[s] = _mm_aesenc_si128(first_tweaks[s], tk[r]);
      }
      for (int s = 0; s < 8; s++)
        first_tweaks[s] = _mm_aesenclast_si128(first_tweaks[s], tk[rounds]);
    }
    __m128i tweak = first_tweaks[batched % 8];
    __m256i pair = _mm256_set_m128i(next_tweak(tweak), tweak);
    for (size_t at = start; at < start + d->sector_size; at += 16 * BLOCK) {
      __m256i tweaks[8], blocks[8];
      tweaks[0] = pair;
      for (int k = 1; k < 8; k++) tweaks[k] = times_x_to(pair, 2 * k);
      pair = times_x_to(pair, 16);
      for (int k = 0; k < 8; k++) {
        __m256i two = _mm256_loadu_si256((const __m256i *)(in + at + k * 2 * BLOCK));
        blocks[k] = _mm256_xor_si256(_mm256_xor_si256(two, tweaks[k]), dk[0]);
      }
      for (unsigned r = 1; r < rounds; r++) {
        for (int k = 0; k < 8; k++) blocks[k] = _mm256_aesdec_epi128(blocks[k], dk[r]);
      }
      for (int k = 0; k < 8; k++) {
        __m256i plain =
            _mm256_xor_si256(_mm256_aesdeclast_epi128(blocks[k], dk[rounds]), tweaks[k]);
        _mm256_storeu_si256((__m256i *)(out + at + k * 2 * BLOCK), plain);
      }
    }
  }
}

AESNI static void prepare_aesni(decryptor *d, const uint8_t *fvek, size_t key_size) {
  __m128i encryption_keys[15];
  d->rounds = expand_key(fvek, key_size, encryption_keys);
  decryption_keys(encryption_keys, d->rounds, d->data_keys);
  expand_key(fvek + key_size, key_size, d->tweak_keys);
  d->aesni = 1;
}

#define AVX2 __attribute__((target("avx2")))

/* Transposes an 8x8 matrix of 32-bit words: lane c of rows[r] becomes lane r of rows[c]. */
AVX2 static inline void transpose8(__m256i rows[8]) {
  __m256i t0 = _mm256_unpacklo_epi32(rows[0], rows[1]);
  __m256i t1 = _mm256_unpackhi_epi32(rows[0], rows[1]);
  __m256i t2 = _mm256_unpacklo_epi32(rows[2], rows[3]);
  __m256i t3 = _mm256_unpackhi_epi32(rows[2], rows[3]);
  __m256i t4 = _mm256_unpacklo_epi32(rows[4], rows[5]);
  __m256i t5 = _mm256_unpackhi_epi32(rows[4], rows[5]);
  __m256i t6 = _mm256_unpacklo_epi32(rows[6], rows[7]);
  __m256i t7 = _mm256_unpackhi_epi32(rows[6], rows[7]);
  __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
  __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
  __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
  __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
  rows[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  rows[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  rows[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  rows[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  rows[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  rows[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  rows[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  rows[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

AVX2 static inline __m256i rotl8(__m256i value, int bits) {
  if (bits == 0) return value;
  return _mm256_or_si256(_mm256_slli_epi32(value, bits), _mm256_srli_epi32(value, 32 - bits));
}

AVX2 static inline __m256i diffuse_step(__m256i word, __m256i two, __m256i five, int rotation) {
  return _mm256_add_epi32(word, _mm256_xor_si256(two, rotl8(five, rotation)));
}

/*
 * undiffuse (below) on eight consecutive sectors at once, sector s in lane s: each step of the
 * diffuser waits on the one two words before it, so one sector cannot keep the CPU busy, but
 * eight side by side run at the cost of one. The words are turned into lanes and back eight by
 * eight. The loops are unrolled by four so that each rotation is a constant; sectors are whole
 * multiples of 32 bytes, at least 64.
 */
AVX2 static void undiffuse8(uint8_t *sectors, size_t sector_size, const uint8_t *sector_keys,
                            __m256i *w) {
  static const int rotations_a[4] = {9, 0, 13, 0};
  static const int rotations_b[4] = {0, 10, 0, 25};
  const size_t n = sector_size / 4;
  for (size_t i = 0; i < n; i += 8) {
    __m256i rows[8];
    for (int s = 0; s < 8; s++) {
      rows[s] = _mm256_loadu_si256((const __m256i *)(sectors + s * sector_size + 4 * i));
    }
    transpose8(rows);
    for (int k = 0; k < 8; k++) w[i + k] = rows[k];
  }
  for (int cycle = 0; cycle < 3; cycle++) {
    size_t i = 0;
    for (; i + 8 < n; i += 4) {
      w[i] = diffuse_step(w[i], w[i + 2], w[i + 5], 0);
      w[i + 1] = diffuse_step(w[i + 1], w[i + 3], w[i + 6], 10);
      w[i + 2] = diffuse_step(w[i + 2], w[i + 4], w[i + 7], 0);
      w[i + 3] = diffuse_step(w[i + 3], w[i + 5], w[i + 8], 25);
    }
    for (; i < n; i++) {
      size_t two = i + 2 >= n ? i + 2 - n : i + 2;
      size_t five = i + 5 >= n ? i + 5 - n : i + 5;
      w[i] = diffuse_step(w[i], w[two], w[five], rotations_b[i & 3]);
    }
  }
  for (int cycle = 0; cycle < 5; cycle++) {
    size_t i = 0;
    for (; i < 8; i++) {
      size_t two = i < 2 ? i + n - 2 : i - 2;
      size_t five = i < 5 ? i + n - 5 : i - 5;
      w[i] = diffuse_step(w[i], w[two], w[five], rotations_a[i & 3]);
    }
    for (; i < n; i += 4) {
      w[i] = diffuse_step(w[i], w[i - 2], w[i - 5], 9);
      w[i + 1] = diffuse_step(w[i + 1], w[i - 1], w[i - 4], 0);
      w[i + 2] = diffuse_step(w[i + 2], w[i], w[i - 3], 13);
      w[i + 3] = diffuse_step(w[i + 3], w[i + 1], w[i - 2], 0);
    }
  }
  /* Each sector's key is eight words: as lanes, key word k of every sector is keys[k]. */
  __m256i keys[8];
  for (int s = 0; s < 8; s++) {
    keys[s] = _mm256_loadu_si256((const __m256i *)(sector_keys + 32 * s));
  }
  transpose8(keys);
  for (size_t i = 0; i < n; i += 8) {
    __m256i rows[8];
    for (int k = 0; k < 8; k++) rows[k] = _mm256_xor_si256(w[i + k], keys[k]);
    transpose8(rows);
    for (int s = 0; s < 8; s++) {
      _mm256_storeu_si256((__m256i *)(sectors + s * sector_size + 4 * i), rows[s]);
    }
  }
}

static int prepare_lanes(decryptor *d) {
  __builtin_cpu_init();
  if (d->sector_size % 32 != 0 || d->sector_size < 64) return 1;
  if (!__builtin_cpu_supports("avx2")) return 1;
  /* Eight sectors of words, aligned for the vector loads and stores the compiler makes. */
  d->lanes_memory = malloc(8 * (size_t)d->sector_size + 32);
  if (!d->lanes_memory) return 0;
  d->lanes = (__m256i *)(((uintptr_t)d->lanes_memory + 31) & ~(uintptr_t)31);
  return 1;
}
#endif

/* createDecryptor(mode: 0 xts | 1 cbc | 2 cbc-elephant, keySize: 16 | 32, fvek, sectorSize) */
static napi_value create_decryptor(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t mode, key_size, sector_size;
  uint8_t *fvek;
  size_t fvek_length;
  if (argc < 4 || napi_get_value_uint32(env, argv[0], &mode) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &key_size) != napi_ok ||
      !bytes_of(env, argv[2], &fvek, &fvek_length) ||
      napi_get_value_uint32(env, argv[3], &sector_size) != napi_ok || mode > MODE_CBC_ELEPHANT ||
      (key_size != 16 && key_size != 32) || sector_size < BLOCK || sector_size % BLOCK != 0 ||
      sector_size > BATCH_BYTES) {
    return throw_error(env, "createDecryptor: bad arguments");
  }
  size_t needed = mode == MODE_XTS ? 2 * key_size : mode == MODE_CBC ? key_size : 32 + key_size;
  if (fvek_length < needed) return throw_error(env, "createDecryptor: the key is too short");
  decryptor *d = calloc(1, sizeof *d);
  if (!d) return throw_error(env, "createDecryptor: out of memory");
  d->mode = (enum mode)mode;
  d->sector_size = sector_size;
  d->scratch = malloc(BATCH_BYTES);
  d->counters = malloc((BATCH_BYTES / BLOCK) * 2 * BLOCK);
  d->data_key = ecb_context(fvek, key_size, 0);
  /* XTS: the second half of the key encrypts the tweaks; CBC: the data key encrypts the IVs. */
  d->tweak_key = ecb_context(mode == MODE_XTS ? fvek + key_size : fvek, key_size, 1);
  /* Elephant's sector key comes from the second 32 bytes of the FVEK. */
  d->sector_key = mode == MODE_CBC_ELEPHANT ? ecb_context(fvek + 32, key_size, 1) : NULL;
  if (!d->scratch || !d->counters || !d->data_key || !d->tweak_key ||
      (mode == MODE_CBC_ELEPHANT && !d->sector_key)) {
    free_decryptor(d);
    return throw_error(env, "createDecryptor: OpenSSL refused the key");
  }
#ifdef KEYHOLD_AESNI
  /* The round keys are loaded as aligned vectors: where malloc aligns less, ECB it is. */
  if (mode == MODE_XTS && sector_size % (8 * BLOCK) == 0 && (uintptr_t)d % 16 == 0 &&
      cpu_has_aesni()) {
    prepare_aesni(d, fvek, key_size);
    d->vaes = sector_size % (16 * BLOCK) == 0 && cpu_has_vaes() &&
              process_env_allows_vaes();
  }
  if (mode == MODE_CBC_ELEPHANT && !prepare_lanes(d)) {
    free_decryptor(d);
    return throw_error(env, "createDecryptor: out of memory");
  }
#endif
  napi_value result;
  if (napi_create_external(env, d, finalize_decryptor, NULL, &result) != napi_ok) {
    free_decryptor(d);
    return throw_error(env, "createDecryptor: N-API call failed");
  }
  return result;
}

/* Little-endian 64-bit loads and stores: one instruction each on little-endian CPUs. */
static uint64_t load_le64(const uint8_t *from) {
  uint64_t value;
  memcpy(&value, from, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap64(value);
#endif
  return value;
}

static void store_le64(uint8_t *to, uint64_t value) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  value = __builtin_bswap64(value);
#endif
  memcpy(to, &value, 8);
}

/* A 16-byte little-endian counter with an optional top byte (Elephant's second half). */
static void counter(uint8_t *to, uint64_t value, uint8_t top) {
  store_le64(to, value);
  memset(to + 8, 0, 8);
  to[15] = top;
}

static void xor_block(uint8_t *to, const uint8_t *a, const uint8_t *b) {
  uint64_t x[2], y[2];
  memcpy(x, a, 16);
  memcpy(y, b, 16);
  x[0] ^= y[0];
  x[1] ^= y[1];
  memcpy(to, x, 16);
}

/* XTS (IEEE 1619): tweak = AES(K2, sector number), multiplied by x for each block. */
static int xts_batch(decryptor *d, const uint8_t *in, uint8_t *out, size_t length, uint64_t sector) {
  size_t sectors = length / d->sector_size;
  for (size_t i = 0; i < sectors; i++) counter(d->counters + i * BLOCK, sector + i, 0);
  if (!ecb(d->tweak_key, d->counters, d->counters, sectors * BLOCK)) return 0;
  uint8_t *tweaks = d->scratch;
  for (size_t i = 0; i < sectors; i++) {
    uint64_t low = load_le64(d->counters + i * BLOCK);
    uint64_t high = load_le64(d->counters + i * BLOCK + 8);
    size_t start = i * d->sector_size;
    for (size_t at = start; at < start + d->sector_size; at += BLOCK) {
      store_le64(tweaks + at, low);
      store_le64(tweaks + at + 8, high);
      store_le64(out + at, load_le64(in + at) ^ low);
      store_le64(out + at + 8, load_le64(in + at + 8) ^ high);
      /* Multiply the tweak by x in GF(2^128), reduced by x^128 + x^7 + x^2 + x + 1. */
      uint64_t carry = high >> 63;
      high = (high << 1) | (low >> 63);
      low = (low << 1) ^ (carry * 0x87);
    }
  }
  if (!ecb(d->data_key, out, out, length)) return 0;
  for (size_t at = 0; at < length; at += BLOCK) xor_block(out + at, out + at, tweaks + at);
  return 1;
}

static uint32_t load_le32(const uint8_t *from) {
  return (uint32_t)from[0] | (uint32_t)from[1] << 8 | (uint32_t)from[2] << 16 |
         (uint32_t)from[3] << 24;
}

static void store_le32(uint8_t *to, uint32_t value) {
  to[0] = (uint8_t)value;
  to[1] = (uint8_t)(value >> 8);
  to[2] = (uint8_t)(value >> 16);
  to[3] = (uint8_t)(value >> 24);
}

static uint32_t rotl(uint32_t value, unsigned bits) {
  return bits == 0 ? value : (value << bits) | (value >> (32 - bits));
}

/*
 * Elephant diffuser, decryption direction: B (3 cycles), A (5 cycles), then the sector key.
 * Indices wrap around the sector only for the first or last five words; the rest of each cycle
 * runs without the wrap-around arithmetic. `n` is a multiple of 4 (sectors are whole blocks).
 */
static void undiffuse(uint32_t *w, size_t n, const uint8_t *sector_key) {
  static const unsigned rotations_a[4] = {9, 0, 13, 0};
  static const unsigned rotations_b[4] = {0, 10, 0, 25};
  for (int cycle = 0; cycle < 3; cycle++) {
    size_t i = 0;
    for (; i + 5 < n; i++) w[i] += w[i + 2] ^ rotl(w[i + 5], rotations_b[i & 3]);
    for (; i < n; i++) {
      size_t two = i + 2 >= n ? i + 2 - n : i + 2;
      size_t five = i + 5 >= n ? i + 5 - n : i + 5;
      w[i] += w[two] ^ rotl(w[five], rotations_b[i & 3]);
    }
  }
  for (int cycle = 0; cycle < 5; cycle++) {
    size_t i = 0;
    for (; i < 5; i++) {
      size_t two = i < 2 ? i + n - 2 : i - 2;
      w[i] += w[two] ^ rotl(w[i + n - 5], rotations_a[i & 3]);
    }
    for (; i < n; i++) w[i] += w[i - 2] ^ rotl(w[i - 5], rotations_a[i & 3]);
  }
  for (size_t i = 0; i < n; i++) w[i] ^= load_le32(sector_key + 4 * (i & 7));
}

/* AES-CBC with IV = AES(K, byte offset), optionally followed by the Elephant diffuser. */
static int cbc_batch(decryptor *d, const uint8_t *in, uint8_t *out, size_t length, uint64_t offset) {
  size_t sectors = length / d->sector_size;
  for (size_t i = 0; i < sectors; i++) {
    counter(d->counters + i * BLOCK, offset + i * d->sector_size, 0);
  }
  if (!ecb(d->tweak_key, d->counters, d->counters, sectors * BLOCK)) return 0;
  uint8_t *plain = d->scratch;
  if (!ecb(d->data_key, in, plain, length)) return 0;
  for (size_t i = 0; i < sectors; i++) {
    size_t start = i * d->sector_size;
    /* Last block first: in place, each block's predecessor is still ciphertext when read. */
    for (size_t at = start + d->sector_size - BLOCK; at > start; at -= BLOCK) {
      xor_block(out + at, plain + at, in + at - BLOCK);
    }
    xor_block(out + start, plain + start, d->counters + i * BLOCK);
  }
  if (d->mode != MODE_CBC_ELEPHANT) return 1;
  for (size_t i = 0; i < sectors; i++) {
    uint64_t at = offset + i * d->sector_size;
    counter(d->counters + i * 2 * BLOCK, at, 0);
    counter(d->counters + i * 2 * BLOCK + BLOCK, at, 0x80);
  }
  if (!ecb(d->sector_key, d->counters, d->counters, sectors * 2 * BLOCK)) return 0;
  size_t words = d->sector_size / 4;
  uint32_t *w = (uint32_t *)plain; /* the ECB output is no longer needed: reuse it */
  size_t i = 0;
#ifdef KEYHOLD_AESNI
  if (d->lanes) {
    for (; i + 8 <= sectors; i += 8) {
      uint8_t *eight = out + i * d->sector_size;
      undiffuse8(eight, d->sector_size, d->counters + i * 2 * BLOCK, d->lanes);
    }
  }
#endif
  for (; i < sectors; i++) {
    uint8_t *sector = out + i * d->sector_size;
    for (size_t k = 0; k < words; k++) w[k] = load_le32(sector + 4 * k);
    undiffuse(w, words, d->counters + i * 2 * BLOCK);
    for (size_t k = 0; k < words; k++) store_le32(sector + 4 * k, w[k]);
  }
  return 1;
}

/* Decrypts whole sectors at a sector-aligned physical offset; 0 when OpenSSL fails. */
static int decrypt_sectors(decryptor *d, const uint8_t *in, uint8_t *out, size_t in_length,
                           uint64_t offset) {
#ifdef KEYHOLD_AESNI
  if (d->vaes) {
    xts_vaes(d, in, out, in_length, offset / d->sector_size);
    return 1;
  }
  if (d->aesni) {
    xts_aesni(d, in, out, in_length, offset / d->sector_size);
    return 1;
  }
#endif
  size_t step = BATCH_BYTES - BATCH_BYTES % d->sector_size;
  for (size_t at = 0; at < in_length; at += step) {
    size_t length = in_length - at < step ? in_length - at : step;
    int ok = d->mode == MODE_XTS
                 ? xts_batch(d, in + at, out + at, length, (offset + at) / d->sector_size)
                 : cbc_batch(d, in + at, out + at, length, offset + at);
    if (!ok) return 0;
  }
  return 1;
}

/* The arguments decrypt and decryptAsync share, checked. */
typedef struct {
  decryptor *d;
  uint8_t *in, *out;
  size_t length;
  uint64_t offset;
} decrypt_arguments;

static int decrypt_arguments_of(napi_env env, napi_value *argv, decrypt_arguments *args) {
  size_t out_length;
  double offset_number;
  if (napi_get_value_external(env, argv[0], (void **)&args->d) != napi_ok ||
      !bytes_of(env, argv[1], &args->in, &args->length) ||
      napi_get_value_double(env, argv[2], &offset_number) != napi_ok ||
      !bytes_of(env, argv[3], &args->out, &out_length)) {
    napi_throw_error(env, NULL, "decrypt: bad arguments");
    return 0;
  }
  args->offset = (uint64_t)offset_number;
  if (offset_number < 0 || (double)args->offset != offset_number ||
      args->offset % args->d->sector_size != 0 || args->length != out_length ||
      args->length % args->d->sector_size != 0) {
    napi_throw_error(env, NULL, "decrypt: needs whole sectors at a sector offset");
    return 0;
  }
  /* Input and output may be the same buffer, but must not otherwise overlap. */
  if (args->in != args->out && args->in < args->out + out_length &&
      args->out < args->in + args->length) {
    napi_throw_error(env, NULL, "decrypt: input and output overlap");
    return 0;
  }
  return 1;
}

/* decrypt(decryptor, input: Uint8Array, physicalOffset: number, output: Uint8Array) */
static napi_value decrypt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  decrypt_arguments args;
  if (argc < 4) return throw_error(env, "decrypt: bad arguments");
  if (!decrypt_arguments_of(env, argv, &args)) return NULL;
  if (!decrypt_sectors(args.d, args.in, args.out, args.length, args.offset)) {
    return throw_error(env, "decrypt: OpenSSL failed");
  }
  return NULL;
}

/*
 * decryptAsync: the same work on a thread of Node's own pool (the one that also runs file
 * reads and writes), so the JavaScript thread stays free to read and write other chunks. The
 * decryptor and both buffers are held by references until the promise settles; the caller must
 * not touch the buffers meanwhile, nor give the same decryptor to two calls at once (its
 * scratch space and OpenSSL contexts are not shared between threads).
 */
typedef struct {
  decrypt_arguments args;
  napi_ref references[3]; /* decryptor, input, output */
  napi_deferred deferred;
  napi_async_work work;
  int ok;
} decrypt_job;

static void run_decrypt_job(napi_env env, void *data) {
  (void)env;
  decrypt_job *job = data;
  job->ok = decrypt_sectors(job->args.d, job->args.in, job->args.out, job->args.length,
                            job->args.offset);
}

static void finish_decrypt_job(napi_env env, napi_status status, void *data) {
  decrypt_job *job = data;
  for (int i = 0; i < 3; i++) napi_delete_reference(env, job->references[i]);
  napi_delete_async_work(env, job->work);
  if (status == napi_ok && job->ok) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value message, error;
    const char *text = status == napi_ok ? "decrypt: OpenSSL failed" : "decrypt: cancelled";
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  free(job);
}

/* decryptAsync(decryptor, input, physicalOffset, output): Promise<void> */
static napi_value decrypt_async(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) return throw_error(env, "decrypt: bad arguments");
  decrypt_job *job = calloc(1, sizeof *job);
  if (!job) return throw_error(env, "decryptAsync: out of memory");
  if (!decrypt_arguments_of(env, argv, &job->args)) {
    free(job);
    return NULL;
  }
  napi_value promise, name;
  const napi_value held[3] = {argv[0], argv[1], argv[3]};
  int referenced = 0;
  while (referenced < 3 &&
         napi_create_reference(env, held[referenced], 1, &job->references[referenced]) == napi_ok)
    referenced++;
  if (referenced < 3 ||
      napi_create_string_utf8(env, "keyhold:decrypt", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, run_decrypt_job, finish_decrypt_job, job,
                             &job->work) != napi_ok) {
    for (int i = 0; i < referenced; i++) napi_delete_reference(env, job->references[i]);
    free(job);
    return throw_error(env, "decryptAsync: N-API call failed");
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    for (int i = 0; i < 3; i++) napi_delete_reference(env, job->references[i]);
    napi_delete_async_work(env, job->work);
    free(job);
    return throw_error(env, "decryptAsync: N-API call failed");
  }
  return promise;
}

#ifndef _WIN32
/*
 * copyAsync: the whole of `keyhold unlock` for one range of a volume written to a file, on a
 * thread of Node's pool: read the stored bytes from the image, decrypt them in place, write
 * them at their place in the output. It goes a block at a time through one buffer small enough
 * to stay in the CPU cache from the read to the write, so each byte crosses memory only in the
 * kernel's two copies, and no buffer, promise or thread hop per step reaches JavaScript. Writes
 * land at explicit offsets, so ranges may finish in any order. To an output that takes bytes
 * only in order (standard output, a pipe), each range is read and decrypted into a buffer of its
 * own instead and written once the ranges before it are (write_order, run_ordered_copy).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define COPY_BLOCK (256 * 1024)
#define COPY_SHORT_READ (-1)
#define COPY_CIPHER_FAILED (-2)
/* An earlier range of an ordered copy failed, so this one is not written. */
#define COPY_ABANDONED (-3)

enum segment_kind { SEGMENT_ZERO = 0, SEGMENT_PLAIN = 1, SEGMENT_ENCRYPTED = 2 };

/* One run of the plan: [kind, logical offset, length, physical offset], as in mapRange. */
typedef struct {
  uint64_t kind, offset, length, physical;
} segment;

/*
 * An output that takes bytes only in order (a pipe, standard output), shared by the copies of
 * one volume: each range is read and decrypted whenever its job runs, then waits until the
 * range before it is written.
 */
typedef struct {
  pthread_mutex_t mutex;
  pthread_cond_t turn;
  uint64_t next;  /* the offset the next write starts at */
  int abandoned;  /* a range failed: the ones after it are not written */
} write_order;

typedef struct {
  decryptor *d;
  int in_fd, out_fd;
  segment *segments;
  size_t count;
  write_order *order; /* NULL: write at offsets (pwrite) */
  napi_ref order_reference;
  napi_ref decryptor_reference;
  napi_deferred deferred;
  napi_async_work work;
  int error; /* 0, an errno value, COPY_SHORT_READ or COPY_CIPHER_FAILED */
  int writing; /* the errno value came from writing the output */
} copy_job;

/* Reads `length` bytes at `offset` unless the file ends first; -1 with errno on failure. */
static ssize_t read_fully(int fd, uint8_t *to, size_t length, uint64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = pread(fd, to + done, length - done, (off_t)(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    done += (size_t)n;
  }
  return (ssize_t)done;
}

static int write_fully(int fd, const uint8_t *from, size_t length, uint64_t offset) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = pwrite(fd, from + done, length - done, (off_t)(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0;
    done += (size_t)n;
  }
  return 1;
}

static int copy_segment(copy_job *job, const segment *s, uint8_t *block) {
  if (s->kind == SEGMENT_ZERO) memset(block, 0, COPY_BLOCK);
  for (uint64_t at = 0; at < s->length; at += COPY_BLOCK) {
    size_t length = s->length - at < COPY_BLOCK ? (size_t)(s->length - at) : COPY_BLOCK;
    if (s->kind != SEGMENT_ZERO) {
      ssize_t got = read_fully(job->in_fd, block, length, s->physical + at);
      if (got < 0) return errno;
      if ((size_t)got < length) return COPY_SHORT_READ;
      if (s->kind == SEGMENT_ENCRYPTED &&
          !decrypt_sectors(job->d, block, block, length, s->physical + at))
        return COPY_CIPHER_FAILED;
    }
    if (!write_fully(job->out_fd, block, length, s->offset + at)) {
      job->writing = 1;
      return errno;
    }
  }
  return 0;
}

/* Writes all of `from` at the output's current position, waiting while a pipe is full. */
static int write_in_order(int fd, const uint8_t *from, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = write(fd, from + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      /* Node may have made standard output non-blocking. */
      struct pollfd writable = {.fd = fd, .events = POLLOUT};
      if (poll(&writable, 1, -1) < 0 && errno != EINTR) return 0;
      continue;
    }
    if (n < 0) return 0;
    done += (size_t)n;
  }
  return 1;
}

/* Fills `to` with the job's range, decrypting each block as soon as it is read. */
static int fill_range(copy_job *job, uint8_t *to, uint64_t start) {
  for (size_t i = 0; i < job->count; i++) {
    const segment *s = &job->segments[i];
    uint8_t *at_range = to + (s->offset - start);
    if (s->kind == SEGMENT_ZERO) {
      memset(at_range, 0, s->length);
      continue;
    }
    for (uint64_t at = 0; at < s->length; at += COPY_BLOCK) {
      size_t length = s->length - at < COPY_BLOCK ? (size_t)(s->length - at) : COPY_BLOCK;
      ssize_t got = read_fully(job->in_fd, at_range + at, length, s->physical + at);
      if (got < 0) return errno;
      if ((size_t)got < length) return COPY_SHORT_READ;
      if (s->kind == SEGMENT_ENCRYPTED &&
          !decrypt_sectors(job->d, at_range + at, at_range + at, length, s->physical + at))
        return COPY_CIPHER_FAILED;
    }
  }
  return 0;
}

/* The job's range (its segments follow one another) into a buffer, then written in its turn. */
static void run_ordered_copy(copy_job *job) {
  const segment *last = &job->segments[job->count - 1];
  uint64_t start = job->segments[0].offset, length = last->offset + last->length - start;
  uint8_t *range = length <= SIZE_MAX ? malloc(length ? (size_t)length : 1) : NULL;
  int error = range ? fill_range(job, range, start) : ENOMEM;
  write_order *order = job->order;
  pthread_mutex_lock(&order->mutex);
  while (error == 0 && !order->abandoned && order->next != start)
    pthread_cond_wait(&order->turn, &order->mutex);
  if (error == 0 && order->abandoned) error = COPY_ABANDONED;
  if (error == 0) {
    if (write_in_order(job->out_fd, range, (size_t)length)) {
      order->next = start + length;
    } else {
      error = errno;
      job->writing = 1;
    }
  }
  if (error != 0) order->abandoned = 1;
  pthread_cond_broadcast(&order->turn);
  pthread_mutex_unlock(&order->mutex);
  job->error = error;
  if (range) {
    /* The buffer held decrypted bytes. */
    memset(range, 0, (size_t)length);
    free(range);
  }
}

static void run_copy_job(napi_env env, void *data) {
  (void)env;
  copy_job *job = data;
  if (job->order) {
    run_ordered_copy(job);
    return;
  }
  uint8_t *block = malloc(COPY_BLOCK);
  if (!block) {
    job->error = ENOMEM;
    return;
  }
  for (size_t i = 0; i < job->count && job->error == 0; i++)
    job->error = copy_segment(job, &job->segments[i], block);
  /* The block held decrypted bytes. */
  memset(block, 0, COPY_BLOCK);
  free(block);
}

static void finish_copy_job(napi_env env, napi_status status, void *data) {
  copy_job *job = data;
  napi_delete_reference(env, job->decryptor_reference);
  if (job->order) napi_delete_reference(env, job->order_reference);
  napi_delete_async_work(env, job->work);
  if (status == napi_ok && job->error == 0) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    const char *code = "KEYHOLD_COPY_CANCELLED", *text = "copy: cancelled";
    if (status == napi_ok && job->error == COPY_SHORT_READ) {
      code = "KEYHOLD_SHORT_READ";
      text = "copy: the image ended before the range";
    } else if (status == napi_ok && job->error == COPY_CIPHER_FAILED) {
      code = "KEYHOLD_CIPHER_FAILED";
      text = "decrypt: OpenSSL failed";
    } else if (status == napi_ok && job->error == COPY_ABANDONED) {
      code = "KEYHOLD_COPY_ABANDONED";
      text = "copy: an earlier range failed";
    } else if (status == napi_ok) {
      /* The caller names the errno value (ENOSPC, EIO...) from os.constants.errno. */
      code = "KEYHOLD_SYSTEM_ERROR";
      text = strerror(job->error);
    }
    napi_value code_value, message, error;
    napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, code_value, message, &error);
    napi_value errno_value;
    if (status == napi_ok && job->error > 0 &&
        napi_create_int32(env, job->error, &errno_value) == napi_ok)
      napi_set_named_property(env, error, "errno", errno_value);
    napi_value syscall;
    if (job->writing &&
        napi_create_string_utf8(env, "write", NAPI_AUTO_LENGTH, &syscall) == napi_ok)
      napi_set_named_property(env, error, "syscall", syscall);
    napi_reject_deferred(env, job->deferred, error);
  }
  free(job->segments);
  free(job);
}

/*
 * copyAsync(decryptor, inFd, outFd, plan: Float64Array, order?): Promise<void>. The plan is
 * [kind, offset, length, physicalOffset] for each segment (kind 0 zeros, 1 stored in the clear,
 * 2 encrypted); encrypted segments must be whole sectors at a sector offset. Without `order`
 * each segment is written at its offset (pwrite); with a write order from createWriteOrder, the
 * segments (one after another, at least one) are written at the output's position once the
 * ranges before them are. One decryptor must not run two calls at once (see decryptAsync).
 */
static napi_value copy_async(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  decryptor *d;
  int32_t in_fd, out_fd;
  napi_typedarray_type type;
  size_t length;
  void *plan;
  write_order *order = NULL;
  napi_valuetype order_type = napi_undefined;
  if (argc < 4 || napi_get_value_external(env, argv[0], (void **)&d) != napi_ok ||
      napi_get_value_int32(env, argv[1], &in_fd) != napi_ok ||
      napi_get_value_int32(env, argv[2], &out_fd) != napi_ok ||
      napi_get_typedarray_info(env, argv[3], &type, &length, &plan, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length % 4 != 0 || in_fd < 0 || out_fd < 0 ||
      (argc > 4 && napi_typeof(env, argv[4], &order_type) != napi_ok) ||
      (order_type != napi_undefined &&
       napi_get_value_external(env, argv[4], (void **)&order) != napi_ok) ||
      (order && length == 0))
    return throw_error(env, "copy: bad arguments");
  copy_job *job = calloc(1, sizeof *job);
  if (!job) return throw_error(env, "copy: out of memory");
  job->d = d;
  job->order = order;
  job->in_fd = in_fd;
  job->out_fd = out_fd;
  job->count = length / 4;
  job->segments = calloc(job->count ? job->count : 1, sizeof(segment));
  if (!job->segments) {
    free(job);
    return throw_error(env, "copy: out of memory");
  }
  const double *values = plan;
  for (size_t i = 0; i < job->count; i++) {
    uint64_t fields[4];
    for (size_t f = 0; f < 4; f++) {
      double number = values[i * 4 + f];
      if (!(number >= 0 && number <= 9007199254740991.0) ||
          (double)(uint64_t)number != number) {
        free(job->segments);
        free(job);
        return throw_error(env, "copy: the plan holds a value that is not a whole number");
      }
      fields[f] = (uint64_t)number;
    }
    segment s = {fields[0], fields[1], fields[2], fields[3]};
    if (s.kind > SEGMENT_ENCRYPTED ||
        (s.kind == SEGMENT_ENCRYPTED &&
         (s.length % d->sector_size != 0 || s.physical % d->sector_size != 0))) {
      free(job->segments);
      free(job);
      return throw_error(env, "copy: encrypted segments need whole sectors at a sector offset");
    }
    /* An ordered copy fills one buffer from its first segment's start to its last one's end. */
    if (order && i > 0 && s.offset != job->segments[i - 1].offset + job->segments[i - 1].length) {
      free(job->segments);
      free(job);
      return throw_error(env, "copy: the plan's segments must follow one another");
    }
    job->segments[i] = s;
  }
  napi_value promise, name;
  if (napi_create_reference(env, argv[0], 1, &job->decryptor_reference) != napi_ok) {
    free(job->segments);
    free(job);
    return throw_error(env, "copy: N-API call failed");
  }
  if (order && napi_create_reference(env, argv[4], 1, &job->order_reference) != napi_ok) {
    napi_delete_reference(env, job->decryptor_reference);
    free(job->segments);
    free(job);
    return throw_error(env, "copy: N-API call failed");
  }
  if (napi_create_string_utf8(env, "keyhold:copy", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, run_copy_job, finish_copy_job, job, &job->work) !=
          napi_ok) {
    napi_delete_reference(env, job->decryptor_reference);
    if (order) napi_delete_reference(env, job->order_reference);
    free(job->segments);
    free(job);
    return throw_error(env, "copy: N-API call failed");
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_reference(env, job->decryptor_reference);
    if (order) napi_delete_reference(env, job->order_reference);
    napi_delete_async_work(env, job->work);
    free(job->segments);
    free(job);
    return throw_error(env, "copy: N-API call failed");
  }
  return promise;
}

static void finalize_write_order(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  write_order *order = data;
  pthread_cond_destroy(&order->turn);
  pthread_mutex_destroy(&order->mutex);
  free(order);
}

/*
 * createWriteOrder(start: number): an ordered output for copyAsync, whose first range starts at
 * logical offset `start`. Its copies must be queued in the order of their offsets, no more of
 * them at once than the thread pool has threads: a copy waiting for its turn holds its thread,
 * and the one it waits for must be running.
 */
static napi_value create_write_order(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  double start;
  if (argc < 1 || napi_get_value_double(env, argv[0], &start) != napi_ok || !(start >= 0) ||
      start > 9007199254740991.0 || (double)(uint64_t)start != start)
    return throw_error(env, "createWriteOrder: needs the first range's offset");
  write_order *order = calloc(1, sizeof *order);
  if (!order) return throw_error(env, "createWriteOrder: out of memory");
  if (pthread_mutex_init(&order->mutex, NULL) != 0) {
    free(order);
    return throw_error(env, "createWriteOrder: out of memory");
  }
  if (pthread_cond_init(&order->turn, NULL) != 0) {
    pthread_mutex_destroy(&order->mutex);
    free(order);
    return throw_error(env, "createWriteOrder: out of memory");
  }
  order->next = (uint64_t)start;
  napi_value result;
  if (napi_create_external(env, order, finalize_write_order, NULL, &result) != napi_ok) {
    finalize_write_order(env, order, NULL);
    return throw_error(env, "createWriteOrder: N-API call failed");
  }
  return result;
}
#endif

NAPI_MODULE_INIT() {
  napi_value sha_instructions;
  if (napi_get_boolean(env, sha256_chain_shani_available(), &sha_instructions) != napi_ok)
    return NULL;
  napi_property_descriptor properties[] = {
      /* Whether this CPU runs the key stretch on its SHA instructions (sha256-chain.c). */
      {"shaInstructions", NULL, NULL, NULL, NULL, sha_instructions, napi_enumerable, NULL},
      {"stretchKey", NULL, stretch_key, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createDecryptor", NULL, create_decryptor, NULL, NULL, NULL, napi_enumerable, NULL},
      {"decrypt", NULL, decrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"decryptAsync", NULL, decrypt_async, NULL, NULL, NULL, napi_enumerable, NULL},
#ifndef _WIN32
      {"copyAsync", NULL, copy_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createWriteOrder", NULL, create_write_order, NULL, NULL, NULL, napi_enumerable, NULL},
#endif
  };
  size_t count = sizeof properties / sizeof properties[0];
  if (napi_define_properties(env, exports, count, properties) != napi_ok) return NULL;
  return exports;
}
