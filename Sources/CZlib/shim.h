#include <zlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// CRC-32C (Castagnoli), for the audit staging's frames: the SSE4.2 instruction takes eight bytes a step
// where zlib's table-driven CRC-32 took one (about 1,200 instructions for a read's record, on the event
// loop). Bitwise where the instruction is missing; the staging's records are a few hundred bytes.
static inline uint32_t coffer_crc32c_portable(uint32_t crc, const unsigned char *bytes, size_t count) {
    crc = ~crc;
    while (count--) {
        crc ^= *bytes++;
        for (int bit = 0; bit < 8; bit++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static inline uint32_t coffer_crc32c_sse42(uint32_t crc, const unsigned char *bytes, size_t count) {
    uint64_t state = ~crc & 0xFFFFFFFFu;
    while (count >= 8) {
        uint64_t word;
        memcpy(&word, bytes, 8);
        state = __builtin_ia32_crc32di(state, word);
        bytes += 8;
        count -= 8;
    }
    uint32_t narrow = (uint32_t)state;
    while (count--) narrow = __builtin_ia32_crc32qi(narrow, *bytes++);
    return ~narrow;
}
#endif

/// CRC-32C of `count` bytes, continuing from `crc` (0 to start).
static inline uint32_t coffer_crc32c(uint32_t crc, const void *bytes, size_t count) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return coffer_crc32c_sse42(crc, (const unsigned char *)bytes, count);
#endif
    return coffer_crc32c_portable(crc, (const unsigned char *)bytes, count);
}
