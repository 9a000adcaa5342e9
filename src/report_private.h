/* Private to the report family (report_json.c, report_inspect.c): the
 * report as a jansson tree and its text.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_REPORT_PRIVATE_H
#define SIGPROP_REPORT_PRIVATE_H

#include "sigprop/report.h"

#include <jansson.h>

/* The tree of sp_report_json (arguments as there), or NULL when out of
 * memory or an argument is missing. */
json_t *sp_report_tree(const sp_model *m, const sp_report_source *src, const sp_verdict *v,
                       const sp_recommend_options *o, const sp_advice *a);

/* 1 when the report's model takes the exact row overlap (theory.md §14) by
 * default: finite-T statistics, encoder rows or causal rows of T <=
 * SP_REM_OVERLAP_CAUSAL_MAX (both tabulated), whose lambda = beta sqrt(q
 * (q - p)) stays within the overlap table over the whole run -- beyond it
 * every evaluation is a quadrature (encoder 1 to 300 ms, causal up to
 * seconds).  A LayerNorm before every block's attention (post-LN after
 * block 1, pre-LN on its normalised input) gives q = 1 and lambda <= beta
 * sqrt(T / (T - 1)); post-LN's block 1 sees q0.  recommend scans beta up to
 * block 1's beta_c, so that bounds beta too. */
int sp_report_exact_overlap(const sp_model *m);

/* Every SP_GIVEN_* bit the report lists when assumed. */
#define SP_REPORT_INPUTS 127u

/* `root` as compact text with reals to 17 digits into *out (allocated),
 * releasing root (NULL: SP_ENOMEM).  SP_OK or SP_ENOMEM. */
int sp_report_text(json_t *root, char **out);

#endif
