/* sigprop: the markers that open and close the declarations of every public
 * header: C linkage for C++ callers, and default symbol visibility, so that
 * the library (built with hidden visibility) exports exactly what include/
 * declares.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SIGPROP_EXPORT_H
#define SIGPROP_EXPORT_H

#ifdef __cplusplus
#define SP_EXTERN_C_BEGIN_ extern "C" {
#define SP_EXTERN_C_END_ }
#else
#define SP_EXTERN_C_BEGIN_
#define SP_EXTERN_C_END_
#endif

#if defined(__GNUC__)
#define SP_VISIBILITY_PUSH_ _Pragma("GCC visibility push(default)")
#define SP_VISIBILITY_POP_ _Pragma("GCC visibility pop")
#else
#define SP_VISIBILITY_PUSH_
#define SP_VISIBILITY_POP_
#endif

/** Opens a public header's declarations: C linkage, exported symbols. */
#define SP_BEGIN_DECLS SP_EXTERN_C_BEGIN_ SP_VISIBILITY_PUSH_
/** Closes what SP_BEGIN_DECLS opened. */
#define SP_END_DECLS SP_VISIBILITY_POP_ SP_EXTERN_C_END_

#endif
