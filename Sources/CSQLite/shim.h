#ifndef PEDIGREE_CSQLITE_SHIM_H
#define PEDIGREE_CSQLITE_SHIM_H

#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro, invisible to Swift: SQLite copies the bound bytes. */
static inline sqlite3_destructor_type pedigree_sqlite_transient(void) { return SQLITE_TRANSIENT; }

#ifdef __linux__
/* statfs(2), which Swift's Glibc module leaves out: the digest cache asks which file system
   holds a file before trusting its change time (PedigreeKit/Platform/FileStamp.swift). */
#include <sys/vfs.h>
/* mallopt(3), also outside Swift's Glibc module: `sign` keeps large freed blocks for reuse
   (PedigreeKit/Platform/Allocator.swift). */
#include <malloc.h>
/* sync_file_range(2), declared by <fcntl.h> only under _GNU_SOURCE (this is glibc's own
   declaration): an atomic write starts the writeback of what it has written while it writes
   the rest, so the final fsync waits for less (PedigreeKit/Platform/AtomicFile.swift). */
#include <sys/types.h>
extern int sync_file_range(int __fd, __off64_t __offset, __off64_t __count, unsigned int __flags);
/* SYNC_FILE_RANGE_WRITE: start writing back dirty pages of the range, wait for nothing. */
static inline int pedigree_start_writeback(int fd, long long offset, long long count) {
    return sync_file_range(fd, offset, count, 2);
}
#endif

#endif
