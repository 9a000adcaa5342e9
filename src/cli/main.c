/* sigprop: the program's entry point.  The only place that prints errors
 * and chooses the exit status.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char error_text[1024];
static int error_code; /* code of the first recorded error */
static const char *help_text, *help_more;
const char *cli_command_line = "";

int cli_error(int code, const char *fmt, ...)
{
  if (!error_text[0]) {
    error_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error_text, sizeof error_text, fmt, ap);
    va_end(ap);
  }
  return code;
}

void cli_set_help(const char *text, const char *more)
{
  help_text = text;
  help_more = more;
}

typedef struct {
  const char *name;
  int (*run)(int, char **);
  const char *summary;
} command;

static const command commands[] = {
  {"propagate", cmd_propagate, "Iterate the mean-field recursions through L blocks"},
  {"critical", cmd_critical, "Solve for a parameter at a collapse boundary"},
  {"mlp", cmd_mlp, "Mean field of the MLP alone: q*, chi1, c*, depth scales"},
  {"recommend", cmd_recommend, "Where a configuration sits and what to change"},
  {"presets", cmd_presets, "List the built-in architectures"},
  {"attention", cmd_attention, "Softmax attention statistics against lambda, finite T and T -> inf"},
  {"diagram", cmd_diagram, "Trainability diagram over two parameters (image and table)"},
  {"simulate", cmd_simulate, "Simulate finite-width networks: per-layer mean and error"},
  {"validate", cmd_validate, "Compare simulated networks with the theory, layer by layer"},
};

static void usage(FILE *fp)
{
  fprintf(fp, "Usage: sigprop [--help] [--version] COMMAND [OPTIONS]\n\n"
              "Predicts rank collapse and entropy collapse of deep transformers at\n"
              "initialisation from the mean-field theory of signal propagation.\n\n"
              "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(fp, "\n'sigprop COMMAND --help' lists a command's options; man sigprop(1).\n");
}

static char *join_args(int argc, char **argv)
{
  size_t n = 1;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 1;
  char *s = malloc(n);
  if (!s)
    return NULL;
  s[0] = '\0';
  for (int i = 0; i < argc; i++) {
    if (i)
      strcat(s, " ");
    strcat(s, argv[i]);
  }
  return s;
}

int main(int argc, char **argv)
{
  gsl_set_error_handler_off();
  cli_signals_install();
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    return cli_stdout_status();
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("sigprop %s\n", sp_version());
    return cli_stdout_status();
  }
  char *line = join_args(argc, argv);
  cli_command_line = line ? line : "sigprop";
  int rc = -1;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      rc = commands[i].run(argc - 1, argv + 1);
  if (rc < 0)
    rc = cli_error(CLI_USAGE, "%s: unknown command (try 'sigprop --help')", argv[1]);
  if (rc == CLI_OK && help_text) {
    fputs(help_text, stdout);
    if (help_more)
      fputs(help_more, stdout);
  }
  /* A command that stops on an option's failure returns CLI_USAGE; the
   * first recorded error knows better (e.g. an unreadable preset file). */
  if (rc != CLI_OK && error_code)
    rc = error_code;
  if (rc != CLI_OK)
    cli_print_error(stderr, error_text[0] ? error_text : "failed");
  if (rc == CLI_OK)
    rc = cli_stdout_status();
  free(line);
  return rc;
}
