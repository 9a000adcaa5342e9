/* Private: the vector path of sp_propagate_summary_batch and the choice of
 * instruction set.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_PROPAGATE_SIMD_H
#define SP_PROPAGATE_SIMD_H

#include "sigprop/propagate.h"

#include <stdint.h>

/* Instruction sets of the vector path; SP_SIMD_NONE is the scalar path. */
enum { SP_SIMD_NONE = -1, SP_SIMD_GENERIC = 0, SP_SIMD_AVX2 = 1, SP_SIMD_AVX512 = 2 };

/** The best instruction set this processor and build support. */
int sp_propagate_simd_best(void);

/** 1 when `isa` can run here (SP_SIMD_NONE and SP_SIMD_GENERIC always). */
int sp_propagate_simd_supported(int isa);

/** Run the k <= SP_SUMMARY_BATCH models on the vector path with
 * instruction set `isa` (supported).  Models whose statuses[j] is nonzero
 * are left alone.  Returns the bit mask of the models it finished (out[j]
 * complete, as the scalar path gives it); 0 when the block is not one the
 * vector path covers, or the models differ in structure. */
uint64_t sp_propagate_simd_chunk(const sp_model *models, size_t k, const int *statuses,
                                 sp_summary *out, int isa);

/** sp_propagate_summary_batch with the vector path's instruction set
 * chosen (SP_SIMD_NONE: scalar only).  SP_EUNSUP when `isa` cannot run
 * here; else as sp_propagate_summary_batch, and the same results. */
int sp_propagate_summary_batch_isa(const sp_model *models, size_t n, const sp_workspace *w,
                                   sp_summary *out, int *statuses, int isa);

#endif
