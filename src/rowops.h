/* Private: row operations shared by the simulator (float) and the trained
 * network (float or double): the softmax's Jacobian applied to a row and
 * the column sums of a row-major array.  Each sums in double in a fixed
 * order, so a caller gets the same bits whichever file calls it.  C11
 * _Generic picks the precision from the array's type.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_ROWOPS_H
#define SP_ROWOPS_H

/* g <- a (g - a.g) on entries [0, n) and 0 on [n, ncols): the Jacobian of
 * the softmax at its output row a (a symmetric map, so forward tangents and
 * backward gradients alike), applied to the row g in place. */
void sp_rows_softmax_jac_f32(const float *a, float *g, long n, long ncols);
void sp_rows_softmax_jac_f64(const double *a, double *g, long n, long ncols);
#define sp_rows_softmax_jac(a, g, n, ncols)                                             \
  _Generic((g), float *: sp_rows_softmax_jac_f32, double *: sp_rows_softmax_jac_f64)( \
    a, g, n, ncols)

/* sum[j] = sum over the rows t < rows of a[t ld + j], for j < cols, added
 * in row order. */
void sp_rows_colsum_f32(const float *a, long rows, long ld, long cols, double *sum);
void sp_rows_colsum_f64(const double *a, long rows, long ld, long cols, double *sum);
#define sp_rows_colsum(a, rows, ld, cols, sum)                                          \
  _Generic((a), const float *: sp_rows_colsum_f32, float *: sp_rows_colsum_f32,        \
           const double *: sp_rows_colsum_f64, double *: sp_rows_colsum_f64)(a, rows, ld, \
                                                                              cols, sum)

#endif
