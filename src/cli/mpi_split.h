/* Spreading a command's work over MPI ranks (mpirun -n N sigprop ...):
 * the run's ranks (mpi_world.c) and the dynamic hand-out of work items
 * (mpi_farm.c).  Built only with meson's -Dmpi feature; without it, and in
 * a process not started by an MPI launcher, every run is one rank and these
 * calls do what a single process does.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CLI_MPI_SPLIT_H
#define SIGPROP_CLI_MPI_SPLIT_H

#include "sigprop.h"

#include <stddef.h>

/* Returned by a command on a rank other than 0 once its share of the work
 * is done and handed to rank 0: nothing more to do, not an error (main
 * turns it into exit status 0). */
enum { CLI_MPI_DONE = 100 };

/* Work items 0 .. n - 1, each with a result of item_bytes bytes; a
 * command fills this and calls cli_farm_run(). */
typedef struct {
  size_t n, item_bytes;
  /* Items first .. first + count - 1 are computed with each call at least
   * `grain` of them (when that many are left), e.g. a rank's threads. */
  size_t grain;
  /* Compute items first .. first + count - 1 into this process's results;
   * CLI_OK, or an error code after recording the error (cli_error).  On
   * rank 0 it runs on a thread of its own (it must not call MPI). */
  int (*compute)(void *ctx, size_t first, size_t count);
  /* The results of items first .. first + count - 1 after compute(),
   * contiguous. */
  const void *(*result)(void *ctx, size_t first);
  /* Rank 0: store the results of items first .. first + count - 1 made by
   * another rank (`bytes` holds count * item_bytes).  Runs on the calling
   * thread while compute() runs on another: it must touch other items. */
  int (*store)(void *ctx, size_t first, size_t count, const void *bytes);
  void *ctx;
  const char *what; /* the progress line's name, "diagram" */
  int progress;     /* show a progress line on rank 0 */
} cli_farm;

/* Sweep diagram d (as sp_diagram_sweep), its rows spread over the ranks
 * and gathered on rank 0; the progress line (when `progress`) from rank 0.
 * CLI_OK, CLI_MPI_DONE on ranks other than 0, or a recorded error
 * ("WHAT: ..."); diagram_split.c. */
int cli_diagram_sweep(sp_diagram *d, const char *what, int progress);

/* The error message recorded so far ("" when none; main.c). */
const char *cli_error_message(void);

#ifdef SP_HAVE_MPI

/* Start MPI when an MPI launcher started the process (mpirun, srun):
 * MPI_Init_thread with MPI_THREAD_FUNNELED, standard output of ranks other
 * than 0 sent to /dev/null.  Otherwise (and with one rank) nothing. */
void cli_mpi_init(int *argc, char ***argv);

/* This process's rank and the number of ranks (0 and 1 without MPI). */
int cli_mpi_rank(void);
int cli_mpi_size(void);

/* At the end of the run, rank 0 after its report: rank 0 releases the
 * others; another rank tells rank 0 of a failure of its own (one before
 * the work, e.g. a file it could not read) and waits to be released.  MPI
 * is finalised.  Returns the exit status: rc on rank 0, 0 on the others. */
int cli_mpi_end(int rc);

/* Rank 0 or a single process: 1. */
int cli_mpi_is_root(void);

/* Refuse a command that does not spread its work (recorded usage error)
 * when there are several ranks; CLI_OK otherwise. */
int cli_mpi_single(const char *what);

/* cli_mpi_single for the commands that do not spread their work (all but
 * diagram, simulate, validate and train, which checks --grid-x itself). */
int cli_mpi_command(const char *name);

/* Run the farm: rank 0 hands chunks of items out on request (guided:
 * half the remaining share of a rank, at least grain), computes its own on
 * a thread, and stores the results the others send back.  Returns CLI_OK
 * on rank 0 with every result stored, CLI_MPI_DONE on the other ranks, or
 * a recorded error.  When rank 0 has ended the run before this work (bad
 * input, an output it cannot write), the others return CLI_MPI_DONE here.
 * A failure during the work, or of another rank before it, ends the job
 * from rank 0: pending output files removed, the failing rank's message
 * printed, MPI_Abort with its status. */
int cli_farm_run(const cli_farm *f);

/* Internal to mpi_world.c and mpi_farm.c.  Messages: a request to rank 0
 * (TAG_ASK, CLI_MPI_HEAD_N numbers: kind, code, first, count, grain), a
 * failure's text (TAG_TEXT, CLI_MPI_TEXT_MAX bytes), rank 0's word that
 * a piece of work starts (TAG_GO) or that the run is over (TAG_FINAL). */
enum { CLI_MPI_TAG_ASK = 31, CLI_MPI_TAG_TEXT = 33, CLI_MPI_TAG_GO = 40, CLI_MPI_TAG_FINAL = 41 };
enum { CLI_MPI_ASK_READY, CLI_MPI_ASK_RESULT, CLI_MPI_ASK_FAIL, CLI_MPI_ASK_LEAVE };
enum { CLI_MPI_HEAD_N = 5, CLI_MPI_TEXT_MAX = 1024 };
/* The start of a piece of work: rank 0 tells the others; they wait for
 * that, or for the end of the run (CLI_MPI_DONE then). */
int cli_mpi_start(void);
/* Another rank than 0: tell rank 0 of this rank's failure `code` (the
 * recorded message), once; rank 0 ends the job.  Returns code. */
int cli_mpi_tell(int code);
/* Rank 0: the end of a run in progress after a failure (never returns). */
void cli_mpi_abort(int code, const char *text);
/* Wait without spinning until a message from `source` with `tag` is there. */
void cli_mpi_wait(int source, int tag);

#else

static inline void cli_mpi_init(int *argc, char ***argv) { (void)argc; (void)argv; }
static inline int cli_mpi_rank(void) { return 0; }
static inline int cli_mpi_size(void) { return 1; }
static inline int cli_mpi_is_root(void) { return 1; }
static inline int cli_mpi_single(const char *what) { (void)what; return 0; }
static inline int cli_mpi_command(const char *name) { (void)name; return 0; }
static inline int cli_mpi_end(int rc) { return rc; }
static inline int cli_farm_run(const cli_farm *f) { return f->compute(f->ctx, 0, f->n); }

#endif

#endif
