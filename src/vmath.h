/* The library's own arccosine, shared by the scalar ReLU kernel
 * (sp_gauss_relu_kernel) and the vector lockstep block map (maps_simd.c),
 * so that a trajectory gives the same bits whichever path and whichever
 * processor computes it.  Private.
 *
 * Method: asin(x) = x + x z P(z) with z = x^2 on 0 <= x <= 1/2, P of degree
 * 12 interpolating (asin(sqrt z) - sqrt z) / z^{3/2} at the Chebyshev
 * points of [0, 1/4] (relative interpolation error 1.2e-16 with the
 * coefficients rounded to double); then
 *   acos(c) = pi/2 - asin(c)                 for |c| <= 1/2,
 *   acos(c) = 2 asin(s),  s = sqrt((1-c)/2)  for c > 1/2,
 *   acos(c) = pi - 2 asin(s), s = sqrt((1+c)/2) for c < -1/2,
 * where 1 - |c| and the halving are exact.  Every operation is a single
 * IEEE operation in a fixed order (no fused multiply-add: the library is
 * compiled as ISO C, which does not contract), so the vector code that
 * repeats the sequence gives identical results.  Maximum error against a
 * correctly rounded arccosine: 2 ulp over [-1, 1] (tests/test_vmath.c
 * sweeps the domain).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_VMATH_H
#define SP_VMATH_H

/* pi/2 and pi as a double plus the rounding error of that double. */
#define SP_VMATH_PIO2_HI 1.5707963267948966
#define SP_VMATH_PIO2_LO 6.123233995736766e-17
#define SP_VMATH_PI_HI 3.141592653589793
#define SP_VMATH_PI_LO 1.2246467991473532e-16

/* out = P(z) by Horner's rule, z a double or a vector of doubles. */
#define SP_VMATH_ASIN_POLY(z, out)                                    \
  do {                                                                \
    (out) = (z) * 0.028757851367421566 + -0.014851887071247204;       \
    (out) = (out) * (z) + 0.01740087944269402;                        \
    (out) = (out) * (z) + 0.005457506718640358;                       \
    (out) = (out) * (z) + 0.01032281435018578;                        \
    (out) = (out) * (z) + 0.011479177415184906;                       \
    (out) = (out) * (z) + 0.013971212973552933;                       \
    (out) = (out) * (z) + 0.017352392720869973;                       \
    (out) = (out) * (z) + 0.02237217294214989;                        \
    (out) = (out) * (z) + 0.030381944138531247;                       \
    (out) = (out) * (z) + 0.04464285714635543;                        \
    (out) = (out) * (z) + 0.07499999999998433;                        \
    (out) = (out) * (z) + 0.16666666666666669;                        \
  } while (0)

/* acos(c) for c in [-1, 1] (NaN outside, and for NaN), to 2 ulp. */
double sp_vmath_acos(double c);

#endif
