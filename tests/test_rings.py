"""Ring geometry, band shares and the proximity table, checked against GeographicLib (pyproj.Geod)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from _handmade import CENTRE, SZ_EDGE_LON, shenzhen_frame, town_frames, write_geodata
from click.testing import CliRunner
from pyproj import Geod

from zonemap.cli import main
from zonemap.config import Config
from zonemap.errors import MissingFileError, SchemaError
from zonemap.io import TownData, load_town
from zonemap.rings import (
    DEFAULT_TOLERANCE_M,
    build_rings,
    load_ring_sets,
    proximity,
    proximity_table,
    ring_geometries,
    write_proximity,
)

GEOD = Geod(ellps="GRS80")


def geod_area(geoms: np.ndarray) -> np.ndarray:
    """Independent ellipsoidal area (absolute: Geod's area is signed)."""
    return np.array([abs(GEOD.geometry_area_perimeter(g)[0]) if not g.is_empty else 0.0 for g in geoms])


def geodesic_disc(lon: float, lat: float, radius_m: float, n: int = 3600) -> shapely.Polygon:
    """A polygon through n points at geodesic distance radius_m (independent of zonemap)."""
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    x, y, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, radius_m))
    return shapely.Polygon(np.column_stack([x, y]))


def _town(frames: dict) -> TownData:
    return TownData("fenggang", frames)


def test_annulus_edges_within_a_metre_of_geodesic_radius():
    from zonemap.rings._geometry import annuli

    lon, lat = 114.13, 22.71
    radii = [(500.0, 1000.0), (1000.0, 2000.0), (2000.0, 3000.0)]
    worst = 0.0
    for (inner, outer), poly in zip(radii, annuli(shapely.Point(lon, lat), radii), strict=True):
        for ring, r in ((poly.exterior, outer), (poly.interiors[0], inner)):
            pts = shapely.get_coordinates(shapely.segmentize(ring, 1e-5))  # every vertex and ~1 m along edges
            _, _, d = GEOD.inv(np.full(len(pts), lon), np.full(len(pts), lat), pts[:, 0], pts[:, 1])
            worst = max(worst, float(np.abs(d - r).max()))
        # and along many bearings: just inside the outer edge is in, just outside is out
        az = np.arange(0.0, 360.0, 0.5)
        for delta, expected in ((-1.0, True), (1.0, False)):
            x, y, _ = GEOD.fwd(np.full(len(az), lon), np.full(len(az), lat), az, np.full(len(az), outer + delta))
            assert (shapely.contains_xy(poly, x, y) == expected).all()
    assert worst <= DEFAULT_TOLERANCE_M + 0.01 <= 1.0


def test_accuracy_circles_have_true_metric_radii():
    from zonemap.rings._geometry import accuracy_circles

    geod = Geod(ellps="GRS80")
    points = np.array([shapely.Point(114.15, 22.72), shapely.Point(113.78, 23.02), shapely.Point(114.12, 22.70)])
    radii = np.array([50.0, 9000.0, 1500.0])
    circles = accuracy_circles(points, radii)
    for pt, r, circle in zip(points, radii, circles, strict=True):
        lon, lat = np.asarray(circle.exterior.coords).T
        _, _, dist = geod.inv(np.full(lon.size, pt.x), np.full(lat.size, pt.y), lon, lat)
        assert np.abs(dist - r).max() < 1.0  # vertices on the geodesic circle
        mid_lon, mid_lat = (lon[:-1] + lon[1:]) / 2, (lat[:-1] + lat[1:]) / 2
        _, _, mid = geod.inv(np.full(mid_lon.size, pt.x), np.full(mid_lat.size, pt.y), mid_lon, mid_lat)
        assert (r - mid).max() < 5.0 + 1.0  # chords sag at most the 5 m display tolerance
    assert accuracy_circles(np.array([], dtype=object), np.array([])).size == 0


