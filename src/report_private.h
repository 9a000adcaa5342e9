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

/* `root` as compact text with reals to 17 digits into *out (allocated),
 * releasing root (NULL: SP_ENOMEM).  SP_OK or SP_ENOMEM. */
int sp_report_text(json_t *root, char **out);

#endif
