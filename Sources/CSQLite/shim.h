#ifndef PEDIGREE_CSQLITE_SHIM_H
#define PEDIGREE_CSQLITE_SHIM_H

#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro, invisible to Swift: SQLite copies the bound bytes. */
static inline sqlite3_destructor_type pedigree_sqlite_transient(void) { return SQLITE_TRANSIENT; }

#ifdef __linux__
/* statfs(2), which Swift's Glibc module leaves out: the digest cache asks which file system
   holds a file before trusting its change time (PedigreeKit/Platform/FileStamp.swift). */
#include <sys/vfs.h>
#endif

#endif