def test_ring_sets_load_and_radius_mismatch_is_a_schema_error(tmp_path):
    config = write_geodata(tmp_path / "ok")
    sets = load_ring_sets(config)
    assert [s.id for s in sets] == ["test-centre", "test-border"]
    assert sets[0].bands[0].inner_km == 0.5
    bad_csv = (
        (tmp_path / "ok" / "figures.csv")
        .read_text(encoding="utf-8")
        .replace("ring_outer_radius,1,km", "ring_outer_radius,1.5,km")
    )
    bad = write_geodata(tmp_path / "bad", figures_csv=bad_csv)
    with pytest.raises(SchemaError) as err:
        load_ring_sets(bad)
    assert "fg-fig-a-outer" in str(err.value) and "1.5 km" in str(err.value) and "c-a" in str(err.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(boundary="shenzhen"), "exactly one of 'centre' and 'boundary'"),
        (lambda s: s["bands"][0].update(colour="red"), "#rrggbb"),
        (lambda s: s["bands"][0].update(inner_km=3), "not less than outer_km"),
        (lambda s: s["bands"][0].update(figures=["nope"]), "'nope' is not in the figures table"),
        (lambda s: s.update(bands=[]), "non-empty list"),
    ],
)
def test_bad_ring_sets_name_the_problem(tmp_path, change, message):
    from _handmade import RINGS

    rings = json.loads(json.dumps(RINGS))
    change(rings["ring_sets"][0])
    config = write_geodata(tmp_path, rings=rings)
    with pytest.raises(SchemaError) as err:
        load_ring_sets(config)
    assert message in str(err.value) and "rings.json" in str(err.value)


def test_missing_centre_feature_is_reported(tmp_path):
    config = write_geodata(tmp_path)
    sets = load_ring_sets(config)
    frames = town_frames()
    frames["places"] = frames["places"].iloc[1:]
    with pytest.raises(SchemaError, match="fg-place-centre"):
        ring_geometries(sets[0], _town(frames))


