/* Output files that appear complete or not at all: a temporary file in the
 * target's directory renamed into place, symbolic links written through,
 * devices and FIFOs written directly, and a fixed registry of pending
 * temporary files that a signal handler can empty.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* fopencookie */
#endif
#include "sigprop/io.h"
#include "sigprop/status.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* ---- registry of pending temporary files (async-signal-safe reads) ---- */

enum { SLOT_FREE, SLOT_BUSY, SLOT_LIVE };

static atomic_int slot_state[SP_OUTFILE_MAX];
static char slot_path[SP_OUTFILE_MAX][PATH_MAX];

/* Claim a free slot for a temporary path; -1 when all are taken. */
static int slot_claim(void)
{
  for (int i = 0; i < SP_OUTFILE_MAX; i++) {
    int expect = SLOT_FREE;
    if (atomic_compare_exchange_strong(&slot_state[i], &expect, SLOT_BUSY))
      return i;
  }
  return -1;
}

static void slot_release(int i)
{
  if (i >= 0)
    atomic_store(&slot_state[i], SLOT_FREE);
}

void sp_outfile_remove_pending(void)
{
  for (int i = 0; i < SP_OUTFILE_MAX; i++)
    if (atomic_load(&slot_state[i]) == SLOT_LIVE)
      unlink(slot_path[i]);
}

/* ---- the file ---------------------------------------------------------- */

struct sp_outfile {
  FILE *fp;
  int fd;         /* -1 once closed */
  int err;        /* errno of the first failed write, 0 when none */
  int slot;       /* registry slot of `temp`, -1 when writing directly */
  char *final;    /* the file replaced (symbolic links resolved) */
  const char *temp; /* slot_path[slot], NULL when writing directly */
};

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
  sp_outfile *f = cookie;
  size_t done = 0;
  while (done < n) {
    ssize_t k = write(f->fd, buf + done, n - done);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      if (!f->err)
        f->err = k < 0 ? errno : EIO;
      errno = f->err;
      return done ? (ssize_t)done : -1;
    }
    done += (size_t)k;
  }
  return (ssize_t)done;
}

static int cookie_close(void *cookie)
{
  sp_outfile *f = cookie;
  int r = close(f->fd);
  if (r && !f->err && errno != EINTR)
    f->err = errno;
  f->fd = -1;
  return f->err ? -1 : 0;
}

/* Follow symbolic links from `path` (at most 40) to the file that a write
 * replaces; a dangling link yields the path it names.  Malloc'd, or NULL
 * with errno set. */
static char *resolve_links(const char *path)
{
  char *cur = strdup(path);
  for (int hops = 0; cur; hops++) {
    struct stat st;
    if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
      return cur; /* absent, or not a link */
    if (hops == 40) {
      free(cur);
      errno = ELOOP;
      return NULL;
    }
    char dest[PATH_MAX];
    ssize_t n = readlink(cur, dest, sizeof dest - 1);
    if (n < 0) {
      free(cur);
      return NULL;
    }
    dest[n] = '\0';
    const char *slash = strrchr(cur, '/');
    size_t dir = dest[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
    char *next = malloc(dir + (size_t)n + 1);
    if (next) {
      memcpy(next, cur, dir);
      memcpy(next + dir, dest, (size_t)n + 1);
    }
    free(cur);
    cur = next;
  }
  errno = ENOMEM;
  return NULL;
}

/* Create "DIR/.NAME.tmpXXXXXX" next to f->final in registry slot f->slot,
 * exclusively (O_EXCL never follows a link); the name is in the registry
 * before the file exists.  Returns the descriptor or -1 with errno. */
static int create_temp(sp_outfile *f, mode_t mode)
{
  static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static atomic_uint counter;
  const char *slash = strrchr(f->final, '/');
  int dir = slash ? (int)(slash - f->final) + 1 : 0;
  char *p = slot_path[f->slot];
  for (int attempt = 0; attempt < 100; attempt++) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)getpid() << 20 ^
                 (uint64_t)atomic_fetch_add(&counter, 1u) * 0x9e3779b97f4a7c15u;
    char rnd[7];
    for (int k = 0; k < 6; k++, x /= 62)
      rnd[k] = digits[x % 62];
    rnd[6] = '\0';
    int n = snprintf(p, PATH_MAX, "%.*s.%s.tmp%s", dir, f->final, f->final + dir, rnd);
    if (n < 0 || n >= PATH_MAX) {
      errno = ENAMETOOLONG;
      return -1;
    }
    atomic_store(&slot_state[f->slot], SLOT_LIVE);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 0777);
    if (fd >= 0)
      return fd;
    int e = errno;
    atomic_store(&slot_state[f->slot], SLOT_BUSY);
    if (e != EEXIST) {
      errno = e;
      return -1;
    }
  }
  errno = EEXIST;
  return -1;
}

