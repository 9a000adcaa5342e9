/* sigprop: a reader of safetensors checkpoints.  The format: an 8-byte
 * little-endian header length N, N bytes of JSON mapping each tensor name
 * to {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the
 * data that follows the header; "__metadata__" is ignored), then the raw
 * little-endian tensors.  Files are memory-mapped, never read whole: a
 * tensor is converted to double a range at a time, and the pages read are
 * given back to the system, so a 15 GB checkpoint costs little memory.
 * A sharded checkpoint is opened through its model.safetensors.index.json.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_SAFETENSORS_H
#define SIGPROP_SAFETENSORS_H

#include "sigprop/export.h"
#include <stddef.h>
#include <stdint.h>

SP_BEGIN_DECLS

/** Element types.  The four floating types convert to double; the others
 * (integers, booleans, 8-bit floats) are listed with their size so that
 * the offsets can be checked, and reading them is SP_EUNSUP. */
typedef enum {
  SP_DTYPE_F64, SP_DTYPE_F32, SP_DTYPE_F16, SP_DTYPE_BF16,
  SP_DTYPE_OTHER /**< a known dtype sigprop does not convert */
} sp_dtype;

/** Most dimensions of a tensor. */
#define SP_ST_MAX_DIM 8

/** One tensor of an open checkpoint; owned by the reader. */
typedef struct {
  const char *name;        /**< the header's key */
  sp_dtype dtype;
  char dtype_name[12];     /**< as the header spells it ("F16", "I64", ...) */
  int ndim;                /**< 0 for a scalar */
  uint64_t shape[SP_ST_MAX_DIM];
  uint64_t count;          /**< number of elements, the product of shape */
  uint64_t begin, end;     /**< byte range within the data section */
  size_t shard;            /**< which file of a sharded checkpoint (0..) */
} sp_st_tensor;

/** An open checkpoint (opaque). */
typedef struct sp_safetensors sp_safetensors;

/** Why a checkpoint could not be opened or read.  `text` is the whole
 * message, "FILE: why", naming the tensor or the byte offset concerned. */
typedef struct {
  char tensor[128];   /**< the tensor concerned, "" when none */
  uint64_t offset;    /**< the byte offset concerned in the file, 0 when none */
  char text[768];     /**< formatted message */
} sp_st_error;

/** Largest header accepted (bytes of JSON), as the format's own limit. */
#define SP_ST_MAX_HEADER (100u * 1024u * 1024u)

/** Open the checkpoint at `path`: a .safetensors file, or a sharded
 * checkpoint's index (a name ending in ".json", e.g.
 * model.safetensors.index.json, whose "weight_map" maps each tensor to a
 * shard file in the index's folder).  Every header is checked in full:
 * SP_EPARSE for a file shorter than 8 bytes, a header length beyond the
 * end of the file (or over SP_ST_MAX_HEADER), a header that is not JSON
 * (the byte offset of the error), not an object, or an entry without a
 * valid dtype (unknown dtype named), shape or data_offsets; offsets outside
 * the data, overlapping tensors, a byte range that differs from shape x
 * dtype size; for an index, a bad weight_map, a tensor in two shards or
 * one the index lists that its shard lacks.  SP_EIO when a file cannot be
 * opened or mapped (the system's reason), SP_ENOMEM, SP_EINVAL for NULL
 * arguments.  On success the caller owns *out (sp_safetensors_free). */
int sp_safetensors_open(const char *path, sp_safetensors **out, sp_st_error *err);

/** The same checks over a whole safetensors file held in memory (`data`,
 * `size` bytes, borrowed: it must outlive the reader).  `name` names it in
 * messages (NULL: "<memory>").  For fuzzing harnesses and tests. */
int sp_safetensors_open_memory(const void *data, size_t size, const char *name,
                               sp_safetensors **out, sp_st_error *err);

/** Close a checkpoint and unmap its files.  NULL is a no-op. */
void sp_safetensors_free(sp_safetensors *st);

/** Number of tensors (all shards). */
size_t sp_safetensors_count(const sp_safetensors *st);

/** Tensor `i` in name order, NULL when out of range. */
const sp_st_tensor *sp_safetensors_tensor(const sp_safetensors *st, size_t i);

/** The tensor named `name`, NULL when there is none. */
const sp_st_tensor *sp_safetensors_find(const sp_safetensors *st, const char *name);

/** Convert elements [first, first + n) of tensor `t` (row-major order) to
 * double into `out`.  F16 and BF16 are exact in double, as are F32 and F64.
 * The pages read are then released (madvise), so a pass over a large
 * tensor in pieces stays small in memory.  Returns SP_OK, SP_EUNSUP for a
 * dtype that does not convert (t->dtype == SP_DTYPE_OTHER), SP_EINVAL for a
 * range beyond t->count or NULL arguments. */
int sp_safetensors_read(const sp_safetensors *st, const sp_st_tensor *t, uint64_t first, size_t n,
                        double *out);

/** Name of the file tensor `t` is in (static for the reader's life). */
const char *sp_safetensors_file(const sp_safetensors *st, const sp_st_tensor *t);

/** The value of IEEE binary16 `h` and of bfloat16 `b` as a double (exact;
 * subnormals, infinities and NaN kept). */
double sp_safetensors_half_to_double(uint16_t h);
double sp_safetensors_bfloat16_to_double(uint16_t b);

SP_END_DECLS
#endif
