/* Declarative command-line options: one table per command, one parser that
 * parses, validates and writes --help from the same table.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How to add an option to a command
 * ---------------------------------
 * 1. Add a field to the command's options struct (its default is set before
 *    parsing, and --help shows it as "[default]" unless the help text ends
 *    with its own "[...]").
 * 2. Add one entry to the command's `static const cli_opt opts[]`, e.g.
 *      CLI_DOUBLE("rho-max", 0, options, rho_max, 0.0, 1.0, "V", "rank-collapse threshold"),
 *    The kinds are: CLI_FLAG (no value, sets an int to 1; CLI_FLAG_SET sets any
 *    value), CLI_DOUBLE and CLI_LONG (a finite or whole number in [lo, hi];
 *    INFINITY for no bound; CLI_DOUBLE_OPEN for (lo, hi] and the like),
 *    CLI_STRING (const char *), CLI_CHOICE (names of a cli_choice list -> int),
 *    CLI_LIST (repeatable, into a cli_list) and CLI_CALL (a function of your
 *    own for anything else: it gets the struct (or, with CLI_CALL_AT, the
 *    field), the entry and the value, and records its own error with
 *    cli_error).  An entry with help NULL right after another is a second
 *    name of it (--causal, --no-causal); help "" accepts a name unlisted.
 * 3. Document it in man/sigprop-CMD.1 under OPTIONS: tests/cli_help.sh checks
 *    that --help and the man page list the same options.
 * A model option (every command that takes a model) goes in model_opts[] of
 * options.c and in sigprop(1) under MODEL OPTIONS.  An old spelling kept for
 * a release: parse it as usual, then cli_note() a one-line deprecation.
 *
 * Shared tables (cli.h): cli_model_group (sigprop(1)), cli_mlp_model_group,
 * cli_figure_group (--title, --size, --dpi, --font, --font-size; draw with
 * cli_figure_alloc, which applies the size and the font, or
 * cli_figure_alloc_laid_out when the size depends on the layout; call
 * cli_figure_check before the work), cli_sim_group (simulation) and
 * cli_output_group (-o FILE, repeatable; tables only, or tables and figures).
 *
 * How to add a command
 * --------------------
 * Declare `static const cli_command command = {"name", "usage", "about", 0, NULL};`
 * and its table, then in cmd_name():
 *      cli_opt_group groups[] = {CLI_GROUP(opts, &o), cli_figure_group(&o.fig),
 *                                cli_output_group(&o.out, 1), cli_model_group(&m)};
 *      int r = cli_parse(&command, groups, 4, argc, argv, NULL, NULL);
 *      if (r)
 *        return r;     (CLI_HELP after --help: main prints the help)
 * The outputs follow one convention (outputs.c): cli_outputs_check before the
 * work, cli_outputs_begin to open every -o file, cli_outputs_end to write the
 * table (standard output only without -o, or with -o -) and the figure, and
 * commit all or none.  Add the command to commands[] in main.c, write its
 * man page and a test. */
#ifndef SIGPROP_CLI_OPT_H
#define SIGPROP_CLI_OPT_H

#include <math.h>
#include <stddef.h>

/* What an option takes and where it goes. */
typedef enum {
  CLI_OPT_FLAG,   /* no value: the int target gets (int)lo */
  CLI_OPT_DOUBLE, /* a finite number in [lo, hi] into a double */
  CLI_OPT_LONG,   /* a whole number in [lo, hi] into a long */
  CLI_OPT_STRING, /* the argument itself (not copied) into a const char * */
  CLI_OPT_CHOICE, /* one of choices[].name: choices[].value into an int */
  CLI_OPT_LIST,   /* repeatable: appended to a cli_list, at most hi items */
  CLI_OPT_CALL    /* call(target, opt, value); value NULL when metavar is NULL */
} cli_opt_kind;

/* One name of a choice; a list ends with {NULL, 0}.  A name starting with '~'
 * is accepted without the '~' but not listed (an old or alternative spelling). */
typedef struct {
  const char *name;
  int value;
} cli_choice;

/* The values of a repeatable option, in the order given. */
#define CLI_LIST_MAX 32
typedef struct {
  const char *v[CLI_LIST_MAX];
  int n;
} cli_list;

enum {
  CLI_OPT_REQUIRED = 1, /* an error unless given: "CMD: --NAME METAVAR is required" */
  CLI_OPT_NODEFAULT = 2, /* --help shows no "[default]" */
  CLI_OPT_OPEN_LO = 4,   /* DOUBLE: the domain excludes lo */
  CLI_OPT_OPEN_HI = 8    /* DOUBLE: the domain excludes hi */
};

typedef struct cli_opt cli_opt;

/* A CLI_OPT_CALL handler: apply `value` (NULL for an option without a value)
 * to `target` (the group's struct plus the entry's offset: the struct itself
 * for CLI_CALL); CLI_OK or an error recorded with cli_error. */
typedef int (*cli_opt_fn)(void *target, const cli_opt *opt, const char *value);

/* Format the current value at `target` for --help's "[default]". */
typedef void (*cli_opt_show)(const void *target, const cli_opt *opt, char *buf, size_t size);

