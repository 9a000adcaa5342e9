/* Tests of the atomic output files (src/outfile.c) and of the UTF-8 repair
 * (src/utf8.c): commit and abort, close before commit, symbolic links
 * written through (a chain, a dangling one, a loop), permission bits kept,
 * a device written directly, a full disk's errno, a directory, a missing
 * directory, the registry of pending temporary files and its async-signal
 * cleanup, and the well-formedness rules of UTF-8.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "tap.h"
#include "test_util.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];

static const char *at(const char *name)
{
  return tu_path(dir, name);
}

/* Number of names in dir holding ".tmp". */
static int temps(const char *d)
{
  DIR *h = opendir(d);
  int n = 0;
  struct dirent *e;
  while (h && (e = readdir(h)))
    n += strstr(e->d_name, ".tmp") != NULL;
  if (h)
    closedir(h);
  return n;
}

static int write_text(const char *path, const char *text)
{
  sp_outfile *f;
  int s = sp_outfile_open(path, &f);
  if (s)
    return s;
  fputs(text, sp_outfile_stream(f));
  return sp_outfile_commit(f);
}

static int file_is(const char *path, const char *text)
{
  char buf[256] = "";
  FILE *fp = fopen(path, "r");
  if (!fp)
    return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  return strcmp(buf, text) == 0;
}

static void test_commit_abort(void)
{
  sp_outfile *f;
  tap_ok(sp_outfile_open(at("a.csv"), &f) == SP_OK, "open");
  tap_ok(temps(dir) == 1 && access(at("a.csv"), F_OK) != 0, "only a temporary file while open");
  fputs("x,y\n", sp_outfile_stream(f));
  tap_ok(sp_outfile_close(f) == SP_OK && sp_outfile_error(f) == 0, "close keeps the temp");
  tap_ok(access(at("a.csv"), F_OK) != 0, "nothing in place before commit");
  tap_ok(sp_outfile_commit(f) == SP_OK && file_is(at("a.csv"), "x,y\n"), "commit renames");
  tap_ok(temps(dir) == 0, "no temporary file after commit");
  tap_ok(sp_outfile_open(at("a.csv"), &f) == SP_OK, "reopen");
  fputs("partial", sp_outfile_stream(f));
  errno = 12345;
  sp_outfile_abort(f);
  tap_ok(errno == 12345, "abort keeps errno");
  tap_ok(file_is(at("a.csv"), "x,y\n") && temps(dir) == 0, "abort leaves the old file alone");
  sp_outfile_abort(NULL);
  tap_ok(sp_outfile_open(NULL, &f) == SP_EINVAL && sp_outfile_open("", &f) == SP_EINVAL,
         "NULL or empty path: SP_EINVAL");
  tap_ok(sp_outfile_commit(NULL) == SP_EINVAL && sp_outfile_close(NULL) == SP_EINVAL,
         "NULL outfile: SP_EINVAL");
}

static void test_errors(void)
{
  sp_outfile *f;
  mkdir(at("d.png"), 0755);
  errno = 0;
  tap_ok(sp_outfile_open(at("d.png"), &f) == SP_EIO && errno == EISDIR,
         "a directory: SP_EIO, EISDIR");
  errno = 0;
  tap_ok(sp_outfile_open(at("none/x.csv"), &f) == SP_EIO && errno == ENOENT,
         "a missing directory: ENOENT");
  symlink("loop2", at("loop1"));
  symlink("loop1", at("loop2"));
  errno = 0;
  tap_ok(sp_outfile_open(at("loop1"), &f) == SP_EIO && errno == ELOOP, "a link loop: ELOOP");
  tap_ok(temps(dir) == 0, "no temporary file after failed opens");
}

static void test_links_and_modes(void)
{
  mkdir(at("real"), 0755);
  FILE *fp = fopen(at("real/t.csv"), "w");
  fputs("old", fp);
  fclose(fp);
  chmod(at("real/t.csv"), 0604);
  symlink("real/t.csv", at("l1.csv"));
  symlink("l1.csv", at("l2.csv"));
  tap_ok(write_text(at("l2.csv"), "new") == SP_OK, "write through a chain of two links");
  struct stat st;
  tap_ok(lstat(at("l2.csv"), &st) == 0 && S_ISLNK(st.st_mode), "the first link stays");
  tap_ok(lstat(at("l1.csv"), &st) == 0 && S_ISLNK(st.st_mode), "the second link stays");
  tap_ok(file_is(at("real/t.csv"), "new"), "the target is replaced");
  tap_ok(stat(at("real/t.csv"), &st) == 0 && (st.st_mode & 07777) == 0604,
         "the target keeps mode 0604 (got %o)", (unsigned)(st.st_mode & 07777));
  tap_ok(temps(at("real")) == 0 && temps(dir) == 0, "no temporary file left");
  symlink("real/u.csv", at("dangling.csv"));
  tap_ok(write_text(at("dangling.csv"), "u") == SP_OK && file_is(at("real/u.csv"), "u"),
         "a dangling link creates its target");
  mode_t old = umask(027);
  tap_ok(write_text(at("m.csv"), "m") == SP_OK && stat(at("m.csv"), &st) == 0 &&
         (st.st_mode & 0777) == 0640, "a new file: 0666 & ~umask");
  umask(old);
}