static void release(sp_outfile *f)
{
  slot_release(f->slot);
  free(f->final);
  free(f);
}

/* Open the descriptor of f: directly for a device or FIFO, else a
 * temporary file with the target's permission bits (or 0666 & ~umask). */
static int open_target(sp_outfile *f)
{
  struct stat st;
  int have = stat(f->final, &st) == 0;
  if (!have && errno != ENOENT)
    return -1;
  if (have && S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    return -1;
  }
  if (have && !S_ISREG(st.st_mode))
    return open(f->final, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  /* A read-only file is not replaced behind its owner's back. */
  if (have && access(f->final, W_OK) != 0)
    return -1;
  mode_t mode;
  if (have) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  if ((f->slot = slot_claim()) < 0) {
    errno = EMFILE;
    return -1;
  }
  int fd = create_temp(f, mode);
  if (fd < 0)
    return -1;
  f->temp = slot_path[f->slot];
  /* Owner first (only root or the owner may), then exactly the old bits:
   * the umask does not apply to fchmod. */
  if (have && fchown(fd, st.st_uid, st.st_gid) != 0) {
    /* another owner cannot be given; the bits below still apply */
  }
  if (fchmod(fd, mode) != 0) {
    int e = errno;
    close(fd);
    unlink(f->temp);
    errno = e;
    return -1;
  }
  return fd;
}

int sp_outfile_open(const char *path, sp_outfile **out)
{
  if (!path || !*path || !out)
    return SP_EINVAL;
  sp_outfile *f = calloc(1, sizeof *f);
  if (!f)
    return SP_ENOMEM;
  f->slot = -1;
  f->fd = -1;
  if (!(f->final = resolve_links(path))) {
    int e = errno;
    free(f);
    errno = e;
    return e == ENOMEM ? SP_ENOMEM : SP_EIO;
  }
  f->fd = open_target(f);
  cookie_io_functions_t io = {NULL, cookie_write, NULL, cookie_close};
  if (f->fd < 0 || !(f->fp = fopencookie(f, "w", io))) {
    int e = errno;
    if (f->fd >= 0) {
      close(f->fd);
      if (f->temp)
        unlink(f->temp);
    }
    release(f);
    errno = e;
    return SP_EIO;
  }
  *out = f;
  return SP_OK;
}

FILE *sp_outfile_stream(sp_outfile *f)
{
  return f ? f->fp : NULL;
}

const char *sp_outfile_temp_path(const sp_outfile *f)
{
  return f ? (f->temp ? f->temp : f->final) : NULL;
}

int sp_outfile_error(const sp_outfile *f)
{
  return f ? f->err : 0;
}

int sp_outfile_close(sp_outfile *f)
{
  if (!f)
    return SP_EINVAL;
  if (f->fp) {
    int bad = ferror(f->fp);
    bad |= fclose(f->fp) != 0;
    f->fp = NULL;
    if (bad && !f->err)
      f->err = EIO;
  }
  errno = f->err;
  return f->err ? SP_EIO : SP_OK;
}

int sp_outfile_commit(sp_outfile *f)
{
  if (!f)
    return SP_EINVAL;
  int s = sp_outfile_close(f);
  if (!s && f->temp && rename(f->temp, f->final) != 0) {
    f->err = errno;
    s = SP_EIO;
  }
  if (s && f->temp)
    unlink(f->temp);
  int e = f->err;
  release(f);
  errno = e;
  return s;
}

void sp_outfile_abort(sp_outfile *f)
{
  if (!f)
    return;
  int e = errno;
  if (f->fp)
    fclose(f->fp);
  if (f->temp)
    unlink(f->temp);
  release(f);
  errno = e;
}
