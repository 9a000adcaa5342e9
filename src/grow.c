/* The growth of dynamic arrays.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "grow.h"
#include "sigprop/status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int sp_grow(void *array, size_t *cap, size_t n, size_t size, size_t first)
{
  if (n < *cap)
    return SP_OK;
  size_t ncap = *cap ? 2 * *cap : first;
  if (ncap < n + 1 || ncap > SIZE_MAX / size)
    return SP_ENOMEM;
  void *p;
  memcpy(&p, array, sizeof p);
  void *np = realloc(p, ncap * size);
  if (!np)
    return SP_ENOMEM;
  memcpy(array, &np, sizeof np);
  *cap = ncap;
  return SP_OK;
}

int sp_alloc_points(size_t n, double **x, double **y)
{
  *x = *y = NULL;
  if (n > SIZE_MAX / sizeof **x)
    return SP_ENOMEM;
  *x = malloc(n * sizeof **x);
  *y = malloc(n * sizeof **y);
  if (*x && *y)
    return SP_OK;
  free(*x);
  free(*y);
  *x = *y = NULL;
  return SP_ENOMEM;
}