static void test_devices(void)
{
  sp_outfile *f;
  tap_ok(sp_outfile_open("/dev/null", &f) == SP_OK, "/dev/null opens");
  tap_ok(strcmp(sp_outfile_temp_path(f), "/dev/null") == 0, "written directly");
  fputs("x", sp_outfile_stream(f));
  tap_ok(sp_outfile_commit(f) == SP_OK, "/dev/null commits");
  if (access("/dev/full", W_OK) != 0) {
    tap_ok(1, "# SKIP no /dev/full");
    return;
  }
  tap_ok(sp_outfile_open("/dev/full", &f) == SP_OK, "/dev/full opens");
  fputs("x", sp_outfile_stream(f));
  errno = 0;
  tap_ok(sp_outfile_close(f) == SP_EIO && errno == ENOSPC && sp_outfile_error(f) == ENOSPC,
         "/dev/full: close fails with ENOSPC");
  errno = 0;
  tap_ok(sp_outfile_commit(f) == SP_EIO && errno == ENOSPC, "and so does commit");
}

static void test_registry(void)
{
  sp_outfile *f[SP_OUTFILE_MAX + 1];
  int n = 0, s = SP_OK;
  char name[32];
  while (n <= SP_OUTFILE_MAX) {
    snprintf(name, sizeof name, "r%d.csv", n);
    if ((s = sp_outfile_open(at(name), &f[n])))
      break;
    n++;
  }
  tap_ok(n == SP_OUTFILE_MAX && s == SP_EIO && errno == EMFILE,
         "%d pending files at most, then EMFILE (got %d)", SP_OUTFILE_MAX, n);
  tap_ok(temps(dir) == SP_OUTFILE_MAX, "every one is a temporary file");
  sp_outfile_remove_pending();
  tap_ok(temps(dir) == 0, "sp_outfile_remove_pending removes them all");
  for (int i = 0; i < n; i++)
    sp_outfile_abort(f[i]);
  tap_ok(write_text(at("after.csv"), "a") == SP_OK, "the registry is free again");
}

static void test_utf8(void)
{
  static const struct { const char *s; size_t len; unsigned long cp; } seq[] = {
    {"A", 1, 0x41}, {"\xc3\xa9", 2, 0xe9}, {"\xe2\x82\xac", 3, 0x20ac},
    {"\xf0\x9f\x98\x80", 4, 0x1f600}, {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
    {"\x80", 0, 0}, {"\xc0\xaf", 0, 0}, {"\xc1\xbf", 0, 0}, {"\xe0\x80\xaf", 0, 0},
    {"\xed\xa0\x80", 0, 0}, {"\xf0\x80\x80\xaf", 0, 0}, {"\xf4\x90\x80\x80", 0, 0},
    {"\xf5\x80\x80\x80", 0, 0}, {"\xff", 0, 0}, {"\xc3", 0, 0}, {"\xe2\x82", 0, 0},
    {"\xe2\x28\xa1", 0, 0}};
  for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
    unsigned long cp = 0;
    size_t k = sp_utf8_sequence(seq[i].s, strlen(seq[i].s), &cp);
    tap_ok(k == seq[i].len && (!k || cp == seq[i].cp), "sequence %zu: length %zu (want %zu)",
           i, k, seq[i].len);
  }
  tap_ok(sp_utf8_sequence("A", 0, NULL) == 0 && sp_utf8_sequence(NULL, 1, NULL) == 0,
         "empty or NULL: 0");
  tap_ok(sp_utf8_valid("caf\xc3\xa9") && !sp_utf8_valid("a\xff") && !sp_utf8_valid(NULL),
         "sp_utf8_valid");
  char buf[16];
  size_t n = sp_utf8_repair(buf, sizeof buf, "a\xff\xc3z");
  tap_ok(n == 8 && strcmp(buf, "a\xef\xbf\xbd\xef\xbf\xbdz") == 0, "each stray byte: U+FFFD");
  n = sp_utf8_repair(buf, 4, "ab\xc3\xa9");
  tap_ok(n == 4 && strcmp(buf, "ab") == 0, "truncated at a character boundary");
  tap_ok(sp_utf8_repair(NULL, 0, "\xff") == 3 && sp_utf8_repair(buf, sizeof buf, NULL) == 0 &&
         buf[0] == '\0', "size 0 measures; NULL copies \"\"");
  char *d = sp_utf8_dup("x\xe2\x82");
  tap_ok(d && strcmp(d, "x\xef\xbf\xbd\xef\xbf\xbd") == 0, "sp_utf8_dup");
  free(d);
  tap_ok(sp_utf8_dup(NULL) == NULL, "sp_utf8_dup(NULL)");
}

int main(void)
{
  if (!tu_tempdir(dir, sizeof dir, "sp-outfile")) {
    printf("Bail out! mkdtemp\n");
    return 1;
  }
  test_commit_abort();
  test_errors();
  test_links_and_modes();
  test_devices();
  test_registry();
  test_utf8();
  tu_remove_tree(dir);
  return tap_done();
}
