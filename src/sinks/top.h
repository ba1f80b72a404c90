/* kvmexitstat top: an ncurses view of the live numbers, in the spirit of
 * kvm_stat. The live engine's top sink (sink_top.c) hands it every reading; it draws and
 * answers keys between readings. */
#ifndef KVMEXITSTAT_TOP_H
#define KVMEXITSTAT_TOP_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "snapshot.h"

struct top;

/* Start curses on the terminal. NULL, and in msg why, when it cannot. */
struct top *top_open(const char *source, char *msg, size_t len);
/* A reading: cur holds every running VM's cumulative counts (rates are
 * over the time since the last reading shown), lost what the collector
 * could not do so far (marked on the screen while any). Redraws. 0 or
 * -ENOMEM. */
int top_update(struct top *t, const struct snapshot *cur, const struct health *lost);
/* Wait up to ms for keys and act on them; false when the user quit. */
bool top_keys(struct top *t, int ms);
/* The interval the user set with 's' (seconds), or 0 if none. */
double top_interval(const struct top *t);
void top_close(struct top *t);

#endif
