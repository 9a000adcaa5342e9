/* Private: one worker function run on several POSIX threads at once, the
 * calling thread among them (the parallel sweeps of diagram.c and
 * meanfield_batch.c).  Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_THREADS_H
#define SP_THREADS_H

#include <stddef.h>

/* The most threads one run uses. */
#define SP_THREADS_MAX 256

/* How many threads to run for `items` independent items: `asked`, or the
 * processors online when `asked` is 0; at most SP_THREADS_MAX and at most
 * `items`, and at least 1.  Always 1 in a build without threads. */
unsigned sp_threads_count(unsigned asked, size_t items);

/* Runs worker(arg) on n threads (n - 1 started here, plus the caller) and
 * returns when every one has returned.  The workers share arg and take
 * their work from it; when a thread cannot be started, those running share
 * the work (the worker must not count on a number of threads). */
void sp_threads_run(void *(*worker)(void *), void *arg, unsigned n);

#endif
