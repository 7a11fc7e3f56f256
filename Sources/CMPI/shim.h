// C shim for OpenMPI. Swift cannot import OpenMPI's handle macros
// (MPI_COMM_WORLD, MPI_DOUBLE, MPI_SUM, ...): each is wrapped here in a
// static inline function. Only MPIKit imports this module.
#ifndef TWINSIM_CMPI_SHIM_H
#define TWINSIM_CMPI_SHIM_H

#include <mpi.h>

static inline MPI_Comm twin_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm twin_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Info twin_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline MPI_Errhandler twin_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }

static inline MPI_Datatype twin_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype twin_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype twin_mpi_int32(void) { return MPI_INT32_T; }
static inline MPI_Datatype twin_mpi_uint8(void) { return MPI_UINT8_T; }
static inline MPI_Datatype twin_mpi_byte(void) { return MPI_BYTE; }

static inline MPI_Op twin_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op twin_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op twin_mpi_min(void) { return MPI_MIN; }

static inline void *twin_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request twin_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *twin_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }

static inline int twin_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }

#endif
