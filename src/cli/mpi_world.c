/* The ranks of an MPI run: starting MPI only under a launcher, one voice
 * (rank 0) for standard output and errors, the start of each piece of
 * work and the end of the run, both said by rank 0, and a failure of
 * another rank told to rank 0.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <fcntl.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int world_on; /* MPI_Init_thread was called */
static int world_rank, world_size = 1;
static int world_told;  /* this rank's failure was sent to rank 0 */
static int world_ended; /* rank 0's end of the run was received */

/* Launchers set one of these in every process they start: Open MPI's
 * mpirun, MPICH's hydra and PMI, PMIx (srun --mpi=pmix). */
static int launched(void)
{
  static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK",
                                     "PMI_RANK"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    if (getenv(vars[i]))
      return 1;
  return 0;
}

void cli_mpi_init(int *argc, char ***argv)
{
  if (!launched())
    return; /* a plain process: exactly as without MPI */
  int provided;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
    return;
  world_on = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world_size);
  if (world_rank > 0) {
    /* One copy of the results (-o -, --help): rank 0's. */
    fflush(stdout);
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      close(fd);
    }
  }
}

int cli_mpi_rank(void)
{
  return world_rank;
}

int cli_mpi_size(void)
{
  return world_size;
}

int cli_mpi_is_root(void)
{
  return world_rank == 0;
}

int cli_mpi_single(const char *what)
{
  if (world_size <= 1)
    return CLI_OK;
  return cli_error(CLI_USAGE, "%s: runs in one process (MPI spreads diagram, simulate, "
                   "validate and train --grid-x); start it without mpirun", what);
}

int cli_mpi_command(const char *name)
{
  static const char *const spread[] = {"diagram", "simulate", "validate", "train"};
  for (size_t i = 0; i < sizeof spread / sizeof spread[0]; i++)
    if (strcmp(name, spread[i]) == 0)
      return CLI_OK;
  return cli_mpi_single(name);
}

void cli_mpi_abort(int code, const char *text)
{
  /* No output file of this run is left behind: they are all still
   * temporary (committed only after the work), and rank 0 holds them. */
  sp_outfile_remove_pending();
  cli_print_line(stderr, "sigprop: ", text && *text ? text : "failed");
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code ? code : CLI_FAIL);
  _exit(code ? code : CLI_FAIL); /* not reached */
}

void cli_mpi_wait(int source, int tag)
{
  int flag = 0;
  struct timespec ms = {0, 1000000};
  for (;;) {
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &flag, MPI_STATUS_IGNORE);
    if (flag)
      return;
    nanosleep(&ms, NULL);
  }
}

/* Wait for rank 0's next word, TAG_GO or TAG_FINAL; returns its tag. */
static int wait_root(void)
{
  int flag = 0, tag;
  MPI_Status st;
  struct timespec ms = {0, 1000000};
  for (;;) {
    MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
    if (flag && (st.MPI_TAG == CLI_MPI_TAG_GO || st.MPI_TAG == CLI_MPI_TAG_FINAL))
      break;
    nanosleep(&ms, NULL);
  }
  tag = st.MPI_TAG;
  int v;
  MPI_Recv(&v, 1, MPI_INT, 0, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  world_ended |= tag == CLI_MPI_TAG_FINAL;
  return tag;
}

int cli_mpi_start(void)
{
  if (world_size <= 1)
    return CLI_OK;
  if (world_rank == 0) {
    int go = 0;
    for (int r = 1; r < world_size; r++)
      MPI_Send(&go, 1, MPI_INT, r, CLI_MPI_TAG_GO, MPI_COMM_WORLD);
    return CLI_OK;
  }
  /* Rank 0 may have stopped before this work (bad input, an output it
   * cannot write, a failure of its own): the run is over. */
  return world_ended || wait_root() == CLI_MPI_TAG_FINAL ? CLI_MPI_DONE : CLI_OK;
}

int cli_mpi_tell(int code)
{
  if (world_size <= 1 || world_rank == 0 || world_told || world_ended)
    return code;
  char text[CLI_MPI_TEXT_MAX];
  snprintf(text, sizeof text, "%s", cli_error_message());
  unsigned long long head[CLI_MPI_HEAD_N] = {CLI_MPI_ASK_FAIL, (unsigned long long)code, 0, 0,
                                             0};
  MPI_Send(head, CLI_MPI_HEAD_N, MPI_UNSIGNED_LONG_LONG, 0, CLI_MPI_TAG_ASK, MPI_COMM_WORLD);
  MPI_Send(text, CLI_MPI_TEXT_MAX, MPI_CHAR, 0, CLI_MPI_TAG_TEXT, MPI_COMM_WORLD);
  world_told = 1;
  return code;
}

int cli_mpi_end(int rc)
{
  if (!world_on)
    return rc;
  if (world_size > 1 && world_rank == 0) {
    /* The others (done, or waiting for work that will not come) leave
     * only now: a rank's early exit must not cut rank 0's message short. */
    for (int r = 1; r < world_size; r++)
      MPI_Send(&rc, 1, MPI_INT, r, CLI_MPI_TAG_FINAL, MPI_COMM_WORLD);
  } else if (world_size > 1) {
    /* A failure before the work reaches rank 0 here (it ends the job);
     * after its own report rank 0 releases this rank. */
    if (rc != CLI_OK && rc != CLI_MPI_DONE)
      cli_mpi_tell(rc);
    while (!world_ended)
      if (wait_root() == CLI_MPI_TAG_GO) { /* work this rank has no part in */
        unsigned long long head[CLI_MPI_HEAD_N] = {CLI_MPI_ASK_LEAVE, 0, 0, 0, 0};
        MPI_Send(head, CLI_MPI_HEAD_N, MPI_UNSIGNED_LONG_LONG, 0, CLI_MPI_TAG_ASK,
                 MPI_COMM_WORLD);
      }
    rc = CLI_OK; /* the job's status is rank 0's */
  }
  MPI_Finalize();
  return rc == CLI_MPI_DONE ? CLI_OK : rc;
}
