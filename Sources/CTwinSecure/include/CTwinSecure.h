// C shim for TwinSecure. Linux's O_TMPFILE and AT_EMPTY_PATH are glibc macros
// defined only under _GNU_SOURCE, which Swift's Glibc module does not set, and
// O_TMPFILE's value differs between architectures (__O_TMPFILE | O_DIRECTORY,
// and O_DIRECTORY is 0200000 on x86-64 but 040000 on AArch64). shim.c is
// compiled with _GNU_SOURCE and returns glibc's own values; 0 where the
// platform has none (TwinSecure then writes under a temporary name).
#ifndef TWINSIM_CTWINSECURE_H
#define TWINSIM_CTWINSECURE_H

/// O_TMPFILE: open(FOLDER, O_TMPFILE | O_WRONLY, mode) makes a file without a name.
int twin_secure_o_tmpfile(void);

/// AT_EMPTY_PATH: linkat(fd, "", ...) links the file fd refers to
/// (needs CAP_DAC_READ_SEARCH; /proc/self/fd/N with AT_SYMLINK_FOLLOW does not).
int twin_secure_at_empty_path(void);

#endif
