/* Generators of the command-line fuzz suite: a deterministic random source,
 * the values of each kind of option, the input files of each kind, and the
 * command lines of every sigprop command.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef FUZZ_GEN_H
#define FUZZ_GEN_H

#include <stddef.h>
#include <stdint.h>

/* xoshiro-style generator state (splitmix64 seeding): deterministic for a
 * seed, independent of the platform's rand(). */
typedef struct {
  uint64_t s;
} fz_rng;

void fz_seed(fz_rng *r, uint64_t seed);
uint64_t fz_next(fz_rng *r);
/* Uniform integer in [0, n). */
size_t fz_below(fz_rng *r, size_t n);

/* A generated command line: argv[0] is the program, the strings are owned
 * by the arena. */
#define FZ_MAXARG 48
typedef struct {
  char *argv[FZ_MAXARG + 1];
  int argc;
  char arena[16384];
  size_t used;
} fz_cmdline;

/* A generator of one kind of input file: writes a file into directory
 * `dir` named `name` (e.g. a mutated preset).  Returns 0, or -1 when the
 * file cannot be written.  `base` is the text it mutates (may be NULL). */
typedef struct {
  const char *kind;      /* "preset"; later "config", "safetensors" */
  const char *extension; /* ".preset" */
  int (*make)(fz_rng *r, const char *dir, const char *name, const char *const *bases,
              size_t nbases);
} fz_file_kind;

/* The file kinds known to the suite (preset now; a config JSON and a
 * safetensors header generator are added to this table as those readers
 * land). */
extern const fz_file_kind fz_file_kinds[];
extern const size_t fz_nfile_kinds;

/* Fill `c` with a command line for one sigprop command chosen by r: the
 * program path, the command, then options with generated values.  Files an
 * option needs are generated into `dir` (bases: texts to mutate). */
void fz_generate(fz_rng *r, const char *program, const char *dir, const char *const *bases,
                 size_t nbases, fz_cmdline *c);

/* Escape `s` for a one-line report (\n, \xHH) into buf. */
void fz_escape(const char *s, char *buf, size_t size);

#endif
