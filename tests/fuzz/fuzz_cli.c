/* The command-line fuzz suite: runs generated command lines of every sigprop
 * command (fuzz_gen.c) in a scratch directory with fixtures (a directory
 * named like an output, symbolic links, a link to /dev/full, an existing
 * file) and checks each run for a crash, a sanitizer report, a hang, an
 * exit status other than 0, 1 or 2, an error that is not exactly one line
 * "sigprop: ...", and a file left behind (a failing run must leave the
 * directory as it found it; no run may leave a hidden temporary file).
 *
 * Usage: fuzz_cli PROGRAM PRESET_DIR
 * Environment: SIGPROP_FUZZ_SEED [20261207], SIGPROP_FUZZ_CASES [400],
 * SIGPROP_FUZZ_SECONDS (stop starting cases after this long) [90],
 * SIGPROP_FUZZ_TIMEOUT (seconds for one run, a hang beyond) [20].
 * Prints TAP, one test per case; a failing case names its command line
 * (bytes escaped) and keeps its directory for reproduction.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "fuzz_gen.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXFILES 256
#define MAXBASES 16

typedef struct {
  char *name[MAXFILES];
  size_t n;
} listing;

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long env_long(const char *name, long dflt)
{
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* ---- the scratch directory --------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  if (flag == FTW_DP)
    chmod(path, 0700);
  return remove(path) == 0 || errno == ENOENT ? 0 : 0;
}

static void remove_tree(const char *dir)
{
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Fixtures every case starts with. */
static int make_fixtures(const char *dir)
{
  char p[1200];
  int bad = mkdir(dir, 0755);
  static const char *const dirs[] = {"adir.png", "adir.csv", "sub"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
    bad |= mkdir(p, 0755);
  }
  static const char *const links[][2] = {
    {"exist.csv", "link.csv"}, {"sub/none.svg", "dangling.svg"}, {"/dev/full", "full.csv"},
    {"/dev/null", "null.png"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, links[i][1]);
    bad |= symlink(links[i][0], p);
  }
  snprintf(p, sizeof p, "%s/exist.csv", dir);
  FILE *fp = fopen(p, "w");
  bad |= !fp || fputs("old\n", fp) == EOF;
  if (fp)
    bad |= fclose(fp);
  bad |= chmod(p, 0640);
  return bad ? -1 : 0;
}

static void list_into(listing *l, const char *root, const char *rel)
{
  char path[2048];
  snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
  DIR *d = opendir(path);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d)) && l->n < MAXFILES) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char r[2048];
    snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
    l->name[l->n++] = strdup(r);
    char full[4096];
    snprintf(full, sizeof full, "%s/%s", root, r);
    struct stat st;
    if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode))
      list_into(l, root, r);
  }
  closedir(d);
}

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_tree(listing *l, const char *root)
{
  l->n = 0;
  list_into(l, root, "");
  qsort(l->name, l->n, sizeof l->name[0], by_name);
}

static void list_free(listing *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->name[i]);
  l->n = 0;
}

/* The first name of `after` not in `before` (sorted), or NULL; with
 * `temps_only`, only names holding ".tmp" count. */
static const char *new_file(const listing *before, const listing *after, int temps_only)
{
  for (size_t i = 0; i < after->n; i++) {
    if (temps_only && !strstr(after->name[i], ".tmp"))
      continue;
    if (!bsearch(&after->name[i], before->name, before->n, sizeof before->name[0], by_name))
      return after->name[i];
  }
  return NULL;
}

/* ---- running one case ----------------------------------------------------- */

typedef struct {
  int status;      /* wait status */
  int hung;        /* killed after the timeout */
  char err[4096];  /* standard error (truncated) */
  size_t nerr;
} outcome;

static void child(const char *dir, char **argv, const char *errpath, int full_stdout)
{
  if (chdir(dir) != 0)
    _exit(125);
  int in = open("/dev/null", O_RDONLY);
  int out = open(full_stdout ? "/dev/full" : "/dev/null", O_WRONLY);
  int er = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out < 0 || er < 0)
    _exit(125);
  dup2(in, 0);
  dup2(out, 1);
  dup2(er, 2);
  execv(argv[0], argv);
  _exit(126);
}

static int run(const char *dir, char **argv, const char *errpath, int full_stdout,
               double timeout, outcome *o)
{
  memset(o, 0, sizeof *o);
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0)
    child(dir, argv, errpath, full_stdout);
  double end = now() + timeout;
  struct timespec nap = {0, 1000000};
  for (;;) {
    pid_t w = waitpid(pid, &o->status, WNOHANG);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR)
      return -1;
    if (now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &o->status, 0);
      o->hung = 1;
      break;
    }
    nanosleep(&nap, NULL);
    if (nap.tv_nsec < 20000000)
      nap.tv_nsec *= 2;
  }
  FILE *fp = fopen(errpath, "rb");
  if (fp) {
    o->nerr = fread(o->err, 1, sizeof o->err - 1, fp);
    fclose(fp);
  }
  o->err[o->nerr] = '\0';
  unlink(errpath);
  return 0;
}

