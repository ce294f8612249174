"""三调 procedure areas and Gauss–Krüger plane areas (vectorized).

Two ways Chinese surveys compute a parcel's area besides the geodesic area of
:mod:`zonemap.areas`:

**三调 procedure** (:func:`sandiao_area`). The national land surveys (第二次/第三次全国国土调查)
compute 图斑椭球面积 as prescribed by 国土调查办发〔2008〕32号, 《图幅理论面积与图斑椭球面积计算公式及要求》
(kept by TD/T 1055-2019, 《第三次全国国土调查技术规程》):

1. the parcel's coordinates are in the 3-degree CGCS2000 Gauss–Krüger zone (central meridian
   L0 = 3°·zone; EPSG:4534–4554 are these zones without the zone prefix, EPSG:4547 = zone 38,
   CM 114°E, which covers Dongguan);
2. every boundary segment longer than 70 m is split evenly **in the plane**: ``floor(d / 70)``
   interpolated points, so no piece is longer than 70 m (interpolated points kept to 1e-6 m, as
   the 三调 software evaluation rules have it);
3. every plane point is inverse-projected to B, L (section 三 of the document, "高斯投影反解变换",
   a series in y/N); B and L are kept in arc seconds to 6 decimals (section 五, "计算中的取位及要求":
   "高斯投影反解变换后的 B, L 以秒为单位, 保留..."; the six decimals are those of the 三调 software
   evaluation, the copies of the 2008 text we could read break off before the digit);
4. each segment contributes the ellipsoidal trapezoid between it and a reference meridian,
   formula (2) of section 二 ("椭球面上任意梯形面积计算公式")::

       S = 2 b² ΔL [ A sin(½ΔB) cos Bm − B sin(3/2 ΔB) cos 3Bm + C sin(5/2 ΔB) cos 5Bm
                     − D sin(7/2 ΔB) cos 7Bm + E sin(9/2 ΔB) cos 9Bm ]

   with ΔB = B2 − B1, Bm = (B1 + B2)/2, ΔL the segment's mean longitude minus the reference
   meridian, b the semi-minor axis and, with e² = (a² − b²)/a²,
   A = 1 + (3/6)e² + (30/80)e⁴ + (35/112)e⁶ + (630/2304)e⁸,
   B = (1/6)e² + (15/80)e⁴ + (21/112)e⁶ + (420/2304)e⁸,
   C = (3/80)e⁴ + (7/112)e⁶ + (180/2304)e⁸, D = (1/112)e⁶ + (45/2304)e⁸, E = (5/2304)e⁸,
   evaluated for CGCS2000 (a = 6378137 m, f = 1/298.257222101; the 2008 text lists Xian-80
   constants, the 三调 uses CGCS2000);
5. the trapezoids are summed around the ring (holes subtracted).

What is applied here, and how it differs from the letter of the document:

* The input is longitude/latitude (CGCS2000 ≈ WGS84 to centimetres). The plane coordinates
  of the vertices are recomputed with pyproj's transverse Mercator (Poder/Engsager series,
  accurate to nanometres): the exact projection the document's series approximate. Because
  inverse(forward(P)) = P to ~1e-9 m, a vertex's B, L are its input coordinates; only the
  points interpolated in the plane are inverse-projected (pyproj's exact inverse, not the
  document's truncated series, which approximates it).
* B, L are rounded to 1e-6″ (section 五). Plane coordinates of the input vertices are not
  rounded: a layer converted from stored plane coordinates reproduces them to nanometres,
  and rounding them again would only add noise. Results are not rounded unless
  ``decimals`` is given (TBMJ is stored to 0.01 m²: ``decimals=2``).
* ΔL is taken against the zone's central meridian. Any fixed meridian gives the same sum
  over a closed ring in exact arithmetic (the bracket is ``(G(B2) − G(B1)) / 2`` with
  ``G(B) = A sin B − B sin 3B + C sin 5B − D sin 7B + E sin 9B``, which telescopes); the
  central meridian keeps ΔL, and so the terms, small. The bracket is evaluated as printed,
  ``sin(k·ΔB/2)·cos(k·Bm)``, never as a difference of G, so no digits are lost; the odd
  multiples come from exact Chebyshev recurrences (one ``cos`` per segment).
* The zone of each feature comes from the centre of its bounding box (``zone`` forces one).

**Gauss–Krüger plane area** (:func:`gk_plane_area`): the shoelace area of the polygon drawn
in the zone's plane, what a GIS reports as "area" for a layer in EPSG:4547 or EPSG:4526. For
rings under 1 km across with edges up to 300 m it is evaluated without projecting every vertex, as ``∫ k² dA`` over
the ellipsoidal polygon: the geodesic ring area (:mod:`zonemap.ellipsoid`) times k² at the
ring's centroid (k the point scale, Snyder's series, error < 1e-10), plus the second moment
about the centroid times 1/R² and, per edge, the sliver between the straight chord and the
geodesic's image (which bends towards the central meridian with curvature ≈ x/R²). That is
within ~1e-8 of the projected shoelace (measured: 1.1e-8 and 6e-4 m² at most over 1e5 parcels
of 0.1–10 ha, bounded by the geodesic kernel's own accuracy on edges of a few hundred metres).
Larger rings, other ellipsoids and ``exact=True`` are projected with pyproj and summed with the
shoelace formula. At Dongguan (0.1–0.5° from 114°E) the plane area is 4–40 ppm larger than the ellipsoidal one
(``k² ≈ 1 + x²/R²``; 4.3 ppm at Fenggang, 13.5 ppm at Dongcheng).

Everything works on whole arrays (the vertices of all polygons flattened with their ring
index): there is no Python loop over features, only over the few zones present.
"""

from __future__ import annotations

from ._fields import FIELD_CHECK_COLUMNS, SANDIAO_FIELDS, sandiao_field_checks
from ._flat import Flat, flatten, per_geometry
from ._kernel import (
    SANDIAO_MAX_SEGMENT_M,
    sandiao_area,
    sandiao_constants,
    sandiao_signed,
)
from ._others import sphere_signed, web_mercator_signed
from ._plane import (
    gk_plane_area,
    shoelace,
    tm_plane_area,
    tm_signed,
)
from ._zones import GK3_EPSG_FIRST, GK3_ZONES, geometry_centres, geometry_zones, gk3_epsg, gk3_zone

__all__ = [
    "FIELD_CHECK_COLUMNS",
    "GK3_EPSG_FIRST",
    "GK3_ZONES",
    "SANDIAO_FIELDS",
    "SANDIAO_MAX_SEGMENT_M",
    "Flat",
    "flatten",
    "geometry_centres",
    "geometry_zones",
    "gk3_epsg",
    "gk3_zone",
    "gk_plane_area",
    "per_geometry",
    "sandiao_area",
    "sandiao_constants",
    "sandiao_field_checks",
    "sandiao_signed",
    "shoelace",
    "sphere_signed",
    "tm_plane_area",
    "tm_signed",
    "web_mercator_signed",
]
