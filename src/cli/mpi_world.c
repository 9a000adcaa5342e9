/* The ranks of an MPI run: starting MPI only under a launcher, one voice
 * (rank 0) for standard output and errors, agreeing on a failure, and the
 * end of the run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <fcntl.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { TAG_FINAL = 41 };

static int world_on;     /* MPI_Init_thread was called */
static int world_rank, world_size = 1;
static int world_agreed; /* cli_mpi_agree has run (the farm started) */

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

/* Every rank's status: the largest code wins, and the message of the
 * lowest rank with that failure is recorded on every rank.  Collective. */
static int agree_text(int rc, char *text, size_t size)
{
  int code = rc, worst = 0;
  MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (!worst)
    return CLI_OK;
  int mine = rc == worst ? world_rank : world_size, first = 0;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  char msg[1024] = "";
  if (world_rank == first)
    snprintf(msg, sizeof msg, "%s", text);
  MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, first, MPI_COMM_WORLD);
  if (world_rank != first)
    snprintf(text, size, "%s", msg);
  return worst;
}

int cli_mpi_agree(int rc)
{
  world_agreed = 1;
  if (world_size <= 1)
    return rc;
  char text[1024];
  snprintf(text, sizeof text, "%s", cli_error_message());
  int worst = agree_text(rc, text, sizeof text);
  if (worst && !rc)
    cli_error(worst, "%s", text);
  return worst;
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

/* Wait for a message without spinning a processor (a blocking receive
 * polls): probe every millisecond. */
static void wait_message(int source, int tag)
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

int cli_mpi_finish(int rc, char *text, size_t size)
{
  if (!world_on || world_size <= 1 || world_agreed)
    return rc;
  /* No work was handed out here: bad input is caught on every rank alike,
   * or one rank failed alone (a file it cannot read or write) while the
   * others wait at the start of the work; all agree on the first failure,
   * which rank 0 reports. */
  world_agreed = 1;
  return agree_text(rc == CLI_MPI_DONE ? CLI_OK : rc, text, size);
}

int cli_mpi_end(int rc)
{
  if (!world_on)
    return rc;
  if (world_size > 1 && world_rank == 0) {
    /* The others wait until rank 0 has written and said what it has to
     * say: a rank's early exit must not cut rank 0's message short. */
    for (int r = 1; r < world_size; r++)
      MPI_Send(&rc, 1, MPI_INT, r, TAG_FINAL, MPI_COMM_WORLD);
  } else if (world_size > 1) {
    wait_message(0, TAG_FINAL);
    MPI_Recv(&rc, 1, MPI_INT, 0, TAG_FINAL, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    rc = CLI_OK; /* the job's status is rank 0's */
  }
  MPI_Finalize();
  return rc == CLI_MPI_DONE ? CLI_OK : rc;
}

void cli_mpi_wait(int source, int tag)
{
  wait_message(source, tag);
}
