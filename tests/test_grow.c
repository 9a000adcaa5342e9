/* The private array helpers (src/grow.c): growth by doubling from the
 * first capacity, no move while there is room, the contents kept, the
 * array and its capacity untouched on a size that cannot be allocated; a
 * polyline's coordinate pair, and its refusal of a size that overflows.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "sigprop.h"
#include "grow.h"
#include "tap.h"

#include <stdint.h>

int main(void)
{
  long *a = NULL;
  size_t cap = 0, n = 0;
  int ok = 1;
  for (; n < 37; n++) {
    ok &= sp_grow(&a, &cap, n, sizeof *a, 5) == SP_OK && cap > n;
    a[n] = (long)(n * n) - 17;
  }
  tap_ok(ok, "37 elements appended one by one");
  tap_ok(cap == 40, "capacity 5, 10, 20, 40 (got %zu)", cap);
  int kept = 1;
  for (size_t i = 0; i < n; i++)
    kept &= a[i] == (long)(i * i) - 17;
  tap_ok(kept, "every element kept across the moves");
  long *before = a;
  tap_ok(sp_grow(&a, &cap, 38, sizeof *a, 5) == SP_OK && a == before && cap == 40,
         "room left: no move, capacity unchanged");
  size_t huge = SIZE_MAX / 3;
  size_t hcap = huge;
  tap_ok(sp_grow(&a, &hcap, huge, sizeof *a, 5) == SP_ENOMEM && a == before && hcap == huge,
         "doubling past SIZE_MAX bytes: SP_ENOMEM, array and capacity as they were");
  free(a);

  double *x = NULL, *y = NULL;
  tap_ok(sp_alloc_points(13, &x, &y) == SP_OK && x && y && x != y, "13 points: x and y");
  for (int i = 0; i < 13; i++)
    x[i] = y[12 - i] = 0.37 * i;
  tap_ok(x[12] == y[0], "both writable to the end");
  free(x);
  free(y);
  x = y = (double *)&cap;
  tap_ok(sp_alloc_points(SIZE_MAX / 4, &x, &y) == SP_ENOMEM && !x && !y,
         "a size that overflows: SP_ENOMEM, both NULL");
  return tap_done();
}
