/* sigprop: the question sigprop critical answers, in its own words: a
 * parameter at a collapse boundary (rho-final=V), beta_c of block 1
 * (beta-c), or the MLP's edge of chaos (chi1=V), with the program's
 * messages.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_CRITICAL_QUERY_H
#define SIGPROP_CRITICAL_QUERY_H

#include "sigprop/export.h"
#include "sigprop/model.h"

#include <stddef.h>

SP_BEGIN_DECLS

/** The answer of sp_critical_query. */
typedef struct {
  double value;     /**< the parameter's value (a whole number for depth) */
  int is_depth;     /**< 1 when `value` is a depth (the program prints %ld) */
  char what[256];   /**< what it is, for the program's "# answer:" line */
} sp_critical_answer;

/** Answer `where` for model m (valid: sp_model_validate): "rho-final=V"
 * (V in (-1, 1)): the smallest value of the real parameter `param` in the
 * range with rho_L <= V (sp_critical_rho, a scan and Brent's method to
 * 1e-10; default range [0, 100] within the parameter's domain), or for
 * param "depth" the largest L with rho_l <= V for every l <= L
 * (sp_critical_depth; default range [1, SP_MAX_DEPTH]); "beta-c": beta_c of
 * block 1's attention input (param NULL); "chi1=V" (V > 0): var-w or var-b
 * (param) at which the MLP alone has chi_1 = V (sp_meanfield_critical,
 * default range [0, 100]).  `range` "MIN:MAX" or NULL.  Returns SP_OK, or a
 * status with the program's message in err (of errsize bytes) and *usage
 * set to 1 when the arguments were wrong (the program's exit status 2) or
 * 0 when the question has no answer or the computation failed (SP_ENOROOT:
 * no root in the range; statuses of the propagation; exit status 1). */
int sp_critical_query(const sp_model *m, const char *param, const char *where,
                      const char *range, sp_critical_answer *ans, int *usage, char *err,
                      size_t errsize);

SP_END_DECLS
#endif
