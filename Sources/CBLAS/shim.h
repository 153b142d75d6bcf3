#ifndef CHARNN_CBLAS_SHIM_H
#define CHARNN_CBLAS_SHIM_H
#include <cblas.h>
#endif
