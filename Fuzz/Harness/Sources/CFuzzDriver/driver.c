// The declaration in include/CFuzzDriver.h is all this target provides; the
// definition is in libFuzzer (linked through -sanitize=fuzzer).
#include "CFuzzDriver.h"
