#!/bin/sh
# A trainability diagram on a Slurm cluster: one MPI rank per node, each
# with the node's processors as threads; the grid rows are handed out to
# the ranks as they ask, and rank 0 writes the files -- the same bytes as
# one process would.  Submit with
#     sbatch figures/slurm_diagram.sh
# (sigprop built with -Dmpi on Open MPI and on PATH on every node; the
# folder shared between the nodes).  Open MPI's mpirun reads the nodes
# from Slurm; `srun --mpi=pmix sigprop ...` starts the same job where
# Slurm has PMIx.  -q keeps Open MPI's own notices out of the log: a
# failure is then the one line "sigprop: ...", and no file is written.
# SPDX-License-Identifier: GPL-3.0-or-later
#SBATCH --job-name=sigprop-diagram
#SBATCH --nodes=4
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32
#SBATCH --time=01:00:00
#SBATCH --output=sigprop-diagram-%j.log

set -eu
threads=${SLURM_CPUS_PER_TASK:-1}
# Finite-T attention statistics (T = 256), 801 x 801 points, 60 blocks.
mpirun -q --map-by ppr:1:node --bind-to none \
  sigprop diagram --threads "$threads" --attention-stats finite --tokens 256 \
  --x beta:0:5:801 --y alpha-sa:0:5:801 \
  -o diagram-801.png -o diagram-801.pdf -o diagram-801.csv --curves diagram-801-curves.csv
