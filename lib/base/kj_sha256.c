/*
 * kj_sha256.c — SHA-256 (FIPS 180-4, section 6.2), fed in pieces: the code
 * cache's keys and its entries' checksums (kj_cache.c).  Written from the
 * standard; its test vectors are checked by tests/api/test_cache_store.c.
 *
 * On x86-64 CPUs with the SHA extensions a block takes their instructions
 * (sha256rnds2 does two rounds, sha256msg1/2 the message schedule): about
 * five times faster, which a warm run feels (every cache entry read is
 * checked; the SQL engine's run hashed for 27 ms of its 290).
 *
 * Layer base (lib/LAYERS): calls nothing of libkjit.
 */
#include <stdatomic.h>
#include <string.h>

#include "base/kj_cache.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* The first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes (4.2.2). */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One 64-byte block into the state (6.2.2). */
static void block_c(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
               (uint32_t)p[4 * t + 2] << 8 | p[4 * t + 3];
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = ROR(w[t - 15], 7) ^ ROR(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = ROR(w[t - 2], 17) ^ ROR(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int t = 0; t < 64; t++) {
        uint32_t s1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25), ch = (e & f) ^ (~e & g);
        uint32_t t1 = k + s1 + ch + K[t] + w[t];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

#if defined(__x86_64__)
/* The same with the SHA extensions.  They keep the state as two vectors,
 * ABEF and CDGH (a in the highest lane), and take the message four words at
 * a time, K added. */
__attribute__((target("sha,ssse3,sse4.1"))) static void block_ni(uint32_t h[8],
                                                                 const uint8_t *p) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    __m128i dcba = _mm_loadu_si128((const __m128i *)h);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(h + 4));
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
    __m128i abef0 = abef, cdgh0 = cdgh, w[4];
    for (int i = 0; i < 16; i++) { /* rounds 4i .. 4i+3 */
        __m128i m;
        if (i < 4) {
            m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), bswap);
        } else { /* W[t] from W[t-16], W[t-15], W[t-7] and W[t-2] (6.2.2, step 1) */
            m = _mm_sha256msg1_epu32(w[i & 3], w[(i - 3) & 3]);
            m = _mm_add_epi32(m, _mm_alignr_epi8(w[(i - 1) & 3], w[(i - 2) & 3], 4));
            m = _mm_sha256msg2_epu32(m, w[(i - 1) & 3]);
        }
        w[i & 3] = m;
        __m128i wk = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)(K + 4 * i)));
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef0);
    cdgh = _mm_add_epi32(cdgh, cdgh0);
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

static int have_sha_ni(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1)) return 0;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_SHA);
}
#endif

/* Which: 0 not chosen yet, 1 C, 2 the SHA extensions. */
static _Atomic int which;

void kj_sha256_portable(int on) { atomic_store(&which, on ? 1 : 0); }

static void block(uint32_t h[8], const uint8_t *p) {
    int w = atomic_load_explicit(&which, memory_order_relaxed);
#if defined(__x86_64__)
    if (!w) atomic_store(&which, w = have_sha_ni() ? 2 : 1);
    if (w == 2) {
        block_ni(h, p);
        return;
    }
#else
    (void)w;
#endif
    block_c(h, p);
}

void kj_sha256_init(kj_sha256 *s) {
    /* The fractional parts of the square roots of the first 8 primes (5.3.3). */
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->len = 0;
    s->n = 0;
}

void kj_sha256_add(kj_sha256 *s, const void *p, size_t n) {
    const uint8_t *q = p;
    if (!n) return; /* p may be NULL then */
    s->len += n;
    if (s->n) { /* top up the waiting block first */
        size_t take = 64 - s->n < n ? 64 - s->n : n;
        memcpy(s->buf + s->n, q, take);
        s->n += take, q += take, n -= take;
        if (s->n < 64) return;
        block(s->h, s->buf);
        s->n = 0;
    }
    for (; n >= 64; q += 64, n -= 64) block(s->h, q);
    memcpy(s->buf, q, n);
    s->n = n;
}

void kj_sha256_done(kj_sha256 *s, uint8_t out[32]) {
    /* Padding (5.1.1): a 1 bit, zeros to 56 bytes mod 64, the length in bits
     * as 64 bits big-endian. */
    uint64_t bits = s->len * 8;
    s->buf[s->n++] = 0x80;
    if (s->n > 56) {
        memset(s->buf + s->n, 0, 64 - s->n);
        block(s->h, s->buf);
        s->n = 0;
    }
    memset(s->buf + s->n, 0, 56 - s->n);
    for (int i = 0; i < 8; i++) s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    block(s->h, s->buf);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}
