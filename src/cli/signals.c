/* The program's signal handler: an interrupted run leaves no temporary
 * output file behind.  The library installs no handler (sigprop(3)); it
 * keeps the registry that sp_outfile_remove_pending() empties.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_signal(int sig)
{
  sp_outfile_remove_pending(); /* unlink(2) only: async-signal-safe */
  _exit(128 + sig);
}

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

void cli_signals_set(sigset_t *set)
{
  sigemptyset(set);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    sigaddset(set, sigs[i]);
}

void cli_signals_install(void)
{
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct sigaction old, sa;
    if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
      continue; /* e.g. nohup: an ignored signal stays ignored */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); /* no second handler on top of the first */
    sigaction(sigs[i], &sa, NULL);
  }
}
