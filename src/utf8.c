/* UTF-8 validation and repair (U+FFFD for every byte that does not start a
 * well-formed sequence).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/utf8.h"

#include <stdlib.h>
#include <string.h>

/* The lead bytes of the well-formed sequences of two to four bytes (the
 * Unicode standard's table of them): first..last, the sequence's length,
 * and the range lo..hi of its second byte (every later byte 0x80..0xbf). */
static const struct {
  unsigned char first, last, len, lo, hi;
} leads[] = {
  {0xc2, 0xdf, 2, 0x80, 0xbf},
  {0xe0, 0xe0, 3, 0xa0, 0xbf}, /* no overlong forms */
  {0xe1, 0xec, 3, 0x80, 0xbf},
  {0xed, 0xed, 3, 0x80, 0x9f}, /* no surrogates */
  {0xee, 0xef, 3, 0x80, 0xbf},
  {0xf0, 0xf0, 4, 0x90, 0xbf}, /* no overlong forms */
  {0xf1, 0xf3, 4, 0x80, 0xbf},
  {0xf4, 0xf4, 4, 0x80, 0x8f}, /* nothing above U+10FFFF */
};

size_t sp_utf8_sequence(const char *s, size_t n, unsigned long *cp)
{
  const unsigned char *u = (const unsigned char *)s;
  if (!s || n == 0)
    return 0;
  unsigned char c = u[0];
  if (c < 0x80) {
    if (cp)
      *cp = c;
    return 1;
  }
  size_t i = 0, nleads = sizeof leads / sizeof leads[0];
  while (i < nleads && c > leads[i].last)
    i++;
  if (i == nleads || c < leads[i].first)
    return 0;
  size_t len = leads[i].len;
  if (n < len || u[1] < leads[i].lo || u[1] > leads[i].hi)
    return 0;
  unsigned long v = c & (0x7fu >> len); /* the lead byte's payload */
  for (size_t k = 1; k < len; k++) {
    if ((u[k] & 0xc0u) != 0x80u)
      return 0;
    v = v << 6 | (u[k] & 0x3fu);
  }
  if (cp)
    *cp = v;
  return len;
}

int sp_utf8_valid(const char *s)
{
  if (!s)
    return 0;
  size_t n = strlen(s);
  while (n) {
    size_t k = sp_utf8_sequence(s, n, NULL);
    if (!k)
      return 0;
    s += k;
    n -= k;
  }
  return 1;
}

size_t sp_utf8_repair(char *dst, size_t size, const char *src)
{
  static const char fffd[] = "\xef\xbf\xbd";
  size_t n = src ? strlen(src) : 0, out = 0, kept = 0; /* kept: bytes in dst */
  int room = size > 0;
  while (n) {
    size_t k = sp_utf8_sequence(src, n, NULL);
    const char *piece = k ? src : fffd;
    size_t plen = k ? k : 3;
    if (room && kept + plen < size) {
      memcpy(dst + kept, piece, plen);
      kept += plen;
    } else {
      room = 0; /* truncated before this character: nothing after it */
    }
    out += plen;
    src += k ? k : 1;
    n -= k ? k : 1;
  }
  if (size)
    dst[kept] = '\0';
  return out;
}

char *sp_utf8_dup(const char *src)
{
  if (!src)
    return NULL;
  size_t n = sp_utf8_repair(NULL, 0, src);
  char *d = malloc(n + 1);
  if (d)
    sp_utf8_repair(d, n + 1, src);
  return d;
}
