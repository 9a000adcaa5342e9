/* Tick placement: round steps (1, 2, 2.5, 5 times a power of ten) on
 * linear axes, decades (or 1-2-5 within a decade) on log axes, as many as
 * fit with their labels; labels with true minus signs and x10^n.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "plot_private.h"

#include <math.h>
#include <stdio.h>

/* Number with `dec` decimals, a true minus sign, no "-0". */
static void format_number(char *buf, size_t size, double v, int dec)
{
  char tmp[40];
  snprintf(tmp, sizeof tmp, "%.*f", dec, v);
  const char *s = tmp;
  int neg = *s == '-';
  if (neg) {
    s++;
    int zero = 1;
    for (const char *c = s; *c; c++)
      zero &= *c == '0' || *c == '.';
    neg = !zero;
  }
  snprintf(buf, size, "%s%s", neg ? "\xe2\x88\x92" : "", s);
}

/* Decimals needed to print multiples of `step` exactly. */
static int step_decimals(double step)
{
  for (int d = 0; d < 12; d++) {
    double scaled = step * pow(10.0, d);
    if (fabs(scaled - floor(scaled + 0.5)) < 1e-6 * scaled)
      return d;
  }
  return 12;
}

static void tick_label(char *buf, double v, double step, int sci_exp)
{
  if (fabs(v) < 1e-9 * step)
    v = 0.0;
  if (sci_exp) {
    double sc = pow(10.0, sci_exp);
    char m[44];
    format_number(m, sizeof m, v / sc, step_decimals(step / sc));
    if (v == 0.0)
      snprintf(buf, LABEL_LEN, "0");
    else
      snprintf(buf, LABEL_LEN, "%s\xc3\x97" "10^{%d}", m, sci_exp);
    return;
  }
  format_number(buf, LABEL_LEN, v, step_decimals(step));
}

static void measure_labels(const pen *pe, double size, ticks *tk)
{
  tk->max_w = tk->max_asc = tk->max_desc = 0.0;
  for (size_t i = 0; i < tk->nt; i++) {
    tbox b = sp_plot_measure(pe, tk->label[i], size);
    tk->max_w = fmax(tk->max_w, b.w);
    tk->max_asc = fmax(tk->max_asc, b.asc);
    tk->max_desc = fmax(tk->max_desc, b.desc);
  }
}

/* Do the labels fit along an axis `length` points long? */
static int labels_fit(const ticks *tk, double length, int horizontal, double size)
{
  if (tk->nt < 2)
    return 1;
  double spacing = length * (tk->t[1] - tk->t[0]) / (tk->hi - tk->lo);
  if (horizontal)
    return spacing >= fmax(tk->max_w + 1.2 * size, 3.2 * size);
  return spacing >= fmax(2.0 * (tk->max_asc + tk->max_desc), 2.4 * size);
}

static void linear_ticks(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  double span = tk->hi - tk->lo;
  static const double mant[] = {1.0, 2.0, 2.5, 5.0};
  int e0 = (int)floor(log10(span)) - 2;
  for (int e = e0; e < e0 + 6; e++)
    for (size_t k = 0; k < 4; k++) {
      double step = mant[k] * pow(10.0, e);
      if (tk->integer && (step < 1.0 || step != floor(step)))
        continue;
      double first = ceil(tk->lo / step - 1e-9), last = floor(tk->hi / step + 1e-9);
      if (last - first + 1 > 9 || last - first + 1 > MAX_TICKS)
        continue;
      double mag = fmax(fabs(tk->lo), fabs(tk->hi));
      int sci = 0;
      if (mag >= 1e5 || step < 1e-4)
        sci = (int)floor(log10(mag));
      tk->nt = 0;
      for (double q = first; q <= last; q++) {
        tk->t[tk->nt] = q * step;
        tick_label(tk->label[tk->nt], q * step, step, sci);
        tk->nt++;
      }
      measure_labels(pe, size, tk);
      if (labels_fit(tk, length, horizontal, size))
        return;
    }
}

static void log_ticks(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  double dlo = ceil(tk->lo - 1e-9), dhi = floor(tk->hi + 1e-9);
  tk->nminor = 0;
  if (dhi - dlo >= 1.0) {
    for (int stride = 1; stride <= 100; stride = stride < 2 ? 2 : stride < 5 ? 5 : stride * 2) {
      tk->nt = 0;
      for (double d = dlo; d <= dhi && tk->nt < MAX_TICKS; d++) {
        if (fmod(d, stride) != 0.0)
          continue;
        tk->t[tk->nt] = d;
        snprintf(tk->label[tk->nt], LABEL_LEN, "10^{%s%d}", d < 0 ? "\xe2\x88\x92" : "",
                 (int)fabs(d));
        tk->nt++;
      }
      measure_labels(pe, size, tk);
      if (labels_fit(tk, length, horizontal, size) || tk->nt < 3) {
        if (stride == 1)
          for (double d = floor(tk->lo); d <= tk->hi && tk->nminor < 4 * MAX_TICKS - 8; d++)
            for (int m = 2; m <= 9; m++) {
              double v = d + log10((double)m);
              if (v > tk->lo && v < tk->hi)
                tk->minor[tk->nminor++] = v;
            }
        return;
      }
    }
    return;
  }
  /* Less than a decade: 1, 2, 5 times powers of ten, printed plainly. */
  static const double sets[3][3] = {{1, 2, 5}, {1, 5, 0}, {1, 0, 0}};
  for (int s = 0; s < 3; s++) {
    tk->nt = 0;
    for (double d = floor(tk->lo); d <= ceil(tk->hi); d++)
      for (int k = 0; k < 3 && sets[s][k] > 0; k++) {
        double v = log10(sets[s][k]) + d;
        if (v >= tk->lo - 1e-9 && v <= tk->hi + 1e-9 && tk->nt < MAX_TICKS) {
          double val = sets[s][k] * pow(10.0, d);
          tk->t[tk->nt] = v;
          format_number(tk->label[tk->nt], LABEL_LEN, val, d < 0 ? (int)-d : 0);
          tk->nt++;
        }
      }
    measure_labels(pe, size, tk);
    if (tk->nt >= 2 && labels_fit(tk, length, horizontal, size))
      break;
  }
  if (tk->nt < 2) {
    /* Too narrow for round numbers: label the ends. */
    tk->nt = 2;
    tk->t[0] = tk->lo;
    tk->t[1] = tk->hi;
    snprintf(tk->label[0], LABEL_LEN, "%.3g", pow(10.0, tk->lo));
    snprintf(tk->label[1], LABEL_LEN, "%.3g", pow(10.0, tk->hi));
    measure_labels(pe, size, tk);
  }
}

void sp_plot_ticks_make(const pen *pe, double size, double length, int horizontal, ticks *tk)
{
  tk->nt = tk->nminor = 0;
  if (tk->log)
    log_ticks(pe, size, length, horizontal, tk);
  else
    linear_ticks(pe, size, length, horizontal, tk);
}
