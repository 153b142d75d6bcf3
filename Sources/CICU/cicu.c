#include "cicu.h"

#if defined(__APPLE__)
// Apple platforms normalize through Foundation; these entry points are never called there.
int32_t cicu_nfc_normalize(const uint16_t *src, int32_t srcLength, uint16_t *dest, int32_t destCapacity) {
    (void)src; (void)srcLength; (void)dest; (void)destCapacity; return -1;
}
int32_t cicu_nfc_span_quick_check_yes(const uint16_t *src, int32_t srcLength) {
    (void)src; (void)srcLength; return -1;
}
#else
#include <unicode/unorm2.h>

static const UNormalizer2 *nfc(UErrorCode *status) {
    return unorm2_getNFCInstance(status);
}

int32_t cicu_nfc_normalize(const uint16_t *src, int32_t srcLength, uint16_t *dest, int32_t destCapacity) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *n = nfc(&status);
    if (U_FAILURE(status)) return -1;
    int32_t written = unorm2_normalize(n, (const UChar *)src, srcLength, (UChar *)dest, destCapacity, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) return written;
    if (U_FAILURE(status)) return -1;
    return written;
}

int32_t cicu_nfc_span_quick_check_yes(const uint16_t *src, int32_t srcLength) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2 *n = nfc(&status);
    if (U_FAILURE(status)) return -1;
    int32_t span = unorm2_spanQuickCheckYes(n, (const UChar *)src, srcLength, &status);
    if (U_FAILURE(status)) return -1;
    return span;
}
#endif