/* What is wrong with a run (NULL: nothing), given the files before/after. */
static const char *verdict(const outcome *o, const listing *before, const listing *after,
                           char *why, size_t size)
{
  static const char *const reports[] = {"Sanitizer", "runtime error:", "ERROR: "};
  for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
    if (strstr(o->err, reports[i]))
      return "sanitizer report";
  if (o->hung)
    return "hang (timeout)";
  if (WIFSIGNALED(o->status)) {
    snprintf(why, size, "killed by signal %d", WTERMSIG(o->status));
    return why;
  }
  int st = WEXITSTATUS(o->status);
  if (st > 2) {
    snprintf(why, size, "exit status %d", st);
    return why;
  }
  /* Notes of a deprecated spelling ("sigprop: note: ...", one line each)
   * may come first; what follows them is judged. */
  const char *err = o->err;
  size_t nerr = o->nerr;
  while (strncmp(err, "sigprop: note: ", 15) == 0 && strchr(err, '\n')) {
    const char *next = strchr(err, '\n') + 1;
    nerr -= (size_t)(next - err);
    err = next;
  }
  const char *nl = strchr(err, '\n');
  if (st == 0 && nerr)
    return "a message on standard error after success";
  if (st != 0) {
    if (strncmp(err, "sigprop: ", 9) != 0 || nerr < 11)
      return "empty error or not 'sigprop: ...'";
    if (!nl || nl[1] != '\0' || memchr(err, '\0', nerr))
      return "error not exactly one line";
  }
  const char *left = new_file(before, after, st == 0);
  if (left) {
    snprintf(why, size, "left %s behind", left);
    return why;
  }
  return NULL;
}

/* ---- main -------------------------------------------------------------------- */

static size_t load_bases(const char *dir, char **bases)
{
  size_t n = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d)) && n < MAXBASES) {
    if (e->d_name[0] == '.')
      continue;
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    FILE *fp = fopen(p, "rb");
    if (!fp)
      continue;
    char *t = calloc(1, 8192);
    if (t && fread(t, 1, 8191, fp) > 0)
      bases[n++] = t;
    else
      free(t);
    fclose(fp);
  }
  if (d)
    closedir(d);
  qsort(bases, n, sizeof *bases, by_name); /* readdir order is not stable */
  return n;
}

/* Run case k; returns 1 when it failed. */
static int one_case(fz_rng *r, long k, const char *program, const char *root,
                    const char *const *bases, size_t nb, double timeout)
{
  char dir[1100], errpath[1200], why[256], line[8192];
  snprintf(dir, sizeof dir, "%s/c%ld", root, k);
  snprintf(errpath, sizeof errpath, "%s/err%ld", root, k);
  static fz_cmdline c;
  static listing before, after;
  errno = 0;
  if (make_fixtures(dir) != 0) {
    printf("not ok %ld - cannot make the fixtures in %s: %s\n", k, dir, strerror(errno));
    return 1;
  }
  fz_generate(r, program, dir, bases, nb, &c);
  int full = fz_below(r, 10) == 0;
  list_tree(&before, dir);
  outcome o;
  const char *bad = NULL;
  if (run(dir, c.argv, errpath, full, timeout, &o) != 0)
    bad = "cannot run";
  list_tree(&after, dir);
  if (!bad)
    bad = verdict(&o, &before, &after, why, sizeof why);
  size_t len = 0;
  for (int i = 1; i < c.argc && len + 8 < sizeof line; i++) {
    char e[1024];
    fz_escape(c.argv[i], e, sizeof e);
    len += (size_t)snprintf(line + len, sizeof line - len, "%s'%s'", i > 1 ? " " : "", e);
  }
  if (bad) {
    char e[600];
    fz_escape(o.err, e, sizeof e);
    printf("not ok %ld - %s: sigprop %s%s (in %s; stderr: %s)\n", k, bad, line,
           full ? " >/dev/full" : "", dir, e);
  } else {
    printf("ok %ld - exit %d: %.200s%s\n", k, WEXITSTATUS(o.status), line,
           full ? " >/dev/full" : "");
    remove_tree(dir);
  }
  list_free(&before);
  list_free(&after);
  fflush(stdout);
  return bad != NULL;
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: fuzz_cli PROGRAM PRESET_DIR\n");
    return 2;
  }
  uint64_t seed = (uint64_t)env_long("SIGPROP_FUZZ_SEED", 20261207);
  long cases = env_long("SIGPROP_FUZZ_CASES", 400);
  double budget = (double)env_long("SIGPROP_FUZZ_SECONDS", 90);
  double timeout = (double)env_long("SIGPROP_FUZZ_TIMEOUT", 60);
  /* The runs start in their own directories: the program's path must be
   * absolute. */
  char *program = realpath(argv[1], NULL);
  if (!program || access(program, X_OK) != 0) {
    perror(argv[1]);
    return 1;
  }
  char *bases[MAXBASES];
  size_t nb = load_bases(argv[2], bases);
  const char *tmpdir = getenv("TMPDIR");
  char root[1024];
  snprintf(root, sizeof root, "%s/sigprop-fuzz.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!mkdtemp(root)) {
    perror(root);
    return 1;
  }
  fz_rng r;
  fz_seed(&r, seed);
  double t0 = now();
  long k = 0, failed = 0;
  while (k < cases && now() - t0 < budget) {
    k++;
    failed += one_case(&r, k, program, root, (const char *const *)bases, nb, timeout);
  }
  printf("1..%ld\n# seed %llu, %ld cases (of %ld) in %.1f s, %zu preset bases, %ld failed\n",
         k, (unsigned long long)seed, k, cases, now() - t0, nb, failed);
  if (!failed)
    remove_tree(root);
  for (size_t i = 0; i < nb; i++)
    free(bases[i]);
  free(program);
  return failed ? 1 : 0;
}
