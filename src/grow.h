/* Private: the library's arrays made to measure or grown: the growth of
 * its dynamic arrays (tensors of a checkpoint, contour vertices and lines,
 * a figure's series), capacity doubled when full so that appending is
 * amortised O(1); and the coordinates of a polyline's points, x and y
 * allocated together.  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_GROW_H
#define SP_GROW_H

#include <stddef.h>

/* Room for element n of the array whose pointer is at `array` (a T ** given
 * as void *), *cap elements of `size` bytes allocated: when n == *cap the
 * array is reallocated to twice *cap elements (`first` when *cap is 0) and
 * *cap updated.  Returns SP_OK, or SP_ENOMEM with the array and *cap as
 * they were. */
int sp_grow(void *array, size_t *cap, size_t n, size_t size, size_t first);

/* Two new arrays of n doubles, the x and the y of n points (the caller
 * frees both).  Returns SP_OK, or SP_ENOMEM with *x and *y NULL (also when
 * n doubles would not fit in a size_t). */
int sp_alloc_points(size_t n, double **x, double **y);

#endif
