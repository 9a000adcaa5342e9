/* Row operations of the simulator and the trained network, in single and
 * double precision from one body each.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "rowops.h"

#include <stddef.h>

#define SOFTMAX_JAC(R)                                     \
  {                                                        \
    double mean = 0.0;                                     \
    for (long u = 0; u < n; u++)                           \
      mean += (double)a[u] * (double)g[u];                 \
    for (long u = 0; u < n; u++)                           \
      g[u] = (R)((double)a[u] * ((double)g[u] - mean));    \
    for (long u = n; u < ncols; u++)                       \
      g[u] = 0;                                            \
  }

void sp_rows_softmax_jac_f32(const float *a, float *g, long n, long ncols) SOFTMAX_JAC(float)
void sp_rows_softmax_jac_f64(const double *a, double *g, long n, long ncols) SOFTMAX_JAC(double)

#define COLSUM                                             \
  {                                                        \
    for (long j = 0; j < cols; j++)                        \
      sum[j] = 0.0;                                        \
    for (long t = 0; t < rows; t++) {                      \
      for (long j = 0; j < cols; j++)                      \
        sum[j] += a[(size_t)t * (size_t)ld + (size_t)j];   \
    }                                                      \
  }

void sp_rows_colsum_f32(const float *a, long rows, long ld, long cols, double *sum) COLSUM
void sp_rows_colsum_f64(const double *a, long rows, long ld, long cols, double *sum) COLSUM
