// C shim for parallel HDF5 (Debian's libhdf5-openmpi-dev). HDF5's type and
// property-list handles are macros that read *_g globals after H5open(); Swift
// cannot import them, and reading the globals directly skips H5open. Each is
// wrapped in a static inline function. Only HDF5Kit imports this module.
//
// The headers are Debian's parallel ones, named by their path (the serial HDF5's
// headers live elsewhere); HDF5Kit links the static library libhdf5_openmpi.a
// (Package.swift says why).
#ifndef TWINSIM_CHDF5_SHIM_H
#define TWINSIM_CHDF5_SHIM_H

#include <hdf5/openmpi/hdf5.h>
#include <hdf5/openmpi/hdf5_hl.h>

#ifndef H5_HAVE_PARALLEL
#error "twin-sim needs the parallel (MPI) build of HDF5: install libhdf5-openmpi-dev (headers in /usr/include/hdf5/openmpi), never the serial hdf5"
#endif

static inline hid_t twin_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t twin_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t twin_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t twin_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t twin_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t twin_h5t_c_s1(void) { return H5T_C_S1; }

static inline hid_t twin_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t twin_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t twin_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t twin_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t twin_h5t_std_u8le(void) { return H5T_STD_U8LE; }

static inline hid_t twin_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t twin_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t twin_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t twin_h5p_dataset_xfer(void) { return H5P_DATASET_XFER; }
static inline hid_t twin_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
static inline hid_t twin_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t twin_h5p_default(void) { return H5P_DEFAULT; }

static inline unsigned twin_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned twin_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned twin_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned twin_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }

static inline hsize_t twin_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline hid_t twin_h5s_all(void) { return H5S_ALL; }
static inline hid_t twin_h5e_default(void) { return H5E_DEFAULT; }

/// Turns off HDF5's automatic printing of its error stack; errors are
/// reported through Swift errors instead.
static inline herr_t twin_h5_silence_errors(void) {
  return H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

/// Opens a file-access property list for MPI-IO on the given communicator.
static inline hid_t twin_h5_fapl_mpio(MPI_Comm comm) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return fapl;
  if (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
    H5Pclose(fapl);
    return -1;
  }
  return fapl;
}

/// A dataset-transfer property list for collective MPI-IO transfers.
static inline hid_t twin_h5_dxpl_collective(void) {
  hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  if (dxpl < 0) return dxpl;
  if (H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE) < 0) {
    H5Pclose(dxpl);
    return -1;
  }
  return dxpl;
}

#endif