def test_border_band_shares_hand_computed(tmp_path):
    config = write_geodata(tmp_path)
    table = proximity_table(config, "fenggang").set_index("id")
    # the straddling parcel is split by the Shenzhen edge meridian: half of it lies in the 0-1 km band
    assert table.loc["fg-parcel-straddle", "share_b-0-1"] == pytest.approx(0.5, abs=1e-4)
    assert table.loc["fg-parcel-straddle", "sz_distance_m"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["fg-parcel-straddle", "sz_side"] == "crosses"
    # zone A spans lon edge+0.005 .. edge+0.015: its share within 1 km is the longitude fraction
    lat = 22.605
    lon_1km, _, _ = GEOD.fwd(SZ_EDGE_LON, lat, 90.0, 1000.0)
    expected = (lon_1km - (SZ_EDGE_LON + 0.005)) / 0.010
    assert table.loc["fg-zone-a", "share_b-0-1"] == pytest.approx(expected, abs=1e-3)
    assert table.loc["fg-zone-a", "share_b-1-2"] == pytest.approx(1 - expected, abs=1e-3)
    # distance: from the zone's west edge to the Shenzhen edge along the parallel (shortest at the north side)
    _, _, d = GEOD.inv(SZ_EDGE_LON + 0.005, 22.610, SZ_EDGE_LON, 22.610)
    assert table.loc["fg-zone-a", "sz_distance_m"] == pytest.approx(d, abs=1.0)
    assert table.loc["fg-zone-a", "sz_district_id"] == "sz-district-440307"
    assert table.loc["fg-zone-a", "sz_district_distance_m"] == pytest.approx(d, abs=1.0)
    assert table.loc["fg-parcel-far", "share_b-0-1"] == 0.0


def test_centre_ring_shares_match_independent_geodesic_discs(tmp_path):
    config = write_geodata(tmp_path)
    table = proximity_table(config, "fenggang").set_index("id")
    zone = town_frames()["zones"].set_index("id").geometry["fg-zone-a"]
    discs = {r: geodesic_disc(*CENTRE, r) for r in (500.0, 1000.0, 2000.0)}
    whole = geod_area([zone])[0]
    for band, (inner, outer) in (("c-a", (500.0, 1000.0)), ("c-b", (1000.0, 2000.0))):
        part = geod_area([shapely.intersection(zone, shapely.difference(discs[outer], discs[inner]))])[0]
        assert table.loc["fg-zone-a", f"share_{band}"] == pytest.approx(part / whole, abs=2e-4)
    assert table.loc["fg-zone-a", "share_c-b"] > 0.01  # the case is not trivially zero


def test_band_shares_of_a_square_half_inside_a_disc():
    from zonemap.rings._proximity import band_shares

    lon, lat = 114.0, 22.6
    disc = geodesic_disc(lon, lat, 1000.0)
    east, _, _ = GEOD.fwd(lon, lat, 90.0, 1000.0)
    # a thin square centred on the disc's east edge: half of it (by longitude) lies inside
    d = 0.0001
    square = shapely.box(east - d, lat - d, east + d, lat + d)
    shares = band_shares(
        np.array([square, shapely.box(lon - d, lat - d, lon + d, lat + d)]), np.array([disc]), geod_area
    )
    assert shares[0, 0] == pytest.approx(0.5, abs=0.01)
    assert shares[1, 0] == pytest.approx(1.0)


def test_western_zone_proximity_against_luoshan_rings(config):
    """Recompute the western zone's Luoshan ring shares with geodesic circles, independently."""
    data = load_town(config, "fenggang")
    sets = [s for s in load_ring_sets(config, "fenggang") if s.centre == "fg-place-luoshan"]
    assert sets, "the bundled rings.json must define the Luoshan ring set"
    rings = ring_geometries(sets[0], data)
    table = proximity(data.polygons, rings, None, geod_area).set_index("id")
    zone = data.zones.set_index("id").geometry["fg-zone-west"]
    centre = data.places.set_index("id").geometry["fg-place-luoshan"]
    whole = geod_area([zone])[0]
    total = 0.0
    for band in sets[0].bands:
        ring = shapely.difference(
            geodesic_disc(centre.x, centre.y, band.outer_km * 1000),
            geodesic_disc(centre.x, centre.y, band.inner_km * 1000),
        )
        expected = geod_area([shapely.intersection(zone, ring)])[0] / whole
        assert table.loc["fg-zone-west", f"share_{band.id}"] == pytest.approx(expected, abs=2e-4)
        total += expected
    assert 0.0 < total <= 1.0


def test_build_rings_clips_border_bands_to_window(tmp_path):
    config = write_geodata(tmp_path)
    rings = build_rings(config, "fenggang")
    assert list(rings["band"]) == ["c-a", "c-b", "b-0-1", "b-1-2"]
    city = shenzhen_frame().geometry.iloc[0]
    border = rings[rings["ring_set"] == "test-border"].geometry
    assert not border.intersects(city.buffer(-1e-6)).any()  # on the Dongguan side only
    assert not border.is_empty.any()


def test_write_proximity_csv_and_json(tmp_path):
    table = pd.DataFrame({"id": ["a", "b"], "sz_distance_m": [1.5, np.nan]})
    written = write_proximity(table, tmp_path / "p.csv", tmp_path / "out" / "p.json")
    assert [p.name for p in written] == ["p.csv", "p.json"]
    assert json.loads((tmp_path / "out" / "p.json").read_text(encoding="utf-8"))[1] == {
        "id": "b",
        "sz_distance_m": None,
    }
    assert pd.read_csv(tmp_path / "p.csv")["sz_distance_m"].iloc[0] == 1.5


def test_cli_rings_writes_csv_and_json(tmp_path):
    config = write_geodata(tmp_path / "geo")
    out_csv, out_json = tmp_path / "r.csv", tmp_path / "r.json"
    result = CliRunner().invoke(
        main,
        ["rings", "fenggang", "--geodata", str(config.geodata_dir), "--csv", str(out_csv), "--json", str(out_json)],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out_json.read_text(encoding="utf-8"))
    assert {r["id"] for r in rows} == {"fg-zone-a", "fg-zone-probe", "fg-parcel-straddle", "fg-parcel-far"}
    assert "fg-zone-a" in out_csv.read_text(encoding="utf-8")


def test_cli_rings_bad_input_exits_2(tmp_path):
    from _handmade import RINGS

    rings = json.loads(json.dumps(RINGS))
    rings["ring_sets"][0]["bands"][0]["colour"] = "red"
    config = write_geodata(tmp_path, rings=rings)
    result = CliRunner().invoke(main, ["rings", "--geodata", str(config.geodata_dir)])
    assert result.exit_code == 2
    assert "#rrggbb" in result.output


def test_config_without_rings_file_has_no_ring_sets(tmp_path):
    (tmp_path / "fenggang").mkdir()
    (tmp_path / "towns.csv").write_text("id,name_zh\nfenggang,凤岗镇\n", encoding="utf-8")
    assert load_ring_sets(Config(geodata_dir=tmp_path)) == []


def test_a_directory_without_towns_table_is_refused_with_the_layout(tmp_path):
    (tmp_path / "fenggang").mkdir()
    with pytest.raises(MissingFileError) as err:
        load_ring_sets(Config(geodata_dir=tmp_path))
    assert "towns.csv" in str(err.value) and "zonemap init" in str(err.value) and "parcels" in str(err.value)
