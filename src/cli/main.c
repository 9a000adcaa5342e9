/* sigprop: the program's entry point.  The only place that prints errors
 * and chooses the exit status.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "mpi_split.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char error_text[1024];
static int error_code; /* code of the first recorded error */
static char *help_text;
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

const char *cli_error_message(void)
{
  return error_text;
}

void cli_note(const char *fmt, ...)
{
  if (!cli_mpi_is_root())
    return; /* every rank would say it */
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  cli_print_line(stderr, "sigprop: note: ", text);
}

void cli_set_help(char *text)
{
  free(help_text);
  help_text = text;
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
  {"inspect", cmd_inspect, "Measure a safetensors checkpoint's initialisation and its phase"},
  {"presets", cmd_presets, "List the built-in architectures"},
  {"attention", cmd_attention, "Softmax attention statistics against lambda, finite T and T -> inf"},
  {"diagram", cmd_diagram, "Trainability diagram over two parameters (image and table)"},
  {"simulate", cmd_simulate, "Simulate finite-width networks: per-layer mean and error"},
  {"validate", cmd_validate, "Compare simulated networks with the theory, layer by layer"},
  {"train", cmd_train, "Train the simulated network on a task with a known best loss"},
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

/* Append argument s to the command line at *k, quoted for a POSIX shell:
 * bare when every byte is safe, else in single quotes, or in $'...' with
 * escapes when it holds control characters (so the line stays one line). */
static size_t quote_arg(char *out, size_t k, const char *s)
{
  static const char safe[] = "@%+=:,./-_";
  int bare = *s != '\0', control = 0;
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    bare &= (*c < 0x80 && isalnum(*c)) || (*c && strchr(safe, *c));
    control |= *c < 0x20 || *c == 0x7f;
  }
  if (bare)
    return k + (size_t)sprintf(out + k, "%s", s);
  k += (size_t)sprintf(out + k, control ? "$'" : "'");
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (control && (*c < 0x20 || *c == 0x7f || *c == '\\' || *c == '\''))
      k += (size_t)sprintf(out + k, "\\x%02x", *c);
    else if (*c == '\'')
      k += (size_t)sprintf(out + k, "'\\''");
    else
      out[k++] = (char)*c;
  }
  out[k++] = '\'';
  out[k] = '\0';
  return k;
}

/* The command line, each argument quoted for a shell (allocated), the
 * program named "sigprop" whatever path ran it. */
static char *quote_args(int argc, char **argv)
{
  size_t n = 1;
  for (int i = 0; i < argc; i++)
    n += 4 * strlen(argv[i]) + 4;
  char *s = malloc(n);
  if (!s)
    return NULL;
  size_t k = 0;
  s[0] = '\0';
  /* The program by its name, not its path: outputs hold no absolute path
   * of the build or install folder, and the line pastes into a shell
   * where sigprop is on PATH. */
  for (int i = 0; i < argc; i++) {
    if (i)
      s[k++] = ' ';
    k = quote_arg(s, k, i ? argv[i] : "sigprop");
  }
  return s;
}

/* Flush standard output; a failure (a full disk, a closed pipe) is an error
 * of the run unless one is already recorded. */
static int finish_stdout(int rc)
{
  if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) {
    rc = cli_error(CLI_FAIL, "standard output: %s", errno ? strerror(errno) : "write failed");
  }
  return rc;
}

/* Run the command named argv[1]; -1 when there is none of that name. */
static int run_command(int argc, char **argv)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return cli_mpi_command(argv[1]) ? CLI_USAGE : commands[i].run(argc - 1, argv + 1);
  return -1;
}

int main(int argc, char **argv)
{
  gsl_set_error_handler_off();
  cli_signals_install();
  if (argc < 2) {
    usage(stderr);
    return CLI_USAGE;
  }
  cli_mpi_init(&argc, &argv); /* nothing unless an MPI launcher started us */
  int rc = -1;
  char *line = NULL;
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(stdout);
    rc = CLI_OK;
  } else if (strcmp(argv[1], "--version") == 0) {
    printf("sigprop %s\n", sp_version());
    rc = CLI_OK;
  } else {
    line = quote_args(argc, argv);
    cli_command_line = line ? line : "sigprop";
    rc = run_command(argc, argv);
  }
  if (rc < 0)
    rc = cli_error(CLI_USAGE, "%s: unknown command (try 'sigprop --help')", argv[1]);
  if (rc == CLI_HELP) {
    fputs(help_text, stdout);
    rc = CLI_OK;
  }
  free(help_text);
  /* A command that stops on an option's failure returns CLI_USAGE; the
   * first recorded error knows better (e.g. an unreadable preset file). */
  if (rc != CLI_OK && error_code)
    rc = error_code;
  rc = finish_stdout(rc);
  if (rc != CLI_OK && cli_mpi_is_root())
    cli_print_line(stderr, "sigprop: ", error_text[0] ? error_text : "failed");
  free(line);
  return cli_mpi_end(rc);
}