/* One option.  The target is at `offset` in the struct its group points to. */
struct cli_opt {
  const char *name;          /* long name without "--" (NULL: short only) */
  char short_name;           /* one-letter name after '-', or 0 */
  cli_opt_kind kind;
  size_t offset;             /* of the target in the group's struct */
  double lo, hi;             /* domain (DOUBLE, LONG); LIST: at most hi; FLAG: lo is set */
  const cli_choice *choices; /* CHOICE (CALL: listed in --help only) */
  cli_opt_fn call;           /* CALL */
  cli_opt_show show;         /* the default for --help (CALL), or NULL */
  const char *metavar;       /* value name in --help; NULL: takes no value */
  const char *help;          /* description; NULL: another name of the entry before it,
                                listed next to it; "": accepted, never listed */
  int flags;                 /* CLI_OPT_REQUIRED, CLI_OPT_NODEFAULT */
};

/* Entry constructors: T is the struct type, F the field. */
#define CLI_FLAG(N, S, T, F, H) {N, S, CLI_OPT_FLAG, offsetof(T, F), 1, 0, NULL, NULL, NULL, NULL, H, 0}
#define CLI_FLAG_SET(N, S, T, F, V, H) \
  {N, S, CLI_OPT_FLAG, offsetof(T, F), V, 0, NULL, NULL, NULL, NULL, H, 0}
#define CLI_DOUBLE(N, S, T, F, LO, HI, M, H) \
  {N, S, CLI_OPT_DOUBLE, offsetof(T, F), LO, HI, NULL, NULL, NULL, M, H, 0}
#define CLI_DOUBLE_OPEN(N, S, T, F, LO, HI, FLAGS, M, H) \
  {N, S, CLI_OPT_DOUBLE, offsetof(T, F), LO, HI, NULL, NULL, NULL, M, H, FLAGS}
#define CLI_LONG(N, S, T, F, LO, HI, M, H) \
  {N, S, CLI_OPT_LONG, offsetof(T, F), LO, HI, NULL, NULL, NULL, M, H, 0}
#define CLI_STRING(N, S, T, F, M, H) \
  {N, S, CLI_OPT_STRING, offsetof(T, F), 0, 0, NULL, NULL, NULL, M, H, 0}
#define CLI_CHOICE(N, S, T, F, C, M, H) \
  {N, S, CLI_OPT_CHOICE, offsetof(T, F), 0, 0, C, NULL, NULL, M, H, 0}
#define CLI_LIST(N, S, T, F, MAX, M, H) \
  {N, S, CLI_OPT_LIST, offsetof(T, F), 0, MAX, NULL, NULL, NULL, M, H, 0}
#define CLI_CALL(N, S, FN, M, H) {N, S, CLI_OPT_CALL, 0, 0, 0, NULL, FN, NULL, M, H, 0}
#define CLI_CALL_AT(N, S, T, F, FN, SHOW, M, H) \
  {N, S, CLI_OPT_CALL, offsetof(T, F), 0, 0, NULL, FN, SHOW, M, H, 0}

/* A table of options and the struct its offsets point into. */
typedef struct {
  const char *title; /* heading in --help ("Model options"); NULL: "Options" */
  const cli_opt *opts;
  size_t n;
  void *base;
} cli_opt_group;

#define CLI_GROUP(OPTS, BASE) {NULL, OPTS, sizeof(OPTS) / sizeof(OPTS)[0], BASE}

/* A command as --help describes it. */
typedef struct {
  const char *name;  /* "propagate" */
  const char *usage; /* the synopsis after "Usage: sigprop NAME "; one line
                        for each alternative form */
  const char *about; /* what it does: paragraphs separated by "\n\n" (wrapped);
                        NULL: no --help (options inside an option's value) */
  int positional;    /* most positional arguments accepted (0: none) */
  const char *unknown; /* message for an unknown option, a format taking the
                          command's name and the option; NULL: the usual one */
} cli_command;

/* Returned by cli_parse after --help (or -h): the help text is set for main
 * to print on standard output, and the command returns it unchanged. */
enum { CLI_HELP = 3 };

/* Parse argv[1..argc-1] (argv[0] is the command name) against the groups
 * (a name in an earlier group hides the same name in a later one), in order: `--name value`, `--name=value`, `-s value`, `--flag`.  Later
 * options override earlier ones; lists append.  Positional arguments go to
 * pos[*npos] (at most cmd->positional).  Returns CLI_OK, CLI_HELP, or
 * CLI_USAGE with the error recorded (unknown option, missing or extra value,
 * a value outside its domain, an unexpected argument, a required option
 * missing). */
int cli_parse(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups, int argc,
              char **argv, const char **pos, int *npos);

/* The --help text of a command (allocated; caller frees), or NULL when out of
 * memory.  Values shown as defaults are the targets' current values. */
char *cli_help_text(const cli_command *cmd, const cli_opt_group *groups, size_t ngroups);

/* Apply entry o with value v (ignored for an entry without a value) to the
 * struct at base, validating it; CLI_OK or a recorded error. */
int cli_opt_apply(const cli_opt *o, void *base, const char *v);

/* Strict number parsing: the whole string, finite (and whole for a long);
 * the error is recorded with the option name. */
int cli_parse_double(const char *opt, const char *s, double *x);
int cli_parse_long(const char *opt, const char *s, long *x);

#endif
