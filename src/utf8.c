/* UTF-8 validation and repair (U+FFFD for every byte that does not start a
 * well-formed sequence).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop/utf8.h"

#include <stdlib.h>
#include <string.h>

size_t sp_utf8_sequence(const char *s, size_t n, unsigned long *cp)
{
  const unsigned char *u = (const unsigned char *)s;
  if (!s || n == 0)
    return 0;
  unsigned char c = u[0];
  size_t len;
  unsigned long v;
  unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
  if (c < 0x80) {
    if (cp)
      *cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    v = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    v = c & 0x0fu;
    if (c == 0xe0)
      lo = 0xa0; /* overlong */
    else if (c == 0xed)
      hi = 0x9f; /* surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    v = c & 0x07u;
    if (c == 0xf0)
      lo = 0x90; /* overlong */
    else if (c == 0xf4)
      hi = 0x8f; /* above U+10FFFF */
  } else {
    return 0;
  }
  if (n < len || u[1] < lo || u[1] > hi)
    return 0;
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
