#ifndef CHARNN_CICU_H
#define CHARNN_CICU_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Normalizes UTF-16 text to NFC.
/// Returns the number of UTF-16 units written to `dest` (which may exceed `destCapacity`,
/// in which case call again with a larger buffer), or -1 on an ICU error.
int32_t cicu_nfc_normalize(const uint16_t *src, int32_t srcLength,
                           uint16_t *dest, int32_t destCapacity);

/// Length of the leading span of `src` that is certainly already in NFC
/// (ICU's `unorm2_spanQuickCheckYes`), or -1 on an ICU error.
int32_t cicu_nfc_span_quick_check_yes(const uint16_t *src, int32_t srcLength);

#ifdef __cplusplus
}
#endif
#endif
