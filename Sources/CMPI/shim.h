/* MPI's C API for Swift, plus accessors for the predefined handles Swift cannot import.
 *
 * Open MPI defines MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, … as macros that take the address of an
 * incomplete struct (`((MPI_Comm) &ompi_mpi_comm_world)`); MPICH defines them as casts of integer
 * constants and MPI_IN_PLACE as `(void *) -1`. Swift's importer takes neither kind of macro, so each
 * handle gets a `static inline` function here: the expression is compiled by clang against whichever
 * <mpi.h> is installed, and the same Swift code serves both implementations. On the Swift side the
 * handle types stay opaque (`MPI_Comm` is a pointer in Open MPI and an `Int32` in MPICH): never
 * depend on which. */
#ifndef CHARNN_CMPI_SHIM_H
#define CHARNN_CMPI_SHIM_H

/* C bindings only: neither implementation's C++ bindings belong in a C module. */
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

static inline MPI_Comm cmpi_comm_world(void) { return MPI_COMM_WORLD; }

static inline MPI_Datatype cmpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype cmpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype cmpi_int(void) { return MPI_INT; }
static inline MPI_Datatype cmpi_byte(void) { return MPI_BYTE; }

static inline MPI_Op cmpi_sum(void) { return MPI_SUM; }
static inline MPI_Op cmpi_max(void) { return MPI_MAX; }
static inline MPI_Op cmpi_min(void) { return MPI_MIN; }

/* The send-buffer marker of in-place collectives: 1 in Open MPI, -1 in MPICH. */
static inline const void *cmpi_in_place(void) { return MPI_IN_PLACE; }

/* Errors come back as return codes instead of killing the job from inside the library. */
static inline MPI_Errhandler cmpi_errors_return(void) { return MPI_ERRORS_RETURN; }

static inline int cmpi_success(void) { return MPI_SUCCESS; }
static inline int cmpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int cmpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }

#endif
