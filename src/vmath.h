/* The library's own arccosine, shared by the scalar ReLU kernel
 * (sp_gauss_relu_kernel) and the vector lockstep block map (maps_simd.c),
 * so that a trajectory gives the same bits whichever path and whichever
 * processor computes it.  Private.
 *
 * Method: asin(x) = x + x z P(z) with z = x^2 on 0 <= x <= 1/2, P of degree
 * 12 interpolating (asin(sqrt z) - sqrt z) / z^{3/2} at the Chebyshev
 * points of [0, 1/4] (relative interpolation error 1.2e-16 with the
 * coefficients rounded to double), evaluated by Estrin's scheme; then
 *   acos(c) = pi/2 - asin(c)                 for |c| <= 1/2,
 *   acos(c) = 2 asin(s),  s = sqrt((1-c)/2)  for c > 1/2,
 *   acos(c) = pi - 2 asin(s), s = sqrt((1+c)/2) for c < -1/2,
 * where 1 - |c| and the halving are exact.  Every operation is a single
 * IEEE operation in a fixed order (no fused multiply-add: the library is
 * compiled as ISO C, which does not contract), so the vector code that
 * repeats the sequence gives identical results.  Maximum error against the
 * exact arccosine: 1.5 ulp over [-1, 1] (measured 1.13 ulp; tests/test_simd.c
 * sweeps the domain with 2 million points against long double).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef SP_VMATH_H
#define SP_VMATH_H

/* pi/2 and pi as a double plus the rounding error of that double. */
#define SP_VMATH_PIO2_HI 1.5707963267948966
#define SP_VMATH_PIO2_LO 6.123233995736766e-17
#define SP_VMATH_PI_HI 3.141592653589793
#define SP_VMATH_PI_LO 1.2246467991473532e-16

/* out = P(z) by Estrin's scheme (a shorter dependency chain than Horner's
 * rule), z a double or a vector of doubles; z2, z4 are scratch of z's type. */
#define SP_VMATH_ASIN_POLY(z, out, z2, z4)                                          \
  do {                                                                              \
    (z2) = (z) * (z);                                                               \
    (z4) = (z2) * (z2);                                                             \
    (out) = ((0.16666666666666669 + (z) * 0.07499999999998433)                      \
             + (z2) * (0.04464285714635543 + (z) * 0.030381944138531247))           \
            + (z4) * ((0.02237217294214989 + (z) * 0.017352392720869973)            \
                      + (z2) * (0.013971212973552933 + (z) * 0.011479177415184906)); \
    (out) = (out) + ((z4) * (z4)) * (((0.01032281435018578 + (z) * 0.005457506718640358) \
                                      + (z2) * (0.01740087944269402                 \
                                                + (z) * -0.014851887071247204))     \
                                     + (z4) * 0.028757851367421566);                \
  } while (0)

/* acos(c) for c in [-1, 1] (NaN outside, and for NaN), to 1.5 ulp. */
double sp_vmath_acos(double c);

#endif
