"""Ring sets from options and defaults: --bands, the default Shenzhen border bands, a --centre ring set."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import SchemaError
from ._data import RingBand, RingSet

__all__ = ["DEFAULT_BORDER_BANDS_KM", "centre_ring_set", "default_border_set", "parse_bands"]


#: Distance bands from the Shenzhen boundary a planner's file gets by default (km).
DEFAULT_BORDER_BANDS_KM = ((0.0, 1.0), (1.0, 2.0), (2.0, 3.0), (3.0, 5.0))


#: Band colours, innermost first (ColorBrewer sequential, colour-blind safe).
_CENTRE_COLOURS = ("#d7301f", "#fc8d59", "#fdcc8a", "#fef0d9", "#b30000", "#e34a33")


_BORDER_COLOURS = ("#08519c", "#3182bd", "#6baed6", "#bdd7e7", "#eff3ff", "#c6dbef")


def _km(v: float) -> str:
    return f"{v:g}"


def _bands(prefix: str, bands_km: Sequence[tuple[float, float]], colours: Sequence[str]) -> tuple[RingBand, ...]:
    for inner, outer in bands_km:
        if not (0 <= inner < outer < 1000):
            raise SchemaError(
                f"band {inner:g}-{outer:g} km: inner must be >= 0 and below outer, outer < 1000 km "
                "(fix: e.g. --bands 0.5-1,1-2,2-3)"
            )
    return tuple(
        RingBand(
            f"{prefix}-{_km(i)}-{_km(o)}",
            f"{_km(i)}—{_km(o)}公里",
            f"{_km(i)}–{_km(o)} km",
            i,
            o,
            colours[j % len(colours)],
        )
        for j, (i, o) in enumerate(bands_km)
    )


def parse_bands(text: str) -> tuple[tuple[float, float], ...]:
    """Parse ``"0.5-1,1-2,2-3"`` (km) into (inner, outer) pairs.

    Raises
    ------
    SchemaError
        For anything but comma-separated ``inner-outer`` numbers.
    """
    out = []
    for part in (p.strip() for p in text.replace("，", ",").split(",")):
        pieces = [x.strip() for x in part.replace("—", "-").replace("–", "-").split("-")]
        try:
            inner, outer = (float(x) for x in pieces)
        except ValueError:
            raise SchemaError(f"--bands: {part!r} is not INNER-OUTER in km (fix: e.g. --bands 0.5-1,1-2,2-3)") from None
        out.append((inner, outer))
    _bands("check", out, _CENTRE_COLOURS)
    return tuple(out)


def default_border_set(town: str, bands_km: Sequence[tuple[float, float]] | None = None) -> RingSet:
    """Distance bands from the Shenzhen boundary (default :data:`DEFAULT_BORDER_BANDS_KM`)."""
    return RingSet(
        "shenzhen-border",
        "距深圳边界距离带",
        "Distance bands from the Shenzhen boundary",
        town,
        _bands("sz", bands_km or DEFAULT_BORDER_BANDS_KM, _BORDER_COLOURS),
        boundary="shenzhen",
        source="zonemap default (not a stated figure)",
    )


def centre_ring_set(
    town: str,
    bands_km: Sequence[tuple[float, float]] | None,
    *,
    lonlat: tuple[float, float] | None = None,
    feature: str | None = None,
) -> RingSet:
    """Rings around a point (lon, lat) or a feature of the layer (its representative point).

    Parameters
    ----------
    town
        Town id.
    bands_km
        (inner, outer) in km; default 0.5–1, 1–2, 2–3.
    lonlat, feature
        The centre: WGS84 coordinates, or a feature id.
    """
    if lonlat is not None:
        lon, lat = lonlat
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise SchemaError(f"--centre {lon},{lat}: not WGS84 longitude,latitude (fix: e.g. --centre 114.12,22.69)")
    label = feature or (f"{lonlat[0]:g},{lonlat[1]:g}" if lonlat else "?")
    return RingSet(
        "centre",
        f"距{label}圈层",
        f"Rings around {label}",
        town,
        _bands("ring", bands_km or ((0.5, 1.0), (1.0, 2.0), (2.0, 3.0)), _CENTRE_COLOURS),
        centre=feature or "",
        centre_lonlat=lonlat,
        source="zonemap --centre (not a stated figure)",
    )
